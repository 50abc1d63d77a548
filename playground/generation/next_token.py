"""The next-token lab: what the model expects next, and what temperature and filters make of it.

A model reads the prompt once and scores every token of its vocabulary (the logits ``z``).
Sampling at temperature ``T`` draws from ``p ∝ exp(z / T)``, after top-k / top-p / min-p have
cut the long tail. This module exposes each stage of that recipe for one position, computed by
the very sampler that :mod:`playground.generation.sampling` generates with, so the bars a student sees are
exactly what a draw would use: greedy generation's first token is the top bar, and ``generate``
at temperature T with seed S draws its first token from :attr:`NextToken.probability` with the
same uniform number that :func:`draw_one` uses.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import tensorflow as tf

from playground.errors import PlaygroundError
from playground.generation.sampling import (TEMPERATURE, Sampler, SamplingSettings, check_temperatures,
                                           forbidden_penalty, step_uniforms)

DEFAULT_TOP = 20
DRAWS = 100
VISIBLE = {"\n": "↵", " ": "·", "\t": "→", "\r": "␍"}


def visible(token: str) -> str:
    """A token as a label: line breaks, spaces and tabs drawn as ↵ · →, an empty token as ∅."""
    return "".join(VISIBLE.get(c, c) for c in token) or "∅"


def check_lab_temperature(temperature) -> float:
    """The view's bars are drawn for the temperatures the page's sliders offer (0, greedy, to 2:
    :data:`TEMPERATURE`'s page range); the API and CLI get the same rule."""
    low, high = TEMPERATURE.page[:2]
    try:
        value = float(temperature)
    except (TypeError, ValueError):
        raise PlaygroundError(f"Temperature must be a number from {low:g} to {high:g} (got {temperature!r}).") \
            from None
    if math.isnan(value) or not low <= value <= high:
        raise PlaygroundError(f"Temperature must be a number from {low:g} (greedy) to {high:g} (got {value}).")
    return check_temperatures([value])[0]


def check_top(top, vocab_size: int) -> int:
    if isinstance(top, float) and top.is_integer():
        top = int(top)
    if not isinstance(top, (int, np.integer)) or isinstance(top, bool) or not 1 <= top <= vocab_size:
        raise PlaygroundError(f"Show between 1 and {vocab_size} tokens, the size of this model's vocabulary "
                              f"(got {top}).")
    return int(top)


@dataclasses.dataclass(frozen=True)
class NextToken:
    """Every stage of the distribution over the next token, one entry per vocabulary token,
    ranked by logit (highest first); tokens the model may never produce (``<unk>``) are left out."""

    token_ids: np.ndarray  # (N,)
    tokens: list[str]
    logits: np.ndarray  # (N,) raw scores z
    scaled: np.ndarray  # (N,) z / T (z itself at T = 0)
    probability_t1: np.ndarray  # (N,) softmax(z): the model's own belief
    tempered: np.ndarray  # (N,) softmax(z / T), before the filters
    kept: np.ndarray  # (N,) bool: survives top-k, top-p and min-p
    probability: np.ndarray  # (N,) what a draw uses: tempered, cut, renormalised
    probability_by_id: np.ndarray  # (V,) the same, in vocabulary order, as the generation loop holds it
    temperature: float
    settings: SamplingSettings

    @property
    def entropy_bits(self) -> float:
        p = self.probability[self.probability > 0]
        return float(-(p * np.log2(p)).sum()) + 0.0  # + 0.0: no "-0.0" for a certain token

    @property
    def effective_choices(self) -> float:
        """2^entropy: as uncertain as a fair pick among this many tokens."""
        return float(2.0 ** self.entropy_bits)

    @property
    def favourite_probability(self) -> float:
        return float(self.probability.max())

    def top(self, count: int = DEFAULT_TOP) -> NextToken:
        """The ``count`` highest-scoring tokens (their probabilities stay those of the whole vocabulary)."""
        keep = slice(0, count)
        return dataclasses.replace(
            self, token_ids=self.token_ids[keep], tokens=self.tokens[keep], logits=self.logits[keep],
            scaled=self.scaled[keep], probability_t1=self.probability_t1[keep], tempered=self.tempered[keep],
            kept=self.kept[keep], probability=self.probability[keep])

    def probability_of(self, token_id) -> float:
        """The probability a draw gives the token ``token_id``; an error for one the model never writes."""
        if token_id is None:
            raise PlaygroundError("Pick a token to append.")
        where = np.flatnonzero(self.token_ids == int(token_id))
        if not len(where):
            raise PlaygroundError("That token is not one this model can write; pick another.")
        return float(self.probability[where[0]])

    def to_json(self, count: int = DEFAULT_TOP) -> dict:
        shown = self.top(count)
        return {
            "tokens": [{"token": token, "logit": round(float(z), 6), "probability_t1": round(float(p1), 6),
                        "probability": round(float(p), 6), "kept": bool(kept)}
                       for token, z, p1, p, kept in zip(shown.tokens, shown.logits, shown.probability_t1,
                                                        shown.probability, shown.kept)],
            "entropy_bits": round(self.entropy_bits, 6),
            "effective_choices": round(self.effective_choices, 6),
            "temperature": self.temperature,
        }


def distribution(logits: np.ndarray, token_texts: list[str], temperature: float,
                 settings: SamplingSettings = SamplingSettings(), forbid: tuple[int, ...] = ()) -> NextToken:
    """Every stage for one position. ``logits`` (V,) as the model gave them; ``token_texts`` the
    text of each vocabulary id; ``forbid`` ids generation never draws (they get no bar)."""
    temperature = check_lab_temperature(temperature)
    vocab = len(logits)
    z = tf.cast(logits, tf.float32)[None, :] + forbidden_penalty(vocab, forbid)  # (1, V)
    t = tf.constant([temperature], tf.float32)
    sampler = settings.sampler()
    tempered = sampler.compute_probabilities(z, t)  # (1, V)
    if temperature > 0:
        kept = sampler.keep(tempered)
    else:
        kept = tf.one_hot(tf.argmax(z, axis=-1), vocab) > 0
        tempered = tf.cast(kept, tf.float32)
    final = sampler.distribution(z, t)  # (1, V)
    ranked = np.array([i for i in np.argsort(-np.asarray(logits), kind="stable") if i not in forbid])
    pick = lambda values: np.asarray(values)[0][ranked]  # noqa: E731  (1, V) -> (N,) in ranked order
    return NextToken(
        token_ids=ranked, tokens=[token_texts[i] for i in ranked], logits=np.asarray(logits, np.float32)[ranked],
        scaled=np.asarray(logits, np.float32)[ranked] / (temperature or 1.0),
        probability_t1=pick(tf.nn.softmax(z)), tempered=pick(tempered), kept=pick(kept),
        probability=pick(final), probability_by_id=np.asarray(final)[0], temperature=temperature,
        settings=settings)


def draw_uniforms(count: int, seed: int, step: int) -> np.ndarray:
    """The uniform numbers generation uses at ``step`` for samples 0..count-1 with ``seed``."""
    return step_uniforms(count, seed % (2**31), step).numpy()


def draw_one(view: NextToken, seed: int, step: int) -> int:
    """Index into ``view`` of the token that generation with ``seed`` would draw at ``step``
    (the inverse CDF of :attr:`NextToken.probability`, like the generation loop)."""
    return int(draw(view, draw_uniforms(1, seed, step))[0])


def draw(view: NextToken, uniforms: np.ndarray) -> np.ndarray:
    """Indices into ``view`` drawn with the generation loop's own inverse CDF, one per uniform number."""
    if view.temperature == 0:
        return np.zeros(len(uniforms), dtype=int)  # greedy: the top bar, whatever the numbers
    rows = np.tile(view.probability_by_id[None, :], (len(uniforms), 1))  # (n, V)
    ids = Sampler().draw(tf.constant(rows), tf.constant(uniforms, tf.float32)).numpy()  # (n,)
    position = {int(token_id): i for i, token_id in enumerate(view.token_ids)}
    return np.array([position[int(i)] for i in ids], dtype=int)


def draw_many(view: NextToken, seed: int, step: int, count: int = DRAWS) -> np.ndarray:
    """How often each token of ``view`` came up in ``count`` draws: (N,) counts."""
    return np.bincount(draw(view, draw_uniforms(count, seed, step)), minlength=len(view.tokens))


def describe(view: NextToken) -> str:
    """The numbers beside the chart and one sentence on what this temperature does (Markdown)."""
    t = view.temperature
    favourite = visible(view.tokens[int(np.argmax(view.probability))])
    lines = [f"**Entropy** {view.entropy_bits:.2f} bits", f"**Effective choices** {view.effective_choices:.1f} "
             "(as uncertain as a fair pick among this many tokens)",
             f"**Favourite** `{favourite}` with {view.favourite_probability:.0%}"]
    if t == 0:
        effect = "T = 0 is greedy: the highest score takes everything, so the text is always the same."
    elif abs(t - 1) < 1e-9:
        effect = "At T = 1 the model's own probabilities are used: p ∝ exp(z)."
    elif t < 1:
        effect = (f"p ∝ exp(z / T): dividing the scores by T = {t:g} stretches the gaps between them, so the "
                  "favourite gains and long shots fade.")
    else:
        effect = (f"p ∝ exp(z / T): dividing the scores by T = {t:g} shrinks the gaps between them, so the "
                  "bars flatten and long shots gain.")
    cut = int(np.sum(~view.kept))
    if cut and t > 0:
        effect += f" The filters cut {cut} of {len(view.tokens)} tokens; the rest are scaled up to add to 1."
    return " · ".join(lines) + "\n\n" + effect


def draws_note(view: NextToken, counts: np.ndarray, shown: int = 5) -> str:
    """The most drawn tokens beside the probabilities they were drawn with (Markdown)."""
    total = int(counts.sum())
    order = np.argsort(-counts, kind="stable")[:shown]
    parts = [f"`{visible(view.tokens[i])}` {int(counts[i])} (expected {view.probability[i] * total:.0f})"
             for i in order if counts[i] > 0]
    return f"**{total} draws:** " + ", ".join(parts) + ". Sampling follows the bars; more draws, a closer match."
