"""Resume as a student meets it, through the API of the running app: train, stop, resume.

The Runs tab's Resume raised ``NameError`` once while every test passed: this walks the whole path.
"""

import re
import time

import numpy as np
import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError

from conftest import TINY_MODEL, train_kwargs

WAIT = 300  # seconds any one wait may take before the test fails; far more than it needs
STEPS = re.compile(r"(?:Step|after) (\d+)")
STOPPED, FINISHED = "**Stopped after", "**Finished after"  # the status line's first words, in bold


def first_step_reported(job) -> None:
    deadline = time.monotonic() + WAIT
    while not any("Step" in update[0] for update in job.outputs()):
        assert time.monotonic() < deadline, f"no training step was reported within {WAIT} s: {job.status()}"
        assert not job.done(), f"training ended before its first step: {job.outputs()[-1][0]}"
        time.sleep(0.2)


def steps_in(status: str) -> int:
    return int(STEPS.search(status).group(1))


def logits_of(model, ids: np.ndarray) -> np.ndarray:
    return np.asarray(model(ids, training=False))


@pytest.fixture
def stopped_run(pretrained_server):
    """(client, run name, run folder, steps saved): a tiny run trained on a built-in corpus and stopped."""
    url, context = pretrained_server
    api = Client(url, verbose=False)
    api.predict("builtin", [], "", "markov-babble", "char", 0.1, 10_000, api_name="/load_corpus")
    # Twenty epochs: hundreds of steps, so the Stop pressed after the first report always comes first.
    job = api.submit(**train_kwargs(TINY_MODEL, 20, 0, 16, 32, 0.01, "adam", 0), api_name="/train")
    try:
        first_step_reported(job)
    finally:
        api.predict(api_name="/stop")
    job.result(timeout=WAIT)
    final = job.outputs()[-1][0]
    assert final.startswith(STOPPED), final
    runs = api.predict(api_name="/list_runs")
    row = runs["data"][0]
    name = row[runs["headers"].index("name")]
    assert row[runs["headers"].index("status")] == "stopped"
    from playground.runs import store as run_store
    return api, name, run_store.runs_dir() / name, steps_in(final)


@pytest.mark.presses("/resume_run", "/list_runs")
def test_a_stopped_run_resumes_from_its_checkpoint_and_finishes(stopped_run, monkeypatch):
    from playground.runs import bundle
    from playground.runs.training_run import TrainingRun

    api, name, folder, saved_steps = stopped_run
    ids = np.arange(12, dtype="int32").reshape(1, 12) % 5  # (B, T) tokens every corpus has
    saved = logits_of(bundle.load(folder).model, ids)
    seen = {}
    resume = TrainingRun.resume.__func__

    def watched(cls, directory, *args, **kwargs):  # what the run holds right after loading, before a step
        run = resume(cls, directory, *args, **kwargs)
        seen["logits"], seen["steps"] = logits_of(run.model, ids), run.trainer.history.rows[-1]["step"]
        return run

    monkeypatch.setattr(TrainingRun, "resume", classmethod(watched))
    job = api.submit(name, api_name="/resume_run")
    job.result(timeout=WAIT)
    statuses = [update[0] for update in job.outputs()]
    assert statuses[-1].startswith(FINISHED), statuses[-1]
    np.testing.assert_allclose(seen["logits"], saved, rtol=0, atol=1e-6)  # the checkpoint's weights, not fresh ones
    assert seen["steps"] == saved_steps
    progress = [steps_in(status) for status in statuses if "Step" in status]
    assert all(step > saved_steps for step in progress), (saved_steps, progress)
    assert steps_in(statuses[-1]) > saved_steps  # the count goes on from the saved step
    runs = api.predict(api_name="/list_runs")
    row = next(row for row in runs["data"] if row[0] == name)
    assert row[runs["headers"].index("status")] == "completed"


def test_resume_refusals_say_why(stopped_run, pretrained_server):
    from playground.runs import bundle

    api, name, folder, _ = stopped_run
    other = Client(pretrained_server[0], verbose=False)
    with pytest.raises(AppError, match=f"There is no saved run called '{name}'"):
        other.predict(name, api_name="/resume_run")
    with pytest.raises(AppError, match="pretrained/lstm is shipped with the playground: it cannot be resumed"):
        api.predict("pretrained/lstm", api_name="/resume_run")
    (folder / bundle.CORPUS).unlink()
    with pytest.raises(AppError, match=f"{name} was saved without its corpus, so it cannot be resumed"):
        api.predict(name, api_name="/resume_run")
