"""Per-user state on a shared server, and the actions the UI and API perform on it.

Each browser tab or API client has a :class:`Session` (its corpus, its current model, its
training run), kept in a :class:`SessionStore` owned by the app, never at module level.
The UI holds only the session key; objects stay here, so nothing is deep-copied.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import re
import secrets
import threading
import time
from pathlib import Path
from typing import Any
from collections.abc import Sequence

from playground.text import builtin
from playground.text import corpus as corpus_module
from playground.runs import store as run_store
from playground.text.corpus import Corpus, CorpusSettings, CorpusStats
from playground.errors import PlaygroundError
from playground.models import architecture
from playground.training.monitor import TrainingMonitor
from playground.runs.owners import Viewer
from playground.runs.model_ref import ModelRef, offered
from playground.generation.text_model import TextModel
from playground.runs.bundle import load_text_model
from playground.runs.cluster import Cluster
from playground.runs.remote_run import RemoteRun
from playground.runs.training_run import TrainingRun
from playground.training.slots import Activity, TrainingSlots
from playground.training.config import TrainConfig

log = logging.getLogger(__name__)

IDENTITY = re.compile(r"^[0-9a-f]{32}$")  # what a browser keeps to be recognised again


@dataclasses.dataclass(frozen=True)
class CorpusChoice(CorpusSettings):
    """A corpus and the settings it was chosen with (its tokens, its held-out share)."""

    corpus: Corpus = dataclasses.field(kw_only=True)

    @functools.cached_property
    def statistics(self) -> CorpusStats:
        """What is in the text: its size, vocabulary and most frequent symbols (counted once)."""
        return corpus_module.describe(self.corpus.text)

    def statistics_rows(self) -> list[tuple[str, str]]:
        """The text's statistics, then how much of it trains the model and how much is held out."""
        train, validation = self.corpus.split(self.validation_share)
        return [*self.statistics.as_rows(), ("training characters", f"{len(train):,}"),
                ("validation characters (held out)", f"{len(validation):,}")]

    @functools.cached_property
    def vocabulary_size(self) -> int:
        """Tokens a model of this corpus will have (fitted once, asked for at every Model tab change)."""
        from playground.text import tokenizers

        return len(tokenizers.fit(self.corpus.split(self.validation_share)[0], self.level, self.max_words,
                                  self.subword_vocab))


class Session:
    def __init__(self, key: str, default_model: TextModel | None = None, slots: TrainingSlots | None = None,
                 activity: Activity | None = None, login: bool = False, cluster: Cluster | None = None):
        self.key = key
        # Until the browser (or the login) says who this is, each session is a guest of its own.
        self.viewer = Viewer(f"guest-{key[:12]}", single_user=not login)
        self.slots = slots or TrainingSlots()
        self.activity = activity or Activity()
        self.cluster = cluster  # trainings go there while it answers; None: always in this process
        self.last_used = time.monotonic()
        self.choice: CorpusChoice | None = None
        self.model: TextModel | None = default_model
        self.run: TrainingRun | RemoteRun | None = None
        self.monitor: TrainingMonitor | None = None
        self.thread: threading.Thread | None = None
        self.lock = threading.Lock()

    def __deepcopy__(self, memo):  # sessions are shared handles, never copies
        return self

    @property
    def training(self) -> bool:
        return self.thread is not None and self.thread.is_alive()

    # Corpus ---------------------------------------------------------------------------
    def load_corpus(self, source: str, files: Sequence[str] | None = None, text: str = "", name: str = "",
                    level: str = CorpusSettings.level, validation_share: float = CorpusSettings.validation_share,
                    max_words: int = CorpusSettings.max_words,
                    subword_vocab: int = CorpusSettings.subword_vocab) -> CorpusChoice:
        """Replace the corpus only once the new one is known to be good."""
        settings = CorpusSettings(level=level, max_words=max_words, subword_vocab=subword_vocab,
                                  validation_share=validation_share)
        if source == "upload":
            loaded = corpus_module.read_files([f for f in (files or []) if f])
        elif source == "paste":
            loaded = corpus_module.from_text(text)
        elif source == "builtin":
            loaded = builtin.load_builtin(name)
        else:
            raise PlaygroundError(f"Corpus source must be upload, paste or builtin (got {source!r}).")
        choice = CorpusChoice(**dataclasses.asdict(settings), corpus=loaded)
        if level == "subword":  # a vocabulary the text cannot support is said now, not when training starts
            _ = choice.vocabulary_size
        self.choice = choice
        return choice

    # The model in use -----------------------------------------------------------------
    def current_model(self) -> TextModel:
        """The model this session generates with, or an error saying how to get one."""
        if self.model is None:
            raise PlaygroundError("There is no model yet: train one (Train tab) or pick a pretrained model.")
        return self.model

    def model_ref(self, shipped_names: Sequence[str]) -> ModelRef:
        """Which model this session generates with (a shipped one only while the catalog has it)."""
        model = self.model
        if model is None or (self.run is not None and model is self.run.text_model):
            return ModelRef("latest")
        ref = ModelRef.parse_listed(model.name)
        return ref if ref.kind == "shipped" and ref.name in shipped_names else ModelRef("run", model.name)

    def model_choice(self, shipped_names: Sequence[str]) -> str:
        """How the Model list names the model this session generates with."""
        return self.model_ref(shipped_names).label

    def model_choices(self, shipped_names: Sequence[str]) -> list[str]:
        """The Model list: the latest trained model, the shipped ones, and a run loaded from Runs."""
        choices = [ref.label for ref in offered(shipped_names)]
        current = self.model_choice(shipped_names)
        return choices if current in choices else [*choices, current]

    def resolve(self, ref: ModelRef, catalog) -> tuple[str, TextModel]:
        """A model as (display name, model)."""
        if ref.kind == "latest":
            if self.run is None or self.training:
                raise PlaygroundError("You have no finished model of your own yet: train one first.")
            return self.run.run_dir.name, self.run.text_model
        if ref.kind == "run":
            if self.model is not None and self.model.name == ref.name:
                return ref.name, self.model
            return ref.name, load_text_model(run_store.run_path(ref.name, self.viewer))
        model = catalog.get(ref.name)
        return model.name, model

    def resolve_all(self, refs: Sequence[ModelRef], catalog) -> dict[str, TextModel]:
        """Models as {display name: model}, in the order given."""
        return dict(self.resolve(ref, catalog) for ref in refs)

    def use_model(self, ref: ModelRef, catalog) -> TextModel:
        """Generate with this model from now on."""
        self.model = self.resolve(ref, catalog)[1]
        return self.model

    def load_run(self, label: str, catalog) -> TextModel:
        """Generate with a saved run or a shipped model (by its Runs-table name) from now on."""
        self.model = catalog.load(label, self.viewer)
        return self.model

    # Training -------------------------------------------------------------------------
    def start_training(self, arch: str, model_options: dict[str, Any], train_config: TrainConfig) -> TrainingMonitor:
        if self.choice is None:
            raise PlaygroundError("Load a corpus first (Corpus tab).")
        architecture(arch)
        choice = self.choice
        train_config = dataclasses.replace(train_config, validation_share=choice.validation_share)
        settings = {"level": choice.level, "max_words": choice.max_words, "subword_vocab": choice.subword_vocab,
                    "owner": self.viewer.name}

        def make_run(monitor: TrainingMonitor) -> TrainingRun | RemoteRun:
            cluster = self._cluster_for(monitor)
            if cluster is not None:
                return RemoteRun.start(cluster, choice.corpus, arch, model_options, train_config, monitor, **settings)
            return TrainingRun(choice.corpus, arch, model_options, train_config, publish=monitor.publish, **settings)

        return self._start(make_run, choice.corpus.name, choice.level)

    def resume_training(self, directory) -> TrainingMonitor:
        """Continue a saved run from its last checkpoint."""
        def make_run(monitor: TrainingMonitor) -> TrainingRun | RemoteRun:
            cluster = self._cluster_for(monitor)
            if cluster is not None:
                return RemoteRun.resume(cluster, directory, monitor)
            return TrainingRun.resume(directory, publish=monitor.publish)

        return self._start(make_run, "", "char")

    def _cluster_for(self, monitor: TrainingMonitor) -> Cluster | None:
        """The cluster a new training goes to, or None to train in this process; when a cluster was
        asked for but cannot take it, the monitor says why in one line."""
        if self.cluster is None:
            return None
        if self.cluster.ready():
            return self.cluster
        monitor.note(self.cluster.fallback)
        return None

    def _start(self, make_run, corpus_name: str, level: str) -> TrainingMonitor:
        with self.lock:
            if self.training:
                raise PlaygroundError("A model is already training in this session. Stop it first.")
            monitor = TrainingMonitor(entropy_floor=builtin.entropy_floor(corpus_name) if level == "char" else None,
                                      level=level)
            run = make_run(monitor)
            if isinstance(run, TrainingRun):  # on this computer, generation for others goes first
                run.trainer.yield_to(self.activity.busy)
            monitor.describe(run.run_dir.name, run.level, run.arch, run.owner)
            self.run, self.monitor = run, monitor
            self.thread = threading.Thread(target=self._train, args=(run,), name=f"train-{self.key[:8]}",
                                           daemon=True)
            self.thread.start()
            return monitor

    def _train(self, run: TrainingRun | RemoteRun) -> None:
        if isinstance(run, RemoteRun):
            self._train_remotely(run)
            return
        monitor = self.monitor
        if not self.slots.acquire(run.trainer.stop_requested.is_set, monitor.queued):
            monitor.finish_stopped_before_start()
            return
        try:
            run.execute()
        except Exception:  # the monitor already shows the error to the user
            log.exception("training run %s failed", run.run_dir)
            return
        finally:
            self.slots.release()
        self.model = run.text_model

    def _train_remotely(self, run: RemoteRun) -> None:
        """The cluster queues the run and Ray picks its computer: no slot of this server is taken."""
        try:
            if run.execute() is None:  # stopped in the queue, or interrupted: the monitor says which
                return
        except Exception:  # the monitor already shows the error to the user
            log.exception("training run %s failed on the cluster", run.run_dir)
            return
        self.model = run.text_model

    def stop_training(self) -> bool:
        """Ask the run to stop; True if one was running. The model trained so far is kept."""
        run = self.run
        if run is None or not self.training:
            return False
        run.stop()
        return True

    def wait(self, timeout: float | None = None) -> None:
        if self.thread is not None:
            self.thread.join(timeout)

    def close(self) -> None:
        self.stop_training()


class SessionStore:
    """All live sessions of one server, by key (Gradio's session hash).

    Browser tabs release their session when closed; API clients never say goodbye, so a
    session left idle (and not training) for ``idle_hours`` is released too.
    """

    def __init__(self, default_model: TextModel | None = None, slots: TrainingSlots | None = None,
                 idle_hours: float = 6.0, login: bool = False, max_sessions: int = 300,
                 cluster: Cluster | None = None):
        self.default_model = default_model
        self.cluster = cluster
        self.slots = slots or TrainingSlots()
        self.activity = Activity()
        self.idle_seconds = idle_hours * 3600
        self.login = login
        self.max_sessions = max_sessions
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()

    def get(self, key: str, username: str | None = None) -> Session:
        """The session of ``key``; ``username``: who logged in (their runs are theirs)."""
        now = time.monotonic()
        with self._lock:
            idle = [k for k, s in self._sessions.items()
                    if now - s.last_used > self.idle_seconds and not s.training and k != key]
            for stale in idle:
                del self._sessions[stale]
            session = self._sessions.get(key)
            if session is None:
                self._make_room()
                session = self._sessions[key] = Session(key, self.default_model, self.slots, self.activity,
                                                        login=self.login, cluster=self.cluster)
            session.last_used = now
        if username and session.viewer.name != username:
            session.viewer = Viewer.logged_in(username)
        return session

    def _make_room(self) -> None:
        """At the cap, the least recently used session that is not training goes (its runs stay on disk)."""
        while len(self._sessions) >= self.max_sessions:
            idle = [s for s in self._sessions.values() if not s.training]
            if not idle:
                raise PlaygroundError("The server is full: every session is training. Try again in a few minutes.")
            oldest = min(idle, key=lambda s: s.last_used)
            del self._sessions[oldest.key]

    def adopt(self, key: str, identity: str) -> str:
        """A browser's lasting identity (kept in its storage), so its runs survive reloads and restarts.
        With a login the login name counts instead. Returns the identity the browser should keep."""
        session = self.get(key)
        if self.login:
            return identity or ""
        if not (isinstance(identity, str) and IDENTITY.match(identity)):
            identity = secrets.token_hex(16)
        session.viewer = Viewer(f"browser-{identity[:12]}", single_user=True)
        return identity

    def release(self, key: str) -> None:
        with self._lock:
            session = self._sessions.pop(key, None)
        if session is not None:
            session.close()

    def __len__(self) -> int:
        return len(self._sessions)

    def run_to_change(self, name: str, action: str, viewer: Viewer, catalog) -> Path:
        """The folder of a saved run ``viewer`` may change (``action``: "renamed", "deleted", "resumed"):
        not a shipped model, not someone else's, and not one training right now."""
        catalog.refuse_change(name, action)
        path = run_store.run_path(name, viewer, change=True)
        if path.resolve() in {Path(p).resolve() for p in self.active_runs()}:
            raise PlaygroundError(f"{name} is training right now; stop it first.")
        return path

    def monitors(self) -> list[TrainingMonitor]:
        """Each session's latest training monitor, finished or not: what the class view reads, wherever
        the training runs (its events arrive in the monitor either way)."""
        with self._lock:
            sessions = list(self._sessions.values())
        return [s.monitor for s in sessions if s.monitor is not None]

    def active_runs(self) -> list:
        """Run directories that are training right now in this server."""
        with self._lock:
            sessions = list(self._sessions.values())
        return [s.run.run_dir for s in sessions if s.training and s.run is not None]
