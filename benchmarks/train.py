"""Time to quality: ``python benchmarks/train.py --corpus FILE [--arch A] [--target 1.90] [--minutes 5]``.

Trains an architecture's default configuration (the one the UI and the CLI start from) on
the first 90 % of the corpus until the validation loss, measured every few seconds on a
fixed slice of the last 10 %, reaches the target, or the time cap. Prints seconds to
target (evaluation time included), tokens per second, the final validation loss over the
whole held-out 10 % and peak memory. ``benchmarks/versus_nanogpt.py`` runs nanoGPT's CPU
"baby GPT" and this benchmark one after the other, for a comparison on the same machine.
"""

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from playground.text import corpus as corpus_module
from playground.training import events
from playground.models import ARCHITECTURES
from playground.runs.training_run import TrainingRun
from playground.training.config import config_for
from machine import describe


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def parse_settings(pairs: list[str]) -> dict:
    """``name=value`` pairs (``learning_rate=0.003``, ``units=192``) as a dict, values read as JSON
    where they can be (numbers, true/false) and as text otherwise."""
    settings = {}
    for pair in pairs:
        name, _, value = pair.partition("=")
        try:
            settings[name] = json.loads(value)
        except json.JSONDecodeError:
            settings[name] = value
    return settings


def benchmark(corpus_path: str, arch: str, target: float, minutes: float, out: Path,
              train: dict | None = None, model: dict | None = None) -> dict:
    """``train`` and ``model`` change the default training settings and model sizes, for trials."""
    corpus = corpus_module.read_files([corpus_path])
    spec = ARCHITECTURES[arch]
    reached: dict = {}
    batches: list[events.BatchEnd] = []
    run_box: list[TrainingRun] = []

    def publish(event):
        if isinstance(event, events.BatchEnd):
            batches.append(event)
        elif isinstance(event, events.Evaluated):
            print(f"  {event.seconds:6.1f}s  step {event.step:5d}  validation {event.val_loss:.3f}", flush=True)
            if event.val_loss <= target and "seconds" not in reached:
                reached.update(seconds=event.seconds, step=event.step)
                run_box[0].stop()

    config = config_for(arch, {"minutes": minutes, "eval_every_seconds": 3.0, "eval_tokens": 32_768, **(train or {})})
    run = TrainingRun(corpus, arch, model, config, run_dir=out / arch, publish=publish)
    run_box.append(run)
    started = time.perf_counter()
    result = run.execute()
    last = batches[-1]
    return {
        "arch": arch, "params": result.params, "target": target,
        "seconds_to_target": round(reached["seconds"], 1) if reached else None,
        "tokens_per_second": round(last.tokens_per_second),
        "train_seconds": round(last.seconds, 1), "wall_seconds": round(time.perf_counter() - started, 1),
        "final_val_loss": round(result.val_loss, 4), "peak_rss_mb": round(peak_rss_mb()),
        "config": {**spec.train_defaults, **(train or {})}, "model": model or {},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", required=True)
    parser.add_argument("--arch", nargs="*", default=[a for a in ARCHITECTURES if not a.startswith("gan")])
    parser.add_argument("--target", type=float, default=1.90, help="validation loss in nats/char")
    parser.add_argument("--minutes", type=float, default=3.0, help="time cap per architecture")
    parser.add_argument("--set", nargs="*", default=[], metavar="NAME=VALUE",
                        help="training settings other than the defaults, e.g. learning_rate=0.003 jit_compile=true")
    parser.add_argument("--model", nargs="*", default=[], metavar="NAME=VALUE",
                        help="model sizes other than the defaults, e.g. units=192 layers=1")
    parser.add_argument("--out", default="/tmp/playground-benchmark")
    args = parser.parse_args()
    print(describe(), flush=True)
    for arch in args.arch:
        print(f"{arch}: training until validation <= {args.target} (cap {args.minutes} min)", flush=True)
        result = benchmark(args.corpus, arch, args.target, args.minutes, Path(args.out),
                           parse_settings(args.set), parse_settings(args.model))
        reached = (f"{result['seconds_to_target']} s" if result["seconds_to_target"] is not None
                   else f"not within {args.minutes} min")
        print(f"{arch}: {result['params']:,} parameters, target {args.target} reached in {reached}, "
              f"{result['tokens_per_second']:,} tokens/s, final validation {result['final_val_loss']}, "
              f"peak RSS {result['peak_rss_mb']} MB")
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
