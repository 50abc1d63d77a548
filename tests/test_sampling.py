"""Samplers under stubbed logits give exact, hand-checkable tokens."""

import math

import numpy as np
import pytest
import tensorflow as tf

from playground.errors import PlaygroundError
from playground.generation.sampling import (CombinedSampler, MinPSampler, Sampler, SamplingSettings,
                                 TopKSampler, TopPSampler, check_temperatures, parse_temperatures)

# Probabilities 1/8, 1/8, 2/8, 4/8 at temperature 1: cumulative 0.125, 0.25, 0.5, 1.0.
LOGITS = tf.constant([[0.0, 0.0, math.log(2), math.log(4)]])
ONE = tf.constant([1.0])


def draw(sampler, u, temperature=ONE):
    return int(sampler.next_token(LOGITS, temperature, tf.constant([u]))[0])


def test_probabilities_are_softmax_of_logits_over_temperature():
    p = Sampler().compute_probabilities(LOGITS, ONE).numpy()[0]
    np.testing.assert_allclose(p, [0.125, 0.125, 0.25, 0.5], rtol=1e-6)
    p = Sampler().compute_probabilities(LOGITS, tf.constant([0.5])).numpy()[0]
    np.testing.assert_allclose(p, np.array([1, 1, 4, 16]) / 22, rtol=1e-6)


@pytest.mark.parametrize("u, token", [(0.0, 0), (0.12, 0), (0.13, 1), (0.3, 2), (0.49, 2), (0.51, 3), (0.999, 3)])
def test_inverse_cdf_draw(u, token):
    assert draw(Sampler(), u) == token


def test_low_temperature_is_stable_and_picks_the_favourite():
    p = Sampler().compute_probabilities(LOGITS * 1000, tf.constant([0.05])).numpy()[0]
    assert np.isfinite(p).all()
    assert draw(Sampler(), 0.01, tf.constant([0.05])) == 3


def test_temperature_zero_takes_the_argmax():
    assert draw(Sampler(), 0.01, tf.constant([0.0])) == 3


def test_top_k_keeps_the_k_best():
    # Top 2: tokens 2 and 3 with 1/3 and 2/3.
    assert draw(TopKSampler(2), 0.0) == 2
    assert draw(TopKSampler(2), 0.33) == 2
    assert draw(TopKSampler(2), 0.34) == 3
    assert draw(TopKSampler(0), 0.0) == 0  # 0 = off


def test_top_p_keeps_the_nucleus():
    # p = 0.5: token 3 alone holds 0.5.
    assert draw(TopPSampler(0.5), 0.0) == 3
    # p = 0.6: tokens 3 and 2 (0.75), renormalised to 1/3, 2/3.
    assert draw(TopPSampler(0.6), 0.3) == 2
    assert draw(TopPSampler(1.0), 0.0) == 0


def test_min_p_keeps_tokens_near_the_favourite():
    # min_p 0.3: threshold 0.15, keeps tokens 2 (0.25) and 3 (0.5).
    assert draw(MinPSampler(0.3), 0.0) == 2
    assert draw(MinPSampler(0.0), 0.0) == 0


def test_combined_sampler_applies_every_filter():
    assert draw(CombinedSampler(3, 0.6, 0.0), 0.0) == 2
    assert draw(CombinedSampler(0, 1.0, 0.0), 0.0) == 0


def test_filtered_probabilities_renormalise():
    p = TopKSampler(2).filtered_probabilities(LOGITS, ONE).numpy()[0]
    np.testing.assert_allclose(p, [0, 0, 1 / 3, 2 / 3], rtol=1e-6)


@pytest.mark.parametrize("values, message", [
    ([], "at least one"),
    ([-1.0], ">= 0"),
    ([float("nan")], ">= 0"),
    ([0.01], "too close to greedy"),
    ([9.0], "far too high"),
    ([0.5] * 17, "At most 16"),
])
def test_bad_temperatures(values, message):
    with pytest.raises(PlaygroundError, match=message):
        check_temperatures(values)


def test_parse_temperatures():
    assert parse_temperatures("0.2, 0.5 1;1.5") == [0.2, 0.5, 1.0, 1.5]
    with pytest.raises(PlaygroundError, match="numbers separated by commas"):
        parse_temperatures("hot, cold")


@pytest.mark.parametrize("kwargs, message", [
    ({"top_p": 0.0}, "top-p must be in"), ({"top_p": 1.5}, "top-p must be in"),
    ({"top_k": -1}, "top-k must be"), ({"min_p": 1.0}, "min-p must be"),
])
def test_bad_sampling_settings(kwargs, message):
    with pytest.raises(PlaygroundError, match=message):
        SamplingSettings(**kwargs)
