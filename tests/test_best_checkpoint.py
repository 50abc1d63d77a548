"""Keep the best weights, stop early: a run can end with the weights of its lowest validation
evaluation instead of its last step's, and stop after some evaluations without a better one."""

import math

import pytest

from playground import cli
from playground.errors import PlaygroundError
from playground.runs import bundle
from playground.runs import store as run_store
from playground.runs.card import write_card
from playground.runs.training_run import TrainingRun
from playground.text import corpus
from playground.training import events
from playground.training.config import TrainConfig
from playground.training.monitor import TrainingMonitor
from playground.training.trainer import RunHooks, Trainer

from conftest import make_text

SIZES = {"units": 64, "layers": 1, "embedding_dim": 16}
# A high rate on a short text: the validation loss falls, flattens and rises, evaluated at every step.
OVERFITS = dict(epochs=40, batch_size=16, window=32, learning_rate=0.05, eval_every_seconds=0,
                report_every_seconds=1000, eval_tokens=512, sample_length=5)


def evaluations(history) -> list[tuple[int, float]]:
    return [(row["step"], row["val_loss"]) for row in history.rows if not math.isnan(row["val_loss"])]


def saved_weights_loss(run: TrainingRun) -> float:
    """The saved model's loss on the fixed validation slice every evaluation measured."""
    loaded = bundle.load(run.run_dir)
    return Trainer(loaded.model, run.trainer.train_ids, run.trainer.val_ids, run.train_config,
                   RunHooks(decode=run.tokenizer.decode, start_ids=lambda: [1])).validation_loss()


def test_the_best_run_keeps_the_weights_of_its_lowest_validation_loss_and_stops_early(tmp_path):
    monitor = TrainingMonitor("best")
    run = TrainingRun(corpus.from_text(make_text(3000)), "lstm", SIZES,
                      TrainConfig(keep_best=True, patience=4, **OVERFITS), run_dir=tmp_path / "best",
                      publish=monitor.publish)
    result = run.execute()
    measured = evaluations(bundle.load(tmp_path / "best").history)
    best_step, best_loss = min(measured, key=lambda pair: pair[1])
    # Early stopping: four evaluations in a row without a lower loss, long before the forty epochs.
    assert result.reason == "early stopping" and result.steps < 40 * run.trainer.steps_per_epoch
    assert [step for step, _ in measured[-4:]] == list(range(result.steps - 3, result.steps + 1))
    assert all(loss >= best_loss for _, loss in measured[-4:]) and best_step == result.steps - 4
    # The saved weights are the best evaluation's, not the last step's: checked against the run's own history.
    assert (result.kept, result.kept_step) == ("best", best_step)
    assert saved_weights_loss(run) == pytest.approx(best_loss, abs=1e-5)
    assert abs(saved_weights_loss(run) - measured[-1][1]) > 1e-4
    # Its own status line, the Runs table and the card say so.
    status = monitor.snapshot().status
    assert status.startswith(f"Stopped early after {result.steps} steps in ")
    assert "because the validation loss had stopped improving" in status
    assert f"Kept the weights of the best evaluation, at step {best_step}." in status
    info = run_store.read_info(tmp_path / "best")
    assert run_store.summary_row("best", info, info["status"])["weights kept"] == f"best (step {best_step})"
    assert info["status"] == "early stopping"
    card = write_card(tmp_path / "best", "python -m playground train ...").read_text("utf-8")
    assert f"- **Weights kept**: those of the best validation evaluation, at step {best_step} of {result.steps}" \
        in card
    # Resumed, it goes on from the best weights and ends with the best of the whole run, old or new.
    again = TrainingRun.resume(tmp_path / "best", changes={"epochs": 1}).execute()
    measured = evaluations(bundle.load(tmp_path / "best").history)
    best_step, best_loss = min(measured, key=lambda pair: pair[1])
    assert again.steps > result.steps and (again.kept, again.kept_step) == ("best", best_step)
    assert saved_weights_loss(run) == pytest.approx(best_loss, abs=1e-5)


def test_by_default_a_run_keeps_its_last_weights_and_trains_to_the_end(tmp_path):
    seen = []
    run = TrainingRun(corpus.from_text(make_text(3000)), "lstm", SIZES, TrainConfig(**{**OVERFITS, "epochs": 3}),
                      run_dir=tmp_path / "last", publish=seen.append)
    result = run.execute()
    assert result.reason == "completed" and result.steps == 3 * run.trainer.steps_per_epoch
    assert (result.kept, result.kept_step) == ("last", result.steps)
    measured = evaluations(run.trainer.history)
    assert saved_weights_loss(run) == pytest.approx(measured[-1][1], abs=1e-5)
    finished = seen[-1]
    assert isinstance(finished, events.Finished) and (finished.kept, finished.kept_step) == ("last", result.steps)
    monitor = TrainingMonitor("last")
    monitor.publish(finished)
    assert monitor.snapshot().status.startswith(f"Finished after {result.steps} steps")
    assert "Kept the weights" not in monitor.snapshot().status
    info = run_store.read_info(tmp_path / "last")
    assert run_store.summary_row("last", info, "completed")["weights kept"] == f"last (step {result.steps})"


def test_patience_alone_stops_early_and_keeps_the_last_weights(tmp_path):
    run = TrainingRun(corpus.from_text(make_text(3000)), "lstm", SIZES, TrainConfig(patience=2, **OVERFITS),
                      run_dir=tmp_path / "patient")
    result = run.execute()
    measured = evaluations(run.trainer.history)
    assert result.reason == "early stopping" and (result.kept, result.kept_step) == ("last", result.steps)
    assert saved_weights_loss(run) == pytest.approx(measured[-1][1], abs=1e-5)


def test_the_settings_are_declared_once_for_the_command_line_and_checked():
    args = cli.parser().parse_args(["train", "--builtin", "markov-babble", "--keep-best", "--patience", "3"])
    assert (args.keep_best, args.patience) == (True, 3)
    defaults = TrainConfig()
    assert (defaults.keep_best, defaults.patience) == (False, 0)
    with pytest.raises(PlaygroundError, match=r"Patience is a whole number of evaluations from 0 \(never stop early\)"):
        TrainConfig(patience=-1)
    # A run saved before the setting existed says nothing about its weights.
    assert run_store.summary_row("old", {"result": {"val_loss": 1.5}}, "completed")["weights kept"] is None
