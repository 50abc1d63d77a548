"""Quality–diversity curves kept beside a bundle, so the app can show them without sampling.

Measuring a curve samples hundreds of texts per model (a minute or more on two cores), far too
slow for the moment a page opens. ``make pretrained`` therefore measures the shipped models once,
after training, and writes each one's curve into its bundle as ``quality_diversity.csv`` (a few
KB); the Compare tab reads those files at start. The models of one call are measured against
the same held-out text, exactly as :func:`playground.lab.temperatures.compare_models` does, so
their curves can share one chart::

    python -m playground.runs.quality_curves pretrained/lstm pretrained/gru ...
"""

from __future__ import annotations

import argparse
import io
import logging
import time
from pathlib import Path
from collections.abc import Sequence

import pandas as pd

from playground.runs import bundle
from playground.runs.bundle import load_text_model
from playground.lab.temperatures import QualityDiversitySettings, compare_models

FILE = "quality_diversity.csv"
COLUMNS = ["model", "temperature", "bleu", "self_bleu", "samples", "references"]

log = logging.getLogger(__name__)


def measure(directories: Sequence[Path], settings: QualityDiversitySettings = QualityDiversitySettings()
            ) -> dict[Path, pd.DataFrame]:
    """Each bundle's curve (one row per temperature), all against the same held-out text.

    The ``model`` column holds the bundle's folder name; whoever shows the curve names it.
    """
    directories = [Path(d) for d in directories]
    models = {d.name: load_text_model(d) for d in directories}
    table = compare_models(models, settings)
    return {d: table[table["model"] == d.name].reset_index(drop=True) for d in directories}


def write(directory: Path, curve: pd.DataFrame) -> Path:
    path = Path(directory) / FILE
    text = curve[COLUMNS].to_csv(index=False)
    bundle.write_atomic(path, text.encode("utf-8"))
    path.chmod(0o644)  # shipped in the repository like the bundle's other files
    return path


def read(directory: Path, name: str | None = None) -> pd.DataFrame | None:
    """The curve saved in a bundle, its ``model`` column set to ``name``; None if there is none
    or it cannot be read (an old bundle, a damaged file: the chart just leaves it out)."""
    path = Path(directory) / FILE
    if not path.is_file():
        return None
    try:
        curve = pd.read_csv(io.StringIO(path.read_text("utf-8")))
    except (OSError, ValueError, UnicodeDecodeError) as error:
        log.warning("cannot read %s: %s", path, error)
        return None
    if list(curve.columns) != COLUMNS or curve.empty:
        log.warning("%s does not hold a quality-diversity curve", path)
        return None
    if name is not None:
        curve["model"] = name
    return curve


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m playground.runs.quality_curves",
        description="Measure the quality-diversity curves of bundles trained on the same corpus and save "
                    f"each one as {FILE} in its bundle.")
    parser.add_argument("bundles", nargs="+", type=Path, help="bundle folders, e.g. pretrained/lstm")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    for directory, curve in measure(args.bundles).items():
        print(f"{write(directory, curve)}: BLEU {curve['bleu'].min():.3f}-{curve['bleu'].max():.3f}, "
              f"self-BLEU {curve['self_bleu'].min():.3f}-{curve['self_bleu'].max():.3f}")
    print(f"measured in {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
