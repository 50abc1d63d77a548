"""A training run from corpus to saved bundle: :class:`TrainingRun`.

The CLI and the UI both go through it, so a run started from either behaves the same and leaves
the same files behind; what it trained is a :class:`~playground.generation.text_model.TextModel`.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import itertools
import json
import logging
import math
import os
from pathlib import Path
from typing import Any
from collections.abc import Callable

import keras
import numpy as np
import tensorflow as tf

from playground.text import baselines
from playground.runs import bundle
from playground.training import events
from playground.models import limits
from playground.runs import owners
from playground.text import tokenizers
from playground.text.corpus import DEFAULT_VALIDATION_SHARE, Corpus
from playground.errors import PlaygroundError
from playground.generation.evaluation import bits, bits_per_character, characters_per_token
from playground.models import architecture
from playground.runs.owners import LOCAL
from playground.paths import workspace
from playground.generation.text_model import TextModel
from playground.text.tokenizers import Tokenizer, TokenizerSettings
from playground.training.config import TrainConfig
from playground.training.trainer import History, RunHooks, Trainer

log = logging.getLogger(__name__)


def new_run_dir(arch: str) -> Path:
    """A new, empty folder for a run, named by its architecture and the time it started. The folder is
    claimed when it is made, so two students starting in the same millisecond never share one: the
    second gets the name with "-2"."""
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S-%f")[:-3]
    first = workspace() / "runs" / f"{arch}-{stamp}"
    try:
        first.parent.mkdir(parents=True, exist_ok=True)
        for number in itertools.count(1):
            path = first if number == 1 else first.with_name(f"{first.name}-{number}")
            try:
                path.mkdir()
            except FileExistsError:
                continue
            return path
    except OSError as error:
        raise PlaygroundError(f"Cannot save runs in {first.parent}: {error.strerror or error}.") from None


def writable(run_dir: Path) -> Path:
    """``run_dir``, made if needed, once a file could be written there: found out now, not after an
    epoch of training (here or on another computer), that the run cannot be saved."""
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
        probe = run_dir / ".write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as error:
        raise PlaygroundError(f"Cannot save runs in {run_dir}: {error.strerror or error}.") from None
    return run_dir


@dataclasses.dataclass(frozen=True)
class RunResult:
    run_dir: str
    arch: str
    params: int
    seconds: float
    steps: int
    reason: str
    val_loss: float
    bits_per_token: float
    level: str
    bits_per_character: float = math.nan  # total bits of the validation text over its characters
    baselines: dict[str, float | None] | None = None  # counting models on the same split, nats per token
    kept: str = "last"  # the weights saved: "last" (the last step's) or "best" (of the validation evaluations)
    kept_step: int | None = None  # the step those weights come from

    def as_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


class TrainingRun:
    """Everything between a corpus and a saved bundle. Checks happen in ``__init__``."""

    def __init__(self, corpus: Corpus, arch: str, model_options: dict[str, Any] | None = None,
                 train_config: TrainConfig = TrainConfig(), level: str = TokenizerSettings.level,
                 max_words: int = TokenizerSettings.max_words, run_dir: str | os.PathLike | None = None,
                 subword_vocab: int = TokenizerSettings.subword_vocab,
                 publish: Callable[[events.Event], None] = lambda event: None,
                 resume_from: bundle.Bundle | None = None, owner: str = LOCAL,
                 checkpointed: Callable[[Path], None] = lambda folder: None):
        from playground.training.distribute import make_strategy, precision_scope, use_mixed_precision

        spec = architecture(arch)
        train_text, val_text = corpus.split(train_config.validation_share)
        # Seeded before the weights exist, so the seed decides the starting point too.
        keras.utils.set_random_seed(train_config.seed)
        self.strategy = make_strategy(train_config.strategy)
        mixed = use_mixed_precision(train_config.mixed_precision)
        if resume_from is not None:
            self.tokenizer, self.model = resume_from.tokenizer, resume_from.model
        else:
            self.tokenizer = tokenizers.fit(train_text, level, max_words, subword_vocab)
            config = spec.default_config(len(self.tokenizer), **(model_options or {}))
            # By arithmetic, before anything is built: a model too large for the server never exists.
            limits.check_model(config)
            limits.check_batch(config, train_config.batch_size, train_config.window)
            with self.strategy.scope(), precision_scope(mixed):
                self.model = spec.build(config)
        if resume_from is not None:
            limits.check_batch(self.model.model_config, train_config.batch_size, train_config.window)
        limit = getattr(self.model, "max_window", None)
        if limit is not None and train_config.window > limit:
            raise PlaygroundError(
                f"The training context length {train_config.window} is longer than the model's context "
                f"{limit}; shorten it or give the model a longer context.")
        self.corpus, self.arch, self.train_config, self.max_words = corpus, arch, train_config, max_words
        # The corpus's fingerprint and the libraries, worked out once (not at every checkpoint).
        self.reproduction = reproduction(corpus.text)
        # Who the run belongs to, and whether the class may see it; a resumed run keeps both.
        self.owner = owners.owner_of(resume_from.info) if resume_from is not None else owner
        self.published = resume_from is not None and owners.is_published(resume_from.info)
        self.budget = {"epochs": train_config.epochs, "minutes": train_config.minutes}  # of the whole run
        self.run_dir = writable(Path(run_dir) if run_dir else new_run_dir(arch))
        self.publish = self._logged(publish)
        self.checkpointed = checkpointed  # told the folder after each checkpoint (a cluster worker ships it home)
        self.text_model = TextModel(self.model, self.tokenizer, name=self.run_dir.name, corpus_text=corpus.text,
                                    path=self.run_dir)
        trainer_class = trainer_of(spec.trainer)
        train_ids, val_ids = self.tokenizer.encode(train_text), self.tokenizer.encode(val_text)
        self.trainer = trainer_class(
            self.model, train_ids, val_ids, train_config,
            RunHooks(decode=self.tokenizer.decode, start_ids=lambda: self.text_model.start_ids(),
                     publish=self.publish, run_name=self.run_dir.name, forbid=self.text_model.forbidden_ids,
                     checkpoint=self.checkpoint),
            strategy=self.strategy, mixed=mixed,
        )
        # Counted once, on this run's own split, so the loss has something to be held against.
        self.baselines = baselines.measure(train_ids, val_ids, len(self.tokenizer), self.tokenizer.level)
        self.characters_per_token = characters_per_token(val_ids, self.tokenizer.decode)
        self.publish(events.BaselinesMeasured(tuple(self.baselines.lines()), self.baselines.note,
                                              self.characters_per_token))

    @classmethod
    def resume(cls, directory: str | os.PathLike,
               publish: Callable[[events.Event], None] = lambda event: None,
               changes: dict[str, Any] | None = None,
               checkpointed: Callable[[Path], None] = lambda folder: None) -> TrainingRun:
        """Continue a run from its last checkpoint.

        Without ``changes`` it trains for what is left of the run's original budget (epochs or
        minutes). ``changes`` replaces training settings for this stretch, e.g. ``{"epochs": 8,
        "learning_rate": 5e-4}`` trains eight more epochs at a lower rate.
        """
        loaded = bundle.load(directory)
        text = bundle.read_corpus(directory)
        if text is None:
            raise PlaygroundError(f"{Path(directory).name} was saved without its corpus, so it cannot be resumed.")
        train = {k: tuple(v) if isinstance(v, list) else v for k, v in loaded.info.get("train", {}).items()}
        budget = loaded.info.get("budget") or {"epochs": train.get("epochs"), "minutes": train.get("minutes")}
        done = loaded.info.get("result", {})
        steps_done = int(done.get("steps") or (loaded.history.rows[-1]["step"] if loaded.history.rows else 0))
        seconds_done = float(done.get("seconds") or 0)
        if changes:
            train.update(changes)
            if "epochs" in changes or "minutes" in changes:  # this stretch's own budget replaces the rest
                train["epochs"], train["minutes"] = changes.get("epochs"), changes.get("minutes")
            # The run's whole budget grows by this stretch.
            budget = {"epochs": None if train["epochs"] is None
                      else train["epochs"] + _epochs(steps_done, text, loaded.tokenizer, train),
                      "minutes": None if train["minutes"] is None else train["minutes"] + seconds_done / 60}
        else:
            if budget.get("epochs"):
                train["epochs"] = max(budget["epochs"] - _epochs(steps_done, text, loaded.tokenizer, train), 0.05)
            if budget.get("minutes"):
                train["minutes"] = max(budget["minutes"] - seconds_done / 60, 0.1)
        run = cls(Corpus(loaded.info.get("corpus", "corpus"), text), loaded.arch, train_config=TrainConfig(**train),
                  run_dir=directory, publish=publish, resume_from=loaded,
                  max_words=int(loaded.info.get("max_words") or TokenizerSettings.max_words),
                  checkpointed=checkpointed)
        run.budget = budget
        run.trainer.history = loaded.history
        kept_step = done.get("kept_step")
        if done.get("kept") == "best" and isinstance(kept_step, int):
            # The saved weights are the run's best so far: it ends with them unless it beats them.
            losses = [row["val_loss"] for row in loaded.history.rows if row["step"] == kept_step]
            if losses and not math.isnan(losses[0]):
                run.trainer.remember_best(losses[0], kept_step)
        return run

    def _logged(self, publish: Callable[[events.Event], None]) -> Callable[[events.Event], None]:
        """Also write the curves as TensorBoard event logs under ``<run>/logs``."""
        writer = None

        def publish_and_log(event: events.Event) -> None:
            nonlocal writer
            publish(event)
            if isinstance(event, (events.BatchEnd, events.Evaluated)):
                import tensorflow as tf

                if writer is None:
                    writer = tf.summary.create_file_writer(str(self.run_dir / "logs"))
                with writer.as_default(step=event.step):
                    if isinstance(event, events.BatchEnd):
                        _scalar("loss/train", event.loss)
                    else:
                        _scalar("loss/validation", event.val_loss)
                if isinstance(event, events.Evaluated):
                    writer.flush()

        return publish_and_log

    def checkpoint(self, history: History) -> None:
        """Save the model so far (at every epoch); a crash loses at most one epoch."""
        partial = {"steps": self.trainer.steps_total_done,
                   "seconds": round(self.trainer.seconds_total, 2),
                   "params": int(self.model.count_params()), "reason": "running",
                   "val_loss": history.best_val_loss() or math.nan, "baselines": self.baselines.as_json(),
                   "kept": "last", "kept_step": self.trainer.steps_total_done}
        info = {**self.info(None), "status": "running", "result": partial}
        bundle.save(self.run_dir, self.model, self.tokenizer, info, history, self.corpus.text)
        self._save_discriminator()
        self.checkpointed(self.run_dir)

    @property
    def level(self) -> str:
        """What one token is: "char", "subword" or "word"."""
        return self.tokenizer.level

    def stop(self) -> None:
        self.trainer.stop()

    def execute(self, final_evaluation: bool = True) -> RunResult:
        """Train, measure the whole validation split, save the bundle. Reports failure as an event too."""
        try:
            history = self.trainer.run()
            kept = self.trainer.kept
            # After a Stop the student is waiting: the last validation point (of the weights kept) stands
            # in for a full pass.
            full = final_evaluation and self.trainer.reason != "stopped"
            measured = kept.val_loss if kept.weights == "best" else _last_val_loss(history)
            val_loss = self.trainer.final_val_loss() if full else (measured or math.nan)
            result = RunResult(str(self.run_dir), self.arch, int(self.model.count_params()),
                               round(self.trainer.seconds_total, 2), self.trainer.steps_total_done,
                               self.trainer.reason,
                               val_loss, bits(val_loss), self.tokenizer.level,
                               bits_per_character(val_loss, self.characters_per_token), self.baselines.as_json(),
                               kept.weights, kept.step)
            self.save(history, result)
        except Exception as error:
            message = str(error) if isinstance(error, PlaygroundError) else f"{type(error).__name__}: {error}"
            self._mark_failed(message)
            self.publish(events.Failed(message))
            raise
        self.text_model.info = self.info(result)
        self.publish(events.Finished(result.reason, result.steps, result.seconds, result.val_loss, result.kept,
                                     result.kept_step))
        return result

    def _mark_failed(self, message: str) -> None:
        """A failed run is not 'interrupted': it must not look resumable."""
        path = self.run_dir / "config.json"
        try:
            info = json.loads(path.read_text("utf-8")) if path.is_file() else None
            if info is not None:
                info.update(status="failed", error=message)
                bundle.write_atomic(path, json.dumps(info, indent=2, ensure_ascii=False))
        except (OSError, ValueError):
            log.warning("could not mark %s as failed", self.run_dir)

    def info(self, result: RunResult | None) -> dict[str, Any]:
        info = {"corpus": self.corpus.name, "train": dataclasses.asdict(self.train_config), "budget": self.budget,
                "owner": self.owner, "published": self.published, **self.reproduction,
                "max_words": self.max_words}
        if result is not None:
            info.update(status=result.reason, result=result.as_json())
        return info

    def save(self, history: History, result: RunResult) -> None:
        bundle.save(self.run_dir, self.model, self.tokenizer, self.info(result), history, self.corpus.text)
        self._save_discriminator()

    def _save_discriminator(self) -> None:
        """A GAN keeps the discriminator it trained against, for the Inside tab's "is it fooled?"."""
        discriminator = getattr(self.trainer, "discriminator", None)
        if discriminator is not None:
            from playground.lab import critic

            try:
                critic.save(discriminator, self.run_dir)
            except OSError as error:
                raise PlaygroundError(f"Could not save the discriminator to {self.run_dir}: {error}.") from None


def trainer_of(name: str) -> type[Trainer]:
    """The Trainer class an architecture names ("module:Class"), or the standard one."""
    if not name:
        return Trainer
    import importlib

    module, _, attribute = name.partition(":")
    return getattr(importlib.import_module(module), attribute)


def corpus_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def reproduction(text: str) -> dict[str, Any]:
    """What retraining the same model needs besides the settings: which text, and which libraries."""
    import platform

    return {"corpus_sha256": corpus_sha256(text),
            "versions": {"python": platform.python_version(), "tensorflow": tf.__version__,
                         "keras": keras.__version__, "numpy": np.__version__}}


def _epochs(steps: int, text: str, tokenizer: Tokenizer, train: dict) -> float:
    """How many epochs ``steps`` were, for the training split of ``text``."""
    tokens = len(tokenizer.encode(text)) * (1 - train.get("validation_share", DEFAULT_VALIDATION_SHARE))
    return steps / max(1, tokens // (train.get("batch_size", 64) * train.get("window", 128)))


def _last_val_loss(history: History) -> float | None:
    values = [row["val_loss"] for row in history.rows if not math.isnan(row["val_loss"])]
    return values[-1] if values else None


def _scalar(tag: str, value: float) -> None:
    """A TensorBoard scalar, written with core TensorFlow (tensorflow-cpu ships no tensorboard)."""
    import tensorflow as tf
    from tensorflow.core.framework import summary_pb2

    metadata = summary_pb2.SummaryMetadata()
    metadata.plugin_data.plugin_name = "scalars"
    tf.summary.write(tag, tf.constant(value, tf.float32), metadata=metadata.SerializeToString())


