"""Runs on disk: list, rename, delete, export and import bundles.

Every run is a directory under ``$PLAYGROUND_HOME/runs`` (see :func:`playground.paths.workspace`).
``config.json`` says how far it got: ``status`` is ``running`` while training (rewritten at
every checkpoint), then ``completed``, ``stopped`` or ``time limit``. A run that says
``running`` but is not training in this server was cut short by a crash or a restart: it
is listed as ``interrupted`` and can be resumed from its last checkpoint.
"""

from __future__ import annotations

import io
import json
import math
import re
import shutil
import tempfile
import zipfile
import zlib
from pathlib import Path
from typing import Iterable

import pandas as pd

from playground import bundle
from playground.errors import PlaygroundError
from playground.models import config_from_dict
from playground.paths import workspace

MAX_BUNDLE_BYTES = 100 * 1024 * 1024
BUNDLE_FILES = set(bundle.MEMBERS) | {bundle.CORPUS, "MODEL_CARD.md"}
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


def run_path(name: str) -> Path:
    path = runs_dir() / check_name(name)
    if not (path / "config.json").is_file():
        raise PlaygroundError(f"There is no saved run called {name!r}.")
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


def list_runs(active: Iterable[Path] = ()) -> pd.DataFrame:
    """One row per saved run, newest first."""
    rows = []
    folder = runs_dir()
    active = list(active)
    paths = [p for p in folder.iterdir() if not p.name.startswith(".") and (p / "config.json").is_file()] \
        if folder.is_dir() else []
    for path in sorted(paths, key=lambda p: (p / "config.json").stat().st_mtime, reverse=True):
        info = read_info(path)
        if info is not None:
            rows.append(summary_row(path.name, info, status_of(info, path, active)))
    return pd.DataFrame(rows, columns=RUN_COLUMNS)


RUN_COLUMNS = ["name", "architecture", "corpus", "parameters", "minutes", "best validation loss", "bits/token",
               "status"]


def summary_row(name: str, info: dict, status: str) -> dict:
    """A run's line in the runs table (``RUN_COLUMNS``), from its config.json."""
    result = info.get("result", {})
    loss = result.get("val_loss")
    known = isinstance(loss, (int, float)) and math.isfinite(loss)
    return {
        "name": name, "architecture": info.get("model", {}).get("arch"), "corpus": info.get("corpus"),
        "parameters": result.get("params"), "minutes": round(float(result.get("seconds", 0)) / 60, 2),
        "best validation loss": round(loss, 4) if known else None,
        "bits/token": round(loss / math.log(2), 4) if known else None,
        "status": status,
    }


def rename(old: str, new: str) -> Path:
    source, target = run_path(old), runs_dir() / check_name(new)
    if target.exists():
        raise PlaygroundError(f"A run called {new!r} already exists.")
    source.rename(target)
    return target


def delete(name: str, confirm: str) -> None:
    path = run_path(name)
    if confirm != name:
        raise PlaygroundError(f"To delete {name!r}, type its name again to confirm.")
    shutil.rmtree(path)


def export_bundle(name: str, destination: Path | None = None) -> Path:
    """One ``.zip`` file holding the run's bundle, ready to download.

    Without a ``destination`` it goes to ``exports/`` in the workspace, replacing the run's
    previous export, so repeated downloads do not pile up copies.
    """
    path = run_path(name)
    destination = Path(destination) if destination else workspace() / "exports"
    destination.mkdir(parents=True, exist_ok=True)
    archive = destination / f"{path.name}.zip"
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w", compression=zipfile.ZIP_DEFLATED) as zipped:
        for member in sorted(BUNDLE_FILES):
            if (path / member).is_file():
                zipped.write(path / member, arcname=member)
    bundle.write_atomic(archive, packed.getvalue())  # a download never sees a half-written archive
    return archive


def import_bundle(archive: Path, name: str | None = None) -> Path:
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
            bundle.load(staging)  # the full check: tokenizer, weights with safe_mode, shapes
            target = runs_dir() / check_name(name or archive.stem)
            if target.exists():
                raise PlaygroundError(f"A run called {target.name!r} already exists; choose another name.")
            if info.get("status") == "running":
                info["status"] = "stopped"
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
