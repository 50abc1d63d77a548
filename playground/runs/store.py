"""Runs on disk: list, rename, delete, export and import bundles.

Every run is a directory under ``$PLAYGROUND_HOME/runs`` (see :func:`playground.paths.workspace`).
``config.json`` says how far it got: ``status`` is ``running`` while training (rewritten at
every checkpoint), then ``completed``, ``stopped`` or ``time limit``. A run that says
``running`` but is not training in this server was cut short by a crash or a restart: it
is listed as ``interrupted`` and can be resumed from its last checkpoint.
"""

from __future__ import annotations

import dataclasses
import io
import json
import math
import re
import shutil
import tempfile
import zipfile
import zlib
from pathlib import Path
from collections.abc import Iterable

import pandas as pd

from playground.text import baselines as baselines_module
from playground.runs import bundle, notebook
from playground.models import limits
from playground.errors import PlaygroundError
from playground.generation.evaluation import bits
from playground.models import config_from_dict
from playground.runs.owners import EVERYONE, LOCAL, Viewer, is_published, owner_of
from playground.paths import workspace

MAX_BUNDLE_BYTES = 100 * 1024 * 1024
BUNDLE_FILES = set(bundle.MEMBERS) | {bundle.CORPUS, "MODEL_CARD.md", "discriminator.weights.h5"}
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$")


def runs_dir() -> Path:
    return workspace() / "runs"


def check_name(name: str) -> str:
    name = (name or "").strip()
    if not NAME_PATTERN.match(name) or name in (".", ".."):
        raise PlaygroundError(
            f"{name!r} is not a usable run name: use letters, digits, '.', '_' or '-' (up to 80), "
            "starting with a letter or digit.")
    return name


def run_path(name: str, viewer: Viewer = EVERYONE, change: bool = False) -> Path:
    """A saved run's folder, if ``viewer`` may see it (and change it, with ``change``).

    Someone else's unpublished run is answered as missing: its name says nothing to others.
    """
    path = runs_dir() / check_name(name)
    info = read_info(path) if (path / "config.json").is_file() else None
    if info is None or not viewer.can_see(info):
        raise PlaygroundError(f"There is no saved run called {name!r}.")
    if change and not viewer.can_change(info):
        raise PlaygroundError(f"{name} belongs to {owner_of(info)}: only its owner or a teacher can change it. "
                              "You can load it for generating and compare with it.")
    return path


def read_info(path: Path) -> dict | None:
    try:
        info = json.loads((path / "config.json").read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return info if isinstance(info, dict) else None


def status_of(info: dict, path: Path, active: Iterable[Path] = ()) -> str:
    status = info.get("status") or info.get("result", {}).get("reason", "completed")
    if status == "running" and path.resolve() not in {Path(p).resolve() for p in active}:
        return "interrupted"
    return status


def list_runs(active: Iterable[Path] = (), viewer: Viewer = EVERYONE) -> pd.DataFrame:
    """One row per saved run that ``viewer`` may see, newest first."""
    rows = []
    folder = runs_dir()
    active = list(active)
    paths = [p for p in folder.iterdir() if not p.name.startswith(".") and (p / "config.json").is_file()] \
        if folder.is_dir() else []
    for path in sorted(paths, key=lambda p: (p / "config.json").stat().st_mtime, reverse=True):
        info = read_info(path)
        if info is not None and viewer.can_see(info):
            rows.append(summary_row(path.name, info, status_of(info, path, active)))
    return pd.DataFrame(rows, columns=RUN_COLUMNS)


RUN_COLUMNS = ["name", "architecture", "corpus", "parameters", "minutes", "validation loss", "bits/token",
               "bits/character", "status", "weights kept", "owner", "published"]


def _number(value) -> float | None:
    """A finite number from a config value, or None: one bad imported value never breaks the list."""
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) \
        and math.isfinite(value) else None


def _rounded(value: float | None) -> float | None:
    return round(value, 4) if value is not None else None


def _text(value) -> str | None:
    return value if isinstance(value, str) else None


def bits_per_character(info: dict) -> float | None:
    """A run's validation loss in bits per character, the one scale for every tokenizer: as measured
    when it finished, or for a character run saved before it was measured, its bits per token."""
    result = info.get("result") if isinstance(info.get("result"), dict) else {}
    measured = _number(result.get("bits_per_character"))
    if measured is not None:
        return measured
    loss = _number(result.get("val_loss"))
    level = result.get("level") or info.get("level") or "char"
    return bits(loss) if loss is not None and level == "char" else None


def weights_kept(info: dict) -> str | None:
    """Which weights a run saved, in a few words: "best (step 420)" for those of its best validation
    evaluation, "last (step 600)" for the last step's; None where the run does not say."""
    result = info.get("result") if isinstance(info.get("result"), dict) else {}
    kept, step = result.get("kept"), _number(result.get("kept_step"))
    if kept not in ("best", "last") or step is None:
        return None
    return f"{kept} (step {int(step)})"


def summary_row(name: str, info: dict, status: str) -> dict:
    """A run's line in the runs table (``RUN_COLUMNS``), from its config.json, whatever it holds."""
    result = info.get("result") if isinstance(info.get("result"), dict) else {}
    model = info.get("model") if isinstance(info.get("model"), dict) else {}
    loss, seconds, params = _number(result.get("val_loss")), _number(result.get("seconds")), \
        _number(result.get("params"))
    return {
        "name": name, "architecture": _text(model.get("arch")), "corpus": _text(info.get("corpus")),
        "parameters": int(params) if params is not None else None,
        "minutes": round(seconds / 60, 2) if seconds is not None else None,
        "validation loss": _rounded(loss),
        "bits/token": _rounded(bits(loss) if loss is not None else None),
        "bits/character": _rounded(bits_per_character(info)),
        "status": _text(status), "weights kept": weights_kept(info), "owner": owner_of(info),
        "published": is_published(info),
    }


COMPARE_COLUMNS = ["run", "architecture", "tokens", "parameters", "minutes", "validation loss", "bits/token",
                   "bits/character", "rank"]


@dataclasses.dataclass(frozen=True)
class Comparison:
    """Saved runs side by side: their loss histories, one ranked row each, and the counting
    baselines they all share (``None`` unless every run measured the same ones)."""

    histories: dict[str, pd.DataFrame]
    table: pd.DataFrame
    baselines: baselines_module.Baselines | None


def compare(paths: dict[str, Path]) -> Comparison:
    """Runs by name -> folder, in the order chosen, ranked on the one scale every tokenizer shares
    (1 = fewest bits per character; a run that never measured it is unranked)."""
    if not paths:
        raise PlaygroundError("Choose at least one run to compare.")
    histories, rows, counted = {}, [], []
    for name, path in paths.items():
        histories[name] = history_frame(path)
        info = read_info(path) or {}
        level = info.get("level", "char")
        result = info.get("result") if isinstance(info.get("result"), dict) else {}
        counted.append(baselines_module.from_json(result.get("baselines"), level))
        row = summary_row(name, info, "")
        rows.append({**row, "run": name, "tokens": level})
    table = pd.DataFrame(rows, columns=COMPARE_COLUMNS[:-1])
    table["bits/character"] = pd.to_numeric(table["bits/character"])
    table["rank"] = table["bits/character"].rank(method="min").astype("Int64")
    # Counting baselines only when every run has the same ones: the same text, split and tokens.
    shared = counted[0] if counted[0] is not None and all(c == counted[0] for c in counted) else None
    return Comparison(histories, table, shared)


def _update_info(path: Path, **changes) -> None:
    info = read_info(path)
    if info is None:
        raise PlaygroundError(f"{path.name}'s config.json cannot be read.")
    bundle.write_atomic(path / "config.json", json.dumps({**info, **changes}, indent=2))


def publish(name: str, published: bool, viewer: Viewer = EVERYONE) -> None:
    """Share a run with the class (everyone may load and compare it), or take it back."""
    _update_info(run_path(name, viewer, change=True), published=bool(published))


def export_path(name: str) -> Path:
    return exports_dir() / f"{name}.zip"


def rename(old: str, new: str, viewer: Viewer = EVERYONE) -> Path:
    source, target = run_path(old, viewer, change=True), runs_dir() / check_name(new)
    if target.exists():
        raise PlaygroundError(f"A run called {new!r} already exists.")
    source.rename(target)
    for download in (export_path(old), exports_dir() / notebook.zip_name(source)):
        download.unlink(missing_ok=True)  # the old downloads hold the corpus: they go too
    return target


def delete(name: str, confirm: str, viewer: Viewer = EVERYONE) -> None:
    path = run_path(name, viewer, change=True)
    if confirm != name:
        raise PlaygroundError(f"To delete {name!r}, type its name again to confirm.")
    shutil.rmtree(path)
    for download in (export_path(name), exports_dir() / notebook.zip_name(path)):
        download.unlink(missing_ok=True)


def sweep() -> list[str]:
    """At start-up: remove import staging folders (``.import-*``) and run folders a crash left
    empty (nothing but temporary dot-files, no config.json); returns what was removed. A folder
    with any saved file is kept: a run the command line is starting right now may be one."""
    folder, removed = runs_dir(), []
    if not folder.is_dir():
        return removed
    for path in folder.iterdir():
        if not path.is_dir():
            continue
        empty = not (path / "config.json").exists() and all(p.name.startswith(".") for p in path.iterdir())
        if path.name.startswith(".import-") or empty:
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path.name)
    return removed


def export_bundle(name: str, destination: Path | None = None, viewer: Viewer = EVERYONE) -> Path:
    """One ``.zip`` file holding the run's bundle, ready to download.

    Without a ``destination`` it goes to ``exports/`` in the workspace, replacing the run's
    previous export, so repeated downloads do not pile up copies.
    """
    path = run_path(name, viewer, change=True)
    destination = Path(destination) if destination else exports_dir()
    destination.mkdir(parents=True, exist_ok=True)
    archive = destination / f"{path.name}.zip"
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w", compression=zipfile.ZIP_DEFLATED) as zipped:
        for member in sorted(BUNDLE_FILES):
            if (path / member).is_file():
                zipped.write(path / member, arcname=member)
    bundle.write_atomic(archive, packed.getvalue())  # a download never sees a half-written archive
    return archive


def exports_dir() -> Path:
    """Where downloads are packed, one file per run (replaced by its next download). The app never
    serves this folder: the page hands each download over as a one-time copy."""
    return workspace() / "exports"


def export_notebook(name: str, viewer: Viewer = EVERYONE) -> Path:
    """The run as a Jupyter notebook with its weights, tokenizer and corpus, one ``.zip`` to download
    (see :mod:`playground.runs.notebook`); like the bundle, only for its owner or a teacher."""
    path = run_path(name, viewer, change=True)
    return notebook.write(path, exports_dir() / notebook.zip_name(path), name)


def import_bundle(archive: Path, name: str | None = None, owner: str = LOCAL) -> Path:
    """Check an uploaded bundle thoroughly, then add it as a run. Nothing is written if any check fails."""
    archive = Path(archive)
    if not archive.is_file():
        raise PlaygroundError("No bundle file was given.")
    if archive.stat().st_size > MAX_BUNDLE_BYTES:
        raise PlaygroundError(f"The bundle is over the {MAX_BUNDLE_BYTES // 2**20} MB limit.")
    try:
        zipped = zipfile.ZipFile(archive)
    except zipfile.BadZipFile:
        raise PlaygroundError("That file is not a model bundle (.zip) exported from the playground.") from None
    with zipped:
        members = zipped.infolist()
        total = 0
        for member in members:
            member_name = member.filename
            if member_name.startswith(("/", "\\")) or ".." in Path(member_name).parts or ":" in member_name:
                raise PlaygroundError(f"The bundle contains an unsafe path {member_name!r}; it was refused.")
            if member_name not in BUNDLE_FILES:
                raise PlaygroundError(f"The bundle contains an unexpected file {member_name!r}; it was refused.")
            total += member.file_size
            limit = limits.MAX_MEMBER_BYTES.get(member_name)
            if limit is not None and member.file_size > limit:
                raise PlaygroundError(
                    f"The bundle's {member_name} is over its {limit // 2**20} MB limit; it was refused.")
        if total > MAX_BUNDLE_BYTES:
            raise PlaygroundError(f"The bundle unpacks to over {MAX_BUNDLE_BYTES // 2**20} MB; it was refused.")
        names = {m.filename for m in members}
        missing = [m for m in bundle.MEMBERS[:3] if m not in names]
        if missing:
            raise PlaygroundError(f"The bundle is incomplete: {', '.join(missing)} missing.")
        try:
            info = json.loads(zipped.read("config.json").decode("utf-8"))
        except (ValueError, UnicodeDecodeError, zipfile.BadZipFile, RuntimeError, zlib.error, EOFError):
            raise PlaygroundError("The bundle's config.json is not valid JSON.") from None
        if not isinstance(info, dict) or not isinstance(info.get("model"), dict):
            raise PlaygroundError("The bundle's config.json has no 'model' section.")
        config_from_dict(info["model"])
        # A dot-named folder: never listed as a run, even if a crash leaves it behind.
        staging = Path(tempfile.mkdtemp(prefix=".import-", dir=_ensure(runs_dir())))
        try:
            for member in members:
                try:
                    data = zipped.read(member)
                except (zipfile.BadZipFile, RuntimeError, OSError, zlib.error, EOFError):
                    raise PlaygroundError(f"The bundle is damaged: {member.filename} cannot be read.") from None
                (staging / member.filename).write_bytes(data)
            # The corpus is inflated piece by piece and refused past the corpus limit, before any model
            # is built; then the full check: sizes by arithmetic, the tokenizer, the weights with safe_mode.
            bundle.read_corpus(staging, archive.name)
            bundle.load(staging, archive.name)
            target = runs_dir() / check_name(name or archive.stem)
            if target.exists():
                raise PlaygroundError(f"A run called {target.name!r} already exists; choose another name.")
            if info.get("status") == "running":
                info["status"] = "stopped"
            # The uploader owns what they upload, unpublished, whatever the file said.
            info.update(owner=owner, published=False)
            (staging / "config.json").write_text(json.dumps(info, indent=2), "utf-8")
            staging.rename(target)
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)
    return target


def _ensure(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def history_frame(path: Path) -> pd.DataFrame:
    text = (path / "history.csv").read_text("utf-8") if (path / "history.csv").is_file() else ""
    return pd.read_csv(io.StringIO(text)) if text.strip() else pd.DataFrame(
        columns=["step", "epoch", "seconds", "train_loss", "val_loss"])
