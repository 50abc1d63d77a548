"""Inside the model: attention, recurrent units and embeddings, read from the model itself."""

import math

import keras
import numpy as np
import pytest

import playground  # noqa: F401  (registers the model classes)
from playground.lab import inside
from playground.text import tokenizers
from playground.errors import PlaygroundError
from playground.models import architecture
from playground.models import transformer as transformer_module
from playground.generation.text_model import TextModel
from playground.runs.bundle import load_text_model
from playground.runs.model_ref import ModelRef

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
    logits = np.asarray(tiny_transformer.network(ids))  # (1, T, V): the model's own call
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
    layers = model.network.recurrent
    x = model.network.encode(ids) if model.network.encode is not None else keras.ops.one_hot(ids, len(TOKENIZER))
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
    for model, matrix in ((tiny_transformer, tiny_transformer.network.token_embedding.embeddings),
                          (tiny_lstm, tiny_lstm.network.encode.embeddings),
                          (one_hot, np.asarray(one_hot.network.head.kernel).T)):
        result = inside.inspect(model, "ab")
        np.testing.assert_allclose(result["embedding_2d"], inside.pca_2d(np.asarray(matrix))[0], atol=1e-9)
        assert len(result["embedding_2d"]) == len(result["vocabulary"]) == len(TOKENIZER)
    assert "output layer" in inside.inspect(one_hot, "ab")["embedding_source"]


def test_kinds_of_tokens():
    assert [inside.kind_of(t) for t in ["a", "Q", "7", ",", " ", "\n", "<unk>", "é", "word", "don't", "42"]] == [
        "lower-case letter", "upper-case letter", "digit", "punctuation", "space", "space", "other", "other",
        "word", "word", "digit"]


def test_a_held_out_passage_starts_a_paragraph_and_ends_a_line(tiny_lstm):
    corpus = "".join(f"SPEAKER {i}:\nLine one of {i}.\nLine two of {i}.\n\n" for i in range(40))
    model = TextModel(tiny_lstm.network, TOKENIZER, corpus_text=corpus)
    passage = inside.held_out_passage(model, characters=60)
    held_out = corpus[int(len(corpus) * 0.9):]  # the last tenth, as the model was checked
    assert passage in held_out and passage.startswith("SPEAKER ") and passage.endswith("\n")
    assert 30 < len(passage) <= 60
    with pytest.raises(PlaygroundError, match="saved without its training text"):
        inside.held_out_passage(tiny_lstm)


# Bad input -------------------------------------------------------------------------------
def test_an_empty_prompt_is_refused(tiny_transformer):
    with pytest.raises(PlaygroundError, match="Type a prompt first"):
        inside.inspect(tiny_transformer, "")


def test_the_naive_gan_has_no_inside_view_for_a_prompt():
    model = text_model("gan-naive", units=8, noise_dim=4)
    with pytest.raises(PlaygroundError, match="ignores the prompt"):
        inside.inspect(model, "ab")


# The pictures ------------------------------------------------------------------------------
def test_the_heatmap_and_lines_show_one_heads_row(tiny_transformer):
    from playground.figures import inside_charts

    result = inside.inspect(tiny_transformer, "ab c")
    figure = inside_charts.attention_figure(result, 0, 1)
    np.testing.assert_allclose(figure.data[0].z, result["attention"][0][1])
    assert figure.data[0].hovertext[2][1] == f"token 2 '·' looks at token 1 'b': {result['attention'][0][1][2][1]:.2f}"
    lines = inside_charts.attention_lines_html(result, 0, 1, 2)
    assert lines.count("class='pg-token'") == 4 and "token 2 looks at token 3: 0.00" in lines
    with pytest.raises(PlaygroundError, match="layers 1 to 1 and heads 1 to 2"):
        inside_charts.attention_figure(result, 0, 2)


def test_the_neuron_view_colours_each_token_by_the_unit(tiny_lstm):
    from playground.figures import inside_charts, palettes

    result = inside.inspect(tiny_lstm, "ab\nc")
    html = inside_charts.neuron_html(result, 3)
    assert html.count("class='pg-token'") == 4 and "↵<br>" in html
    value = result["activations"][0][3]
    assert inside_charts.activation_colour(value) in html and f"unit 3: {value:+.2f}" in html
    # The palette's ends and, halfway to −1, halfway between its blue and white.
    assert inside_charts.activation_colour(1.0) == palettes.css(palettes.NEURON.high)
    assert inside_charts.activation_colour(-1.0) == palettes.css(palettes.NEURON.low)
    assert inside_charts.activation_colour(-0.5) == palettes.css(palettes.NEURON.at(0.25))
    # The strongest values are marked without colour too: solid line above, dotted below.
    assert "underline solid" in inside_charts.activation_mark(0.9)
    assert "underline dotted" in inside_charts.activation_mark(-0.9)
    assert inside_charts.activation_mark(0.2) == ""
    with pytest.raises(PlaygroundError, match="units 0 to 7"):
        inside_charts.neuron_html(result, 8)


def test_the_embedding_scatter_colours_tokens_by_kind(tiny_lstm):
    from playground.figures import inside_charts

    figure = inside_charts.embedding_figure(inside.inspect(tiny_lstm, "ab"))
    by_kind = {trace.name: list(trace.text) for trace in figure.data}
    assert by_kind == {"lower-case letter": list("abcdefg"), "punctuation": ['"', "(", ")", "."],
                       "space": ["↵", "·"], "other": ["<unk>"]}


# Command line and API --------------------------------------------------------------------
def test_the_cli_prints_the_same_json(tiny_transformer, tmp_path):
    import json

    from playground.runs import bundle
    from playground.training.trainer import History
    from test_cli import run_cli

    bundle.save(tmp_path / "tiny", tiny_transformer.network, TOKENIZER, {}, History())
    done = run_cli("inspect", "--model", tmp_path / "tiny", "--prompt", TEXT, "--json")
    assert done.returncode == 0, done.stderr[-2000:]
    printed = json.loads(done.stdout.strip().splitlines()[-1])
    expected = inside.inspect(load_text_model(tmp_path / "tiny"), TEXT)
    assert printed["tokens"] == expected["tokens"] and printed["arch"] == "transformer"
    np.testing.assert_allclose(printed["attention"], expected["attention"], atol=1e-6)
    np.testing.assert_allclose(printed["embedding_2d"], expected["embedding_2d"], atol=1e-9)
    empty = run_cli("inspect", "--model", tmp_path / "tiny", "--prompt", "", "--json")
    assert empty.returncode == 2 and empty.stderr.strip().splitlines()[-1] == (
        "error: Type a prompt first: the views show what the model does with its tokens.")


@pytest.fixture(scope="module")
def server(pretrained_server):
    return pretrained_server


@pytest.mark.presses("/inspect")
def test_the_api_returns_the_inspection_of_the_model_in_use(server):
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    client = Client(server[0], verbose=False)
    recurrent = client.predict("ROMEO:\nWhat say you?", api_name="/inspect")
    assert recurrent["arch"] == "lstm" and recurrent["attention"] is None
    assert recurrent["tokens"] == list("ROMEO:\nWhat say you?")
    assert np.asarray(recurrent["activations"]).shape == (20, 256)
    assert recurrent["units"][0]["r"] == max((u["r"] for u in recurrent["units"]), key=abs)
    client.predict("transformer", api_name="/choose_model")
    attention = client.predict("ROMEO:\nWhat say you?", api_name="/inspect")
    weights = np.asarray(attention["attention"])
    assert weights.shape == (4, 4, 20, 20) and attention["activations"] is None
    np.testing.assert_allclose(weights.sum(axis=-1), 1.0, atol=1e-5)
    expected = inside.inspect(server[1].catalog.get("transformer"), "ROMEO:\nWhat say you?")
    np.testing.assert_allclose(weights, expected["attention"], atol=1e-6)
    with pytest.raises(AppError) as error:
        client.predict("", api_name="/inspect")
    assert "Type a prompt first" in str(error.value)


def test_the_tab_handlers_draw_every_view(server):
    import types

    from playground.ui import inside_tab

    context = server[1]
    request = types.SimpleNamespace(session_hash="inside-tab")
    views = inside_tab.look_inside(context, "KING:\nNow", request=request)
    result, note = views[0], views[1]
    assert "pretrained/lstm" in note and views[2].visible is False and views[8].visible is True
    ranked = views[9].choices
    assert len(ranked) == inside.OFFERED_UNITS and ranked[0][0].startswith(f"unit {ranked[0][1]} follows: ")
    assert views[10].count("class='pg-token'") == len("KING:\nNow")
    assert inside_tab.neuron_view(context, result, 7, request=request).count("unit 7: ") == len("KING:\nNow")
    assert {trace.name for trace in views[11].data} >= {"lower-case letter", "upper-case letter", "punctuation"}
    inside_tab.session_of(context, request).use_model(ModelRef("shipped", "transformer"), context.catalog)
    views = inside_tab.look_inside(context, "KING:\nNow", request=request)
    assert views[2].visible is True and views[8].visible is False
    assert [label for label, _ in views[3].choices] == ["layer 1", "layer 2", "layer 3", "layer 4"]
    heatmap, lines = inside_tab.attention_view(context, views[0], 3, 2, 5, request=request)
    np.testing.assert_allclose(heatmap.data[0].z, views[0]["attention"][3][2])
    assert "Token 5 (&#x27;↵&#x27;, outlined in red)" in lines


def test_the_discriminator_section_shows_for_a_gan_only(server):
    import types

    from playground.ui import inside_tab

    context = server[1]
    request = types.SimpleNamespace(session_hash="inside-gan")
    line, section = inside_tab.model_in_use(context, request=request)
    assert "pretrained/lstm" in line and section.visible is False
    inside_tab.session_of(context, request).use_model(ModelRef("shipped", "gan"), context.catalog)
    line, section = inside_tab.model_in_use(context, request=request)
    assert "pretrained/gan" in line and section.visible is True
