"""The core never imports gradio: only playground/ui/ may."""

import pkgutil
import subprocess
import sys
from pathlib import Path

import playground

CORE = sorted(
    info.name for info in pkgutil.walk_packages(playground.__path__, prefix="playground.")
    if not info.name.startswith("playground.ui") and info.name != "playground.__main__"
)


def test_core_modules_exist():
    assert {"playground.corpus", "playground.sampling", "playground.training", "playground.cli",
            "playground.models.lstm", "playground.models.transformer", "playground.models.gan"} <= set(CORE)


def test_core_does_not_import_gradio():
    script = ("import sys, importlib\n"
              f"for name in {CORE!r}:\n    importlib.import_module(name)\n"
              "print('gradio' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300,
                            cwd=Path(__file__).resolve().parent.parent)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == "False"
