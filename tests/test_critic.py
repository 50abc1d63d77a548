"""Is the discriminator fooled? A GAN run keeps its discriminator; the Inside tab scores texts with it."""

import numpy as np
import pytest
import tensorflow as tf
from gradio_client import Client

from conftest import make_text, running_app
from playground.text import corpus
from playground.lab import critic
from playground.errors import PlaygroundError
from playground.runs.bundle import load_text_model
from playground.runs.training_run import TrainingRun
from playground.training.config import TrainConfig

TINY_GAN = {"units": 32, "embedding_dim": 16, "d_filters": 8, "d_embedding": 16, "adversarial_length": 16,
            "pretrain_share": 0.5}


@pytest.fixture(scope="module")
def gan_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("critic") / "gan"
    run = TrainingRun(corpus.from_text(make_text(8000)), "gan", TINY_GAN,
                      TrainConfig(epochs=0.5, batch_size=16, window=32, eval_every_seconds=60), run_dir=folder)
    run.execute(final_evaluation=False)
    return run, folder


def test_a_gan_run_keeps_the_discriminator_it_trained_against(gan_run):
    run, folder = gan_run
    assert (folder / critic.WEIGHTS).is_file()
    loaded = critic.saved_discriminator(load_text_model(folder))
    tokens = tf.one_hot(np.random.default_rng(0).integers(0, len(run.tokenizer), size=(3, 32)), len(run.tokenizer))
    np.testing.assert_allclose(critic.realness_logits(loaded, tokens).numpy(),
                               critic.realness_logits(run.trainer.discriminator, tokens).numpy(), atol=1e-5)


def test_held_out_text_and_samples_are_scored(gan_run):
    _, folder = gan_run
    result = critic.score(load_text_model(folder), temperatures=(0.5, 1.5), count=3, window=32)
    assert result["source"] == "saved"
    assert [row.kind for row in result["rows"]] == ["held-out"] * 3 + ["T = 0.5"] * 3 + ["T = 1.5"] * 3
    assert all(0.0 <= row.realness <= 1.0 and len(row.text) > 0 for row in result["rows"])
    assert result["means"]["held-out"] == pytest.approx(np.mean([r.realness for r in result["rows"][:3]]))


def test_without_a_saved_discriminator_a_fresh_one_is_trained(gan_run, tmp_path):
    import shutil

    _, folder = gan_run
    copy = tmp_path / "old-gan"
    shutil.copytree(folder, copy)
    (copy / critic.WEIGHTS).unlink()
    result = critic.score(load_text_model(copy), temperatures=(1.0,), count=2, window=32, fresh_steps=5)
    assert result["source"] == "fresh" and len(result["rows"]) == 4


def test_only_a_gan_has_a_discriminator(tmp_path):
    run = TrainingRun(corpus.from_text(make_text(4000)), "lstm", {"units": 8, "layers": 1, "embedding_dim": 4},
                      TrainConfig(epochs=0.05, batch_size=8, window=16), run_dir=tmp_path / "lstm")
    with pytest.raises(PlaygroundError, match=r"^Only a GAN has a discriminator"):
        critic.score(run.text_model)
    assert not (tmp_path / "lstm" / critic.WEIGHTS).exists()


def test_the_verdict_says_where_it_is_fooled():
    result = {"source": "saved", "means": {"held-out": 0.8, "T = 0.5": 0.75, "T = 1.5": 0.2}}
    assert critic.verdict(result) == (
        "The discriminator this GAN trained against gives held-out text a mean realness of 0.80. "
        "It is fooled at T = 0.5: those samples score about as real. It tells T = 1.5 apart: those samples "
        "score lower.")


@pytest.mark.presses("/discriminator_scores")
def test_scores_through_the_api(gan_run):
    _, folder = gan_run
    with running_app(PLAYGROUND_PRETRAINED=folder.parent) as (url, _):
        verdict, table = Client(url, verbose=False).predict(api_name="/discriminator_scores")
    assert verdict.startswith("The discriminator this GAN trained against gives held-out text")
    assert table["headers"] == ["text", "realness", "sample"] and len(table["data"]) == 16
