"""Every chart says what it shows in words, written by the function that draws it (no browser needed):
the page puts that text under the chart as its description (tests/test_browser_accessibility.py)."""

import math

import numpy as np
import pandas as pd
import pytest

from playground.figures import charts, diagram, inside_charts, next_token_chart
from playground.figures.text_alternative import described, percent, spoken, text_alternative
from playground.generation.next_token import distribution
from playground.generation.sampling import SamplingSettings
from playground.text.corpus import CorpusStats
from playground.training.monitor import Snapshot


def test_a_figure_carries_its_text_and_a_plain_figure_has_none():
    import plotly.graph_objects as go

    assert text_alternative(described(go.Figure(), "two bars")) == "two bars"
    assert text_alternative(go.Figure()) == "" and text_alternative(None) == ""
    assert percent(0.318) == "32 %" and percent(0.004) == "0.4 %" and percent(0) == "0 %"
    assert [spoken(t) for t in (" ", "\n", "ab", " the")] == ["space", "line break", "ab", "·the"]


def bars(temperature=1.0, settings=SamplingSettings()):
    shares = np.array([0.32, 0.24, 0.2, 0.14, 0.1])
    return distribution(np.log(shares), ["s", "c", " ", "\n", "e"], temperature, settings)


def test_the_next_token_bars_in_words_name_each_token_with_its_share(monkeypatch):
    text = text_alternative(next_token_chart.next_token_figure(bars(), "final", 5))
    assert text == ("Next token at T = 1, " + next_token_chart.STAGES["final"]
                    + ": s 32 %, c 24 %, space 20 %, line break 14 %, e 10 %.")
    # Three bars of five shown, two cut by top-k, scores at the first stage, and what 100 draws gave.
    cut = next_token_chart.next_token_figure(bars(settings=SamplingSettings(top_k=3)), "final", 3)
    assert text_alternative(cut).endswith(": s 42 %, c 32 %, space 26 %.")  # 0.32 / 0.76, ...
    cut = next_token_chart.bars_text(bars(settings=SamplingSettings(top_k=3)), "final", 5)
    assert "The filters cut 2 of the 5 tokens shown." in cut
    monkeypatch.setattr(next_token_chart, "SPOKEN_BARS", 2)  # the bars named; the others counted
    scores = next_token_chart.bars_text(bars(), "logits", 5)
    assert scores == (f"Next token at T = 1, {next_token_chart.STAGES['logits']}: s {math.log(0.32):.2f}, "
                      f"c {math.log(0.24):.2f} and 3 more.")
    drawn = next_token_chart.bars_text(bars(), "final", 5, draws=np.array([30, 25, 20, 15, 10]))
    assert drawn.endswith("Of 100 draws: s 30, c 25, space 20, line break 15, e 10.")


def snapshot(**fields) -> Snapshot:
    values = dict(run_name="lstm-1", state="training", steps=[1, 2, 3], losses=[3.0, 2.5, 2.0], seconds=[1, 2, 3],
                  val_steps=[2, 3], val_losses=[2.6, 2.2], val_seconds=[2, 3], samples=[], status="", error=None)
    return Snapshot(**(values | fields))


def test_the_loss_chart_in_words_gives_the_last_losses_and_the_baseline_beaten():
    baselines = [("uniform", 4.2, ""), ("unigram", 3.3, ""), ("bigram", 2.4, ""), ("5-gram", 1.6, "")]
    text = text_alternative(charts.loss_figure(snapshot(baselines=baselines)))
    assert text.startswith("Loss while training lstm-1, in nats per char (lower is better): training loss 2.000 "
                           "at step 3 (smoothed ")
    assert "validation loss 2.200 at step 3 (lowest 2.200)" in text
    assert "better than a bigram counting model (2.40 nats) since step 3; next: the 5-gram counting model" in text
    overfit = charts.loss_text(snapshot(overfitting_step=3, entropy_floor=1.25))
    assert "Overfitting marked at step 3." in overfit and "entropy floor, 1.250" in overfit
    before = charts.loss_text(snapshot(steps=[], losses=[], val_steps=[], val_losses=[]))
    assert before.endswith("no training step yet.")


def test_an_empty_chart_says_what_will_appear():
    assert text_alternative(charts.empty_figure("The loss appears here.")) == "The loss appears here."


def test_the_corpus_chart_names_the_most_frequent_characters():
    stats = CorpusStats(characters=100, words=20, lines=2, vocabulary=3,
                        top_characters=[(" ", 20), ("e", 12), ("\n", 2)], top_words=[])
    assert text_alternative(charts.frequency_figure(stats)) == (
        "The 3 most frequent characters, as a share of all characters: space 20 %, e 12 %, line break 2 %.")


def test_the_compare_metrics_and_quality_charts_say_their_numbers():
    history = pd.DataFrame({"step": [10, 20, 30], "seconds": [1.0, 2.0, 3.0], "val_loss": [2.0, None, 1.5],
                            "train_loss": [2.2, 1.9, 1.6]})
    text = text_alternative(charts.compare_figure({"lstm": history}, "step", [("bigram", 2.48, "")]))
    assert text == ("Loss against training step, in nats per token. lstm: validation loss 1.500 at step 30 "
                    "(lowest 1.500). Counting baselines: bigram 2.48.")
    summary = pd.DataFrame({"temperature": [0.2, 1.5], "distinct_2": [0.1, 0.9], "repetition_rate": [0.8, 0.0]})
    assert text_alternative(charts.metrics_figure(summary)) == (
        "What temperature does, measured from T = 0.2 to T = 1.5: distinct-2 0.10 to 0.90; "
        "repeated 4-grams 0.80 to 0.00.")
    table = pd.DataFrame({"model": ["lstm"] * 3, "temperature": [0.2, 0.7, 1.5], "bleu": [0.3, 0.4, 0.1],
                          "self_bleu": [0.9, 0.5, 0.1], "samples": [64] * 3, "references": [64] * 3})
    assert "lstm: at T = 0.2 quality 0.300, diversity 0.100; at T = 1.5 quality 0.100, diversity 0.900; best " \
           "quality at T = 0.7." in text_alternative(charts.quality_diversity_figure(table))


def attention_result():
    # Three tokens; token 1 looks mostly at token 0, token 2 mostly at itself.
    weights = [[1.0, 0.0, 0.0], [0.9, 0.1, 0.0], [0.05, 0.15, 0.8]]
    return {"tokens": ["R", "O", "\n"], "attention": [[weights]], "level": "char"}


def test_the_attention_map_in_words_names_the_strongest_links():
    text = text_alternative(inside_charts.attention_figure(attention_result(), 0, 0))
    assert text == ("Attention of layer 1, head 1 over 3 tokens. Most tokens look most at: itself (1 of 2), "
                    "the token before (1 of 2). Strongest links: token 1 O looks at token 0 R: 0.90; "
                    "token 2 line break looks at token 2 line break: 0.80; token 2 line break looks at token 1 O: "
                    "0.15; token 1 O looks at token 1 O: 0.10; token 2 line break looks at token 0 R: 0.05.")


def test_the_embedding_map_in_words_counts_the_kinds_and_names_the_ends():
    result = {"vocabulary": ["a", "b", "B", "."], "embedding_2d": [[0, 0], [1, 2], [2, 1], [3, 3]],
              "embedding_variance": [0.6, 0.3], "embedding_source": "the embedding", "level": "char"}
    text = text_alternative(inside_charts.embedding_figure(result))
    assert text.startswith("Every token placed on the model's two main directions (60% and 30% of the spread): "
                           "2 lower-case letter, 1 upper-case letter, 1 punctuation;")
    assert "along direction 1, from a, b, B to b, B, ." in text


@pytest.mark.parametrize("value, shown", [(0.95, "+0.95"), (-0.7, "-0.70")])
def test_the_coloured_text_views_say_each_value_in_words(value, shown):
    # A unit's value and an attention weight are in each token's title, not only in its colour.
    result = {"tokens": ["a", "b"], "activations": [[value], [0.0]], "expected": [[["b", 0.5]], [["a", 0.5]]],
              "level": "char"}
    html = inside_charts.neuron_html(result, 0)
    assert f"title='unit 0: {shown}" in html
    lines = inside_charts.attention_lines_html(attention_result(), 0, 0, 2)
    assert "title='token 2 looks at token 1: 0.15'" in lines


def test_the_network_drawing_reads_as_a_list_of_its_layers():
    from playground.models import lstm

    svg = diagram.diagram_svg(lstm.LSTMConfig(vocab_size=40, units=32, layers=1, embedding_dim=16))
    label = svg.split('aria-label="', 1)[1].split('"', 1)[0]
    assert label.startswith("Language model, 8,232 parameters: token ids") and "LSTM" in label and " → " in label
