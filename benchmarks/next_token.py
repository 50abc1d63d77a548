"""How fast does the Next-token view answer a slider move? ``python benchmarks/next_token.py``.

For each shipped model, through the app's API as the browser calls it (``/next_token_distribution``
on the app launched in-process on 127.0.0.1): the first call for a prompt (the model reads it),
then MOVES calls with the same prompt and a new temperature (a slider move: the scores are cached,
only the softmax and the filters are redone). Prints the median and the 95th percentile per model.
Target: a slider move answers in at most 0.15 s median on 2 cores.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

from machine import describe

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from conftest import running_app  # noqa: E402

PROMPT = "ROMEO:\nWhat light through yonder window "


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moves", type=int, default=40, help="slider moves per model")
    args = parser.parse_args()
    print(describe(), flush=True)
    from gradio_client import Client

    from playground.runs.catalog import Catalog

    with running_app(PLAYGROUND_PRETRAINED=ROOT / "pretrained") as (url, context):
        client = Client(url, verbose=False)
        print(f"{'model':12} {'first call':>11} {'move p50':>9} {'move p95':>9}")
        for name in Catalog(ROOT / "pretrained").names():
            client.predict(name, api_name="/choose_model")
            prompt = PROMPT if context.catalog.get(name).level == "char" else PROMPT.lower()
            start = time.perf_counter()
            client.predict(prompt, 1.0, 0, 1.0, 0.0, api_name="/next_token_distribution")
            first = time.perf_counter() - start
            moves = []
            for i in range(args.moves):
                temperature = round(0.05 + (i * 0.35) % 1.95, 2)
                start = time.perf_counter()
                client.predict(prompt, temperature, 0, 0.95, 0.0, api_name="/next_token_distribution")
                moves.append(time.perf_counter() - start)
            print(f"{name:12} {first:10.3f}s {statistics.median(moves):8.3f}s {percentile(moves, 0.95):8.3f}s")


if __name__ == "__main__":
    main()
