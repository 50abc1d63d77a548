"""The next-token lab: exact stages on stubbed logits, draws that agree with generation, CLI and API."""

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from playground.generation import next_token
from playground.errors import PlaygroundError
from playground.figures.next_token_chart import STAGES, next_token_figure
from playground.generation.sampling import GenerationLoop, SamplingSettings

from test_generation import StubModel
import itertools

ROOT = Path(__file__).resolve().parent.parent
# Scores whose softmax at T = 1 is exactly 4 : 2 : 1 : 1 (hand-worked: 0.5, 0.25, 0.125, 0.125).
LOGITS = np.log(np.array([1.0, 4.0, 2.0, 1.0], np.float32))  # token 0 first, to check the ranking
TEXTS = ["d", "a", "b", "c"]


def view(temperature=1.0, **filters):
    return next_token.distribution(LOGITS, TEXTS, temperature, SamplingSettings(**filters))


def test_tokens_are_ranked_by_score_and_softmax_is_exact():
    v = view()
    assert v.tokens == ["a", "b", "d", "c"]  # ties keep vocabulary order: d (id 0) before c (id 3)
    np.testing.assert_allclose(v.probability_t1, [0.5, 0.25, 0.125, 0.125], rtol=1e-6)
    np.testing.assert_allclose(v.probability, [0.5, 0.25, 0.125, 0.125], rtol=1e-6)
    assert v.entropy_bits == pytest.approx(1.75)  # 0.5·1 + 0.25·2 + 2·0.125·3
    assert v.effective_choices == pytest.approx(2 ** 1.75)
    assert v.favourite_probability == pytest.approx(0.5)


def test_temperature_divides_the_scores():
    v = view(0.5)
    np.testing.assert_allclose(v.scaled, 2 * np.log([4.0, 2.0, 1.0, 1.0]), rtol=1e-6)
    # exp(2 ln x) = x²: 16 : 4 : 1 : 1 out of 22.
    np.testing.assert_allclose(v.tempered, np.array([16, 4, 1, 1]) / 22, rtol=1e-5)
    np.testing.assert_allclose(v.probability, np.array([16, 4, 1, 1]) / 22, rtol=1e-5)
    np.testing.assert_allclose(v.probability_t1, [0.5, 0.25, 0.125, 0.125], rtol=1e-6)  # the model is unchanged


@pytest.mark.parametrize("filters", [{"top_k": 2}, {"top_p": 0.7}, {"min_p": 0.3}])
def test_filters_cut_the_tail_and_renormalise(filters):
    # top-k 2 keeps a, b; top-p 0.7 needs a (0.5) and b (0.75 ≥ 0.7); min-p 0.3 keeps p ≥ 0.15: a, b.
    v = view(**filters)
    assert v.kept.tolist() == [True, True, False, False]
    np.testing.assert_allclose(v.probability, [2 / 3, 1 / 3, 0, 0], rtol=1e-6)
    np.testing.assert_allclose(v.tempered, [0.5, 0.25, 0.125, 0.125], rtol=1e-6)  # before the cut
    assert v.entropy_bits == pytest.approx(-(2 / 3) * math.log2(2 / 3) - (1 / 3) * math.log2(1 / 3))


def test_zero_temperature_is_greedy():
    v = view(0.0)
    assert v.probability.tolist() == [1.0, 0.0, 0.0, 0.0]
    assert v.entropy_bits == 0.0 and v.effective_choices == 1.0
    assert next_token.draw_one(v, seed=3, step=0) == 0


def test_entropy_falls_as_temperature_falls():
    logits = np.random.default_rng(0).normal(size=50).astype(np.float32)
    entropies = [next_token.distribution(logits, [str(i) for i in range(50)], t).entropy_bits
                 for t in (2.0, 1.5, 1.0, 0.7, 0.4, 0.2, 0.05)]
    assert all(a > b for a, b in itertools.pairwise(entropies)), entropies


def test_forbidden_tokens_get_no_bar_and_no_probability():
    v = next_token.distribution(LOGITS, TEXTS, 1.0, forbid=(1,))  # forbid the favourite "a"
    assert "a" not in v.tokens and len(v.tokens) == 3
    np.testing.assert_allclose(v.probability, [0.5, 0.25, 0.25], rtol=1e-5)  # 2 : 1 : 1
    assert v.probability_by_id[1] == 0.0


@pytest.mark.parametrize("temperature, message", [
    (2.5, "Temperature must be a number from 0 (greedy) to 2 (got 2.5)."),
    (-0.1, "Temperature must be a number from 0 (greedy) to 2 (got -0.1)."),
    (float("nan"), "Temperature must be a number from 0 (greedy) to 2 (got nan)."),
    ("warm", "Temperature must be a number from 0 to 2 (got 'warm')."),
    (0.01, "Temperatures between 0 and 0.05 are too close to greedy; use 0 for greedy (got 0.01)."),
])
def test_bad_temperatures_are_refused(temperature, message):
    with pytest.raises(PlaygroundError) as error:
        view(temperature)
    assert str(error.value) == message


def test_top_must_fit_the_vocabulary():
    assert next_token.check_top(4, 4) == 4
    for top in (0, 5):
        with pytest.raises(PlaygroundError) as error:
            next_token.check_top(top, 4)
        assert str(error.value) == f"Show between 1 and 4 tokens, the size of this model's vocabulary (got {top})."


def test_a_hundred_draws_follow_the_bars():
    v = view(1.0)
    counts = next_token.draw_many(v, seed=7, step=0, count=100)
    assert counts.sum() == 100
    for count, p in zip(counts, v.probability):
        # Within four standard deviations of the binomial: a fixed seed, so this never flickers.
        assert abs(count - 100 * p) <= 4 * math.sqrt(100 * p * (1 - p)) + 1e-9, (counts, v.probability)
    cut = next_token.draw_many(view(1.0, top_k=2), seed=7, step=0, count=100)
    assert cut[2:].sum() == 0  # nothing the filters cut is ever drawn


@pytest.mark.parametrize("temperature", [0.0, 0.5, 1.0, 1.7])
def test_draws_are_the_tokens_generation_draws(temperature):
    """Step k of a generation with seed S draws from ``probability`` with the same number as draw_one."""
    model = StubModel()
    generator = GenerationLoop(model)
    texts = [str(i) for i in range(5)]
    for seed in range(6):
        batch = generator.generate([2], [temperature], 3, seed=seed)
        prompt = [2]
        for step in range(3):
            logits = model.prefill(np.array([prompt]))[0].numpy()[0]
            v = next_token.distribution(logits, texts, temperature)
            i = next_token.draw_one(v, seed, step)
            assert int(v.token_ids[i]) == batch.token_ids[0, step]
            assert v.probability[i] == pytest.approx(batch.token_probability[0, step], rel=1e-5)
            prompt.append(int(v.token_ids[i]))


def test_the_json_contract():
    result = view(0.5, top_k=2).to_json(2)
    assert [row["token"] for row in result["tokens"]] == ["a", "b"]
    assert set(result["tokens"][0]) == {"token", "logit", "probability_t1", "probability", "kept"}
    assert result["tokens"][0]["probability_t1"] == pytest.approx(0.5)
    assert result["tokens"][0]["probability"] == pytest.approx(16 / 20, rel=1e-5)  # 16 : 4, the tail cut
    assert result["temperature"] == 0.5
    assert result["effective_choices"] == pytest.approx(2 ** result["entropy_bits"], rel=1e-5)


def test_the_chart_greys_what_the_filters_cut():
    figure = next_token_figure(view(1.0, top_k=2), "final", count=4, draws=np.array([60, 30, 10, 0]))
    cut, drawn, belief, shares = figure.data
    assert list(cut.y) == [0.0, 0.0, 0.125, 0.125]  # grey bars where the filters cut, at their height before
    assert list(drawn.y) == pytest.approx([2 / 3, 1 / 3, 0, 0])
    assert list(shares.y) == [0.6, 0.3, 0.1, 0.0]
    assert list(figure.layout.xaxis.ticktext) == ["a", "b", "d", "c"]
    logits = next_token_figure(view(0.5), STAGES["logits"], count=4)
    assert list(logits.data[0].y) == pytest.approx(np.log([4, 2, 1, 1]).tolist())


def test_labels_show_invisible_characters():
    assert [next_token.visible(t) for t in ("\n", " ", "\t", "", "ab c")] == ["↵", "·", "→", "∅", "ab·c"]


def test_the_cli_prints_the_json_object():
    done = subprocess.run([sys.executable, "-m", "playground", "next", "--model", str(ROOT / "pretrained" / "lstm"),
                           "--prompt", "ROMEO:\nWhat ", "--temperature", "0.5", "--top-k", "3", "--top", "5",
                           "--json"], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert len(result["tokens"]) == 5 and result["temperature"] == 0.5
    assert [row["kept"] for row in result["tokens"]] == [True, True, True, False, False]
    assert sum(row["probability"] for row in result["tokens"]) == pytest.approx(1, abs=1e-4)
    logits = [row["logit"] for row in result["tokens"]]
    assert logits == sorted(logits, reverse=True)


def test_the_cli_refuses_a_bad_temperature():
    done = subprocess.run([sys.executable, "-m", "playground", "next", "--model", str(ROOT / "pretrained" / "lstm"),
                           "--temperature", "9"], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1] == "error: Temperature must be a number from 0 (greedy) to 2 (got 9.0)."
