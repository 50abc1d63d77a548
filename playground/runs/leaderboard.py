"""Finished runs on the same text, ranked by held-out bits per character, each with a short sample.

Bits per character are comparable only when they measure the same held-out text: the same corpus
(its SHA-256), the same share held out, and the same token level (a word model's text is lower-cased
with rare words as ``<unk>``). So each such text has its own :class:`Table`. A run stopped early was
measured on a slice of the held-out text, not all of it; it is ranked, and says so.

:class:`Leaderboard` reads the run store: a ``config.json`` is read again only when it changed, and
each run's sample is written once, in the background, so a page refreshing every two seconds never
waits for a model to load or regenerates a sample.
"""

from __future__ import annotations

import collections
import dataclasses
import logging
import math
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

from playground.errors import PlaygroundError
from playground.runs import store as run_store
from playground.runs.bundle import load_text_model
from playground.runs.owners import owner_of

log = logging.getLogger(__name__)

FINISHED = ("completed", "time limit", "stopped")
SAMPLE_TEMPERATURE = 0.7
SAMPLE_SEED = 0
SAMPLE_TOKENS = {"char": 200, "subword": 100, "word": 50}  # generated: a few lines of text
SAMPLE_CHARACTERS = 110  # shown: one line on a projector


@dataclasses.dataclass(frozen=True)
class Entry:
    """One finished run's row."""

    run: str
    owner: str
    arch: str
    parameters: int | None
    seconds: float | None
    bits_per_character: float
    status: str  # completed, time limit or stopped
    rank: int = 0  # 1 = fewest bits per character in its table; equal values share a rank
    sample: str | None = None  # at T = 0.7, None until written

    @property
    def whole_text(self) -> bool:
        """Measured on all of the held-out text (a run stopped early was measured on a slice of it)."""
        return self.status != "stopped"


@dataclasses.dataclass(frozen=True)
class Table:
    """The runs that measured the same held-out text, best first."""

    corpus: str  # the corpus's name, as its first run recorded it
    corpus_sha256: str  # "" for runs saved before the fingerprint was kept
    level: str
    validation_share: float
    entries: tuple[Entry, ...]


TableKey = tuple[str, str, float]  # (corpus SHA-256, token level, validation share)


def entry_of(name: str, info: dict) -> tuple[TableKey, str, Entry] | None:
    """A saved run's (table key, corpus name, row), or None if it has not finished with a measurement."""
    status = info.get("status")
    bits = run_store.bits_per_character(info)
    if status not in FINISHED or bits is None:
        return None
    result = info["result"] if isinstance(info.get("result"), dict) else {}
    model = info["model"] if isinstance(info.get("model"), dict) else {}
    train = info["train"] if isinstance(info.get("train"), dict) else {}
    share = train.get("validation_share")
    share = float(share) if isinstance(share, (int, float)) and math.isfinite(share) else 0.1
    sha = info.get("corpus_sha256") if isinstance(info.get("corpus_sha256"), str) else ""
    level = info.get("level") if isinstance(info.get("level"), str) else "char"
    params, seconds = _number(result.get("params")), _number(result.get("seconds"))
    corpus = info.get("corpus") if isinstance(info.get("corpus"), str) else "corpus"
    entry = Entry(name, owner_of(info), str(model.get("arch") or "?"), int(params) if params is not None else None,
                  seconds, bits, status)
    # Runs without a fingerprint share a table only with runs of the same corpus name.
    return (sha or f"name:{corpus}", level, round(share, 6)), corpus, entry


def _number(value) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) \
        and math.isfinite(value) else None


def rank(found: Iterable[tuple[TableKey, str, Entry]]) -> list[Table]:
    """Rows grouped into one table per held-out text, each ranked by bits per character (then the
    shorter training first); tables with more runs come first."""
    groups: dict[TableKey, list[Entry]] = collections.defaultdict(list)
    corpora: dict[TableKey, str] = {}
    for key, corpus, entry in found:
        groups[key].append(entry)
        corpora.setdefault(key, corpus)
    tables = []
    for key, entries in groups.items():
        entries.sort(key=lambda e: (e.bits_per_character, e.seconds if e.seconds is not None else math.inf, e.run))
        ranked, place = [], 0
        for index, entry in enumerate(entries):
            if index == 0 or entry.bits_per_character != entries[index - 1].bits_per_character:
                place = index + 1
            ranked.append(dataclasses.replace(entry, rank=place))
        sha, level, share = key
        tables.append(Table(corpora[key], "" if sha.startswith("name:") else sha, level, share, tuple(ranked)))
    tables.sort(key=lambda t: (-len(t.entries), t.entries[0].bits_per_character, t.corpus))
    return tables


def one_line(text: str, limit: int = SAMPLE_CHARACTERS) -> str:
    """A sample as one line: line breaks as " / ", cut at a word near ``limit`` characters."""
    line = " / ".join(part.strip() for part in text.strip().splitlines() if part.strip())
    if len(line) <= limit:
        return line
    cut = line[:limit]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit // 2 else cut).rstrip(" /.,;:") + "…"


def write_sample(path: Path) -> str:
    """A short sample of a saved run at T = 0.7 from seed 0 (so the same run always writes the same)."""
    model = load_text_model(path)
    length = SAMPLE_TOKENS.get(model.level, SAMPLE_TOKENS["char"])
    return one_line(model.generate("", [SAMPLE_TEMPERATURE], length, seed=SAMPLE_SEED)[0].text)


class Leaderboard:
    """The run store as leaderboard tables, kept up to date cheaply: one per server."""

    def __init__(self, sampler: Callable[[Path], str] = write_sample):
        self._sampler = sampler
        self._infos: dict[str, tuple[tuple[int, int, int], dict | None]] = {}  # name -> (stamp, config)
        self._samples: dict[tuple[str, int], str] = {}  # (run, model.keras mtime) -> one line
        self._waiting: collections.OrderedDict[tuple[str, int], Path] = collections.OrderedDict()
        self._lock = threading.Lock()  # the samples and the writer
        self._reading = threading.Lock()  # the configs
        self._writer: threading.Thread | None = None

    def tables(self, include: Callable[[dict], bool]) -> list[Table]:
        """Every finished run whose config ``include`` accepts, in ranked tables, with the samples
        written so far (the missing ones are queued for the background writer)."""
        found = []
        for name, path, stamp, info in self._read():
            if info is None or not include(info):
                continue
            row = entry_of(name, info)
            if row is None:
                continue
            key, corpus, entry = row
            found.append((key, corpus, dataclasses.replace(entry, sample=self._sample(name, path, stamp[2]))))
        return rank(found)

    def _read(self) -> list[tuple[str, Path, tuple[int, int, int], dict | None]]:
        with self._reading:
            return self._read_changed()

    def _read_changed(self) -> list[tuple[str, Path, tuple[int, int, int], dict | None]]:
        folder = run_store.runs_dir()
        if not folder.is_dir():
            return []
        seen = []
        for path in folder.iterdir():
            if path.name.startswith("."):
                continue
            try:
                config, weights = (path / "config.json").stat(), (path / "model.keras").stat()
            except OSError:
                continue
            # Publishing rewrites config.json; only new weights (a resumed run) need a new sample.
            stamp = (config.st_mtime_ns, config.st_size, weights.st_mtime_ns)
            cached = self._infos.get(path.name)
            if cached is None or cached[0] != stamp:
                cached = self._infos[path.name] = (stamp, run_store.read_info(path))
            seen.append((path.name, path, stamp, cached[1]))
        for gone in set(self._infos) - {name for name, *_ in seen}:
            self._infos.pop(gone, None)
        return seen

    def _sample(self, name: str, path: Path, stamp: int) -> str | None:
        key = (name, stamp)
        with self._lock:
            if key in self._samples:
                return self._samples[key]
            self._waiting.setdefault(key, path)
            if self._writer is None or not self._writer.is_alive():
                self._writer = threading.Thread(target=self._write_waiting, name="leaderboard-samples", daemon=True)
                self._writer.start()
        return None

    def _write_waiting(self) -> None:
        """Write the waiting samples one at a time, oldest request first, until none wait."""
        while True:
            with self._lock:
                if not self._waiting:
                    self._writer = None
                    return
                key, path = self._waiting.popitem(last=False)
            try:
                text = self._sampler(path)
            except PlaygroundError as error:
                text = f"(no sample: {error})"
            except Exception as error:  # a damaged run must not stop the others' samples
                log.exception("could not write a leaderboard sample of %s", path)
                text = f"(no sample: {type(error).__name__})"
            with self._lock:
                self._samples[key] = text
