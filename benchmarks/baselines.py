"""Counting baselines at scale: ``python benchmarks/baselines.py [--words 3700000]``.

Text-like ids: about 3.7 million words (2,000 made-up words of 1-8 letters with Zipf
frequencies, in random order), about 20 M characters and half a million distinct 5-grams; the
first 90 % counted, the last 10 % scored. Prints the four baselines and the seconds they took.
Target: a few seconds for 20 MB on two cores, so a run's start is not held up.
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from playground.text import baselines
from machine import describe


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", type=int, default=3_700_000)
    args = parser.parse_args()
    print(describe(), flush=True)
    rng = np.random.default_rng(0)
    words = [rng.integers(2, 60, size=rng.integers(1, 9)) for _ in range(2000)]
    chosen = np.minimum(rng.zipf(1.3, size=args.words), 2000) - 1
    ids = np.concatenate([np.append(words[i], 1) for i in chosen])  # 1 is the space
    cut = int(len(ids) * 0.9)
    started = time.perf_counter()
    result = baselines.measure(ids[:cut], ids[cut:], 60)
    seconds = time.perf_counter() - started
    print(f"{len(ids):,} tokens ({cut:,} counted): uniform {result.uniform:.3f}, unigram {result.unigram:.3f}, "
          f"bigram {result.bigram:.3f}, {result.order}-gram {result.ngram:.3f} nats/token in {seconds:.1f} s")


if __name__ == "__main__":
    main()
