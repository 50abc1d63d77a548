"""Trainings on a Ray cluster, on a cluster of this computer alone that the module starts (2 CPUs, one
per training, no dashboard, a small object store): the queue, live events, Stop, a killed worker, a lost
cluster, the same loss as in the app's own process, and one sentence for an address nobody answers at."""

import json
import os
import shutil
import signal
import tempfile
import time

import pytest

ray = pytest.importorskip("ray")  # requirements-dev.txt installs it; the app without a cluster never needs it

from conftest import free_port  # noqa: E402

from playground.runs import bundle  # noqa: E402
from playground.runs import store as run_store  # noqa: E402
from playground.runs.cluster import Cluster  # noqa: E402
from playground.runs.remote_run import RemoteRun  # noqa: E402
from playground.runs.training_run import TrainingRun  # noqa: E402
from playground.session import Session  # noqa: E402
from playground.text import corpus  # noqa: E402
from playground.training import events  # noqa: E402
from playground.training.config import TrainConfig  # noqa: E402
from playground.training.monitor import TrainingMonitor  # noqa: E402

TINY = {"units": 16, "layers": 1, "embedding_dim": 8}
WAIT = 300  # seconds any one wait may take before the test fails; far more than it needs
# What an in-process run leaves in its folder (tests/test_run_store.py and the README list the same).
BUNDLE = {"config.json", "tokenizer.json", "model.keras", "history.csv", "corpus.txt.gz", "logs"}
# The same seed and settings on a worker as in the app's process: one thread per operation in both
# (one CPU per training here, two cores in the app), the same windows, the same weights; so the
# validation loss agrees to float32 rounding. Measured here: equal to the last digit.
SAME_LOSS_TOLERANCE = 1e-4  # nats per character


@pytest.fixture(scope="module")
def cluster():
    # Its own folder for Ray's sessions and sockets (short: a socket's path has a length limit), gone after.
    folder = tempfile.mkdtemp(prefix="ray-")
    cluster = Cluster.start_here(cpus=1, num_cpus=2, object_store_memory=150 * 2**20, _temp_dir=folder)
    assert cluster.problem is None, cluster.problem
    yield cluster
    ray.shutdown()
    shutil.rmtree(folder, ignore_errors=True)


def on_the_cluster(cluster, key: str, text: str) -> Session:
    session = Session(key, cluster=cluster)
    session.load_corpus("paste", text=text)
    return session


def ended(session: Session) -> None:
    session.wait(WAIT)
    assert not session.training, f"session {session.key}'s training did not end within {WAIT} s"


def wait_for(condition, what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, f"{what} did not happen within {WAIT} s"
        time.sleep(0.05)


def saved_status(run_dir) -> str | None:
    path = run_dir / "config.json"
    return json.loads(path.read_text("utf-8")).get("status") if path.is_file() else None


def test_three_trainings_with_room_for_two_the_third_waits_then_runs(cluster, small_text, monkeypatch):
    sent = []
    submit = cluster.submit
    monkeypatch.setattr(cluster, "submit", lambda job: sent.append(job["id"]) or submit(job))
    sessions = [on_the_cluster(cluster, f"student-{n}", small_text) for n in range(4)]
    settings = TrainConfig(epochs=1, batch_size=16, window=32)
    monitors = [session.start_training("lstm", TINY, settings) for session in sessions[:3]]
    # Each session sends its training from its own thread: the fourth goes once the three have gone.
    wait_for(lambda: len(sent) == 3, "three trainings sent to the cluster")
    late = sessions[3].start_training("lstm", TINY, settings)  # a fourth, who leaves the queue
    seen: list[list[str]] = [[] for _ in monitors]
    while any(session.training for session in sessions[:3]):
        for statuses, monitor in zip(seen, monitors):
            status = monitor.snapshot().status
            if not statuses or statuses[-1] != status:
                statuses.append(status)
        if late.snapshot().state == "queued":
            sessions[3].stop_training()
        time.sleep(0.05)
    for session in sessions:
        ended(session)

    assert [monitor.snapshot().state for monitor in monitors] == ["finished"] * 3
    waited = [statuses for statuses in seen
              if any("Waiting for a free computer in the cluster" in status for status in statuses)]
    assert len(waited) == 1, seen
    assert "Waiting for a free computer in the cluster: 1st in the queue." in "\n".join(waited[0])
    assert late.snapshot().state == "stopped" and late.snapshot().status == "Stopped before the first step."
    assert not sessions[3].run.run_dir.exists()  # nothing of it is left at home
    # Each run arrived home as an in-process run leaves it: the same files, its owner, its card.
    for session in sessions[:3]:
        folder = session.run.run_dir
        assert {path.name for path in folder.iterdir()} == BUNDLE
        info = json.loads((folder / "config.json").read_text("utf-8"))
        assert info["status"] == "completed" and info["owner"] == session.viewer.name
        assert info["corpus_sha256"] and info["result"]["run_dir"] == str(folder)
        assert "of cluster computer" in info["hardware"]
        assert session.model is not None and session.model.name == folder.name
    assert run_store.list_runs().set_index("name").loc[sessions[0].run.run_dir.name, "status"] == "completed"


class Recording(TrainingMonitor):
    """A monitor that also keeps every event, and whether the bundle was home when it came."""

    def __init__(self):
        super().__init__()
        self.events: list[tuple[events.Event, str | None]] = []
        self.run_dir = None

    def publish(self, event):
        self.events.append((event, saved_status(self.run_dir) if self.run_dir else None))
        super().publish(event)


def test_events_arrive_live_and_in_order(cluster, small_text):
    monitor = Recording()
    run = RemoteRun.start(cluster, corpus.from_text(small_text), "lstm", TINY,
                          TrainConfig(epochs=3, batch_size=16, window=32, report_every_seconds=0), monitor)
    monitor.run_dir = run.run_dir
    result = run.execute()

    kinds = [type(event).__name__ for event, _ in monitor.events]
    assert kinds[0] == "BaselinesMeasured" and kinds[1] == "Started" and kinds[-1] == "Finished"
    steps = [event.step for event, _ in monitor.events if isinstance(event, events.BatchEnd)]
    assert steps == list(range(1, result.steps + 1))  # every step, once, in order
    measured = [event.step for event, _ in monitor.events if isinstance(event, events.Evaluated)]
    assert measured == sorted(measured) and measured[-1] == result.steps
    assert [event.epoch for event, _ in monitor.events if isinstance(event, events.Sampled)] == [1.0, 2.0, 3.0]
    # Finished comes only once the finished bundle is home. (That the steps come while the run trains,
    # the Stop test shows: it stops the run once the monitor has seen five of them.)
    assert monitor.events[-1][1] == "completed"
    assert monitor.snapshot().state == "finished"


def test_stop_halts_after_the_current_step_and_keeps_the_model(cluster, small_text):
    session = on_the_cluster(cluster, "stopper", small_text)
    # A thousand epochs and no minutes: only the Stop can end this run.
    monitor = session.start_training("gru", TINY, TrainConfig(epochs=1000, batch_size=16, window=32))
    wait_for(lambda: len(monitor.snapshot().steps) >= 5, "five steps on the cluster")
    assert session.stop_training()
    ended(session)

    snapshot = monitor.snapshot()
    assert snapshot.state == "stopped" and snapshot.status.startswith("Stopped after")
    info = json.loads((session.run.run_dir / "config.json").read_text("utf-8"))
    assert info["status"] == "stopped" and info["result"]["steps"] == snapshot.steps[-1]
    assert session.model.name == session.run.run_dir.name  # the model trained so far is the one in use
    assert bundle.load(session.run.run_dir).history.rows[-1]["step"] == snapshot.steps[-1]


def test_a_killed_worker_leaves_an_interrupted_run_that_resumes(cluster, small_text):
    session = on_the_cluster(cluster, "unlucky", small_text)
    monitor = session.start_training("lstm", TINY,
                                     TrainConfig(epochs=8, batch_size=16, window=32, report_every_seconds=0))
    run = session.run
    wait_for(lambda: saved_status(run.run_dir) == "running", "a checkpoint at home")
    checkpoint = json.loads((run.run_dir / "config.json").read_text("utf-8"))["result"]["steps"]
    os.kill(run.worker["pid"], signal.SIGKILL)  # the worker's process, on this computer
    ended(session)

    snapshot = monitor.snapshot()
    assert snapshot.state == "interrupted"
    assert "resume it from the Runs tab" in snapshot.status and f"step {run.saved_step}" in snapshot.status
    assert run.saved_step >= checkpoint
    assert run_store.list_runs().set_index("name").loc[run.run_dir.name, "status"] == "interrupted"
    saved = bundle.load(run.run_dir)  # complete: no file half-written
    assert saved.history.rows[-1]["step"] == run.saved_step

    resumed = session.resume_training(run.run_dir)
    ended(session)
    assert resumed.snapshot().state == "finished", resumed.snapshot().status
    assert resumed.snapshot().steps[0] == run.saved_step + 1  # it went on from the checkpoint
    info = json.loads((run.run_dir / "config.json").read_text("utf-8"))
    assert info["status"] == "completed" and info["result"]["steps"] == resumed.snapshot().steps[-1]


def all_cpus_free() -> bool:
    """Whether no training holds a CPU of the cluster (every cluster here is this one Ray)."""
    return ray.available_resources().get("CPU", 0) >= ray.cluster_resources()["CPU"]


def test_a_run_the_app_cannot_save_fails_and_its_worker_stops_by_itself(cluster, small_text, monkeypatch):
    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(bundle, "write_atomic", full_disk)  # in the app's process only, not the worker's
    session = on_the_cluster(cluster, "full-disk", small_text)
    # A thousand epochs: the worker ends early only because the app let the run go.
    monitor = session.start_training("lstm", TINY, TrainConfig(epochs=1000, batch_size=16, window=32,
                                                               report_every_seconds=0))
    ended(session)
    snapshot = monitor.snapshot()
    assert snapshot.state == "failed"
    assert snapshot.status.endswith("No space left on device.")
    wait_for(all_cpus_free, "the worker stopping and freeing its CPU")


def test_the_same_seed_gives_the_same_validation_loss_as_in_process(cluster, small_text, tmp_path):
    settings = TrainConfig(epochs=2, batch_size=16, window=32, seed=7)
    text = corpus.from_text(small_text)
    here = TrainingRun(text, "lstm", TINY, settings, run_dir=tmp_path / "here").execute()
    there = RemoteRun.start(cluster, text, "lstm", TINY, settings, TrainingMonitor()).execute()
    assert there.steps == here.steps
    assert there.val_loss == pytest.approx(here.val_loss, abs=SAME_LOSS_TOLERANCE)


def test_a_lost_cluster_interrupts_the_run_and_new_trainings_stay_home(small_text, cluster):
    lost = Cluster.start_here(cpus=1)  # the same Ray, its own mailbox: losing it spares the other tests
    session = on_the_cluster(lost, "stranded", small_text)
    monitor = session.start_training("lstm", TINY, TrainConfig(epochs=1000, batch_size=16, window=32,
                                                               report_every_seconds=0))
    wait_for(lambda: saved_status(session.run.run_dir) == "running", "a checkpoint at home")
    ray.kill(lost.mailbox)
    ended(session)
    # Not cancelled by the app: its worker finds the mailbox dead and stops by itself.
    wait_for(all_cpus_free, "the stranded worker stopping and freeing its CPU")

    assert monitor.snapshot().state == "interrupted"
    assert monitor.snapshot().status.startswith("The app lost the Ray cluster")
    assert lost.problem is not None and lost.problem.startswith("Lost the Ray cluster")
    first = session.run.run_dir
    assert run_store.list_runs().set_index("name").loc[first.name, "status"] == "interrupted"

    monitor = session.start_training("lstm", TINY, TrainConfig(epochs=0.2, batch_size=16, window=32))
    assert isinstance(session.run, TrainingRun)  # in the app's own process
    ended(session)
    assert monitor.snapshot().state == "finished"
    assert monitor.snapshot().notice == lost.fallback
    assert lost.fallback.endswith("Trainings run on the app's own computer until the app restarts.")


def test_the_mailbox_tells_a_run_the_app_let_go_to_stop():
    from playground.runs.cluster import _mailbox_class

    mailbox = _mailbox_class()()
    assert mailbox.post("a", b"1") is False
    mailbox.stop("a")
    assert mailbox.post("a", b"2") is True
    assert mailbox.collect("a") == [b"1", b"2"]
    mailbox.forget("a")
    assert mailbox.post("a", b"3") is True  # forgotten: stop, and the letter is dropped
    assert mailbox.collect("a") == []
    assert mailbox.post("b", b"1") is False  # other runs go on


def test_an_address_nobody_answers_at_gets_one_sentence():
    address = f"127.0.0.1:{free_port()}"
    cluster = Cluster(address)
    assert not cluster.connect()
    assert cluster.problem == (f"The Ray cluster at {address} cannot be reached (connection refused): "
                               "is `ray start --head` running there, and is its port open?")
    assert "\n" not in cluster.fallback and "Traceback" not in cluster.fallback


@pytest.mark.parametrize("address, sentence", [
    ("head-computer", "The Ray address must be auto or the head computer's HOST:PORT, such as 10.0.0.5:6379 "
                      "(got 'head-computer')."),
    ("10.0.0.5:99999", "The Ray address must be auto or the head computer's HOST:PORT, such as 10.0.0.5:6379 "
                       "(got '10.0.0.5:99999')."),
])
def test_a_wrong_address_gets_one_sentence(address, sentence):
    cluster = Cluster(address)
    assert not cluster.connect()
    assert cluster.problem == sentence


def test_the_app_names_a_cluster_it_cannot_join_and_trains_at_home(monkeypatch, small_text):
    address = f"127.0.0.1:{free_port()}"
    monkeypatch.setenv("PLAYGROUND_RAY_ADDRESS", address)
    monkeypatch.setenv("PLAYGROUND_RAY_CPUS", "two")
    cluster = Cluster.from_environment()
    assert cluster.problem == "PLAYGROUND_RAY_CPUS must be a number of CPUs per training, such as 2 (got 'two')."
    monkeypatch.setenv("PLAYGROUND_RAY_CPUS", "1")
    cluster = Cluster.from_environment()
    assert cluster.describe() == (f"The Ray cluster at {address} cannot be reached (connection refused): is `ray "
                                  "start --head` running there, and is its port open? Trainings run on the app's "
                                  "own computer until the app restarts.")
    monkeypatch.delenv("PLAYGROUND_RAY_ADDRESS")
    assert Cluster.from_environment() is None  # no address: in-process, as always
