"""Speed guarded by ratios measured in one run, never by seconds: a slower machine slows both sides.

Each guard times our way and a plain reference on the same tiny model in the same test. A guard
that a deliberately slowed build must break is checked too, so the guard cannot pass by itself.
"""

import time

import keras
import numpy as np

import playground  # noqa: F401  (registers the model classes)
from playground.generation.sampling import GenerationLoop
from playground.models import architecture
from playground.training.config import TrainConfig
from playground.training.trainer import RunHooks, Trainer

VOCABULARY, WINDOW, TOKENS = 40, 32, 48
LOOP_OVER_PREDICT = 20  # the compiled loop writes a token at least this many times faster
STEP_OVER_KERAS = 0.8  # our training step keeps at least this share of plain Keras's speed
REPORTING_SHARE = 0.25  # at most this share of a training goes on validation and samples


def tiny_lstm():
    keras.utils.set_random_seed(0)
    spec = architecture("lstm")
    config = spec.default_config(VOCABULARY, units=32, layers=1, embedding_dim=16)
    return spec.model_class(config, name="lstm").build_for_vocabulary()


def best_of(repeats: int, work) -> float:
    """The fastest of ``repeats`` timings: what the code costs, least disturbed by the machine."""
    seconds = []
    for _ in range(repeats):
        began = time.perf_counter()
        work()
        seconds.append(time.perf_counter() - began)
    return min(seconds)


def predict_per_token(model, prompt: list[int], tokens: int) -> list[int]:
    """The keras-io way: run the whole window through ``model.predict`` for every new token."""
    ids = list(prompt)
    for _ in range(tokens):
        logits = model.predict(np.asarray([ids[-WINDOW:]], np.int32), verbose=0)[0, -1]  # (V,)
        ids.append(int(np.argmax(logits)))
    return ids[len(prompt):]


def generation_ratio(model, slow_step: float = 0.0) -> float:
    """How many times faster the compiled loop writes ``TOKENS`` greedy tokens than predict per token
    (``slow_step``: seconds added per token to the compiled side, a deliberately slowed build)."""
    loop, prompt = GenerationLoop(model), [1, 2, 3, 4]

    def compiled():
        loop.generate(prompt, [0.0], TOKENS)
        time.sleep(slow_step * TOKENS)

    compiled()  # traced once, as the app does at start
    predict_per_token(model, prompt, 2)
    ours = best_of(3, compiled)
    theirs = best_of(1, lambda: predict_per_token(model, prompt, TOKENS))
    return theirs / ours


def test_the_compiled_loop_writes_what_predict_per_token_writes():
    model = tiny_lstm()
    batch = GenerationLoop(model).generate([1, 2, 3, 4], [0.0], TOKENS)
    assert batch.token_ids[0].tolist() == predict_per_token(model, [1, 2, 3, 4], TOKENS)


def test_the_compiled_loop_is_many_times_faster_than_predict_per_token():
    ratio = generation_ratio(tiny_lstm())
    assert ratio >= LOOP_OVER_PREDICT, f"the compiled loop is only {ratio:.1f}x predict per token"


def test_the_transformers_compiled_loop_is_many_times_faster_than_predict_per_token():
    # Its loop draws 16 tokens per XLA call (the recurrent models': one per call).
    keras.utils.set_random_seed(0)
    spec = architecture("transformer")
    config = spec.default_config(VOCABULARY, layers=1, embedding_dim=16, heads=2, context=WINDOW)
    model = spec.model_class(config, name="transformer").build_for_vocabulary()
    ratio = generation_ratio(model)
    assert ratio >= LOOP_OVER_PREDICT, f"the transformer's compiled loop is only {ratio:.1f}x predict per token"


def test_the_generation_guard_breaks_on_a_slowed_loop():
    # A loop as slow as a model.predict call per token (tens of milliseconds) is what the guard is for.
    ratio = generation_ratio(tiny_lstm(), slow_step=0.05)
    assert ratio < LOOP_OVER_PREDICT


def training_ratio(slow_step: float = 0.0) -> float:
    """Our trainer's tokens per second over plain Keras's ``train_on_batch`` on the same network,
    optimizer and batches (``slow_step``: seconds added to each of our steps)."""
    rng = np.random.default_rng(0)
    batches = [rng.integers(1, VOCABULARY, size=(16, WINDOW + 1)).astype("int32") for _ in range(30)]
    config = TrainConfig(epochs=1, batch_size=16, window=WINDOW, learning_rate=1e-3, optimizer="adam")
    ours_model = tiny_lstm()
    trainer = Trainer(ours_model, np.arange(4000) % VOCABULARY, np.arange(400) % VOCABULARY, config,
                      RunHooks(decode=lambda ids: "", start_ids=lambda: [1]))

    def ours():
        for step, batch in enumerate(batches):
            trainer.train_batch(step, batch[:, :-1], batch[:, 1:])
            time.sleep(slow_step)

    reference = tiny_lstm()
    reference.compile(optimizer=keras.optimizers.Adam(1e-3),
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))

    def plain_keras():
        for batch in batches:
            reference.train_on_batch(batch[:, :-1], batch[:, 1:])

    ours(), plain_keras()  # both traced before timing
    # Taken in turns, so a busy moment of the machine falls on both sides alike.
    timings = [(best_of(1, plain_keras), best_of(1, ours)) for _ in range(5)]
    return min(theirs for theirs, _ in timings) / min(mine for _, mine in timings)


def test_a_training_step_keeps_up_with_plain_keras():
    ratio = training_ratio()
    assert ratio >= STEP_OVER_KERAS, f"our training step runs at {ratio:.2f}x plain Keras's speed"


def test_the_training_guard_breaks_on_a_slowed_step():
    assert training_ratio(slow_step=0.05) < STEP_OVER_KERAS


def reporting_share(report_every_seconds: float) -> float:
    """The share of a fixed training (300 steps of a tiny LSTM) spent on the loop's reports.

    Its epochs are two steps long, so a loop that reported after every epoch would report 150
    times: a build that did so spends most of its time on reports on any machine (about 0.7 here;
    with 35-step epochs it was 0.33 here and only 0.18 on the CI machine).
    """
    from conftest import make_text
    from playground.runs.training_run import TrainingRun
    from playground.text import corpus

    run = TrainingRun(corpus.from_text(make_text(1_200)), "lstm", {"units": 32, "layers": 1, "embedding_dim": 16},
                      TrainConfig(epochs=150, batch_size=16, window=WINDOW, report_every_seconds=report_every_seconds))
    run.execute(final_evaluation=False)
    return run.trainer.reporting_seconds / run.trainer.seconds


def test_reporting_takes_a_small_share_of_a_fixed_training():
    # Reports come every few seconds of training, whatever an epoch takes.
    assert reporting_share(TrainConfig.report_every_seconds) <= REPORTING_SHARE


def test_the_reporting_guard_breaks_when_every_epoch_reports():
    assert reporting_share(0.0) > REPORTING_SHARE
