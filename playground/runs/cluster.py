"""The Ray cluster trainings can run on: the lab's computers train, the app shows.

With ``PLAYGROUND_RAY_ADDRESS`` set (``auto`` on the head computer, or its ``HOST:PORT``), every
training and every resume is one Ray task asking for ``PLAYGROUND_RAY_CPUS`` CPUs (default 2). Ray
decides where and when, so as many train at once as the cluster holds; nothing here schedules.
This module is the cluster's side: :class:`Cluster` joins it once for the app and keeps a small
zero-CPU actor on the app's computer, the mailbox; :func:`train_here` is what a worker runs. The
app's side of one run is :class:`~playground.runs.remote_run.RemoteRun`.

On the worker, the run trains in a temporary folder; its events go to the mailbox in a letter
every tenth of a second, and the mailbox answers each letter with whether the student pressed Stop.
Each checkpoint's files go home the same way before training goes on, the finished bundle as the
task's result: no file system is shared, the corpus travels once, with the task.

A worker needs the libraries (requirements.txt and Ray), not the code: the playground package
travels with the job. Ray is imported here only, and only once a cluster is asked for.
"""

from __future__ import annotations

import logging
import os
import pickle
import secrets
import shutil
import socket
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from playground.errors import PlaygroundError
from playground.runs import bundle
from playground.runs import store as run_store
from playground.runs.training_run import TrainingRun
from playground.text.corpus import Corpus
from playground.training import events
from playground.training.config import TrainConfig

log = logging.getLogger(__name__)

ADDRESS = "PLAYGROUND_RAY_ADDRESS"  # "auto", or the head computer's HOST:PORT
CPUS = "PLAYGROUND_RAY_CPUS"  # CPUs each training asks for
DEFAULT_CPUS = 2.0
POST_SECONDS = 0.1  # a worker posts its events this often
SILENCE_SECONDS = 10.0  # the mailbox unanswered for this long: the cluster is lost
WORKER_PATIENCE_SECONDS = 60.0  # a worker that cannot post for this long stops: nobody is listening
PROBE_SECONDS = 3.0  # how long a TCP knock on the head computer may take
# A driver whose head computer stops answering exits after 60 s (Ray's default reconnect timeout),
# taking the web app with it; ours waits (11 days) and says "lost" on its own terms instead.
RECONNECT_SECONDS = "1000000"


def ray_module():
    """Ray, imported on first use (the app without a cluster never loads it)."""
    os.environ.setdefault("RAY_gcs_rpc_server_reconnect_timeout_s", RECONNECT_SECONDS)
    try:
        import ray
    except ImportError:
        raise PlaygroundError("Ray is not installed here: `make run RAY=...` installs it "
                              "(or pip install the ray version pinned in requirements-dev.txt).") from None
    return ray


def cpus_per_training() -> float:
    """``PLAYGROUND_RAY_CPUS``, else 2."""
    value = os.environ.get(CPUS, "").strip()
    if not value:
        return DEFAULT_CPUS
    try:
        cpus = float(value)
    except ValueError:
        cpus = 0.0
    if not 0 < cpus <= 1024:
        raise PlaygroundError(f"{CPUS} must be a number of CPUs per training, such as 2 (got {value!r}).")
    return cpus


def head_of(address: str) -> tuple[str, int] | None:
    """``HOST:PORT`` as (host, port); None for ``auto`` (the cluster this computer belongs to)."""
    if address == "auto":
        return None
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536 or "/" in address:
        raise PlaygroundError(f"The Ray address must be auto or the head computer's HOST:PORT, such as "
                              f"10.0.0.5:6379 (got {address!r}).")
    return host.strip("[]"), int(port)


def knock(address: str) -> None:
    """Fail within seconds, with one sentence, if nothing answers at ``address`` (Ray itself would try
    for about 40 s before saying less)."""
    head = head_of(address)
    if head is None:
        return
    try:
        with socket.create_connection(head, timeout=PROBE_SECONDS):
            pass
    except OSError as error:
        reason = error.strerror or type(error).__name__.replace("Error", " error").lower()
        if isinstance(error, (TimeoutError, socket.timeout)):
            reason = f"no answer within {PROBE_SECONDS:g} s"
        raise PlaygroundError(f"The Ray cluster at {address} cannot be reached ({reason.lower()}): "
                              "is `ray start --head` running there, and is its port open?") from None


def cpus_named(cpus: float) -> str:
    return f"{cpus:g} CPU{'' if cpus == 1 else 's'}"


def silence(error: BaseException, seconds: float) -> str:
    """What a call to the mailbox that failed means, in words for the page; Ray's own sentence
    (long, technical) goes to the log."""
    log.warning("the Ray cluster did not answer: %s", first_line(error))
    ray = ray_module()
    if isinstance(error, ray.exceptions.ActorDiedError):
        return "its part on the app's computer ended"
    if isinstance(error, ray.exceptions.GetTimeoutError):
        return f"no answer for {seconds:g} s"
    return "its part on the app's computer stopped answering"


def first_line(error: BaseException) -> str:
    lines = [line for line in str(error).strip().splitlines() if line.strip()]
    return lines[0][:300] if lines else type(error).__name__


def _mailbox_class():
    """The mailbox, built here so that Ray ships it by value: its process never imports the
    playground (nor TensorFlow); letters are bytes it holds, not objects it reads."""

    class Mailbox:
        def __init__(self):
            self.letters: dict[str, list[bytes]] = {}
            self.stops: set[str] = set()
            self.forgotten: set[str] = set()  # runs the app no longer follows

        def post(self, run: str, letter: bytes) -> bool:
            """Keep a worker's letter; answer whether the run should stop. A run the app has
            forgotten (it let the run go) is told to stop, and its letters are dropped."""
            if run in self.forgotten:
                return True
            self.letters.setdefault(run, []).append(letter)
            return run in self.stops

        def collect(self, run: str) -> list[bytes]:
            return self.letters.pop(run, [])

        def stop(self, run: str) -> None:
            self.stops.add(run)

        def forget(self, run: str) -> None:
            self.letters.pop(run, None)
            self.stops.discard(run)
            self.forgotten.add(run)

        def ping(self) -> bool:
            return True

    return Mailbox


def _launcher():
    """The task a training is, built here so that Ray ships it by value: it says "started" before
    the worker imports TensorFlow (seconds), so the queue on the page moves when the computer is
    found, and sets TensorFlow's threads before TensorFlow reads them."""

    def train_in_the_cluster(job: dict, mailbox) -> dict:
        import concurrent.futures
        import os
        import pickle
        import platform

        import ray

        cpus = float(ray.get_runtime_context().get_assigned_resources().get("CPU", 1.0))
        threads = max(1, int(cpus))
        # The threads follow the CPUs Ray gave this training, with the playground's rule for two
        # cores or fewer (one thread per operation: faster there, see playground/__init__.py).
        os.environ["TF_NUM_INTRAOP_THREADS"] = str(1 if threads <= 2 else threads)
        os.environ["TF_NUM_INTEROP_THREADS"] = str(threads)
        where = {"node": ray.util.get_node_ip_address(), "pid": os.getpid(), "cpus": cpus,
                 "cores": os.cpu_count(), "processor": platform.processor() or platform.machine()}
        # Off the main thread: blocked there, a task lends its CPUs to the next one in the queue.
        letter = pickle.dumps([("started", where)])
        with concurrent.futures.ThreadPoolExecutor(1) as postman:
            if postman.submit(lambda: ray.get(mailbox.post.remote(job["id"], letter))).result():
                return {"started": False}  # stopped while it waited for a computer
        from playground.runs.cluster import train_here

        return train_here(job, mailbox)

    return train_in_the_cluster


class Cluster:
    """The app's link to one Ray cluster: joins it once, holds the mailbox, sends trainings, knows
    which of them still wait for a computer and what went wrong.

    ``problem`` is None while trainings may go to the cluster, else the sentence saying why not;
    once set it stays (the app trains at home until it restarts). One cluster per process: Ray
    joins one.
    """

    def __init__(self, address: str, cpus: float = DEFAULT_CPUS):
        self.address, self.cpus = address, cpus
        self.problem: str | None = None
        self._mailbox = None
        self._task = None
        self._waiting: list[str] = []  # runs sent and not yet started, in the order they were sent
        self._running: set[str] = set()  # runs started and not yet seen to end
        self._holds_at: tuple[float, int] | None = None  # (when, trainings the cluster holds at once)
        self._lock = threading.Lock()

    @classmethod
    def from_environment(cls) -> Cluster | None:
        """The cluster ``PLAYGROUND_RAY_ADDRESS`` names, joined (or with its problem said), or None
        when none is named: then trainings run in the app's process, as always."""
        address = os.environ.get(ADDRESS, "").strip()
        if not address:
            return None
        try:
            cluster = cls(address, cpus_per_training())
        except PlaygroundError as error:
            cluster = cls(address)
            cluster._fail(str(error))
            return cluster
        cluster.connect()
        return cluster

    @classmethod
    def start_here(cls, cpus: float, **options: Any) -> Cluster:
        """A cluster of this computer alone, started now (tests, benchmarks): ``options`` for
        ``ray.init``, such as ``num_cpus`` and ``object_store_memory``."""
        cluster = cls("this computer", cpus)
        cluster.connect(start=options)
        return cluster

    def connect(self, start: dict | None = None) -> bool:
        """Join the cluster at ``address`` (or, with ``start``, start one here). False, with
        ``problem`` set and logged, if it cannot."""
        try:
            ray = ray_module()
            if start is None:
                knock(self.address)
            if not ray.is_initialized():
                self._join(ray, start)
            here = ray.get_runtime_context().get_node_id()
            from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

            # The mailbox lives on the app's computer: a lab computer leaving takes no letters with it.
            self._mailbox = ray.remote(num_cpus=0, max_restarts=0)(_mailbox_class()).options(
                scheduling_strategy=NodeAffinitySchedulingStrategy(here, soft=False)).remote()
            ray.get(self._mailbox.ping.remote(), timeout=60)
            # A fresh process per training (max_calls=1): its threads are set before TensorFlow
            # starts, and its memory goes back when it ends. Never retried: a retry would start
            # the run again from nothing and overwrite its checkpoints.
            self._task = ray.remote(num_cpus=self.cpus, max_calls=1, max_retries=0)(_launcher())
        except PlaygroundError as error:
            self._fail(str(error))
        except Exception as error:  # Ray says many things many ways: one line of it is enough
            self._fail(self._unreachable(error))
        return self.problem is None

    def _join(self, ray, start: dict | None) -> None:
        import playground

        options = {"address": None if start is not None else self.address, "namespace": "text-playground",
                   "logging_level": logging.WARNING, "log_to_driver": False,
                   # The workers import the playground from here, so a lab computer needs only the
                   # libraries (requirements.txt and Ray), not a copy of the code.
                   "runtime_env": {"py_modules": [str(Path(playground.__file__).parent)],
                                   "excludes": ["__pycache__", "*.pyc"]}}
        if start is not None:
            # Ray guards a cluster it starts with a token it would save in ~/.ray; a private one
            # keeps its token in this process's environment (its own processes inherit it).
            if not os.environ.get("RAY_AUTH_MODE"):
                os.environ.setdefault("RAY_AUTH_TOKEN", secrets.token_hex(32))
            options.update(include_dashboard=False, **start)
        ray.init(**options)

    def _unreachable(self, error: Exception) -> str:
        if self.address == "auto" and "Could not find any running Ray instance" in str(error):
            return ("No Ray cluster runs on this computer (address auto): start one with "
                    "`ray start --head --port=6379`, or name the head computer's HOST:PORT.")
        return f"The Ray cluster at {self.address} could not be joined: {first_line(error)}"

    def _fail(self, problem: str) -> None:
        if self.problem is None:
            self.problem = problem
            log.warning("%s", self.fallback)

    @property
    def fallback(self) -> str:
        """What happens instead, and why: one line for the page and the log."""
        return f"{self.problem} Trainings run on the app's own computer until the app restarts."

    def lost(self, reason: str) -> None:
        """The cluster stopped answering: new trainings stay at home from now on."""
        self._fail(f"Lost the Ray cluster at {self.address} ({reason}).")

    def ready(self) -> bool:
        """Whether a new training may go to the cluster now (``problem`` says why not)."""
        if self.problem is not None or self._mailbox is None:
            return False
        ray = ray_module()
        try:
            ray.get(self._mailbox.ping.remote(), timeout=5)
        except Exception as error:
            self.lost(silence(error, 5))
        return self.problem is None

    def describe(self) -> str:
        """One line for the operator: where trainings run."""
        if self.problem is not None:
            return self.fallback
        nodes = [node for node in ray_module().nodes() if node.get("Alive")]
        cpus = sum(node["Resources"].get("CPU", 0.0) for node in nodes)
        line = (f"Trainings run on the Ray cluster at {self.address}: {len(nodes)} computer"
                f"{'s' if len(nodes) != 1 else ''}, {cpus:g} CPUs, {self.cpus:g} per training")
        if self._holds() == 0:  # they queue until a computer with room joins (lab computers may come later)
            return (f"{line}; no computer has {cpus_named(self.cpus)} yet, so trainings wait until one joins "
                    f"(or set {CPUS} lower).")
        return f"{line}, {self._holds()} at once."

    # What a RemoteRun asks of the cluster ------------------------------------------------
    @property
    def mailbox(self):
        return self._mailbox

    def submit(self, job: dict):
        # Under the lock, so the queue counted here is in the order Ray was given the trainings.
        with self._lock:
            self._waiting.append(job["id"])
            return self._task.remote(job, self._mailbox)

    def started(self, run: str) -> None:
        """The run's worker said it started."""
        with self._lock:
            if run in self._waiting:
                self._waiting.remove(run)
                self._running.add(run)

    def ended(self, run: str) -> None:
        with self._lock:
            self._running.discard(run)
            if run in self._waiting:
                self._waiting.remove(run)

    def place_in_queue(self, run: str) -> int | None:
        """The run's place among the trainings waiting for a computer (1: next), or None when it is
        not waiting: started, or about to, on a computer with room. Worked out by counting (the
        trainings the cluster holds at once, less those running, go to the first ones sent), as the
        cluster serves one app and takes its trainings in the order sent; Ray is not asked."""
        holds = self._holds()
        with self._lock:
            if run not in self._waiting:
                return None
            place = self._waiting.index(run) + 1 - max(holds - len(self._running), 0)
        return place if place > 0 else None

    def _holds(self) -> int:
        """How many trainings the cluster's computers hold at once (asked of Ray at most every 2 s)."""
        now = time.monotonic()
        if self._holds_at is None or now - self._holds_at[0] > 2.0:
            nodes = [node for node in ray_module().nodes() if node.get("Alive")]
            self._holds_at = (now, sum(int(node["Resources"].get("CPU", 0.0) // self.cpus) for node in nodes))
        return self._holds_at[1]


def home_path(run_dir: Path, name: str) -> Path:
    """Where a file from a worker goes: only a bundle's own files and its TensorBoard logs."""
    parts = Path(name).parts
    if not (name in run_store.BUNDLE_FILES
            or (len(parts) == 2 and parts[0] == "logs" and not parts[1].startswith("."))):
        raise PlaygroundError(f"A worker sent an unexpected file {name!r}; it was not written.")
    return run_dir / name


def bundle_files(folder: Path, corpus: bool = False) -> dict[str, bytes]:
    """A bundle's files as bytes by name (``logs/...`` included), to send between computers."""
    names = sorted(run_store.BUNDLE_FILES - ({bundle.CORPUS} if not corpus else set()))
    files = {name: (folder / name).read_bytes() for name in names if (folder / name).is_file()}
    logs = folder / "logs"
    if logs.is_dir():
        files.update({f"logs/{path.name}": path.read_bytes() for path in sorted(logs.iterdir())
                      if path.is_file() and not path.name.startswith(".")})
    return files


# On the worker --------------------------------------------------------------------------------
class Postman:
    """Carries a worker's events and checkpoints to the mailbox, in order, and a Stop back.

    Every call to Ray happens on the postman's own thread: a task blocked in ``ray.get`` on its
    main thread lends its CPUs to the next task in the queue (Ray's guard against deadlock), and a
    training that posts its events would let one training too many run at once.
    """

    def __init__(self, mailbox, run: str):
        self.mailbox, self.run = mailbox, run
        self.stop_requested = threading.Event()
        self._stop_run = lambda: None
        self._items: list[tuple[str, Any]] = []
        self._wake = threading.Condition()  # guards the items and the counts below
        self._asked = self._done = 0  # letters asked for at once, and how many of those were sent
        self._closing = False
        self._failing_since: float | None = None
        self._thread = threading.Thread(target=self._post_regularly, name="postman", daemon=True)
        self._thread.start()

    def event(self, event: events.Event) -> None:
        with self._wake:
            self._items.append(("event", event))

    def checkpoint(self, folder: Path) -> None:
        """Send the checkpoint's files (the corpus is at home already), and wait until the mailbox has them."""
        files = bundle_files(folder)
        with self._wake:
            self._items.append(("checkpoint", files))
            self._asked += 1
            asked = self._asked
            self._wake.notify_all()
            self._wake.wait_for(lambda: self._done >= asked)

    def attach(self, stop_run) -> None:
        """Who to stop when the student presses Stop (or nobody listens any more)."""
        self._stop_run = stop_run
        if self.stop_requested.is_set():
            stop_run()

    def close(self) -> None:
        """Send what is left, then stop posting."""
        with self._wake:
            self._closing = True
            self._wake.notify_all()
        self._thread.join()

    def _post_regularly(self) -> None:
        while True:
            with self._wake:
                self._wake.wait_for(lambda: self._asked > self._done or self._closing, timeout=POST_SECONDS)
                asked, closing = self._asked, self._closing
            delivered = self._send()
            for _ in range(3 if closing else 0):  # the last letter holds Finished: try it again
                if delivered:
                    break
                time.sleep(1.0)
                delivered = self._send()
            with self._wake:
                self._done = asked
                self._wake.notify_all()
            if closing:
                return

    def _send(self) -> bool:
        """Post the items so far (none: just ask about Stop); False if the mailbox did not take them."""
        ray = ray_module()
        with self._wake:
            items, self._items = self._items, []
        delivered = True
        try:
            stop = ray.get(self.mailbox.post.remote(self.run, pickle.dumps(items)), timeout=SILENCE_SECONDS)
            self._failing_since = None
        except ray.exceptions.ActorDiedError:
            stop = True  # the app is gone: stop, and free the computer
        except Exception:
            delivered = False
            with self._wake:  # keep them, in order, for the next try
                self._items[:0] = items
            now = time.monotonic()
            self._failing_since = self._failing_since or now
            stop = now - self._failing_since > WORKER_PATIENCE_SECONDS
        if stop and not self.stop_requested.is_set():
            self.stop_requested.set()
            self._stop_run()
        return delivered


def train_here(job: dict, mailbox) -> dict:
    """Run one job on this worker: train in a temporary folder, post everything, return the bundle."""
    postman = Postman(mailbox, job["id"])
    folder = Path(tempfile.mkdtemp(prefix="playground-run-")) / job["run"]
    try:
        try:
            run = _make_run(job, folder, postman)
        except Exception as error:  # a refused setting, a damaged bundle: the student reads why
            message = str(error) if isinstance(error, PlaygroundError) else f"{type(error).__name__}: {error}"
            postman.event(events.Failed(message))
            return {"files": {}, "error": message}
        postman.attach(run.stop)
        try:
            result = run.execute()
        except Exception as error:  # execute() has published the failure and marked the run failed
            message = str(error) if isinstance(error, PlaygroundError) else f"{type(error).__name__}: {error}"
            return {"files": bundle_files(folder), "error": message}
        return {"files": bundle_files(folder), "result": result.as_json()}
    finally:
        postman.close()
        shutil.rmtree(folder.parent, ignore_errors=True)


def _make_run(job: dict, folder: Path, postman: Postman) -> TrainingRun:
    if job["kind"] == "resume":
        folder.mkdir(parents=True)
        for name, data in job["files"].items():
            target = home_path(folder, name)
            target.parent.mkdir(exist_ok=True)
            target.write_bytes(data)
        return TrainingRun.resume(folder, publish=postman.event, checkpointed=postman.checkpoint)
    return TrainingRun(Corpus(job["corpus"], job["text"]), job["arch"], job["model_options"],
                       TrainConfig(**job["train"]), level=job["level"], max_words=job["max_words"],
                       subword_vocab=job["subword_vocab"], run_dir=folder, publish=postman.event,
                       owner=job["owner"], checkpointed=postman.checkpoint)
