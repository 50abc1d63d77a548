"""Subword (byte-pair) models end to end: a run trains, saves, reloads and generates."""

import math

import numpy as np
import pytest

from conftest import make_text
from playground.text import corpus
from playground.errors import PlaygroundError
from playground.runs.bundle import load_text_model
from playground.runs.training_run import TrainingRun
from playground.session import Session
from playground.training.config import TrainConfig


def test_a_tiny_subword_model_trains_and_generates(tmp_path):
    text = make_text(30_000)
    run = TrainingRun(corpus.from_text(text), "gru", {"units": 32, "layers": 1, "embedding_dim": 16},
                      TrainConfig(epochs=2, batch_size=16, window=32, learning_rate=0.01, eval_every_seconds=60),
                      level="subword", subword_vocab=96, run_dir=tmp_path / "run")
    result = run.execute()
    assert result.level == "subword" and len(run.tokenizer) == 96 and run.baselines.order == 5
    # It learned more than token frequencies, and reports on the shared scale.
    assert result.val_loss < result.baselines["unigram"] - 0.3, (result.val_loss, result.baselines)
    val_ids = run.tokenizer.encode(run.corpus.split(0.1)[1])
    total_bits = result.val_loss * (len(val_ids) - 1) / math.log(2)
    assert result.bits_per_character == pytest.approx(total_bits / len(run.tokenizer.decode(val_ids[1:])))
    loaded = load_text_model(tmp_path / "run")
    assert loaded.level == "subword" and loaded.tokenizer.vocabulary == run.tokenizer.vocabulary
    ids = np.asarray([run.tokenizer.encode("The cat sat")])
    np.testing.assert_allclose(loaded.network(ids), run.model(ids), atol=1e-5)
    samples = loaded.generate("The cat", [0.5, 1.0], 30, seed=1)
    assert all(len(sample.token_ids) == 30 and sample.text and "\ufffd" not in sample.text for sample in samples)
    assert "".join(samples[0].tokens) == samples[0].text
    from playground.runs.card import write_card

    card = write_card(tmp_path / "run", "python -m playground train --level subword").read_text()
    assert f"**Bits per character**: {result.bits_per_character:.4f}" in card
    assert f"(nats/token): uniform {math.log(96):.3f}, unigram" in card and "subword level, 96 tokens" in card


def test_the_session_refuses_a_subword_vocabulary_the_text_cannot_support():
    session = Session("a" * 32)
    with pytest.raises(PlaygroundError, match="supports at most"):
        session.load_corpus("paste", text=make_text(5000), level="subword", subword_vocab=5000)
    with pytest.raises(PlaygroundError, match="'char', 'subword' or 'word'"):
        session.load_corpus("paste", text=make_text(5000), level="bytes")
    choice = session.load_corpus("paste", text=make_text(5000), level="subword", subword_vocab=64)
    assert choice.vocabulary_size == 64


def test_the_corpus_tab_shows_a_sentence_at_every_level():
    import types

    from playground.text import level_comparison
    from playground.ui import corpus_tab

    text = make_text(20_000)
    compared = level_comparison.compare_levels(text, subword_vocab=96)
    sentence = level_comparison.example_sentence(text)
    assert "".join(compared["char"]["tokens"]) == sentence == "".join(compared["subword"]["tokens"])
    assert compared["word"]["tokens"] == [word.lower() for word in compared["word"]["tokens"]]
    counts = [compared[level]["per_thousand"] for level in ("char", "subword", "word")]
    assert counts[0] == 1000 and counts[0] > counts[1] > counts[2]  # subwords sit between
    too_many = level_comparison.compare_levels(text, subword_vocab=5000)["subword"]
    assert too_many["tokens"] == [] and "supports at most" in too_many["note"]

    session = Session("b" * 32)
    context = types.SimpleNamespace(store=types.SimpleNamespace(get=lambda key, user=None: session))
    assert "appears here once it loads" in corpus_tab.show_tokens(context)
    session.load_corpus("paste", text=text, level="subword", subword_vocab=96)
    shown = corpus_tab.show_tokens(context)
    assert "subwords (chosen)" in shown and "tokens per 1,000 characters" in shown and "words:" in shown


def test_the_cli_trains_evaluates_and_generates_at_subword_level(tmp_path):
    import json

    from test_cli import TINY, run_cli

    source = tmp_path / "corpus.txt"
    source.write_text(make_text(30_000), encoding="utf-8")
    trained = run_cli("train", "--corpus", source, "--arch", "gru", "--level", "subword", "--vocab", "96",
                      "--epochs", "1", "--out", tmp_path / "run", "--json", *TINY)
    assert trained.returncode == 0, trained.stderr[-3000:]
    summary = json.loads(trained.stdout.strip().splitlines()[-1])
    assert summary["level"] == "subword" and summary["bits_per_character"] < summary["bits_per_token"]
    assert set(summary["baselines"]) == {"uniform", "unigram", "bigram", "ngram"}
    assert summary["baselines"]["uniform"] == pytest.approx(math.log(96))
    assert "counting baselines on this split" in trained.stderr
    evaluated = run_cli("evaluate", "--model", tmp_path / "run", "--corpus", source, "--json")
    assert evaluated.returncode == 0, evaluated.stderr[-3000:]
    result = json.loads(evaluated.stdout.strip().splitlines()[-1])
    assert result["bits_per_character"] < result["bits_per_token"]
    # About 9,000 training tokens of subwords: too few for the 5-gram count, which is left out.
    assert result["baselines"]["bigram"] < result["baselines"]["unigram"] and result["baselines"]["ngram"] is None
    generated = run_cli("generate", "--model", tmp_path / "run", "--prompt", "The dog", "--length", "20",
                        "--temperatures", "0.5", "--json")
    assert generated.returncode == 0, generated.stderr[-3000:]
    assert json.loads(generated.stdout.strip().splitlines()[-1])["samples"][0]["text"]
    refused = run_cli("train", "--corpus", source, "--level", "subword", "--vocab", "1")
    assert refused.returncode == 2 and refused.stderr.strip().splitlines()[-1] == \
        "error: The subword vocabulary must have at least 2 tokens (got 1)."
