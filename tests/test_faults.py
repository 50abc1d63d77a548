"""Faults: a killed server, a failing run, a failing disk. Nothing is lost that was checkpointed."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from playground.runs import bundle
from playground.text import corpus
from playground.runs import store as run_store
from playground.errors import PlaygroundError
from playground.runs.training_run import TrainingRun
from playground.session import Session
from playground.training.config import TrainConfig
from playground.training.trainer import Trainer

ROOT = Path(__file__).resolve().parent.parent
TINY = {"units": 16, "layers": 1, "embedding_dim": 8}
WAIT = 300  # seconds any one wait may take before the test fails; far more than it needs


def finished(session: Session) -> None:
    """Wait for the session's training thread to end; fail if it does not."""
    session.wait(WAIT)
    assert not session.training, f"session {session.key}'s training did not end within {WAIT} s"


def test_killed_mid_training_is_listed_as_interrupted_and_resumes(corpus_file, tmp_path):
    run_dir = run_store.runs_dir() / "killed"
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    process = subprocess.Popen(
        [sys.executable, "-m", "playground", "train", "--corpus", str(corpus_file), "--arch", "lstm", "--out",
         str(run_dir), "--minutes", "5", "--units", "16", "--layers", "1", "--embedding", "8", "--batch-size", "16",
         "--window", "32"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            config = run_dir / "config.json"
            if config.exists() and json.loads(config.read_text()).get("status") == "running":
                break
            if process.poll() is not None:
                pytest.fail(f"training exited (status {process.returncode}) before its first checkpoint")
            time.sleep(0.2)
        else:
            pytest.fail(f"no checkpoint appeared within {WAIT} s")
        process.send_signal(signal.SIGKILL)
        process.wait(30)
    finally:
        process.kill()
    table = run_store.list_runs()
    assert table.set_index("name").loc["killed", "status"] == "interrupted"
    resumed = TrainingRun.resume(run_dir)
    assert resumed.train_config.minutes < 5
    resumed.trainer.config = resumed.train_config = TrainConfig(
        **{**resumed.train_config.__dict__, "minutes": None, "epochs": 0.1})
    result = resumed.execute(final_evaluation=False)
    assert result.reason == "completed"
    assert json.loads((run_dir / "config.json").read_text())["status"] == "completed"


def test_an_exception_inside_training_ends_the_run_with_a_readable_error(small_text, monkeypatch):
    def broken(self, step, inputs, targets):
        raise RuntimeError("simulated fault in the train step")

    monkeypatch.setattr(Trainer, "train_batch", broken)
    session = Session("faulty")
    session.load_corpus("paste", text=small_text)
    monitor = session.start_training("lstm", TINY, TrainConfig(epochs=1, batch_size=16, window=32))
    finished(session)
    snapshot = monitor.snapshot()
    assert snapshot.state == "failed"
    assert "simulated fault in the train step" in snapshot.error
    assert session.model is None  # nothing half-trained replaced what the session had


def test_stop_during_the_first_compile_still_stops(small_text):
    session = Session("impatient")
    session.load_corpus("paste", text=small_text)
    # A thousand epochs and no minutes: only the Stop can end this run.
    monitor = session.start_training("gru", TINY, TrainConfig(epochs=1000, batch_size=16, window=32))
    assert session.stop_training()  # before the first step has even compiled
    finished(session)
    assert monitor.snapshot().state == "stopped"


def test_disk_write_error_is_reported_and_leaves_no_half_written_bundle(small_text, tmp_path, monkeypatch):
    run = TrainingRun(corpus.from_text(small_text), "lstm", TINY, TrainConfig(epochs=0.1, batch_size=16, window=32),
                      run_dir=tmp_path / "run")
    run.execute(final_evaluation=False)
    before = {p.name: p.read_bytes() for p in (tmp_path / "run").iterdir() if p.is_file()}

    def disk_full(source, destination):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", disk_full)
    with pytest.raises(PlaygroundError, match=r"Could not save the model.*No space left on device"):
        bundle.save(tmp_path / "run", run.model, run.tokenizer, {}, run.trainer.history)
    monkeypatch.undo()
    after = {p.name: p.read_bytes() for p in (tmp_path / "run").iterdir() if p.is_file()}
    assert after.keys() == before.keys()  # no temporary left behind
    assert all(after[name] == data for name, data in before.items())


def test_atomic_write_keeps_the_old_file_when_writing_fails(tmp_path, monkeypatch):
    target = tmp_path / "config.json"
    target.write_text("old")

    def failing_replace(source, destination):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError):
        bundle.write_atomic(target, "new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["config.json"]


def test_queue_position_is_shown_to_whoever_waits(small_text):
    from playground.training.slots import TrainingSlots

    slots = TrainingSlots(1)
    first, second = Session("a", slots=slots), Session("b", slots=slots)
    for session in (first, second):
        session.load_corpus("paste", text=small_text)
    # The first run holds the slot until it is stopped: a thousand epochs, no minutes.
    first.start_training("lstm", TINY, TrainConfig(epochs=1000, batch_size=16, window=32))
    try:
        deadline = time.monotonic() + WAIT
        while slots.running < 1:  # the first has the slot before the second asks
            assert time.monotonic() < deadline, "the first run never got the training slot"
            time.sleep(0.05)
        monitor = second.start_training("lstm", TINY, TrainConfig(epochs=0.1, batch_size=16, window=32))
        while monitor.snapshot().state != "queued":
            assert time.monotonic() < deadline, f"the second run was never queued: {monitor.snapshot().status!r}"
            time.sleep(0.05)
        assert "number 1 in the queue" in monitor.snapshot().status
    finally:
        first.stop_training()
        finished(first)
    finished(second)
    assert monitor.snapshot().state == "finished"
