"""Memory of a running app: ``python benchmarks/memory.py``.

Builds the app, loads every shipped pretrained model and generates a temperature grid from
each (so their compiled loops exist too), then prints the peak resident memory. Target:
under 2 GB with every shipped pretrained model loaded.
"""

import os
import resource
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from playground.ui.app import create_app
from machine import describe


def main() -> None:
    print(describe(), flush=True)
    _, context = create_app()
    names = context.catalog.names()
    for name in names:
        model = context.catalog.get(name)
        model.generate("ROMEO:", [0.2, 0.5, 0.7, 1.0, 1.2, 1.5], 200, seed=0)
        model.memorisation_index()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"app with {len(names)} pretrained models loaded ({', '.join(names)}): peak RSS {peak:,.0f} MB")


if __name__ == "__main__":
    main()
