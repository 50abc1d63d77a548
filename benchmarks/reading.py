"""Reading 100 KB with the model's eyes: ``python benchmarks/reading.py [--characters 100000] [--repeat 3]``.

The shipped LSTM and transformer each read the first 100,000 characters of their held-out text as the Read
tab does: every token's surprisal, rank and five likeliest tokens, the counting baselines token by token,
the summary, the coloured views and the ten hardest places. Printed per model: the first screenful (what
the page shows first), the whole reading (median of ``--repeat``), and, for scale, the held-out loss of the
same text as ``evaluate`` measures it. Target: the whole reading in at most 2 s on two cores.
The counting models are counted once per model (as the app keeps them) before the timings start.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from playground.generation.text_model import evaluate_text
from playground.lab import reading
from playground.runs.bundle import load_text_model
from playground.ui import read_tab
from machine import describe

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 2.0


def timed(action, *args) -> tuple[float, object]:
    started = time.perf_counter()
    value = action(*args)
    return time.perf_counter() - started, value


def cpu_timed(action, *args) -> tuple[float, float, object]:
    """(wall seconds, CPU seconds of this process on all its threads, value): on a shared machine the wall
    time counts the other programs' share of the cores too; the CPU time does not."""
    started, cpu = time.perf_counter(), time.process_time()
    value = action(*args)
    return time.perf_counter() - started, time.process_time() - cpu, value


def page_of(model, text: str):
    """What the tab computes for a text: the reading, then its summary, views and hardest places."""
    return read_tab.views(reading.read(model, text, reading.HELD_OUT), "surprisal")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--characters", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--models", default="lstm,transformer")
    args = parser.parse_args()
    print(describe(), flush=True)
    for name in args.models.split(","):
        model = load_text_model(ROOT / "pretrained" / name)
        text = reading.held_out_text(model)[0][:args.characters]
        counting, _ = timed(model.counting_models)
        beginning = text[:read_tab.FIRST_SCREEN]
        warm, _ = timed(page_of, model, beginning)  # compiles the scoring once
        first = statistics.median(timed(page_of, model, beginning)[0] for _ in range(args.repeat))
        runs = [cpu_timed(page_of, model, text) for _ in range(args.repeat)]
        whole = statistics.median(seconds for seconds, _, _ in runs)
        cpu = statistics.median(seconds for _, seconds, _ in runs)
        views = runs[-1][2]
        evaluated, result = timed(evaluate_text, model, text)
        verdict = "within" if whole <= TARGET_SECONDS else "over"
        print(f"{name}: {len(views[0].tokens):,} tokens read in {whole:.2f} s (median of {args.repeat}: "
              f"{', '.join(f'{s:.2f}' for s, _, _ in runs)}; {verdict} the {TARGET_SECONDS:g} s target), "
              f"{cpu:.2f} s of CPU time; "
              f"first screenful ({read_tab.FIRST_SCREEN:,} characters) {first:.2f} s; "
              f"{views[0].bits_per_character():.3f} bits/char; evaluate on the same text {evaluated:.2f} s "
              f"({result['bits_per_character']:.3f} bits/char); counting the baselines once {counting:.2f} s, "
              f"first reading (compiling) {warm:.2f} s; page HTML {len(views[2]) + len(views[5]):,} bytes")


if __name__ == "__main__":
    main()
