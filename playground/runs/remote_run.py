"""A training on the Ray cluster, as the app follows it: :class:`RemoteRun`.

To the session it looks like a :class:`~playground.runs.training_run.TrainingRun`: a folder at
home, a token level, ``stop()``, ``execute()`` and, at the end, ``text_model``. ``execute()`` sends
the run to the :class:`~playground.runs.cluster.Cluster` and, five times a second until it ends,
collects its mail: events go to the run's :class:`~playground.training.monitor.TrainingMonitor`
(so the page, and anyone else reading the monitor, cannot tell where the run trains), checkpoints
are written into the run's folder. ``Finished`` and ``Failed`` wait until the bundle is home.

A worker that dies leaves the folder as its last checkpoint left it: ``config.json`` still says
``running``, so the Runs tab lists it as *interrupted*, and Resume continues it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import pickle
import shutil
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from playground.errors import PlaygroundError
from playground.generation.text_model import TextModel
from playground.runs import bundle
from playground.runs import store as run_store
from playground.runs.bundle import load_text_model
from playground.runs.cluster import (SILENCE_SECONDS, Cluster, bundle_files, first_line, home_path, ray_module,
                                     silence)
from playground.runs.owners import LOCAL, owner_of
from playground.runs.training_run import RunResult, new_run_dir, writable
from playground.text.corpus import Corpus
from playground.training import events
from playground.training.config import TrainConfig
from playground.training.monitor import TrainingMonitor

log = logging.getLogger(__name__)

COLLECT_SECONDS = 0.2  # the app collects a run's mail this often


class RemoteRun:
    """A training on the cluster, as the session sees it: its folder at home, its level, Stop, and
    :meth:`execute`, which waits for a computer, feeds the monitor and brings the run home."""

    def __init__(self, cluster: Cluster, job: dict, run_dir: Path, level: str, monitor: TrainingMonitor,
                 corpus_text: str | None = None):
        self.cluster, self.job, self.run_dir, self.level, self.monitor = cluster, job, run_dir, level, monitor
        self.id = job["id"]
        self.arch, self.owner = job.get("arch", ""), job.get("owner", "")  # what the class view lists
        self.worker: dict | None = None  # where it trains, once started: node, pid, cpus
        self.result: RunResult | None = None
        self.saved_step: int | None = None  # the step of the last checkpoint at home
        self._corpus_text = corpus_text  # written home with the first checkpoint (a resumed run has it)
        self._stop = threading.Event()
        self._held: list[events.Event] = []  # Finished or Failed: published once the files are home
        self._text_model: TextModel | None = None
        self._reported: int | None = None  # the queue position the monitor shows
        self._cancelled = False  # Stop took it out of the queue
        # When it was sent, started on its computer, came back and was home (time.monotonic()).
        self.timeline: dict[str, float] = {}

    @classmethod
    def start(cls, cluster: Cluster, corpus: Corpus, arch: str, model_options: dict[str, Any],
              train_config: TrainConfig, monitor: TrainingMonitor, level: str = "char", max_words: int = 10_000,
              subword_vocab: int = 512, owner: str = LOCAL) -> RemoteRun:
        run_dir = writable(new_run_dir(arch))
        job = {"id": uuid.uuid4().hex, "kind": "new", "run": run_dir.name, "corpus": corpus.name,
               "text": corpus.text, "arch": arch, "model_options": dict(model_options or {}),
               "train": dataclasses.asdict(train_config), "level": level, "max_words": max_words,
               "subword_vocab": subword_vocab, "owner": owner}
        return cls(cluster, job, run_dir, level, monitor, corpus.text)

    @classmethod
    def resume(cls, cluster: Cluster, directory: str | os.PathLike, monitor: TrainingMonitor) -> RemoteRun:
        """Continue a saved run on the cluster: its bundle goes out, as it is at home."""
        directory = writable(Path(directory))
        if not (directory / bundle.CORPUS).is_file():
            raise PlaygroundError(f"{directory.name} was saved without its corpus, so it cannot be resumed.")
        info = run_store.read_info(directory) or {}
        job = {"id": uuid.uuid4().hex, "kind": "resume", "run": directory.name,
               "files": bundle_files(directory, corpus=True), "arch": (info.get("model") or {}).get("arch", ""),
               "owner": owner_of(info)}
        run = cls(cluster, job, directory, info.get("level", "char"), monitor)
        steps = (info.get("result") or {}).get("steps")
        run.saved_step = steps if isinstance(steps, int) else None
        return run

    def stop(self) -> None:
        self._stop.set()

    @property
    def stop_requested(self) -> bool:
        return self._stop.is_set()

    @property
    def text_model(self) -> TextModel:
        """The run's model as it is at home (loaded once)."""
        if self._text_model is None:
            self._text_model = load_text_model(self.run_dir)
        return self._text_model

    def execute(self) -> RunResult | None:
        """Send the run to the cluster and follow it to the end. Returns its result once the bundle
        is home; None if it was stopped before it started or interrupted (the monitor says which);
        raises after a failure, which the monitor shows."""
        ray = ray_module()
        reference = self.cluster.submit(self.job)
        self.timeline["sent"] = time.monotonic()
        stop_sent = False
        try:
            while True:
                done, _ = ray.wait([reference], timeout=COLLECT_SECONDS)
                self._collect()
                if self._stop.is_set() and not stop_sent:
                    stop_sent = True
                    self.cluster.mailbox.stop.remote(self.id)
                    if self.worker is None:  # still waiting for a computer: leave the queue
                        self._cancelled = True
                        ray.cancel(reference)
                if self.worker is None and not done:
                    self._report_queue()
                if done:
                    self.timeline["returned"] = time.monotonic()
                    break
            outcome = ray.get(reference)
            self._collect()
            return self._finish(outcome)
        # In both cases below the worker stops by itself, and frees its computer: the mailbox
        # answers its next letter with Stop once the run is forgotten (finally, below), and a
        # worker whose mailbox died or has not answered for WORKER_PATIENCE_SECONDS stops too. The
        # task is never cancelled from here: in Ray 2.60 a cancel that crosses the task's own
        # ending aborts the app's process ("Tried to complete task that was not pending"), as a
        # run of the test suite found.
        except _HomeWrite as failure:  # the app's own disk: the run cannot be kept, so it stops
            self.monitor.publish(events.Failed(str(failure)))
            raise PlaygroundError(str(failure)) from None
        except _Lost as lost:
            self.cluster.lost(str(lost))
            return self._interrupted(f"The app lost the Ray cluster ({lost})")
        except PlaygroundError:  # the run failed on the worker; the monitor shows why
            raise
        except Exception as error:
            return self._ended_badly(error)
        finally:
            self.cluster.ended(self.id)
            self._forget()

    # Following the run ----------------------------------------------------------------------
    def _collect(self, patience: float = SILENCE_SECONDS) -> None:
        """Take the run's mail: events to the monitor, checkpoints home. Raises _Lost when the
        mailbox is gone or has not answered for ``patience`` seconds."""
        ray = ray_module()
        began = time.monotonic()
        while True:
            try:
                letters = ray.get(self.cluster.mailbox.collect.remote(self.id), timeout=patience)
                break
            except ray.exceptions.ActorDiedError as error:
                raise _Lost(silence(error, patience)) from None
            except (ray.exceptions.ActorUnavailableError, ray.exceptions.GetTimeoutError) as error:
                if time.monotonic() - began >= patience:
                    raise _Lost(silence(error, patience)) from None
                time.sleep(COLLECT_SECONDS)
        for letter in letters:
            for kind, content in pickle.loads(letter):
                if kind == "started":
                    self._started(content)
                elif kind == "checkpoint":
                    self._bring_home(content)
                elif isinstance(content, (events.Finished, events.Failed)):
                    self._held.append(content)
                else:
                    self.monitor.publish(content)

    def _started(self, where: dict) -> None:
        self.timeline["started"] = time.monotonic()
        self.worker = where
        self.cluster.started(self.id)
        self.monitor.preparing()
        log.info("%s trains on %s (process %s, %g CPUs)", self.run_dir.name, where["node"], where["pid"],
                 where["cpus"])

    def _report_queue(self) -> None:
        place = self.cluster.place_in_queue(self.id)
        if place is not None and place != self._reported:
            self._reported = place
            self.monitor.queued(place, cluster=True)

    def _bring_home(self, files: dict[str, bytes]) -> None:
        """A bundle's files from the worker into the run's folder, each written atomically, the corpus
        first and ``config.json`` last (its presence marks a complete bundle)."""
        if not files:
            return
        try:
            if self._corpus_text is not None and not (self.run_dir / bundle.CORPUS).is_file():
                bundle.write_corpus(self.run_dir, self._corpus_text)
            for name in sorted(files, key=lambda name: name == "config.json"):
                target = home_path(self.run_dir, name)
                data = files[name]
                if name == "config.json":
                    data = self._as_at_home(data)
                target.parent.mkdir(parents=True, exist_ok=True)
                bundle.write_atomic(target, data)
        except OSError as error:
            raise _HomeWrite(f"Could not save the model to {self.run_dir}: {error.strerror or error}.") from None
        except PlaygroundError as error:
            raise _HomeWrite(str(error)) from None

    def _as_at_home(self, data: bytes) -> bytes:
        """The worker's config.json, saying where the run lives now and which computer trained it."""
        info = json.loads(data.decode("utf-8"))
        result = info.get("result")
        if isinstance(result, dict):
            if "run_dir" in result:
                result["run_dir"] = str(self.run_dir)
            if isinstance(result.get("steps"), int):
                self.saved_step = result["steps"]
        if self.worker is not None:
            info["hardware"] = (f"{self.worker['cpus']:g} of the {self.worker['cores']} CPU cores "
                                f"({self.worker['processor']}) of cluster computer {self.worker['node']}, no GPU")
        return json.dumps(info, indent=2, ensure_ascii=False).encode("utf-8")

    def _finish(self, outcome: dict) -> RunResult | None:
        if not outcome.get("started", True):
            self.monitor.finish_stopped_before_start()
            _remove_if_empty(self.run_dir)
            return None
        self._bring_home(outcome.get("files") or {})
        self.timeline["home"] = time.monotonic()
        log.info("%s came home: %.1f MB in %.2f s", self.run_dir.name,
                 sum(len(data) for data in (outcome.get("files") or {}).values()) / 1e6,
                 self.timeline["home"] - self.timeline["returned"])
        for event in self._held:
            self.monitor.publish(event)
        if outcome.get("error"):
            _remove_if_empty(self.run_dir)
            raise PlaygroundError(outcome["error"])
        self.result = RunResult(**{**outcome["result"], "run_dir": str(self.run_dir)})
        return self.result

    def _ended_badly(self, error: Exception) -> None:
        """The task did not come back: cancelled in the queue, a fault before the playground ran, or its
        worker gone (killed, or its computer left)."""
        ray = ray_module()
        with contextlib.suppress(_Lost, _HomeWrite):  # what the worker posted before it went: maybe a last checkpoint
            self._collect(patience=2.0)
        # Taken out of the queue by Stop (perhaps just as a computer took it): nothing of it was trained.
        if self._cancelled or (self.worker is None and isinstance(error, ray.exceptions.TaskCancelledError)):
            self.monitor.finish_stopped_before_start()
            _remove_if_empty(self.run_dir)
            return None
        if isinstance(error, ray.exceptions.RayTaskError):
            cause = error.cause if getattr(error, "cause", None) is not None else error
            message = f"The computer that took this training could not run it: {first_line(cause)}"
            log.error("%s: %s", self.run_dir.name, message)
            self.monitor.publish(events.Failed(message))
            _remove_if_empty(self.run_dir)
            raise PlaygroundError(message) from None
        if isinstance(error, ray.exceptions.NodeDiedError):
            return self._interrupted("The computer training this run left the cluster")
        where = f" on {self.worker['node']}" if self.worker else ""
        return self._interrupted(f"The process training this run{where} ended unexpectedly "
                                 f"({type(error).__name__})")

    def _interrupted(self, cause: str) -> None:
        if self.saved_step is not None:
            line = (f"{cause}. The run is saved as it was at step {self.saved_step}, its last checkpoint, and is "
                    "listed as interrupted: resume it from the Runs tab.")
        else:
            line = f"{cause} before its first checkpoint, so nothing of it was saved: train again."
            _remove_if_empty(self.run_dir)
        log.warning("%s: %s", self.run_dir.name, line)
        self.monitor.interrupted(line)
        return None

    def _forget(self) -> None:
        with contextlib.suppress(Exception):
            self.cluster.mailbox.forget.remote(self.id)


class _Lost(Exception):
    """The app can no longer reach the cluster's mailbox."""


class _HomeWrite(Exception):
    """The app could not write a file the worker sent into the run's folder."""


def _remove_if_empty(run_dir: Path) -> None:
    """A run that brought nothing home leaves no folder behind (a resumed run always has its own)."""
    if run_dir.is_dir() and not (run_dir / "config.json").exists():
        shutil.rmtree(run_dir, ignore_errors=True)
