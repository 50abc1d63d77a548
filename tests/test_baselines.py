"""Counting baselines: hand-worked entropies, Kneser–Ney against a brute-force reference, their order."""

import collections
import math

import numpy as np
import pandas as pd
import pytest

from conftest import make_text
from playground.text import baselines
from playground.text.tokenizers import CharTokenizer


def test_unigram_is_add_one_frequencies():
    train, val = np.array([1, 2, 1, 2, 1, 3]), np.array([1, 2, 3])
    # counts 0:0 1:3 2:2 3:1, N = 6, V = 4: P = (c + 1) / 10; the first validation token is not scored
    assert baselines.unigram(train, val, 4) == pytest.approx(-(math.log(0.3) + math.log(0.2)) / 2)


def test_bigram_is_kneser_ney_of_order_two_worked_by_hand():
    train, val = np.array([1, 2, 1, 2, 1, 3]), np.array([1, 2, 3])
    # Pairs 12 x2, 21 x2, 13 x1: one count of one, two of two, so D2 = 1 / (1 + 2 * 2) = 0.2.
    # Each token is preceded by one kind of token: continuation counts 1, 1, 1, so D1 = 1 (clipped to 0.9),
    # and a seen token gets (1 - 0.9 + 0.9 * 3 / 4) / 3 of the lower-order probability.
    lower = (1 - 0.9 + 0.9 * 3 / 4) / 3
    after_1 = (2 - 0.2 + 0.2 * 2 * lower) / 3  # "1" seen 3 times before a token, followed by 2 kinds
    after_2 = (0 + 0.2 * 1 * lower) / 2  # "2" seen twice, always followed by "1"; "3" never
    expected = -(math.log(after_1) + math.log(after_2)) / 2
    assert baselines.kneser_ney(train, val, 4, 2) == pytest.approx(expected)


def brute_force_kneser_ney(train, val, vocab_size, order):
    """The same definition with dictionaries and loops, token by token."""
    train, val = [int(t) for t in train], [int(t) for t in val]
    plain = collections.Counter(tuple(train[i:i + order]) for i in range(len(train) - order + 1))
    counts = {order: plain}
    for k in range(order - 1, 0, -1):
        counts[k] = collections.Counter(gram[1:] for gram in counts[k + 1])  # distinct left extensions

    def discount(table):
        ones = sum(1 for c in table.values() if c == 1)
        twos = sum(1 for c in table.values() if c == 2)
        return min(max(ones / (ones + 2 * twos), 0.1), 0.9) if ones + twos else 0.5

    def probability(context, token):
        k = len(context) + 1
        if k == 1:
            table = counts[1]
            d = discount(table)
            return (max(table.get((token,), 0) - d, 0) + d * len(table) / vocab_size) / sum(table.values())
        lower = probability(context[1:], token)
        table = counts[k]
        total = sum(c for gram, c in table.items() if gram[:-1] == context)
        if total == 0:
            return lower
        followers = sum(1 for gram in table if gram[:-1] == context)
        d = discount(table)
        return (max(table.get(context + (token,), 0) - d, 0) + d * followers * lower) / total

    losses = [-math.log(probability(tuple(val[max(0, i - order + 1):i]), val[i])) for i in range(1, len(val))]
    return sum(losses) / len(losses)


@pytest.mark.parametrize("order", [1, 2, 3, 5])
def test_kneser_ney_matches_a_brute_force_reference(order):
    tokenizer = CharTokenizer.fit(make_text(3000, seed=1))
    train = tokenizer.encode(make_text(600, seed=1))
    val = tokenizer.encode("The quiet dog sat by a river. A cat sang!\nzzz")  # unseen contexts, an unknown z
    expected = brute_force_kneser_ney(train, val, len(tokenizer), order)
    assert baselines.kneser_ney(train, val, len(tokenizer), order) == pytest.approx(expected, rel=1e-9)


def test_kneser_ney_is_a_distribution():
    """Over every possible next token, the probabilities sum to one (checked through the losses)."""
    train = np.array([1, 2, 3, 1, 2, 1, 3, 3, 2, 1, 1, 2])
    vocab_size = 5
    for order in (2, 3):
        total = sum(math.exp(-baselines.kneser_ney(train, np.array([1, 2, token]), vocab_size, order) * 2)
                    / math.exp(-baselines.kneser_ney(train, np.array([1, 2]), vocab_size, order))
                    for token in range(vocab_size))
        assert total == pytest.approx(1.0)


def test_on_real_text_each_baseline_beats_the_one_before():
    text = make_text(60_000, seed=3)
    cut = int(len(text) * 0.9)
    tokenizer = CharTokenizer.fit(text[:cut])
    result = baselines.measure(tokenizer.encode(text[:cut]), tokenizer.encode(text[cut:]), len(tokenizer))
    assert result.uniform == pytest.approx(math.log(len(tokenizer)))
    assert result.uniform > result.unigram > result.bigram > result.ngram
    assert result.order == 5 and result.note == ""
    assert [label for label, _, _ in result.lines()] == ["uniform", "unigram", "bigram", "5-gram"]


def test_a_short_corpus_says_so_and_has_no_ngram_baseline():
    text = make_text(3000)
    tokenizer = CharTokenizer.fit(text)
    result = baselines.measure(tokenizer.encode(text[:2700]), tokenizer.encode(text[2700:]), len(tokenizer))
    assert result.ngram is None
    assert "too few for a reliable 5-gram baseline" in result.note
    assert result.as_json()["ngram"] is None and result.bigram < result.unigram


def test_words_use_trigrams():
    result = baselines.measure(np.arange(20_000) % 7, np.arange(100) % 7, 8, level="word")
    assert result.order == 3 and result.ngram < 0.1 < result.unigram  # a cycle is near certain once seen


LINES = [("uniform", 4.0, "a"), ("unigram", 3.0, "b"), ("bigram", 2.5, "c"), ("5-gram", 1.5, "d")]


def test_standing_says_which_baseline_is_beaten_and_since_when():
    from playground.training.monitor import standing

    assert standing(LINES, [(100, 4.2)]) == "not yet better than the uniform guess (4.00 nats)"
    # Below the bigram at step 300, above it again at 400, below from 500 on.
    val = [(100, 3.5), (200, 2.9), (300, 2.4), (400, 2.6), (500, 2.2), (600, 2.0)]
    assert standing(LINES, val) == ("better than a bigram counting model (2.50 nats) since step 500; "
                                    "next: the 5-gram counting model at 1.50")
    assert standing(LINES, val + [(700, 1.4)]) == "better than a 5-gram counting model (1.50 nats) since step 700"
    assert standing([], val) == ""


def test_overfitting_needs_three_rises_while_training_falls():
    from playground.training.monitor import overfitting_step

    steps = list(range(1, 501))
    falling = [3.0 - step / 250 for step in steps]
    val = [(100, 2.0), (200, 1.8), (300, 1.9), (400, 2.0)]
    assert overfitting_step(val, steps, falling) is None  # two rises
    assert overfitting_step(val + [(500, 2.1)], steps, falling) == 500
    flat = [2.0] * 500  # training stuck too: a bad learning rate, not overfitting
    assert overfitting_step(val + [(500, 2.1)], steps, flat) is None


def test_the_monitor_and_chart_show_baselines_and_overfitting():
    from playground.figures import charts
    from playground.training import events
    from playground.training.monitor import TrainingMonitor

    monitor = TrainingMonitor("run", level="char")
    monitor.publish(events.BaselinesMeasured(tuple(LINES)))
    monitor.publish(events.Started("run", 1000, 100, 500, 64))
    for step in range(1, 501):
        monitor.publish(events.BatchEnd(step, step / 100, step / 10, 3.0 - step / 250, 1000.0, 10.0))
        if step % 100 == 0:
            loss = {100: 2.0, 200: 1.4, 300: 1.45, 400: 1.5, 500: 1.6}[step]
            monitor.publish(events.Evaluated(step, step / 100, step / 10, loss))
    snapshot = monitor.snapshot()
    assert snapshot.overfitting_step == 500
    assert "better than a 5-gram counting model (1.50 nats) since step 200" not in snapshot.status  # 1.6 > 1.5
    assert "better than a bigram counting model (2.50 nats) since step 100" in snapshot.status
    assert "Overfitting since step 500" in snapshot.status
    figure = charts.loss_figure(snapshot)
    names = [trace.name for trace in figure.data]
    assert "5-gram counting model (1.50)" in names and "uniform baseline (4.00)" in names
    line = next(trace for trace in figure.data if trace.name == "5-gram counting model (1.50)")
    assert list(line.y) == [1.5, 1.5] and list(line.x) == [0, 500] and "d" in line.hovertemplate
    marker = next(trace for trace in figure.data if trace.name == "overfitting")
    assert list(marker.x) == [500] and list(marker.y) == [1.6]


def test_runs_and_compare_tables_rank_every_tokenizer_on_bits_per_character(tmp_path):
    import types

    from playground.runs import store as run_store
    from playground.ui import compare_tab

    ln2 = math.log(2)
    infos = {
        "chars": {"level": "char", "model": {"arch": "lstm"}, "result": {"val_loss": 1.5, "seconds": 60,
                                                                        "bits_per_character": 1.5 / ln2}},
        "words": {"level": "word", "model": {"arch": "gru"}, "result": {"val_loss": 4.0, "seconds": 60,
                                                                       "bits_per_character": 1.9}},
        "old-chars": {"level": "char", "model": {"arch": "gru"}, "result": {"val_loss": 2.0, "seconds": 60}},
        "old-words": {"level": "word", "model": {"arch": "gru"}, "result": {"val_loss": 3.0, "seconds": 60}},
    }
    # Saved before bits per character were measured: a character run's are its bits per token, a word run's unknown.
    assert run_store.bits_per_character(infos["old-chars"]) == pytest.approx(2.0 / ln2)
    assert run_store.bits_per_character(infos["old-words"]) is None
    assert run_store.summary_row("words", infos["words"], "completed")["bits/character"] == 1.9
    for name, info in infos.items():
        (tmp_path / name).mkdir()
        (tmp_path / name / "config.json").write_text(__import__("json").dumps(info))
    store = types.SimpleNamespace(get=lambda key, user=None: types.SimpleNamespace(viewer=None))
    context = types.SimpleNamespace(store=store, catalog=types.SimpleNamespace(
        bundle_path=lambda name, viewer=None: tmp_path / name))
    _, _, table = compare_tab.compare_runs(context, list(infos))
    assert list(table["run"]) == list(infos)  # in the order chosen
    # The word model's 1.9 bits per character beat the character model's 2.16; the unknown one is unranked.
    assert table["rank"].tolist()[:3] == [2, 1, 3] and pd.isna(table["rank"].iloc[3])


def test_the_loss_chart_has_a_bits_per_character_axis():
    from playground.figures import charts
    from playground.training import events
    from playground.training.monitor import TrainingMonitor

    monitor = TrainingMonitor("run", level="word")
    monitor.publish(events.BaselinesMeasured(tuple(LINES), "", characters_per_token=3.5))
    for step in range(1, 51):
        monitor.publish(events.BatchEnd(step, 0.1, 1.0, 3.0 - step / 50, 100.0, 1.0))
    figure = charts.loss_figure(monitor.snapshot())
    left, right = figure.layout.yaxis.range, figure.layout.yaxis2.range
    assert left[0] == right[0] == 0 and left[1] == pytest.approx(4.0 * 1.05)  # up to the uniform line
    # 4.2 nats per word, 3.5 characters per word: 4.2 / ln 2 / 3.5 bits per character at the top.
    assert right[1] == pytest.approx(left[1] / math.log(2) / 3.5)
    assert figure.layout.yaxis2.overlaying == "y" and "bits per character" in figure.layout.yaxis2.title.text
    assert "yaxis2" not in charts.loss_figure(TrainingMonitor("empty").snapshot()).layout.to_plotly_json()

    short = TrainingMonitor("short")
    short.publish(events.BaselinesMeasured(tuple(LINES[:3]), "The training text has 900 tokens, too few."))
    notes = [a.text for a in charts.loss_figure(short.snapshot()).layout.annotations]
    assert notes == ["The training text has 900 tokens, too few."]


def test_compare_draws_the_baselines_runs_share_and_none_otherwise(tmp_path):
    import json
    import types

    from playground.ui import compare_tab

    shared = {"uniform": 4.19, "unigram": 3.35, "bigram": 2.48, "ngram": 1.58}
    infos = {
        "lstm": {"level": "char", "result": {"val_loss": 1.6, "seconds": 60, "baselines": shared}},
        "gru": {"level": "char", "result": {"val_loss": 1.5, "seconds": 60, "baselines": dict(shared)}},
        "other-text": {"level": "char", "result": {"val_loss": 1.5, "seconds": 60,
                                                   "baselines": {**shared, "ngram": 1.2}}},
        "old": {"level": "char", "result": {"val_loss": 1.5, "seconds": 60}},
    }
    for name, info in infos.items():
        (tmp_path / name).mkdir()
        (tmp_path / name / "config.json").write_text(json.dumps(info))
        (tmp_path / name / "history.csv").write_text("step,epoch,seconds,train_loss,val_loss\n1,0.1,2.0,3.0,\n"
                                                     "200,1.0,30.0,1.7,1.6\n")
    store = types.SimpleNamespace(get=lambda key, user=None: types.SimpleNamespace(viewer=None))
    context = types.SimpleNamespace(store=store, catalog=types.SimpleNamespace(
        bundle_path=lambda name, viewer=None: tmp_path / name))

    def dashed(figure):
        return [(trace.name, list(trace.x), list(trace.y)) for trace in figure.data
                if trace.line is not None and trace.line.dash == "dash"]

    by_step, by_time, _ = compare_tab.compare_runs(context, ["lstm", "gru"])
    assert dashed(by_step)[-1] == ("5-gram counting model (1.58)", [0, 200.0], [1.58, 1.58])
    assert next(name for name, _, _ in dashed(by_step)) == "uniform baseline (4.19)" and len(dashed(by_time)) == 4
    assert dashed(by_time)[-1][1] == [0, 30.0]
    for mixed in (["lstm", "other-text"], ["lstm", "old"]):  # another text or split, or none measured
        assert dashed(compare_tab.compare_runs(context, mixed)[0]) == []
