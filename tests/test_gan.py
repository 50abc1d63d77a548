"""The text GANs: the RelGAN-style one learns without breaking, the naive one collapses as it should."""

import math

import numpy as np
import pytest

from playground.runs import bundle
from playground.text import corpus
from playground.training import events
from playground.training.adversarial import adversarial_fraction, beta_schedule, reading
from playground.errors import PlaygroundError
from playground.models import config_from_dict
from playground.runs.training_run import TrainingRun
from playground.training.config import TrainConfig

from conftest import make_text, unigram_entropy

TINY_GAN = {"units": 32, "embedding_dim": 16, "d_filters": 8, "d_embedding": 16, "adversarial_length": 16}
# Reports at every epoch end, so that each phase has its diagnostics whatever the machine's speed.
FAST = dict(batch_size=16, window=32, learning_rate=0.01, eval_tokens=2048, sample_length=20, report_every_seconds=0)
STEPS_PER_EPOCH = 35  # make_text()'s training split in windows of 16 x 32 tokens


def collect():
    seen = []
    return seen, seen.append


@pytest.fixture(scope="module")
def one_step(tmp_path_factory):
    """A GAN that skips pretraining and takes exactly one adversarial step, then is saved."""
    options = {**TINY_GAN, "pretrain_share": 0.0, "beta_max": 50.0, "sample_temperature": 0.8,
               "d_widths": [2, 3], "straight_through": True, "mle_mix": 0.5}
    run = TrainingRun(corpus.from_text(make_text()), "gan", options,
                      TrainConfig(epochs=1 / STEPS_PER_EPOCH, eval_every_seconds=60, **FAST),
                      run_dir=tmp_path_factory.mktemp("gan") / "run")
    networks = (run.model, run.trainer.discriminator)
    before = [[v.numpy().copy() for v in network.trainable_variables] for network in networks]
    result = run.execute(final_evaluation=False)
    after = [[v.numpy() for v in network.trainable_variables] for network in networks]
    return run, result, before, after


def test_one_adversarial_step_is_finite_and_moves_both_networks(one_step):
    run, result, before, after = one_step
    assert result.steps == 1
    row = run.trainer.history.rows[0]
    for column in ("train_loss", "d_loss", "g_loss", "d_accuracy", "beta"):
        assert math.isfinite(row[column]), column
    assert 0.0 <= row["d_accuracy"] <= 1.0
    for network, old, new in zip(("generator", "discriminator"), before, after):
        assert any(not np.array_equal(o, n) for o, n in zip(old, new)), f"the {network} did not change"


def test_bundle_round_trip_keeps_logits_and_gan_settings(one_step, small_text):
    run, _, _, _ = one_step
    loaded = bundle.load(run.run_dir)
    ids = run.tokenizer.encode(small_text[:40])[None, :]
    np.testing.assert_array_equal(loaded.model(ids).numpy(), run.model(ids).numpy())
    config = loaded.model.model_config
    assert config == run.model.model_config
    assert (config.beta_max, config.sample_temperature, config.d_widths) == (50.0, 0.8, (2, 3))
    # The one step was the last: the annealing had reached beta_max, and that is saved too.
    assert float(loaded.model.trained_beta) == pytest.approx(50.0)


def test_beta_anneals_exponentially_and_reaches_beta_max_on_the_last_step():
    total, pretrain_share = 10, 0.5
    phase_start = pretrain_share  # step 5 is the first taken with progress 5 / 10 >= the share
    betas = [beta_schedule(100.0, adversarial_fraction((step + 1) / total, phase_start)) for step in range(5, total)]
    assert betas[-1] == pytest.approx(100.0)
    assert 1.0 < betas[0] < betas[1] < betas[2] < betas[3] < betas[4]
    assert betas[2] == pytest.approx(100.0 ** 0.6)
    assert beta_schedule(100.0, 0.0) == 1.0 and beta_schedule(100.0, 2.0) == 100.0


def test_a_short_run_pretrains_then_plays_and_reports(tmp_path, small_text):
    seen, publish = collect()
    run = TrainingRun(corpus.from_text(small_text), "gan", TINY_GAN,
                      TrainConfig(epochs=2, eval_every_seconds=0.5, **FAST), run_dir=tmp_path / "run", publish=publish)
    result = run.execute(final_evaluation=False)
    assert result.steps == 2 * STEPS_PER_EPOCH
    csv = (tmp_path / "run" / "history.csv").read_text().splitlines()
    columns = csv[0].split(",")
    assert {"d_loss", "g_loss", "d_accuracy", "beta"} <= set(columns)
    rows = [dict(zip(columns, line.split(","))) for line in csv[1:]]
    first, last = rows[0], rows[-1]
    assert first["d_loss"] == first["g_loss"] == first["d_accuracy"] == ""  # pretraining
    assert all(last[c] != "" for c in ("d_loss", "g_loss", "d_accuracy"))
    assert float(last["beta"]) == pytest.approx(100.0)
    pretraining = [r for r in rows if r["d_loss"] == ""]
    assert len(pretraining) == pytest.approx(STEPS_PER_EPOCH, abs=1)
    diagnostics = [e for e in seen if isinstance(e, events.Diagnostics)]
    assert diagnostics and all(d.reading for d in diagnostics)
    assert any(d.reading.startswith("pretraining") for d in diagnostics)
    adversarial = [d for d in diagnostics if not d.reading.startswith("pretraining")]
    assert adversarial, "no diagnostics from the adversarial phase"
    values = adversarial[-1].values
    for name in ("d_loss", "g_loss", "d_accuracy", "beta", "entropy", "distinct_2", "distinct_3", "self_bleu"):
        assert math.isfinite(values[name]), name
    # The pretraining taught it more than how often each letter occurs, and the play did not undo that.
    assert result.val_loss < unigram_entropy(small_text) - 0.3, (result.val_loss, unigram_entropy(small_text))


def test_the_naive_design_collapses(tmp_path, small_text):
    seen, publish = collect()
    run = TrainingRun(corpus.from_text(small_text), "gan-naive", {"units": 32, "noise_dim": 16},
                      TrainConfig(epochs=1, eval_every_seconds=60, **FAST), run_dir=tmp_path / "run", publish=publish)
    before = run.trainer.diagnostics()
    run.execute(final_evaluation=False)
    after = [e for e in seen if isinstance(e, events.Diagnostics)][-1]
    real = np.mean([len(set(s)) / len(s) for s in run.trainer.real_samples()])
    # Untrained, it writes near-uniform noise; trained, a handful of characters over and over.
    assert after.values["distinct_1"] < 0.5 * before["distinct_1"]
    assert after.values["distinct_1"] < 0.8 * real
    assert after.values["entropy"] < 0.5 * before["entropy"]
    assert after.reading.startswith(("mode collapse", "discriminator winning"))


def test_readings_follow_the_rules():
    real = {"real_self_bleu": 0.5, "real_distinct_2": 0.8}
    assert reading({}, pretraining=True).startswith("pretraining")
    assert reading({**real, "self_bleu": 0.9, "distinct_2": 0.7, "d_accuracy": 0.6}).startswith("mode collapse")
    assert reading({**real, "self_bleu": 0.3, "distinct_2": 0.1, "d_accuracy": 0.6}).startswith("mode collapse")
    winning = {**real, "self_bleu": 0.3, "distinct_2": 0.7, "d_accuracy": 0.99}
    assert reading(winning).startswith("discriminator winning")
    blind = {**real, "self_bleu": 0.3, "distinct_2": 0.7, "d_accuracy": 0.52, "d_loss": 0.69}
    assert reading(blind).startswith("discriminator blind")
    assert reading({**blind, "d_accuracy": 0.75, "d_loss": 0.55}).startswith("balanced")
    # A corpus that repeats itself is not mistaken for collapse.
    repetitive = {"real_self_bleu": 0.9, "real_distinct_2": 0.6, "self_bleu": 0.88, "distinct_2": 0.55}
    assert reading({**repetitive, "d_accuracy": 0.75, "d_loss": 0.55}).startswith("balanced")


@pytest.mark.parametrize("fields, message", [
    ({"cell": "rnn"}, "must be 'lstm' or 'gru'"),
    ({"pretrain_share": 1.0}, "pretraining share"),
    ({"beta_max": 0.5}, "between 1 \\(no sharpening\\) and 1000"),
    ({"d_steps": 0}, "Discriminator steps"),
    ({"d_widths": []}, "filter widths"),
    ({"d_widths": [2, 12], "adversarial_length": 8}, "does not fit"),
    ({"adversarial_lr": 0.5}, "adversarial learning rate"),
    ({"sample_temperature": 0}, "sampling temperature"),
])
def test_gan_settings_are_checked_with_clear_messages(fields, message):
    with pytest.raises(PlaygroundError, match=message):
        config_from_dict({"arch": "gan", "vocab_size": 20, **fields})
