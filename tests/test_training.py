import math
import threading

import pytest

from playground.runs import bundle
from playground.text import corpus
from playground.training import events
from playground.text import tokenizers
from playground.errors import PlaygroundError
from playground.models import architecture
from playground.runs.bundle import load_text_model
from playground.runs.training_run import TrainingRun
from playground.session import Session
from playground.training.config import TrainConfig
from playground.training.trainer import History, RunHooks, Trainer

from conftest import unigram_entropy

TINY = {"units": 32, "layers": 1, "embedding_dim": 16}
# Reports at every epoch end, as the tests below count on; rate limiting has tests of its own.
FAST = dict(batch_size=16, window=32, learning_rate=0.01, eval_every_seconds=0.5, report_every_seconds=0,
            eval_tokens=2048, sample_length=20)


def collect():
    seen = []
    return seen, seen.append


def test_a_short_run_learns_reports_and_saves(tmp_path, small_text):
    seen, publish = collect()
    run = TrainingRun(corpus.from_text(small_text), "lstm", TINY, TrainConfig(epochs=2, **FAST),
                      run_dir=tmp_path / "run", publish=publish)
    result = run.execute()
    kinds = [type(e) for e in seen]
    # The counting baselines come first: the chart has its reference lines before the first step.
    assert kinds[:2] == [events.BaselinesMeasured, events.Started] and kinds[-1] is events.Finished
    assert [label for label, _, _ in seen[0].lines] == ["uniform", "unigram", "bigram", "5-gram"]
    assert events.BatchEnd in kinds and events.Evaluated in kinds and events.Sampled in kinds
    batches = [e for e in seen if isinstance(e, events.BatchEnd)]
    assert [b.step for b in batches] == list(range(1, len(batches) + 1))
    assert result.reason == "completed" and result.steps == len(batches)
    # It learned more than how often each letter occurs.
    assert result.val_loss < unigram_entropy(small_text) - 0.3, (result.val_loss, unigram_entropy(small_text))
    assert result.bits_per_token == pytest.approx(result.val_loss / math.log(2))
    # One scale for every tokenizer: for characters, bits per character are bits per token.
    assert result.bits_per_character == pytest.approx(result.val_loss / math.log(2))
    assert result.baselines == run.baselines.as_json() and result.baselines["ngram"] < result.baselines["bigram"]
    loaded = bundle.load(tmp_path / "run")
    assert loaded.info["result"]["val_loss"] == pytest.approx(result.val_loss)
    assert len(loaded.history.rows) == result.steps
    sampled = next(e for e in seen if isinstance(e, events.Sampled))
    assert [t for t, _ in sampled.samples] == [0.5, 0.8, 1.1]
    assert all(len(text) > 0 for _, text in sampled.samples)


def test_stop_ends_the_run_quickly_and_keeps_the_model(tmp_path, small_text):
    seen, third_step = [], threading.Event()

    def publish(event):
        seen.append(event)
        if isinstance(event, events.BatchEnd) and event.step >= 3:
            third_step.set()

    # A thousand epochs and no minutes: only the Stop can end this run.
    run = TrainingRun(corpus.from_text(small_text), "gru", TINY, TrainConfig(epochs=1000, **FAST),
                      run_dir=tmp_path / "run", publish=publish)
    outcome = {}
    thread = threading.Thread(target=lambda: outcome.update(result=run.execute()), daemon=True)
    thread.start()
    try:
        assert third_step.wait(timeout=300), "training never reached its third step"
    finally:
        run.stop()  # also when the wait failed: never leave a thousand epochs running
        thread.join(timeout=120)
    assert not thread.is_alive(), "the run did not end within two minutes of the Stop"
    assert outcome["result"].reason == "stopped"
    assert isinstance(seen[-1], events.Finished) and seen[-1].reason == "stopped"
    # The model trained so far generates and was saved.
    assert len(run.text_model.generate("the", [0.7], 10)[0].text) == 10
    assert (tmp_path / "run" / "model.keras").is_file()


def test_time_limit(tmp_path, small_text):
    run = TrainingRun(corpus.from_text(small_text), "lstm", TINY, TrainConfig(minutes=0.01, **FAST),
                      run_dir=tmp_path / "run")
    assert run.execute(final_evaluation=False).reason == "time limit"


def test_corpus_shorter_than_the_context_is_refused_before_training(small_text):
    with pytest.raises(PlaygroundError, match="fewer than the context length 512"):
        TrainingRun(corpus.from_text(small_text[:3000]), "lstm", TINY, TrainConfig(window=512, epochs=1))


@pytest.mark.parametrize("kwargs, message", [
    ({"learning_rate": -1}, "Learning rate"), ({"learning_rate": float("nan")}, "Learning rate"),
    ({"batch_size": 0}, "Batch size"), ({"window": 1}, "Context length"),
    ({"epochs": -2}, "Epochs"), ({"minutes": 10_000}, "Minutes"), ({"optimizer": "magic"}, "Optimizer"),
])
def test_bad_training_settings(kwargs, message):
    with pytest.raises(PlaygroundError, match=message):
        TrainConfig(**kwargs)


def test_history_csv_round_trip():
    history = History()
    history.add(1, 0.1, 0.5, train_loss=4.0)
    history.add(2, 0.2, 1.0, train_loss=3.5, val_loss=3.6)
    again = History.from_csv(history.to_csv())
    assert again.to_csv() == history.to_csv()
    assert again.best_val_loss() == 3.6
    assert math.isnan(again.rows[0]["val_loss"])


def test_text_model_empty_prompt_and_unknown_characters(tmp_path, small_text):
    run = TrainingRun(corpus.from_text(small_text), "lstm", TINY, TrainConfig(epochs=0.1, **FAST),
                      run_dir=tmp_path / "run")
    run.execute(final_evaluation=False)
    model = load_text_model(tmp_path / "run")
    assert model.start_ids("") == model.tokenizer.encode("\n").tolist()
    assert model.unknown_in("the Ωcat") == ["Ω"]
    samples = model.generate("the Ωcat", [0.2, 1.0], 15, seed=2)
    assert [s.temperature for s in samples] == [0.2, 1.0]
    assert all(len(s.tokens) == 15 for s in samples)
    assert set("".join(s.text for s in samples)) <= set(model.tokenizer.vocabulary)


def test_session_keeps_its_corpus_when_a_new_one_is_bad(small_text):
    session = Session("test")
    session.load_corpus("paste", text=small_text)
    with pytest.raises(PlaygroundError, match="empty"):
        session.load_corpus("paste", text="   ")
    assert session.choice.corpus.text == small_text
    with pytest.raises(PlaygroundError, match="Load a corpus first"):
        Session("other").start_training("lstm", TINY, TrainConfig(epochs=1))


def test_checkpoints_mark_a_run_as_running_until_it_ends(tmp_path, small_text):
    import json

    from playground.runs import store as run_store

    statuses = []
    run = TrainingRun(corpus.from_text(small_text), "lstm", TINY, TrainConfig(epochs=2, **FAST),
                      run_dir=tmp_path / "run",
                      publish=lambda e: statuses.append(json.loads((tmp_path / "run" / "config.json").read_text())
                                                        ["status"]) if isinstance(e, events.Sampled) and
                      (tmp_path / "run" / "config.json").exists() else None)
    run.execute(final_evaluation=False)
    assert statuses == ["running"]  # the first epoch's checkpoint was there when the second epoch's samples came
    info = json.loads((tmp_path / "run" / "config.json").read_text())
    assert info["status"] == "completed"
    assert (tmp_path / "run" / "logs").is_dir()  # TensorBoard event logs
    assert run_store.status_of({"status": "running"}, tmp_path / "run", active=[]) == "interrupted"
    assert run_store.status_of({"status": "running"}, tmp_path / "run", active=[tmp_path / "run"]) == "running"


def test_a_stopped_run_resumes_from_its_checkpoint(tmp_path, small_text):
    run = TrainingRun(corpus.from_text(small_text), "gru", TINY, TrainConfig(epochs=1, **FAST),
                      run_dir=tmp_path / "run")
    first = run.execute(final_evaluation=False)
    resumed = TrainingRun.resume(tmp_path / "run")
    assert resumed.train_config.epochs == pytest.approx(0.05)  # nothing was left but the minimum
    again = resumed.execute(final_evaluation=False)
    assert again.steps > first.steps
    history = bundle.load(tmp_path / "run").history
    steps = [row["step"] for row in history.rows]
    assert steps == list(range(1, len(steps) + 1))


def test_resume_with_changes_trains_more_and_keeps_counting(tmp_path, small_text):
    run = TrainingRun(corpus.from_text(small_text), "lstm", TINY, TrainConfig(epochs=0.5, **FAST),
                      run_dir=tmp_path / "run")
    first = run.execute(final_evaluation=False)
    more = TrainingRun.resume(tmp_path / "run", changes={"epochs": 0.5, "learning_rate": 0.002})
    assert more.train_config.epochs == 0.5 and more.train_config.learning_rate == 0.002
    second = more.execute(final_evaluation=False)
    assert second.steps > first.steps and second.seconds > first.seconds
    rows = bundle.load(tmp_path / "run").history.rows
    assert [r["seconds"] for r in rows] == sorted(r["seconds"] for r in rows)  # time never runs backwards
    # Nothing is left of the grown budget, so a plain resume trains only the minimum.
    assert TrainingRun.resume(tmp_path / "run").train_config.epochs == pytest.approx(0.05)


class TrainingClock:
    """A clock for the trainer that moves one second per training step and never while reporting,
    so when reports come is a matter of counting steps, not of how fast this machine is."""

    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def publish(self, seen: list):
        def record(event):
            if isinstance(event, events.BatchEnd):
                self.now += 1.0
            seen.append(event)
        return record


def one_step_epochs_trainer(seen: list, steps: int, clock: TrainingClock, **settings) -> Trainer:
    """A tiny LSTM on a text so short that one epoch is a single step (2 windows of 8 tokens)."""
    text = "the cat sat on the mat. "
    tokenizer = tokenizers.fit(text)
    spec = architecture("lstm")
    model = spec.build(spec.default_config(len(tokenizer), units=8, layers=1, embedding_dim=4))
    ids = tokenizer.encode(text)  # 24 tokens: one step of 2 x 8 per epoch
    config = TrainConfig(epochs=steps, batch_size=2, window=8, sample_length=5, **settings)
    return Trainer(model, ids, ids, config, RunHooks(decode=tokenizer.decode, start_ids=lambda: [0],
                                                     publish=clock.publish(seen)), clock=clock)


def steps_of(seen: list, kind: type) -> list[int]:
    return [event.step for event in seen if isinstance(event, kind)]


def test_reports_on_a_tiny_corpus_come_at_most_every_few_seconds_of_training_and_at_the_end():
    seen, clock = [], TrainingClock()
    trainer = one_step_epochs_trainer(seen, 10, clock, report_every_seconds=3, eval_every_seconds=100)
    assert trainer.run().rows[-1]["step"] == 10
    # Every step ends an epoch; a report is due after 3 seconds of training, and the last step gets one.
    assert steps_of(seen, events.Sampled) == [3, 6, 9, 10]
    assert steps_of(seen, events.Evaluated) == [3, 6, 9, 10]


def test_with_no_interval_every_epoch_reports():
    seen, clock = [], TrainingClock()
    one_step_epochs_trainer(seen, 4, clock, report_every_seconds=0, eval_every_seconds=100).run()
    assert steps_of(seen, events.Sampled) == [1, 2, 3, 4]
    assert steps_of(seen, events.Evaluated) == [1, 2, 3, 4]


def test_time_spent_reporting_does_not_count_as_training():
    seen, clock = [], TrainingClock()
    trainer = one_step_epochs_trainer(seen, 6, clock, report_every_seconds=2, eval_every_seconds=100)
    generate = trainer._samples

    def slow_samples(step, epoch):  # sampling that takes ten seconds of the clock
        generate(step, epoch)
        clock.now += 10.0

    trainer._samples = slow_samples
    trainer.run()
    assert steps_of(seen, events.Sampled) == [2, 4, 6]


def test_a_stopped_run_ends_without_reports():
    seen, clock = [], TrainingClock()
    trainer = one_step_epochs_trainer(seen, 10, clock, report_every_seconds=100, eval_every_seconds=100)
    record = trainer.publish

    def stop_after_two_steps(event):
        record(event)
        if isinstance(event, events.BatchEnd) and event.step == 2:
            trainer.stop()  # the student, who is now waiting on the Stop

    trainer.publish = stop_after_two_steps
    trainer.run()
    assert trainer.reason == "stopped" and trainer.steps_done == 2
    assert steps_of(seen, events.Sampled) == steps_of(seen, events.Evaluated) == []


def test_two_runs_started_in_the_same_millisecond_get_folders_of_their_own(monkeypatch, tmp_path):
    # Two students pressing Train at once once shared a folder: one training failed at its start.
    import datetime

    from playground.runs import training_run

    moment = datetime.datetime(2026, 12, 6, 10, 33, 4, 433_000)
    monkeypatch.setattr(training_run.datetime, "datetime", type("Frozen", (), {"now": staticmethod(lambda: moment)}))
    folders = []
    threads = [threading.Thread(target=lambda: folders.append(training_run.new_run_dir("lstm"))) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(folder.name for folder in folders) == ["lstm-20261206-103304-433", "lstm-20261206-103304-433-2",
                                                         "lstm-20261206-103304-433-3"]
    assert all(folder.is_dir() and not any(folder.iterdir()) for folder in folders)
    assert {folder.parent for folder in folders} == {tmp_path / "home" / "runs"}


def test_a_run_folder_that_cannot_be_made_is_said_at_once(monkeypatch, tmp_path):
    from playground.runs import training_run

    (tmp_path / "home").write_text("a file where the workspace should be")
    with pytest.raises(PlaygroundError, match=r"^Cannot save runs in .*home[/\\]runs: "):
        training_run.new_run_dir("gru")


def test_a_batch_split_in_parts_trains_exactly_as_the_whole_batch(monkeypatch):
    """On two cores the transformer's batch goes through the step in two halves, one per core;
    the loss and the updated weights are those of the whole batch."""
    import numpy as np

    from playground.training import trainer as trainer_module
    from playground.training.trainer import batch_parts

    monkeypatch.setattr(trainer_module, "cores", lambda: 2)
    text = "to be or not to be, that is the question. " * 20
    tokenizer = tokenizers.fit(text)
    ids = tokenizer.encode(text)
    spec = architecture("transformer")
    config = TrainConfig(epochs=1, batch_size=4, window=16, learning_rate=0.01, optimizer="adamw")
    hooks = RunHooks(decode=tokenizer.decode, start_ids=lambda: [0])
    models, trainers = [], []
    for parts in (2, 1):
        model = spec.build(spec.default_config(len(tokenizer), embedding_dim=16, heads=2, layers=1, context=16,
                                               dropout=0.0))
        if models:
            model.set_weights(models[0].get_weights())
            model.batch_parts_on_cpu = parts
        assert batch_parts(model, config.batch_size, 1) == parts
        models.append(model)
        trainers.append(Trainer(model, ids, ids, config, hooks))
    start = models[0].get_weights()
    rng = np.random.default_rng(0)
    batch = np.stack([ids[s:s + 17] for s in rng.integers(0, len(ids) - 17, size=4)]).astype("int32")
    losses = [trainer.train_batch(0, batch[:, :-1], batch[:, 1:])["loss"] for trainer in trainers]
    assert losses[0] == pytest.approx(losses[1], rel=1e-6)
    for split, whole in zip(*(model.get_weights() for model in models)):
        np.testing.assert_allclose(split, whole, atol=1e-6)
    assert any(np.abs(after - before).max() > 1e-4 for after, before in zip(models[0].get_weights(), start))


def test_a_batch_is_split_only_where_it_wins(monkeypatch):
    from playground.training import trainer as trainer_module
    from playground.training.trainer import batch_parts

    transformer, lstm = (architecture(a).build(architecture(a).default_config(10, **sizes)) for a, sizes in
                         (("transformer", {"embedding_dim": 8, "heads": 2, "layers": 1, "context": 8}),
                          ("lstm", TINY)))
    monkeypatch.setattr(trainer_module, "cores", lambda: 2)
    assert batch_parts(transformer, 16, 1) == 2
    assert batch_parts(transformer, 15, 1) == 1  # halves must be equal
    assert batch_parts(transformer, 16, 2) == 1  # several replicas: a whole batch each
    assert batch_parts(lstm, 64, 1) == 1  # its one loop over time already uses both cores
    monkeypatch.setattr(trainer_module, "cores", lambda: 1)
    assert batch_parts(transformer, 16, 1) == 1
