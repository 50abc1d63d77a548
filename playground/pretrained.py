"""The small models shipped in ``pretrained/``, loaded once per server and shared read-only."""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

from playground.errors import PlaygroundError
from playground.runs import TextModel

log = logging.getLogger(__name__)

DEFAULT_ORDER = ("lstm", "gru", "transformer", "gan", "words")


def pretrained_dir() -> Path:
    return Path(os.environ.get("PLAYGROUND_PRETRAINED") or Path(__file__).resolve().parent.parent / "pretrained")


class Catalog:
    """Bundles under one directory, by name; each loaded on first use and then kept."""

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
        path = self.directory / name / "MODEL_CARD.md"
        return path.read_text("utf-8") if path.is_file() else f"No model card for {name}."

    def get(self, name: str) -> TextModel:
        with self._lock:
            if name not in self._loaded:
                if name not in self.names():
                    raise PlaygroundError(f"No pretrained model called {name!r}.")
                model = TextModel.load(self.directory / name)
                model.name = f"pretrained/{name}"
                self._loaded[name] = model
            return self._loaded[name]

    def default(self) -> TextModel | None:
        """The first pretrained model that loads, or None (the app still works without one)."""
        for name in self.names():
            try:
                return self.get(name)
            except PlaygroundError as error:
                log.warning("pretrained model %s could not be loaded: %s", name, error)
        return None
