"""``python -m playground train | generate | next | inspect | evaluate | score | …``: the playground without a browser.

Bad input exits with status 2 and one line ``error: ...`` on stderr, never a traceback.
With ``--json`` the last line on stdout is one JSON object; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from pathlib import Path
from collections.abc import Sequence

from playground.errors import PlaygroundError


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, no usage block
        raise PlaygroundError(message)


def _add_train(commands) -> None:
    train = commands.add_parser("train", help="train a model and save it as a bundle directory")
    source = train.add_mutually_exclusive_group(required=True)
    source.add_argument("--corpus", nargs="+", metavar="FILE", help="one or more UTF-8 text files")
    source.add_argument("--builtin", help="a built-in corpus: python-docs or markov-babble")
    train.add_argument("--arch", default="lstm", help="lstm, gru, transformer, gan or gan-naive")
    train.add_argument("--out", help="bundle directory (default: a new run under $PLAYGROUND_HOME/runs)")
    for item in tokenizer_flags():
        _add_setting(train, item, f"{item.help} (default {item.default:,})" if item.kind is int else item.help)
    # Every declared setting of training and of the architectures (playground.settings); left
    # unset, a setting comes from the architecture's measured defaults, then the config's own.
    for item, where in setting_flags():
        _add_setting(train, item, f"{item.help}{where}")
    train.add_argument("--mixed-precision", choices=["auto", "on", "off"], default="off",
                       help="mixed_float16 on GPUs (auto: on when a GPU is visible)")
    train.add_argument("--like", metavar="RUN_DIR",
                       help="retrain a saved run: its architecture, sizes, settings, seed and budget (flags given "
                            "here still win); refused if the corpus differs from the run's, unless --force")
    train.add_argument("--force", action="store_true", help="with --like: train even on a different corpus")
    train.add_argument("--json", action="store_true", help="print a JSON summary as the last line")


def _add_setting(parser, item, help: str) -> None:
    """A declared setting's flag, stored under the field's name (None when not given)."""
    if item.kind is bool:  # a switch that turns the default around
        parser.add_argument(item.flag, dest=item.name, action="store_const", const=not item.default, help=help)
    else:
        parser.add_argument(item.flag, dest=item.name, type=item.kind, help=help)


def tokenizer_flags() -> tuple:
    """The declared settings of how the corpus becomes tokens: --level, --max-words, --vocab."""
    from playground.settings import declared
    from playground.text.tokenizers import TokenizerSettings

    return tuple(declared(TokenizerSettings))


def setting_flags() -> list[tuple]:
    """(declared setting, which architectures have it) for every command-line flag of ``train``:
    training's settings, then each architecture's, each flag once."""
    from playground.models import ARCHITECTURES
    from playground.settings import declared
    from playground.training.config import TrainConfig

    flags = {item.flag: (item, "") for item in declared(TrainConfig) if item.flag}
    owners: dict[str, list[str]] = {}
    for name, spec in ARCHITECTURES.items():
        for item in declared(spec.config_class):
            if item.flag:
                flags.setdefault(item.flag, (item, ""))
                owners.setdefault(item.flag, []).append(name)
    every = len(ARCHITECTURES)
    return [(item, f" ({', '.join(owners[flag])})" if flag in owners and len(owners[flag]) < every else "")
            for flag, (item, _) in flags.items()]


def _add_generate(commands) -> None:
    generate = commands.add_parser("generate", help="sample text from a saved model")
    generate.add_argument("--model", required=True, help="bundle directory")
    generate.add_argument("--prompt", default="")
    generate.add_argument("--length", type=int, default=200, help="generated tokens")
    generate.add_argument("--temperatures", default="0.2,0.5,0.7,1.0,1.2,1.5")
    generate.add_argument("--seed", type=int, default=0)
    _add_filters(generate)
    generate.add_argument("--json", action="store_true")


def _add_next(commands) -> None:
    from playground.generation.sampling import TEMPERATURE

    following = commands.add_parser("next", help="the model's distribution over the token after a prompt")
    following.add_argument("--model", required=True, help="bundle directory")
    following.add_argument("--prompt", default="")
    following.add_argument("--temperature", type=float, default=1.0,
                           help=f"0 (greedy) to {TEMPERATURE.page[1]:g}")
    _add_filters(following)
    following.add_argument("--top", type=int, default=20, help="how many of the most likely tokens to list")
    following.add_argument("--json", action="store_true")


def _add_filters(parser) -> None:
    """The sampling filters' flags (--top-k, --top-p, --min-p), as they are declared; left out, a filter is off."""
    from playground.generation.sampling import SamplingSettings
    from playground.settings import declared

    for item in declared(SamplingSettings):
        _add_setting(parser, item, item.help)


def _sampling(args):
    """The saved model and the sampling filters ``generate`` and ``next`` were given; a note on
    stderr for prompt symbols the model never saw."""
    from playground.runs.bundle import load_text_model
    from playground.generation.sampling import SamplingSettings
    from playground.settings import declared

    model = load_text_model(args.model)
    unknown = model.unknown_in(args.prompt)
    if unknown:
        print(f"note: the model has never seen {''.join(unknown)!r}; those become <unk>", file=sys.stderr)
    given = {item.name: getattr(args, item.name) for item in declared(SamplingSettings)}
    return model, SamplingSettings(**{name: value for name, value in given.items() if value is not None})


def next_token(args) -> dict:
    from playground.generation.next_token import check_top, visible

    model, settings = _sampling(args)
    view = model.next_token(args.prompt, args.temperature, settings)
    result = view.to_json(check_top(args.top, model.network.model_config.vocab_size))
    if not args.json:
        print(f"temperature {view.temperature:g}: entropy {view.entropy_bits:.2f} bits, "
              f"about {view.effective_choices:.1f} equally likely choices")
        for row in result["tokens"]:
            cut = "" if row["kept"] else "  (cut by the filters)"
            print(f"{visible(row['token']):>12}  logit {row['logit']:7.3f}  p(T=1) {row['probability_t1']:.3f}  "
                  f"p {row['probability']:.3f}{cut}")
    return result


def _add_inspect(commands) -> None:
    inside = commands.add_parser("inspect", help="inside the model: attention, recurrent units and embeddings "
                                                 "for a prompt")
    inside.add_argument("--model", required=True, help="bundle directory")
    inside.add_argument("--prompt", required=True)
    inside.add_argument("--json", action="store_true")


def inspect(args) -> dict:
    from playground.lab.inside import inspect as look_inside
    from playground.generation.next_token import visible
    from playground.runs.bundle import load_text_model

    result = look_inside(load_text_model(args.model), args.prompt)
    if result["note"]:
        print(f"note: {result['note']}", file=sys.stderr)
    if not args.json:
        print(f"{len(result['tokens'])} tokens: {' '.join(visible(token) for token in result['tokens'])}")
        if result["attention"] is not None:
            layers, heads = len(result["attention"]), len(result["attention"][0])
            print(f"attention: {layers} layers x {heads} heads; last token looks most at, per layer (head 1):")
            for layer, weights in enumerate(result["attention"], start=1):
                row = weights[0][-1]
                j = max(range(len(row)), key=row.__getitem__)
                print(f"  layer {layer}: token {j} {visible(result['tokens'][j])!r} ({row[j]:.2f})")
        if result["units"]:
            print("units that follow a feature of the text:")
            for unit in result["units"]:
                print(f"  unit {unit['unit']} follows: {unit['feature']}, r = {unit['r']:.2f}")
        shares = result["embedding_variance"]
        print(f"embedding: {len(result['embedding_2d'])} tokens on 2 directions holding {shares[0]:.0%} and "
              f"{shares[1]:.0%} of the spread ({result['embedding_source']})")
    return result


def _add_score(commands) -> None:
    score = commands.add_parser("score", help="read a text with the model: surprisal and rank of every token")
    score.add_argument("--model", required=True, help="bundle directory")
    text = score.add_mutually_exclusive_group(required=True)
    text.add_argument("--text-file", metavar="FILE", help="a UTF-8 text file to read")
    text.add_argument("--held-out", action="store_true", help="the held-out part of the model's own corpus")
    score.add_argument("--json", action="store_true",
                       help="print every token (text, bits, rank, top alternatives) and the totals as JSON")
    worst = commands.add_parser("worst", help="the held-out windows with the highest loss for a saved model")
    worst.add_argument("--model", required=True, help="bundle directory")
    worst.add_argument("--count", type=int, default=10, help="how many windows (default 10)")
    worst.add_argument("--json", action="store_true")


def score(args) -> dict:
    from playground.lab import reading
    from playground.generation.next_token import visible
    from playground.runs.bundle import load_text_model

    model = load_text_model(args.model)
    result = reading.read_held_out(model) if args.held_out else reading.read(model, reading.read_file(args.text_file))
    if result.note:
        print(f"note: {result.note}", file=sys.stderr)
    if not args.json:
        print(f"{result.model} read {result.source}: {len(result.tokens):,} tokens, "
              f"{result.bits_per_character():.3f} bits per character")
        for name, value in result.baseline_bits_per_character().items():
            print(f"  counting, {result.baseline_label(name)}: {value:.3f} bits per character")
        print("ranks: " + ", ".join(f"{name} {count:,}" for name, count in result.bucket_counts()))
        print("where the model was most surprised:")
        for place in result.hardest():
            expected = ", ".join(f"{visible(token)} {p:.2f}" for token, p in place.expected[:3])
            print(f"  {place.bits:5.1f} bits  {(place.before + '[' + place.token + ']' + place.after)!r}"
                  f"  expected {expected}")
        return {}
    return result.to_json()


def worst(args) -> dict:
    from playground.lab import reading
    from playground.runs.bundle import load_text_model

    if args.count < 1:
        raise PlaygroundError(f"--count must be at least 1 (got {args.count}).")
    found = reading.worst_passages(load_text_model(args.model), args.count)
    if found["note"]:
        print(f"note: {found['note']}", file=sys.stderr)
    if not args.json:
        print(f"{found['model']}: held-out loss {found['loss']:.4f} nats/token; the {len(found['passages'])} "
              f"hardest windows of {found['window']} tokens:")
        for passage in found["passages"]:
            print(f"--- {passage.bits_per_token:.2f} bits per token\n{passage.text}")
        return {}
    return {**found, "passages": [passage.to_json() for passage in found["passages"]]}


def _add_evaluate(commands) -> None:
    evaluate = commands.add_parser("evaluate", help="mean loss of a saved model on a text file")
    evaluate.add_argument("--model", required=True, help="bundle directory")
    evaluate.add_argument("--corpus", required=True, nargs="+", metavar="FILE")
    evaluate.add_argument("--json", action="store_true")


def _add_card(commands) -> None:
    card = commands.add_parser("card", help="write MODEL_CARD.md for a bundle from its own config.json")
    card.add_argument("--model", required=True, help="bundle directory")
    card.add_argument("--command", dest="train_command", required=True, help="the command that trained it")
    card.add_argument("--json", action="store_true")


def card(args) -> dict:
    from playground.runs.card import write_card

    path = write_card(args.model, args.train_command)
    if not args.json:
        print(f"wrote {path}")
    return {"card": str(path)}


RESUME_CHANGES = ("learning_rate", "schedule", "warmup_steps")  # what a resumed stretch may change besides its budget


def _add_resume(commands) -> None:
    from playground.settings import declared
    from playground.training.config import TrainConfig

    resume = commands.add_parser("resume", help="continue a saved run from its last checkpoint")
    resume.add_argument("--run", required=True, help="bundle directory of the run")
    limit = resume.add_mutually_exclusive_group()
    declared_ = {item.name: item for item in declared(TrainConfig)}
    _add_setting(limit, declared_["epochs"], "train this many more epochs (default: what is left)")
    _add_setting(limit, declared_["minutes"], "train this many more minutes")
    for name in RESUME_CHANGES:
        _add_setting(resume, declared_[name], f"for this stretch: {declared_[name].help}")
    resume.add_argument("--json", action="store_true")


def resume(args) -> dict:
    from playground.runs.training_run import TrainingRun

    changes = {name: getattr(args, name) for name in ("epochs", "minutes", *RESUME_CHANGES)
               if getattr(args, name) is not None}
    run = TrainingRun.resume(args.run, publish=_progress, changes=changes or None)
    result = run.execute().as_json()
    if not args.json:
        print(f"saved {result['run_dir']}: validation loss {result['val_loss']:.4f} nats/token")
    return result


def _add_bundles(commands) -> None:
    export = commands.add_parser("export", help="pack a saved run into one .zip bundle file (or a notebook)")
    export.add_argument("--run", required=True, help="run name under $PLAYGROUND_HOME/runs (with --notebook also "
                                                     "pretrained/NAME, a shipped model)")
    export.add_argument("--out", default=".", help="folder for the .zip file")
    export.add_argument("--notebook", action="store_true",
                        help="a Jupyter notebook that rebuilds the run in plain Keras, generates and keeps training, "
                             "with its weights, tokenizer and corpus (needs only TensorFlow and NumPy)")
    export.add_argument("--json", action="store_true")
    imported = commands.add_parser("import", help="add a .zip bundle as a run (checked before anything is written)")
    imported.add_argument("--bundle", required=True, help=".zip file exported from the playground")
    imported.add_argument("--name", help="run name (default: the file name)")
    imported.add_argument("--json", action="store_true")


def export(args) -> dict:
    from pathlib import Path

    from playground.runs import store as run_store

    Path(args.out).mkdir(parents=True, exist_ok=True)
    if args.notebook:
        from playground.runs import notebook
        from playground.runs.catalog import Catalog

        folder = Catalog().bundle_path(args.run)
        path = notebook.write(folder, Path(args.out) / notebook.zip_name(folder), args.run)
    else:
        path = run_store.export_bundle(args.run, Path(args.out))
    if not args.json:
        print(f"wrote {path}")
    return {"notebook" if args.notebook else "bundle": str(path)}


def import_(args) -> dict:
    from playground.runs import store as run_store

    path = run_store.import_bundle(args.bundle, args.name)
    if not args.json:
        print(f"imported {path}")
    return {"run_dir": str(path)}


def parser() -> argparse.ArgumentParser:
    root = _Parser(prog="python -m playground", description=__doc__.splitlines()[0])
    commands = root.add_subparsers(dest="command", required=True, parser_class=_Parser)
    _add_train(commands)
    _add_generate(commands)
    _add_next(commands)
    _add_inspect(commands)
    _add_evaluate(commands)
    _add_score(commands)
    _add_card(commands)
    _add_bundles(commands)
    _add_resume(commands)
    return root


def _progress(event) -> None:
    from playground.training import events

    if isinstance(event, events.Started):
        print(f"training {event.run_name}: {event.params:,} parameters, {event.steps_per_epoch} steps per epoch",
              file=sys.stderr)
    elif isinstance(event, events.BaselinesMeasured):
        print("counting baselines on this split (nats per token): "
              + ", ".join(f"{label} {nats:.3f}" for label, nats, _ in event.lines), file=sys.stderr)
        if event.note:
            print(f"note: {event.note}", file=sys.stderr)
    elif isinstance(event, events.Evaluated):
        print(f"step {event.step:6d}  epoch {event.epoch:6.2f}  {event.seconds:7.1f}s  "
              f"validation loss {event.val_loss:.4f} nats/token", file=sys.stderr)
    elif isinstance(event, events.Diagnostics):
        accuracy = event.values.get("d_accuracy")
        shown = f"  discriminator accuracy {accuracy:.2f}" if accuracy is not None else ""
        print(f"  reading: {event.reading}{shown}", file=sys.stderr)
    elif isinstance(event, events.Sampled):
        for temperature, text in event.samples:
            print(f"  T={temperature:g}: {text[:100]!r}", file=sys.stderr)


def train(args) -> dict:
    from playground.text import builtin
    from playground.text import corpus
    from playground.models import architecture
    from playground.runs.training_run import TrainingRun
    from playground.settings import declared
    from playground.text.tokenizers import TokenizerSettings
    from playground.training.config import TrainConfig, config_for

    source = builtin.load_builtin(args.builtin) if args.builtin else corpus.read_files(args.corpus)
    if args.like:
        _take_settings_of(args, source.text)
    model_names = {item.name for item in declared(architecture(args.arch).config_class)}
    train_names = {item.name for item in declared(TrainConfig)}
    for item, _ in setting_flags():
        if getattr(args, item.name) is not None and item.name not in model_names | train_names:
            raise PlaygroundError(f"{item.flag} does not apply to the {args.arch} architecture.")
    options = {name: getattr(args, name) for name in model_names if getattr(args, name, None) is not None}
    mixed = {"auto": None, "on": True, "off": False}[args.mixed_precision]
    config = config_for(args.arch, {name: getattr(args, name) for name in train_names}, mixed_precision=mixed)
    tokens = TokenizerSettings(**{item.name: getattr(args, item.name) for item in tokenizer_flags()
                                  if getattr(args, item.name) is not None})
    run = TrainingRun(source, args.arch, options, config, level=tokens.level, max_words=tokens.max_words,
                      subword_vocab=tokens.subword_vocab, run_dir=args.out, publish=_progress)
    result = run.execute().as_json()
    if not args.json:
        print(f"saved {result['run_dir']}: validation loss {result['val_loss']:.4f} nats/token "
              f"({result['bits_per_token']:.3f} bits, {result['bits_per_character']:.3f} bits/character) "
              f"after {result['seconds']:.0f}s")
    return result


WHERE_IT_RUNS = ("strategy",)  # settings of the machine, not of what the model learns: --like leaves them


def _take_settings_of(args, text: str) -> None:
    """Fill ``args`` from a saved run's config.json (what the command line did not say itself), after
    checking that ``text`` is the corpus it was trained on."""
    from playground.runs import store as run_store
    from playground.models import architecture
    from playground.runs.training_run import corpus_sha256
    from playground.settings import declared
    from playground.training.config import TrainConfig

    info = run_store.read_info(Path(args.like)) if Path(args.like).is_dir() else None
    if not isinstance(info, dict) or not isinstance(info.get("model"), dict):
        raise PlaygroundError(f"{args.like} is not a saved run (no readable config.json).")
    expected, found = info.get("corpus_sha256"), corpus_sha256(text)
    if expected != found and not args.force:
        said = f"SHA-256 {expected[:12]}…" if expected else "no recorded SHA-256"
        raise PlaygroundError(f"This corpus (SHA-256 {found[:12]}…) is not the one {Path(args.like).name} was "
                              f"trained on ({said}); pass --force to train on it anyway.")
    model, train = info["model"], info.get("train") or {}
    args.arch = model.get("arch", args.arch)
    budget = info.get("budget") or {}
    if args.epochs is None and args.minutes is None:  # the run's budget, unless one was given
        args.epochs, args.minutes = budget.get("epochs"), budget.get("minutes")
    for saved, config_class in ((model, architecture(args.arch).config_class), (train, TrainConfig)):
        for item in declared(config_class):
            if item.flag and item.name not in (*WHERE_IT_RUNS, "epochs", "minutes") \
                    and getattr(args, item.name, None) is None:
                setattr(args, item.name, saved.get(item.name))
    if args.level is None:
        args.level = info.get("level")
    if args.max_words is None:
        args.max_words = info.get("max_words")
    if args.subword_vocab is None and info.get("level") == "subword":  # a subword run's vocabulary is its BPE size
        args.subword_vocab = info["model"].get("vocab_size")


def generate(args) -> dict:
    from playground.generation.sampling import parse_temperatures

    model, settings = _sampling(args)
    samples = model.generate(args.prompt, parse_temperatures(args.temperatures), args.length, args.seed, settings)
    if not args.json:
        for sample in samples:
            print(f"--- temperature {sample.temperature:g}\n{model.join(args.prompt, sample.text)}\n")
    if not args.json:
        return {}
    from playground.lab.temperatures import sample_row

    index = model.memorisation_index()
    rows = [sample_row(s, model.level, index) for s in samples]
    return {"samples": [{"temperature": s.temperature, "text": s.text,
                         "metrics": {k: v for k, v in row.items() if k not in ("temperature", "sample", "text")}}
                        for s, row in zip(samples, rows)]}


def evaluate(args) -> dict:
    from playground.text import corpus
    from playground.generation.text_model import evaluate_text
    from playground.runs.bundle import load_text_model

    model = load_text_model(args.model)
    result = evaluate_text(model, corpus.read_files(args.corpus).text)
    if not args.json:
        print(f"loss {result['val_loss']:.4f} nats/token, {result['bits_per_token']:.3f} bits/token, "
              f"{result['bits_per_character']:.3f} bits/character over {result['tokens']:,} tokens")
        if result["baselines"]:
            print("counting baselines on this text (nats per token): " + ", ".join(
                f"{name} {value:.3f}" for name, value in result["baselines"].items() if value is not None))
    return result


def main(argv: Sequence[str] | None = None) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        args = parser().parse_args(argv)
        result = {"train": train, "generate": generate, "next": next_token, "inspect": inspect, "evaluate": evaluate,
                  "score": score, "worst": worst, "card": card, "export": export, "import": import_,
                  "resume": resume}[args.command](args)
    except PlaygroundError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    if args.json:
        print(json.dumps(plain_json(result), allow_nan=False))
    return 0


def plain_json(value):
    """``value`` as strict JSON allows: NaN and infinities become null, NumPy numbers plain ones."""
    if isinstance(value, dict):
        return {str(key): plain_json(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain_json(item) for item in value]
    if isinstance(value, (bool, int, str)) or value is None:
        return value
    if isinstance(value, float) or hasattr(value, "item"):
        number = value.item() if hasattr(value, "item") else value
        if isinstance(number, float):
            return number if math.isfinite(number) else None
        return plain_json(number)
    return str(value)
