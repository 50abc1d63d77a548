"""Inside the model: attention, recurrent units and embeddings, read from the model itself."""

import math

import keras
import numpy as np
import pytest

import playground  # noqa: F401  (registers the model classes)
from playground import inside, tokenizers
from playground.errors import PlaygroundError
from playground.models import architecture
from playground.models import transformer as transformer_module
from playground.runs import TextModel

TEXT = 'ab "cd" (e)\nfg.'
TOKENIZER = tokenizers.CharTokenizer.fit(TEXT)
CONTEXT = 16


def text_model(arch, **sizes):
    keras.utils.set_random_seed(3)
    spec = architecture(arch)
    return TextModel(spec.build(spec.default_config(len(TOKENIZER), **sizes)), TOKENIZER, name=f"tiny-{arch}")


@pytest.fixture(scope="module")
def tiny_transformer():
    return text_model("transformer", layers=1, embedding_dim=16, heads=2, context=CONTEXT)


@pytest.fixture(scope="module")
def tiny_lstm():
    return text_model("lstm", layers=2, units=8, embedding_dim=4)


# Attention -------------------------------------------------------------------------------
def test_attention_rows_sum_to_one_and_no_token_looks_ahead(tiny_transformer):
    result = inside.inspect(tiny_transformer, TEXT)
    weights = np.asarray(result["attention"])  # (L, H, T, T)
    assert weights.shape == (1, 2, len(TEXT), len(TEXT))
    assert result["tokens"] == list(TEXT) and result["activations"] is None and result["units"] is None
    np.testing.assert_allclose(weights.sum(axis=-1), 1.0, atol=1e-5)
    assert np.all(np.triu(weights, k=1) == 0)
    assert weights[0, :, 0, 0] == pytest.approx([1.0, 1.0])  # the first token can only look at itself


def test_attention_is_what_call_used(tiny_transformer, monkeypatch):
    result = inside.inspect(tiny_transformer, TEXT)
    used = []

    def watched(*args, **kwargs):
        mixed, weights = original(*args, **kwargs)
        used.append(np.asarray(weights))
        return mixed, weights

    original = transformer_module.attention
    monkeypatch.setattr(transformer_module, "attention", watched)
    ids = np.asarray([TOKENIZER.encode(TEXT)], np.int32)
    logits = np.asarray(tiny_transformer.model(ids))  # (1, T, V): the model's own call
    assert len(used) == 1  # one layer, one attention inside call
    np.testing.assert_allclose(np.asarray(result["attention"])[0], used[0][0], atol=1e-6)
    # The top expected token after each position is the call's own favourite.
    favourites = [TOKENIZER.token_texts([i])[0] for i in logits[0].argmax(axis=-1)]
    assert [expected[0][0] for expected in result["expected"]] == favourites
    assert all(len(expected) == inside.TOP_EXPECTED for expected in result["expected"])


def test_a_long_prompt_shows_the_last_context_tokens(tiny_transformer):
    prompt = TEXT * 2  # 30 characters, context 16
    result = inside.inspect(tiny_transformer, prompt)
    assert result["tokens"] == list(prompt[-CONTEXT:])
    assert np.asarray(result["attention"]).shape == (1, 2, CONTEXT, CONTEXT)
    assert result["note"] == "The prompt is 30 tokens; the model reads only the last 16 (its context length)."


# Recurrent units -------------------------------------------------------------------------
@pytest.mark.parametrize("arch, sizes", [("lstm", {"layers": 2, "units": 8, "embedding_dim": 4}),
                                         ("gru", {"layers": 1, "units": 6, "embedding_dim": 0}),
                                         ("gan", {"units": 8, "embedding_dim": 4, "d_filters": 4, "d_embedding": 4})])
def test_activations_are_the_last_recurrent_layers_own_output(arch, sizes):
    model = text_model(arch, **sizes)
    result = inside.inspect(model, TEXT)
    ids = np.asarray([TOKENIZER.encode(TEXT)], np.int32)
    layers = model.model.recurrent
    x = model.model.encode(ids) if model.model.encode is not None else keras.ops.one_hot(ids, len(TOKENIZER))
    for layer in layers:
        x = layer(x)[0]  # (1, T, units), each layer's own output sequence
    activations = np.asarray(result["activations"])
    assert activations.shape == (len(TEXT), sizes["units"]) and result["attention"] is None
    np.testing.assert_allclose(activations, np.asarray(x)[0], atol=1e-6)
    assert np.abs(activations).max() <= 1.0
    assert 1 <= len(result["units"]) <= min(inside.OFFERED_UNITS, sizes["units"])


def test_features_of_a_text_token_by_token():
    features = inside.text_features(list('ab "c"\n(d)'))
    assert {name: values.tolist() for name, values in features.items()} == {
        "inside quotes": [0, 0, 0, 1, 1, 0, 0, 0, 0, 0],
        "inside brackets": [0, 0, 0, 0, 0, 0, 0, 1, 1, 0],
        "position in the line": [1, 2, 3, 4, 5, 6, 0, 1, 2, 3],
        "just after a newline": [1, 0, 0, 0, 0, 0, 0, 1, 0, 0],
        "a letter": [1, 1, 0, 0, 1, 0, 0, 0, 1, 0],
        "punctuation": [0, 0, 0, 1, 0, 1, 0, 1, 0, 1],
        "start of a word": [1, 0, 0, 0, 1, 0, 0, 0, 1, 0],
    }


def test_the_ranking_finds_a_planted_quote_unit():
    rng = np.random.default_rng(0)
    text = "".join(rng.choice(['He said "no" to it.\n', 'A "long quote here" ends.\n', "plain words, (some)\n"])
                   for _ in range(20))
    features = inside.text_features(list(text))
    activations = rng.uniform(-0.3, 0.3, size=(len(text), 40))  # (T, units) of noise
    activations[:, 17] = np.where(features["inside quotes"] == 1, 0.8, -0.6) + rng.normal(0, 0.1, len(text))
    ranking = inside.rank_units(activations, features)
    assert ranking[0].unit == 17 and ranking[0].feature == "inside quotes" and ranking[0].r > 0.9
    assert ranking[0].describe() == f"unit 17 follows: inside quotes, r = {ranking[0].r:.2f}"
    assert len(ranking) == inside.OFFERED_UNITS and all(abs(m.r) < 0.35 for m in ranking[1:])
    # A unit that falls inside quotes is found too, with a negative r.
    activations[:, 17] *= -1
    assert inside.rank_units(activations, features)[0].r < -0.9


def test_a_unit_that_never_changes_has_no_correlation():
    features = {"a letter": np.array([1.0, 0.0, 1.0]), "never": np.zeros(3)}
    r = inside.correlations(np.array([[0.5, 0.1], [0.5, -0.1], [0.5, 0.1]]), features)
    assert r.tolist() == [[0.0, 1.0], [0.0, 0.0]]


# Embeddings ------------------------------------------------------------------------------
def test_pca_of_a_known_matrix():
    # Centred, x and y uncorrelated: the main direction is x (variance 24), then y (variance 6);
    # the third column never changes. Turned by 30 degrees, PCA must find the same picture.
    points = np.array([[4, 0], [-2, 0], [-2, 0], [0, 2], [0, -1], [0, -1]], dtype=float)
    angle = math.radians(30)
    turn = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    matrix = np.column_stack([points @ turn.T + [1.0, -3.0], np.full(6, 7.0)])
    coordinates, shares = inside.pca_2d(matrix)
    np.testing.assert_allclose(coordinates, points, atol=1e-12)
    np.testing.assert_allclose(shares, [0.8, 0.2], atol=1e-12)


def test_the_embedding_picture_is_the_pca_of_the_models_own_matrix(tiny_transformer, tiny_lstm):
    one_hot = text_model("gru", layers=1, units=6, embedding_dim=0)
    for model, matrix in ((tiny_transformer, tiny_transformer.model.token_embedding.embeddings),
                          (tiny_lstm, tiny_lstm.model.encode.embeddings),
                          (one_hot, np.asarray(one_hot.model.head.kernel).T)):
        result = inside.inspect(model, "ab")
        np.testing.assert_allclose(result["embedding_2d"], inside.pca_2d(np.asarray(matrix))[0], atol=1e-9)
        assert len(result["embedding_2d"]) == len(result["vocabulary"]) == len(TOKENIZER)
    assert "output layer" in inside.inspect(one_hot, "ab")["embedding_source"]


def test_kinds_of_tokens():
    assert [inside.kind_of(t) for t in ["a", "Q", "7", ",", " ", "\n", "<unk>", "é", "word", "don't", "42"]] == [
        "lower-case letter", "upper-case letter", "digit", "punctuation", "space", "space", "other", "other",
        "word", "word", "digit"]


# Bad input -------------------------------------------------------------------------------
def test_an_empty_prompt_is_refused(tiny_transformer):
    with pytest.raises(PlaygroundError, match="Type a prompt first"):
        inside.inspect(tiny_transformer, "")


def test_the_naive_gan_has_no_inside_view_for_a_prompt():
    model = text_model("gan-naive", units=8, noise_dim=4)
    with pytest.raises(PlaygroundError, match="ignores the prompt"):
        inside.inspect(model, "ab")
