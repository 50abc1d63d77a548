"""How fast is the temperature grid? ``python benchmarks/generate.py [--length 500]``.

For each architecture's default size (65-character vocabulary, untrained weights: speed does
not depend on what was learned) it times 6 temperatures x LENGTH characters through the
shared compiled loop, and the tutorial way: ``model.predict`` on the whole window once per
generated character (timed over a few characters and scaled up).
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

from playground.models import ARCHITECTURES
from playground.generation.sampling import GenerationLoop
from machine import describe

TEMPERATURES = [0.2, 0.5, 0.7, 1.0, 1.2, 1.5]
VOCABULARY = 65


def time_grid(generator: GenerationLoop, length: int, repeats: int = 3) -> float:
    generator.generate([1, 2, 3], TEMPERATURES, length, seed=0)  # compile once
    times = []
    for seed in range(repeats):
        start = time.perf_counter()
        generator.generate([1, 2, 3], TEMPERATURES, length, seed=seed)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def time_predict_loop(model, window: int, characters: int = 10) -> float:
    """Seconds per character, the tutorial way: one ``model.predict`` per character."""
    ids = np.random.default_rng(0).integers(1, VOCABULARY, size=(len(TEMPERATURES), window)).astype("int32")
    model.predict(ids, verbose=0)
    start = time.perf_counter()
    for _ in range(characters):
        logits = model.predict(ids, verbose=0)[:, -1]  # (B, V)
        scaled = logits / np.asarray(TEMPERATURES)[:, None]
        probabilities = np.exp(scaled - scaled.max(-1, keepdims=True))
        probabilities /= probabilities.sum(-1, keepdims=True)
        nxt = np.array([np.random.choice(VOCABULARY, p=p) for p in probabilities])
        ids = np.concatenate([ids[:, 1:], nxt[:, None].astype("int32")], axis=1)
    return (time.perf_counter() - start) / characters


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--length", type=int, default=500)
    parser.add_argument("--arch", nargs="*", default=[a for a in ARCHITECTURES if not a.startswith("gan")])
    args = parser.parse_args()
    print(describe(), flush=True)
    print(f"6 temperatures x {args.length} characters, {os.cpu_count()} CPU cores")
    print(f"{'architecture':<14}{'parameters':>12}{'grid (s)':>10}{'predict loop (s)':>18}{'speed-up':>10}")
    for name in args.arch:
        spec = ARCHITECTURES[name]
        model = spec.build(spec.default_config(VOCABULARY))
        seconds = time_grid(GenerationLoop(model), args.length)
        window = getattr(model.model_config, "context", 100)
        predict = time_predict_loop(model, window) * args.length
        print(f"{name:<14}{model.count_params():>12,}{seconds:>10.3f}{predict:>18.1f}{predict / seconds:>9.0f}x",
              flush=True)


if __name__ == "__main__":
    main()
