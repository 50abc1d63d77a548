"""Every model a student can choose by name: the small models shipped in ``pretrained/`` (loaded once
per server and shared read-only) and, through the run store, the saved runs a viewer may see."""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from collections.abc import Iterable

import pandas as pd

from playground.runs import card as model_card
from playground.runs import notebook
from playground.runs import quality_curves
from playground.runs import store as run_store
from playground.errors import PlaygroundError
from playground.runs.model_ref import ModelRef
from playground.runs.owners import EVERYONE, Viewer
from playground.generation.text_model import TextModel
from playground.runs.bundle import load_text_model

log = logging.getLogger(__name__)

DEFAULT_ORDER = ("lstm", "gru", "transformer", "gan", "words")
SHIPPED_STATUS = "shipped (read-only)"


def pretrained_dir() -> Path:
    return Path(os.environ.get("PLAYGROUND_PRETRAINED") or Path(__file__).resolve().parents[2] / "pretrained")


class Catalog:
    """The shipped models (bundles under one directory, each loaded on first use and then kept), and
    beside them the saved runs a viewer may see, each by its name in the Runs table."""

    def __init__(self, directory: Path | None = None):
        self.directory = Path(directory) if directory else pretrained_dir()
        self._loaded: dict[str, TextModel] = {}
        self._lock = threading.Lock()

    def names(self) -> list[str]:
        if not self.directory.is_dir():
            return []
        found = [p.name for p in self.directory.iterdir() if (p / "config.json").is_file()]
        rank = {name: i for i, name in enumerate(DEFAULT_ORDER)}
        return sorted(found, key=lambda name: (rank.get(name, len(rank)), name))

    def card(self, name: str) -> str:
        if name not in self.names():  # only a shipped model's own folder is ever read
            return f"No model card for {name}."
        path = self.directory / name / "MODEL_CARD.md"
        return path.read_text("utf-8") if path.is_file() else f"No model card for {name}."

    def get(self, name: str) -> TextModel:
        with self._lock:
            if name not in self._loaded:
                if name not in self.names():
                    raise PlaygroundError(f"No pretrained model called {name!r}.")
                model = load_text_model(self.directory / name)
                model.name = ModelRef("shipped", name).listed
                self._loaded[name] = model
            return self._loaded[name]

    def find(self, label: str) -> ModelRef:
        """The model behind a name in the Runs table (``pretrained/lstm`` or a run's name); a shipped one
        must be here (whether a run of that name is there, and whose it is, the run store says)."""
        ref = ModelRef.parse_listed(label)
        if ref.kind == "shipped" and ref.name not in self.names():
            raise PlaygroundError(f"No pretrained model called {ref.name!r}.")
        return ref

    def bundle_path(self, label: str, viewer: Viewer = EVERYONE) -> Path:
        """The folder of a shipped model (``pretrained/<name>``) or of a saved run ``viewer`` may see."""
        ref = self.find(label)
        return self.directory / ref.name if ref.kind == "shipped" else run_store.run_path(ref.name, viewer)

    def load(self, label: str, viewer: Viewer = EVERYONE) -> TextModel:
        """A shipped model (loaded once, shared) or a saved run ``viewer`` may see (loaded afresh)."""
        ref = self.find(label)
        return self.get(ref.name) if ref.kind == "shipped" else load_text_model(run_store.run_path(ref.name, viewer))

    def export_notebook(self, label: str, viewer: Viewer = EVERYONE) -> Path:
        """A Jupyter notebook of a shipped model (anyone's: a good first notebook) or of ``viewer``'s own
        run, in one ``.zip`` in the workspace's exports (never served as it is: see ``runs_tab.one_time_copy``)."""
        ref = self.find(label)
        if ref.kind == "run":
            return run_store.export_notebook(ref.name, viewer)
        folder = self.directory / ref.name
        return notebook.write(folder, run_store.exports_dir() / "shipped" / notebook.zip_name(folder), ref.listed)

    def refuse_change(self, label: str, action: str) -> None:
        if ModelRef.parse_listed(label).kind == "shipped":
            raise PlaygroundError(f"{label} is shipped with the playground: it cannot be {action}. "
                                  "Load it for generating, or compare your runs with it.")

    def level(self, name: str) -> str:
        info = run_store.read_info(self.directory / name) or {}
        return info.get("level", "char")

    def first_look(self, level: str = "char") -> list[str]:
        """The shipped models whose losses share one scale (those of one token level, by default the
        character-level ones), as labels: what the Compare tab shows before anyone chooses."""
        return [ModelRef("shipped", name).listed for name in self.names() if self.level(name) == level]

    def quality_diversity(self, labels: list[str]) -> pd.DataFrame | None:
        """The quality-diversity curves measured when these shipped models were shipped (``make pretrained``),
        of those that have one, or None. A few KB read from disk: nothing is sampled."""
        shipped = [ref for ref in map(self.find, labels) if ref.kind == "shipped"]
        curves = [quality_curves.read(self.directory / ref.name, ref.listed) for ref in shipped]
        curves = [curve for curve in curves if curve is not None]
        return pd.concat(curves, ignore_index=True) if curves else None

    def runs(self) -> pd.DataFrame:
        """One read-only row per shipped model, in the columns of :func:`run_store.list_runs`."""
        rows = []
        for name in self.names():
            info = run_store.read_info(self.directory / name)
            if info is not None:
                rows.append({**run_store.summary_row(ModelRef("shipped", name).listed, info, SHIPPED_STATUS),
                             "owner": "the playground", "published": True})
        return pd.DataFrame(rows, columns=run_store.RUN_COLUMNS)

    def listing(self, viewer: Viewer, active: Iterable[Path] = ()) -> pd.DataFrame:
        """The Runs table: the runs ``viewer`` may see (theirs and the class's published ones, newest
        first; ``active``: run folders training now), then the shipped models."""
        frames = [run_store.list_runs(active, viewer), self.runs()]
        return pd.concat([frame for frame in frames if len(frame)] or frames[:1], ignore_index=True)

    def reproduction(self, name: str, viewer: Viewer) -> str:
        """How to reproduce ``viewer``'s run ``name`` (Markdown: its corpus's SHA-256, seed, libraries
        and the command); nothing for a shipped model (its card says it) or a run they cannot see."""
        try:
            if not name or ModelRef.parse_listed(name).kind == "shipped":
                return ""
            path = run_store.run_path(name, viewer)
        except PlaygroundError:
            return ""
        lines = model_card.reproduce_lines(name, run_store.read_info(path) or {})
        return "\n".join(lines).replace("## Reproduce", "### Reproduce this run")

    def labels(self, viewer: Viewer | None = None) -> list[str]:
        """What can be compared: the shipped models by label, then the runs ``viewer`` may see
        (none before we know who it is)."""
        runs = run_store.list_runs(viewer=viewer) if viewer is not None else []
        return [ModelRef("shipped", name).listed for name in self.names()] + (list(runs["name"]) if len(runs) else [])

    def default(self) -> TextModel | None:
        """The first pretrained model that loads, or None (the app still works without one)."""
        for name in self.names():
            try:
                return self.get(name)
            except PlaygroundError as error:
                log.warning("pretrained model %s could not be loaded: %s", name, error)
        return None
