"""Reading a text with the model's eyes: surprisal and rank per token, the counting baselines beside
them, and the tab, command and API that show them."""

import json
import math

import keras
import numpy as np
import pytest
import tensorflow as tf

import playground  # noqa: F401  (registers the model classes)
from playground.errors import PlaygroundError
from playground.figures import reading_charts
from playground.generation.evaluation import token_scores
from playground.generation.text_model import TextModel, evaluate_text
from playground.lab import reading
from playground.models import architecture
from playground.text import baselines, tokenizers

LN2 = math.log(2)


class StubModel:
    """Next-token probabilities that depend only on the previous token: row ``a`` of ``table`` is
    P(next | a)."""

    def __init__(self, table):
        self.log_table = tf.constant(np.log(np.asarray(table, dtype=np.float64)), tf.float32)  # (V, V)

    def __call__(self, ids, training=False):
        return tf.gather(self.log_table, ids)  # (B, T, V)


# Worked by hand: after token 0 the next is 0, 1, 2, 3 with probability 1/2, 1/4, 1/8, 1/8; after 1,
# 0.1, 0.2, 0.3, 0.4; after 2 and 3 every token is equally likely.
TABLE = [[0.5, 0.25, 0.125, 0.125], [0.1, 0.2, 0.3, 0.4], [0.25] * 4, [0.25] * 4]


def test_surprisal_and_ranks_on_stub_logits_are_worked_by_hand():
    windows = np.array([[0, 1, 3, 0, 2, 0], [0, 0, 2, 1, 0, 3]], dtype=np.int32)
    nats, rank, top_ids, top_probabilities = (value.numpy() for value in token_scores(StubModel(TABLE), windows, 3))
    # Row 1: 0->1 p 1/4 (2 bits, 2nd), 1->3 p 0.4 (favourite), 3->0 p 1/4 (a four-way tie: all rank 1),
    # 0->2 p 1/8 (3 bits; tied with 3 for 3rd), 2->0 p 1/4. Row 2: 0->0 p 1/2 (1 bit, favourite),
    # 0->2 p 1/8, 2->1 p 1/4, 1->0 p 0.1 (4th), 0->3 p 1/8 (3rd with 2).
    np.testing.assert_allclose(nats / LN2, [[2, -math.log2(0.4), 2, 3, 2], [1, 3, 2, -math.log2(0.1), 3]], atol=1e-6)
    assert rank.tolist() == [[2, 1, 1, 3, 1], [1, 3, 1, 4, 3]]
    assert top_ids[0, 1].tolist() == [3, 2, 1] and top_ids[0, 0].tolist() == [0, 1, 2]  # ties: lower id first
    np.testing.assert_allclose(top_probabilities[0, 0], [0.5, 0.25, 0.125], atol=1e-6)
    np.testing.assert_allclose(top_probabilities[0, 1], [0.4, 0.3, 0.2], atol=1e-6)


def test_rank_buckets_are_glt_rs():
    ranks = np.array([0, 1, 2, 10, 11, 100, 101, 5000])
    found = reading.Reading("m", "lstm", "word", "x", ["t"] * 8, np.zeros(8, int), np.zeros(8), ranks,
                            np.zeros((8, 5), int), np.zeros((8, 5)), ["t"], {}, 5, 7, 16, "", str)
    assert found.buckets.tolist() == [-1, 0, 1, 1, 2, 2, 3, 3]
    assert found.bucket_counts() == [("the favourite", 1), ("top 10", 2), ("top 100", 2), ("the rest", 2)]


# Tiny real models ---------------------------------------------------------------------------------
CORPUS = "the cat sat on the mat. the dog sat on the log.\n" * 40
TOKENIZER = tokenizers.CharTokenizer.fit(CORPUS)


def tiny(arch: str, window: int, corpus: str | None = None, tokenizer=TOKENIZER, **sizes) -> TextModel:
    keras.utils.set_random_seed(5)
    spec = architecture(arch)
    model = spec.build(spec.default_config(len(tokenizer), **sizes))
    return TextModel(model, tokenizer, info={"train": {"window": window, "validation_share": 0.1}},
                     name=f"tiny-{arch}", corpus_text=corpus)


@pytest.fixture(scope="module")
def tiny_transformer():
    return tiny("transformer", 16, CORPUS, layers=1, embedding_dim=16, heads=2, context=16)


@pytest.fixture(scope="module")
def tiny_lstm():
    return tiny("lstm", 16, CORPUS, layers=2, units=16, embedding_dim=8)


@pytest.mark.parametrize("window", [16, 10])
def test_the_mean_surprisal_over_a_file_is_evaluates_loss(window, tmp_path):
    """A transformer reads with the held-out loss's own sliding windows: the same number, token by token."""
    model = tiny("transformer", window, CORPUS, layers=1, embedding_dim=16, heads=2, context=16)
    path = tmp_path / "text.txt"
    path.write_text(CORPUS[:700], encoding="utf-8")
    text = path.read_text(encoding="utf-8")
    result = reading.read(model, text)
    evaluated = evaluate_text(model, text)
    assert len(result.nats) == len(text) and math.isnan(result.nats[0])
    assert float(np.mean(result.nats[1:])) == pytest.approx(evaluated["val_loss"], abs=1e-4)
    assert result.bits_per_character() == pytest.approx(evaluated["bits_per_character"], abs=1e-4)
    # The baselines beside it are evaluate's too, each turned into bits per character.
    for name, value in evaluated["baselines"].items():
        if value is not None:
            assert result.baseline_bits_per_character()[name] == pytest.approx(value / LN2, abs=1e-9)


def test_a_long_text_in_pieces_scores_every_token_once_with_a_warm_memory(tiny_lstm, monkeypatch):
    monkeypatch.setattr(reading, "PIECE", 40)
    text = CORPUS[:500]
    rows, keep, window = reading.windows_for(tiny_lstm, TOKENIZER.encode(text))
    assert rows.shape == (13, 8 + 40 + 1) and keep.sum() == len(text) - 1  # 48 tokens, then 40 a piece
    assert np.argwhere(keep[1:])[:, 1].min() >= window // 2  # every later piece warms up first
    pieces = reading.read(tiny_lstm, text)
    monkeypatch.setattr(reading, "PIECE", 1000)
    whole = reading.read(tiny_lstm, text)
    np.testing.assert_allclose(pieces.nats[1:49], whole.nats[1:49], atol=1e-5)  # the first piece is the same


def uniform_lstm(corpus: str) -> TextModel:
    """An LSTM whose output layer is zero: every token always gets probability 1/V."""
    model = tiny("lstm", 16, corpus, tokenizers.CharTokenizer.fit(corpus), layers=1, units=4, embedding_dim=4)
    for weight in model.network.head.weights:
        weight.assign(np.zeros(weight.shape, np.float32))
    return model


def test_where_it_beats_counting_on_a_text_built_to_break_the_pattern():
    """A training text that repeats 'abcde': the 5-gram is sure of every next letter, a uniform model never.
    The model beats counting exactly where the text breaks the pattern, and nowhere else."""
    model = uniform_lstm("abcde" * 3_000)
    vocabulary = len(model.tokenizer)  # five letters and <unk>
    text = "abcde" * 6 + "abcdd" + "abcde" * 6  # the 35th token (index 34) breaks the pattern
    result = reading.read(model, text)
    difference = result.difference()
    assert result.counting_label == "5-gram"
    np.testing.assert_allclose(result.bits[1:], math.log2(vocabulary), atol=1e-5)
    broken = 34
    assert difference[broken] < -10  # the 5-gram never saw 'd' after 'abcd'
    assert np.all(difference[broken + 5:] > 2.5) and np.all(difference[5:broken] > 2.5)
    assert result.beats_counting_share() == pytest.approx(np.sum(difference[1:] < 0) / (len(text) - 1))
    assert 1 <= np.sum(difference[1:] < 0) <= 5
    # The reading's 5-gram is the baseline's own, token by token.
    counting = baselines.fit(model.tokenizer.encode(model.corpus_split()[0]), vocabulary)
    assert np.mean(result.counting["ngram"][1:]) == pytest.approx(counting.measure(model.tokenizer.encode(text)).ngram)


def test_the_hardest_places_are_the_peaks_with_what_the_model_expected(tiny_transformer):
    result = reading.read(tiny_transformer, CORPUS[:400])
    places = result.hardest()
    assert len(places) == reading.HARDEST
    bits = [place.bits for place in places]
    assert bits == sorted(bits, reverse=True) and bits[0] == pytest.approx(np.nanmax(result.bits))
    positions = [place.position for place in places]
    assert all(abs(a - b) > 8 for i, a in enumerate(positions) for b in positions[i + 1:])
    first = places[0]
    assert first.token == result.tokens[first.position] and len(first.expected) == 5
    assert first.before == CORPUS[max(0, first.position - 40):first.position]
    assert first.expected[0][1] == pytest.approx(float(result.top_probabilities[first.position, 0]))


def test_worst_held_out_windows_are_the_highest_mean_loss(tiny_transformer):
    found = reading.worst_passages(tiny_transformer, count=3)
    held_out = reading.read_held_out(tiny_transformer)
    means = held_out.nats[1:][:len(held_out.nats[1:]) // 16 * 16].reshape(-1, 16).mean(axis=1)
    assert [p.nats for p in found["passages"]] == pytest.approx(sorted(means, reverse=True)[:3])
    assert found["loss"] == pytest.approx(float(np.mean(held_out.nats[1:])))
    worst = found["passages"][0]
    assert worst.text == tiny_transformer.corpus_split()[1][worst.start:worst.start + 16]


def test_samples_at_low_temperature_keep_to_the_top_ranks():
    """A model that always expects a 50 %, 20 %, 15 %, 10 %, 5 % mix: at T = 0.3 its own sample is nearly all
    favourites, at T = 1.5 far fewer."""
    model = uniform_lstm("abcde" * 3_000)
    model.network.head.bias.assign(np.log([1e-9, 0.5, 0.2, 0.15, 0.1, 0.05]).astype(np.float32))
    found = reading.writers(model, tokens=300)
    assert [writer.label for writer in found] == ["held-out text (a person)", "the model at T = 0.3",
                                                  "the model at T = 1.5"]
    favourite = {writer.label: writer.shares()[0][1] for writer in found}
    assert favourite["the model at T = 0.3"] > 0.8 > 0.6 > favourite["the model at T = 1.5"]
    assert favourite["held-out text (a person)"] == pytest.approx(0.2, abs=0.01)  # 'a' is every fifth letter
    assert all(sum(share for _, share in writer.shares()) == pytest.approx(1) for writer in found)


# Bad input, each with its sentence ----------------------------------------------------------------
def test_bad_input_gets_a_clear_sentence(tiny_lstm, monkeypatch):
    with pytest.raises(PlaygroundError, match="There is no text to read"):
        reading.read(tiny_lstm, "  \n")
    with pytest.raises(PlaygroundError, match="at least two"):
        reading.read(tiny_lstm, "t")
    with pytest.raises(PlaygroundError, match="symbols the model never saw"):
        reading.read(tiny_lstm, "日本語のテキストです。" * 3)
    monkeypatch.setattr(reading, "MAX_CHARACTERS", 100)
    with pytest.raises(PlaygroundError, match="reads at most 100 at once"):
        reading.read(tiny_lstm, CORPUS[:101])
    naive = tiny("gan-naive", 16, None, units=8, noise_dim=4)
    with pytest.raises(PlaygroundError, match="ignores any text"):
        reading.read(naive, "the cat")
    with pytest.raises(PlaygroundError, match="without its training text"):
        reading.read_held_out(tiny("lstm", 16, None, layers=1, units=4, embedding_dim=4))


def test_a_few_unknown_symbols_are_read_and_named(tiny_lstm):
    result = reading.read(tiny_lstm, "the cat sat on the mat? ")
    assert "'?'" in result.note and "<unk>" in result.note
    assert result.tokens[result.ids.tolist().index(0)] == "\ufffd"  # shown as the replacement character


# The pictures ----------------------------------------------------------------------------------
def test_every_token_says_its_bits_and_rank_in_words(tiny_transformer):
    result = reading.read(tiny_transformer, "the cat sat.")
    page = reading_charts.tokens_html(result)
    assert page.count("class='pg-token' role='img'") == len(result.tokens)
    second = reading_charts.token_title(result, 1)
    assert second.startswith("h: ") and f"{result.bits[1]:.2f} bits" in second and f"rank {result.rank[1]}" in second
    assert second.replace("&#x27;", "'") in page.replace("&#x27;", "'").replace("&quot;", '"')
    assert "1 bit: as surprising as a coin" in page
    ranks = reading_charts.tokens_html(result, "rank")
    assert "the favourite" in ranks and reading_charts.BUCKET_COLOURS[0] in ranks
    assert "read-difference" in reading_charts.difference_html(result)


def test_colour_scales_run_light_to_dark_and_blue_to_orange():
    assert reading_charts.surprisal_level(np.array([0.0, 4.0, 8.0, 20.0])).tolist() == [0, 8, 16, 16]
    assert reading_charts.SURPRISAL_SCALE[0] == "#fde725" and reading_charts.SURPRISAL_SCALE[-1] == "#440154"
    assert reading_charts.difference_level(np.array([-9.0, 0.0, 9.0])).tolist() == [0, 8, 16]
    assert reading_charts.DIFFERENCE_SCALE[0] == reading_charts.BLUE
    assert reading_charts.DIFFERENCE_SCALE[-1] == reading_charts.ORANGE


def test_a_long_text_is_shown_a_part_at_a_time(tiny_transformer):
    result = reading.read(tiny_transformer, CORPUS[:600])
    part = reading_charts.tokens_html(result, start=100, count=50)
    assert part.count("role='img'") == 50 and "Tokens 101–150 of 600" in part


# The command line ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def saved_lstm(tmp_path_factory):
    from playground.runs.training_run import TrainingRun
    from playground.text import corpus
    from playground.training.config import TrainConfig

    from conftest import make_text

    folder = tmp_path_factory.mktemp("reading") / "run"
    TrainingRun(corpus.from_text(make_text(8_000, seed=2)), "lstm", {"units": 16, "layers": 1, "embedding_dim": 8},
                TrainConfig(epochs=0.1, batch_size=16, window=16), run_dir=folder).execute(final_evaluation=False)
    return folder


def test_score_prints_every_token_and_the_totals(saved_lstm, tmp_path, capsys):
    from playground import cli

    path = tmp_path / "text.txt"
    path.write_text("The cat sat on the mat.\n", encoding="utf-8")
    assert cli.main(["score", "--model", str(saved_lstm), "--text-file", str(path), "--json"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert [row["text"] for row in result["per_token"]] == list("The cat sat on the mat.\n")
    assert result["per_token"][0]["bits"] is None
    second = result["per_token"][1]
    assert second["bits"] > 0 and second["rank"] >= 1 and len(second["top"]) == 5
    assert result["bits_per_character"] == pytest.approx(
        np.mean([row["bits"] for row in result["per_token"][1:]]), abs=1e-3)
    assert sum(result["ranks"].values()) == 23
    assert 1 <= len(result["hardest"]) <= 3  # places more than 8 characters apart, in 24
    assert cli.main(["score", "--model", str(saved_lstm), "--held-out", "--json"]) == 0
    held_out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert held_out["source"] == "the held-out text" and set(held_out["baselines_bits_per_character"]) == {
        "uniform", "unigram", "bigram"}  # 7,200 training characters: too few for a 5-gram
    assert cli.main(["worst", "--model", str(saved_lstm), "--count", "3", "--json"]) == 0
    worst = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert len(worst["passages"]) == 3 and worst["window"] == 16
    losses = [passage["loss"] for passage in worst["passages"]]
    assert losses == sorted(losses, reverse=True)
    assert cli.main(["score", "--model", str(saved_lstm), "--text-file", str(tmp_path / "missing.txt")]) == 2


def test_a_recurrent_model_reads_as_its_generation_steps_do_but_batched(tiny_lstm):
    """Read in one piece, each token's surprisal is what the model's prefill/step contract gives, feeding
    it one token per call; the reading is much faster (a ratio measured in one run)."""
    import time

    text = CORPUS[:200]
    ids = TOKENIZER.encode(text)
    reading.read(tiny_lstm, text)  # compiled once
    started = time.perf_counter()
    result = reading.read(tiny_lstm, text)
    batched = time.perf_counter() - started
    started = time.perf_counter()
    logits, state = tiny_lstm.network.prefill(tf.constant([ids[:1]], tf.int32))
    looped = []
    for position in range(1, len(ids)):
        looped.append(float(-tf.nn.log_softmax(logits)[0, ids[position]]))
        logits, state = tiny_lstm.network.step(tf.constant([ids[position]], tf.int32), state)
    per_token = time.perf_counter() - started
    np.testing.assert_allclose(result.nats[1:], looped, atol=1e-4)  # the same numbers
    assert per_token > 5 * batched, (per_token, batched)
