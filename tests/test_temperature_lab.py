"""The temperature lab on a real (tiny) trained model: metrics move the way temperature says."""

import pytest

from playground.text import corpus
from playground.lab import temperatures as temperature_lab
from playground.errors import PlaygroundError
from playground.runs.bundle import load_text_model
from playground.runs.training_run import TrainingRun
from playground.training.config import TrainConfig


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    from conftest import make_text

    run = TrainingRun(corpus.from_text(make_text(40_000)), "gru", {"units": 48, "layers": 1, "embedding_dim": 16},
                      TrainConfig(epochs=2, batch_size=32, window=32, learning_rate=0.01),
                      run_dir=tmp_path_factory.mktemp("lab") / "run")
    run.execute(final_evaluation=False)
    return load_text_model(run.run_dir)


def test_bundle_keeps_its_corpus_for_the_lab(model):
    train, held_out = model.corpus_split()
    assert len(held_out) == pytest.approx(len(train) / 9, rel=0.01)
    assert model.memorisation_index() is not None


def test_low_temperature_repeats_more_and_copies_more(model):
    rows = temperature_lab.measure_temperatures(model, "The ", [0.2, 1.5], 150, seed=0, samples_per_temperature=8,
                                                index=model.memorisation_index())
    summary = temperature_lab.summary_by_temperature(rows).set_index("temperature")
    assert summary.loc[0.2, "distinct_2"] < summary.loc[1.5, "distinct_2"]
    assert summary.loc[0.2, "mean_logprob"] > summary.loc[1.5, "mean_logprob"]
    assert summary.loc[0.2, "copied_share"] > summary.loc[1.5, "copied_share"]


def test_quality_diversity_trades_quality_for_diversity(model):
    settings = temperature_lab.QualityDiversitySettings((0.3, 1.0, 2.0), samples=16, references=16, length=100)
    table = temperature_lab.quality_diversity({"gru": model}, model.corpus_split()[1], settings)
    assert list(table.columns) == ["model", "temperature", "bleu", "self_bleu", "samples", "references"]
    bleu = table.set_index("temperature")["bleu"]
    self_bleu = table.set_index("temperature")["self_bleu"]
    assert self_bleu[0.3] > self_bleu[2.0]  # cold samples resemble each other
    assert bleu[1.0] > bleu[2.0]  # hot samples drift from real text
    assert (table["samples"] == 16).all() and (table["references"] == 16).all()


def test_token_probabilities_list_alternatives(model):
    sample = model.generate("The ", [0.7], 12, seed=1)[0]
    tokens = temperature_lab.token_probabilities(model, sample)
    assert len(tokens) == 12
    for token in tokens:
        assert len(token["alternatives"]) == 5
        assert token["alternatives"][0]["probability"] >= token["alternatives"][-1]["probability"]
        assert 0 < token["probability"] <= 1


@pytest.mark.parametrize("kwargs, message", [
    ({"samples": 1}, "between 2 and 256 samples"), ({"length": 5}, "Sample length"),
    ({"temperatures": (0.5,) * 3, "samples": 200}, "over 512 samples"),
])
def test_bad_quality_diversity_settings(kwargs, message):
    with pytest.raises(PlaygroundError, match=message):
        temperature_lab.QualityDiversitySettings(**kwargs)


def test_bleu_counts_the_same_words_for_character_and_word_models():
    text = "ROMEO: Hello, world.\nYes"
    assert temperature_lab.bleu_words(text) == ["romeo", ":", "hello", ",", "world", ".", "\n", "yes"]
    held_out = "The king is dead. Long live the king!\n" * 20
    by_chars = temperature_lab.reference_windows(held_out, "char", 3, 100, seed=0)
    by_words = temperature_lab.reference_windows(held_out, "word", 3, 20, seed=0)
    vocabulary = {"the", "king", "is", "dead", ".", "long", "live", "!", "\n"}
    for window in by_chars + by_words:
        # Both are word lists on one scale: lower case, punctuation apart (no "dead." or "King").
        assert set(window[1:-1]) <= vocabulary, window
    assert all(len(window) == 20 for window in by_words)
