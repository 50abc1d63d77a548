"""Word-level models end to end: train, save, load, generate, through the core, the CLI and the API."""

import json
import random

import numpy as np
import pytest

from playground.text import corpus
from playground.text import tokenizers
from playground.runs.bundle import load_text_model
from playground.runs.training_run import TrainingRun
from playground.training.config import TrainConfig

SENTENCES = (
    "the cat sat on the mat.",
    "the dog ran to the barn.",
    "a bird sang in the tree!",
    "where is the red ball?",
    "i saw the old man, and he saw me.",
)


def phrase_text(lines: int = 900, seed: int = 0) -> str:
    """Whole sentences picked at random: the next word is nearly always certain."""
    rng = random.Random(seed)
    return "\n".join(rng.choice(SENTENCES) for _ in range(lines)) + "\n"


TINY = {
    "gru": {"units": 32, "layers": 1, "embedding_dim": 16},
    "transformer": {"layers": 1, "embedding_dim": 32, "heads": 2, "context": 32},
}


@pytest.fixture(scope="module", params=sorted(TINY))
def word_run(request, tmp_path_factory):
    arch = request.param
    folder = tmp_path_factory.mktemp(f"word-{arch}")
    run = TrainingRun(corpus.from_text(phrase_text()), arch, TINY[arch],
                      TrainConfig(epochs=6, batch_size=16, window=16, learning_rate=1e-2, eval_every_seconds=60),
                      level="word", max_words=40, run_dir=folder / "run")
    result = run.execute()
    return arch, run, result, folder / "run"


def test_word_model_learns_the_phrases(word_run):
    arch, run, result, _ = word_run
    vocabulary = len(run.tokenizer)
    assert result.level == "word" and run.tokenizer.level == "word"
    # Uniform guessing costs log(vocabulary) nats per word; the phrases are nearly certain.
    assert result.val_loss < 0.5 * np.log(vocabulary), (arch, result.val_loss, vocabulary)


def test_word_bits_per_character_count_the_decoded_characters(word_run):
    _, run, result, _ = word_run
    val_ids = run.tokenizer.encode(run.corpus.split(0.1)[1])
    characters = len(run.tokenizer.decode(val_ids[1:]))  # spaces and punctuation as decoded
    total_bits = result.val_loss * (len(val_ids) - 1) / np.log(2)
    assert result.bits_per_character == pytest.approx(total_bits / characters)
    assert result.bits_per_character < result.bits_per_token / 3  # a word is several characters
    # Words count trigrams; this text is too short for them, and says so.
    assert run.baselines.order == 3 and result.baselines["ngram"] is None and "too few" in run.baselines.note


def test_saved_word_model_restores_its_tokenizer_and_logits(word_run):
    _, run, _, directory = word_run
    saved = json.loads((directory / "tokenizer.json").read_text("utf-8"))
    assert saved["level"] == "word" and ["<unk>", *saved["vocabulary"]] == run.tokenizer.vocabulary
    loaded = load_text_model(directory)
    ids = run.tokenizer.encode("the cat sat on the mat.\nthe dog")[None, :]
    np.testing.assert_allclose(loaded.network(ids).numpy(), run.model(ids).numpy(), atol=1e-5)
    assert loaded.tokenizer.encode("a zebra sat").tolist() == run.tokenizer.encode("a zebra sat").tolist()
    assert loaded.tokenizer.encode("a zebra sat").tolist()[1] == 0  # an unknown word is <unk>


def test_word_model_generates_known_words_never_unk(word_run):
    _, run, _, directory = word_run
    model = load_text_model(directory)
    samples = model.generate("the cat", [0.2, 1.0, 1.5], 60, seed=3)
    known = set(model.tokenizer.vocabulary) - {"<unk>"}
    for sample in samples:
        assert len(sample.tokens) == 60 and set(sample.tokens) <= known
    # At a low temperature the model says what it learnt, in readable form.
    text = samples[0].text
    assert any(sentence.capitalize() in text for sentence in SENTENCES[:4]), text
    assert model.join("the cat", samples[0].text).startswith("the cat ")
    # After a full stop and a line break the first generated word opens a sentence.
    after = model.generate("the cat sat on the mat.\n", [0.2], 8, seed=0)[0].text
    assert after[0].isupper(), after


def test_word_vocabulary_cap_and_unknown_prompt_words(tmp_path):
    text = phrase_text(200) + "zyzzyva once.\n"
    tokenizer = tokenizers.fit(text, "word", 10)
    assert len(tokenizer) == 10 and "zyzzyva" not in tokenizer.vocabulary
    assert tokenizer.unknown_symbols("the zyzzyva sat") == ["zyzzyva"]


def test_cli_trains_and_generates_at_word_level(tmp_path):
    from test_cli import run_cli

    source = tmp_path / "phrases.txt"
    source.write_text(phrase_text(), encoding="utf-8")
    trained = run_cli("train", "--corpus", source, "--arch", "transformer", "--level", "word", "--max-words", "40",
                      "--layers", "1", "--embedding", "32", "--heads", "2", "--context", "32", "--window", "16",
                      "--batch-size", "16", "--epochs", "2", "--out", tmp_path / "run", "--json")
    assert trained.returncode == 0, trained.stderr[-3000:]
    summary = json.loads(trained.stdout.strip().splitlines()[-1])
    assert summary["level"] == "word" and summary["arch"] == "transformer"
    generated = run_cli("generate", "--model", tmp_path / "run", "--prompt", "the dog", "--length", "12",
                        "--temperatures", "0.5", "--json")
    assert generated.returncode == 0, generated.stderr[-3000:]
    sample = json.loads(generated.stdout.strip().splitlines()[-1])["samples"][0]
    words = tokenizers.WordTokenizer.split(sample["text"])
    assert len(words) == 12 and "<unk>" not in sample["text"]


def test_word_level_through_the_api(tmp_path):
    from conftest import running_app
    from gradio_client import Client
    from conftest import train_kwargs

    with running_app() as (url, _):
        api = Client(url, verbose=False)
        summary, *_ = api.predict("paste", [], phrase_text(), "python-docs", "word", 0.1, 40, api_name="/load_corpus")
        assert "words" in summary and "cannot be compared" in summary
        model = {"arch": "transformer", "layers": 1, "embedding_dim": 32, "heads": 2, "context_length": 32}
        status, _, samples, _ = api.predict(**train_kwargs(model, 3, 0, 16, 16, 0.01, "adamw", 0), api_name="/train")
        assert "Finished after" in status and "nats/word" in status, status
        grid, table, info = api.predict("the cat", 20, "0.2, 1.0", 0, 0, 1.0, 0.0, api_name="/compare_temperatures")
        assert "word level" in info
        texts = [row[2] for row in table["data"]]
        assert len(texts) == 2 and all(len(tokenizers.WordTokenizer.split(text)) == 20 for text in texts)
        assert not any("<unk>" in text for text in texts)
