"""What a training pays for running on Ray: ``python benchmarks/ray_overhead.py [--trainings 3] [--class-size 6]``.

Starts a Ray cluster of this computer alone (2 CPUs, one per training, as tests/test_cluster.py
does) and measures, against the same training in the app's own process:

- start latency: from pressing Train (``Session.start_training``) to the first ``Started`` event on
  the monitor (on Ray: a fresh worker process, TensorFlow imported there, the model built there);
- event latency: from a worker publishing an event to the app's monitor holding it, through the
  same postman, mailbox and collection rhythm the trainings use (200 events at 50 a second; both
  ends read this computer's monotonic clock);
- bringing the bundle home: the finished bundle's size and the seconds from the task's return to
  its files written into the workspace;
- a class: ``--class-size`` students press Train at once; with one CPU each, two train at a time,
  the rest wait in the cluster's queue. The same class in the app's own process waits for its
  training slots (one per two cores).

Needs Ray (requirements-dev.txt). Prints the CPU (with ``grep -o avx512f /proc/cpuinfo``) beside the figures.
"""

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from machine import describe

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# The runs it trains go to a workspace of its own, removed at the end (unless PLAYGROUND_HOME names one).
OWN_HOME = None if os.environ.get("PLAYGROUND_HOME") else tempfile.mkdtemp(prefix="ray-overhead-")
if OWN_HOME:
    os.environ["PLAYGROUND_HOME"] = OWN_HOME

MODEL = {"units": 64, "layers": 1, "embedding_dim": 16, "dropout": 0.0}
EVENTS, EVENTS_PER_SECOND = 200, 50


def load() -> str:
    """The machine's load average: other work on the same cores moves every figure here."""
    return "load average " + ", ".join(f"{value:.1f}" for value in os.getloadavg())


def text() -> str:
    from playground.text import builtin

    return builtin.load_builtin("markov-babble").text[:200_000]


def settings():
    from playground.training.config import TrainConfig

    return TrainConfig(epochs=1, batch_size=32, window=64, seed=1)


def train_once(cluster, key: str) -> dict:
    """One student's training from the click to the model in use; seconds for each stretch."""
    from playground.session import Session

    session = Session(key, cluster=cluster)
    session.load_corpus("paste", text=text())
    clicked = time.monotonic()
    monitor = session.start_training("lstm", MODEL, settings())
    while monitor.started is None and session.training:
        time.sleep(0.005)
    started = time.monotonic()
    session.wait()
    ended = time.monotonic()
    snapshot = monitor.snapshot()
    assert snapshot.state == "finished", snapshot.status
    figures = {"start": started - clicked, "total": ended - clicked, "training": snapshot.seconds[-1],
               "val_loss": snapshot.val_losses[-1]}
    timeline = getattr(session.run, "timeline", {})
    if "home" in timeline:
        figures["home"] = timeline["home"] - timeline["returned"]
        figures["bundle_mb"] = sum(p.stat().st_size for p in session.run.run_dir.rglob("*") if p.is_file()) / 1e6
    return figures


def event_latency(cluster) -> list[float]:
    """Seconds from a worker's publish to the app's hands, for EVENTS events at EVENTS_PER_SECOND."""
    import pickle

    import ray

    from playground.runs.remote_run import COLLECT_SECONDS

    @ray.remote(num_cpus=1)
    def publish_stamped(mailbox):
        import time

        from playground.runs.cluster import Postman

        postman = Postman(mailbox, "latency")
        for _ in range(EVENTS):
            postman.event(time.monotonic())  # same computer: the app's monotonic clock is this one
            time.sleep(1 / EVENTS_PER_SECOND)
        postman.close()

    reference = publish_stamped.remote(cluster.mailbox)
    latencies: list[float] = []
    while len(latencies) < EVENTS:
        for letter in ray.get(cluster.mailbox.collect.remote("latency")):
            arrived = time.monotonic()
            latencies += [arrived - stamp for kind, stamp in pickle.loads(letter) if kind == "event"]
        time.sleep(COLLECT_SECONDS)
    ray.get(reference)
    return latencies


def a_class(cluster, students: int) -> dict:
    """``students`` press Train at once; seconds until the last model is in use, and each one's wait."""
    from playground.session import Session
    from playground.training.slots import TrainingSlots

    slots = TrainingSlots()  # in the app's process: one training per two cores, as the server runs
    sessions = [Session(f"student-{n}", cluster=cluster, slots=slots) for n in range(students)]
    for session in sessions:
        session.load_corpus("paste", text=text())
    clicked = time.monotonic()
    monitors = [session.start_training("lstm", MODEL, settings()) for session in sessions]
    started: dict[int, float] = {}
    while any(session.training for session in sessions):
        for n, monitor in enumerate(monitors):
            if n not in started and monitor.started is not None:
                started[n] = time.monotonic() - clicked
        time.sleep(0.02)
    states = [monitor.snapshot().state for monitor in monitors]
    assert states == ["finished"] * students, states
    return {"all done": time.monotonic() - clicked, "first step, median": statistics.median(started.values()),
            "first step, last": max(started.values())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trainings", type=int, default=3, help="single trainings measured each way")
    parser.add_argument("--class-size", type=int, default=6)
    args = parser.parse_args()
    print(describe(), flush=True)

    import ray

    from playground.runs.cluster import Cluster

    print(f"at start: {load()}")
    print(f"model: LSTM {MODEL}, 1 epoch of 200,000 characters of markov-babble, batch 32 x 64")
    folder = tempfile.mkdtemp(prefix="ray-")
    began = time.monotonic()
    cluster = Cluster.start_here(cpus=1, num_cpus=2, object_store_memory=200 * 2**20, _temp_dir=folder)
    assert cluster.problem is None, cluster.problem
    print(f"Ray {ray.__version__}: a cluster of this computer started in {time.monotonic() - began:.1f} s")
    here, there = [], []
    for n in range(args.trainings):  # taken in turns, so a busier minute of the machine hits both alike
        here.append(train_once(None, f"here-{n}"))
        there.append(train_once(cluster, f"there-{n}"))

    def median(runs, key):
        return statistics.median(run[key] for run in runs)

    print(f"\n{'one training (median of ' + str(args.trainings) + ')':<44}{'in-process':>12}{'on Ray':>12}")
    for label, key in (("click -> first step, s", "start"), ("click -> model in use, s", "total"),
                       ("training itself, s", "training"), ("validation loss, nats/char", "val_loss")):
        digits = 6 if key == "val_loss" else 3
        print(f"{label:<44}{median(here, key):>12.{digits}f}{median(there, key):>12.{digits}f}")
    home = f"{median(there, 'bundle_mb'):.2f} MB in {median(there, 'home'):.3f} s"
    print(f"{'bundle home (size, return -> written)':<44}{'':>12}{home:>20}")
    latencies = sorted(event_latency(cluster))
    print(f"event latency, worker -> monitor ({EVENTS} events at {EVENTS_PER_SECOND}/s): "
          f"median {statistics.median(latencies):.3f} s, p95 {latencies[int(0.95 * len(latencies))]:.3f} s, "
          f"max {latencies[-1]:.3f} s")

    print(f"\na class of {args.class_size} pressing Train at once")
    on_ray = a_class(cluster, args.class_size)
    ray.shutdown()
    shutil.rmtree(folder, ignore_errors=True)
    at_home = a_class(None, args.class_size)
    print(f"{'':<44}{'in-process':>12}{'on Ray':>12}")
    for key in on_ray:
        print(f"{key + ', s':<44}{at_home[key]:>12.1f}{on_ray[key]:>12.1f}")
    print("(in-process: one training slot per two cores; on Ray: one CPU per training, two at a time)")
    print(f"at the end: {load()}")
    if OWN_HOME:
        shutil.rmtree(OWN_HOME, ignore_errors=True)


if __name__ == "__main__":
    main()
