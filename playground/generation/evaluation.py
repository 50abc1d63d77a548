"""Held-out loss: mean cross-entropy in nats per token, and its bits-per-token twin."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import tensorflow as tf

from playground.text.windows import check_length, scoring_windows
from playground.models.base import LanguageModel

TOP_ALTERNATIVES = 5  # the likeliest tokens a reading lists at each position


def token_losses(model: LanguageModel, windows: np.ndarray) -> tf.Tensor:
    """Cross-entropy of each target ``(B, T)`` given windows ``(B, T + 1)``."""
    logits = model(windows[:, :-1], training=False)  # (B, T, V)
    return tf.keras.losses.sparse_categorical_crossentropy(
        windows[:, 1:], tf.cast(logits, tf.float32), from_logits=True
    )


def token_scores(model: LanguageModel, windows, top: int):
    """How the model scored each target of windows ``(B, T + 1)``: its surprisal in nats ``(B, T)``, its
    rank among all tokens ``(B, T)`` (1: the favourite; tokens scored equal share the better rank), and
    the ``top`` likeliest tokens ``(B, T, top)`` with their probabilities ``(B, T, top)``."""
    logits = tf.cast(model(windows[:, :-1], training=False), tf.float32)  # (B, T, V)
    targets = windows[:, 1:]  # (B, T)
    # log p = logit - logsumexp: never writes a second (B, T, V) tensor, which matters for 10,000 words.
    normaliser = tf.reduce_logsumexp(logits, axis=-1)  # (B, T)
    target_logit = tf.gather(logits, targets, batch_dims=2)  # (B, T)
    rank = 1 + tf.reduce_sum(tf.cast(logits > target_logit[..., None], tf.int32), axis=-1)  # (B, T)
    best, best_ids = tf.math.top_k(logits, k=min(top, logits.shape[-1]))  # (B, T, top) each
    return normaliser - target_logit, rank, best_ids, tf.exp(best - normaliser[..., None])


def compiled_scores(model: LanguageModel, top: int) -> Callable:
    """:func:`token_scores` of two batches of windows (of any size and length) in one compiled call.

    The two halves are independent, so TensorFlow runs them side by side: on two cores, where the
    playground gives each operation one thread, that keeps both cores busy.
    """
    def both(first, second):
        return token_scores(model, first, top), token_scores(model, second, top)

    spec = tf.TensorSpec([None, None], tf.int32)
    return tf.function(both, input_signature=[spec, spec])


def mean_window_loss(
    loss_fn: Callable[[np.ndarray], tf.Tensor],
    windows: np.ndarray,
    batch_size: int,
    mask: np.ndarray | None = None,
    interrupt: Callable[[], bool] = lambda: False,
) -> float:
    """Mean of ``loss_fn``'s per-target losses over ``windows`` ``(N, T + 1)``, ``batch_size`` at a time.

    Only the targets ``mask`` ``(N, T)`` marks count (all of them without one). NaN if nothing was
    scored, or if ``interrupt()`` says stop half way: a partial mean is not comparable with others.
    """
    total, count = 0.0, 0
    for start in range(0, len(windows), batch_size):
        if interrupt():
            return math.nan
        losses = loss_fn(windows[start:start + batch_size]).numpy()  # (B, T)
        if mask is not None:
            losses = losses[mask[start:start + batch_size]]
        total, count = total + float(losses.sum()), count + losses.size
    return total / count if count else math.nan


def mean_loss(
    model: LanguageModel,
    ids: np.ndarray,
    window: int,
    batch_size: int = 64,
    loss_fn: Callable | None = None,
) -> float:
    """Mean loss over every token of ``ids`` (the first excepted), each scored once with context."""
    check_length(ids, window, "evaluation")
    windows, mask = scoring_windows(ids, window)
    # A trainer passes its own compiled function, so the final pass does not trace another.
    return mean_window_loss(loss_fn or _compiled_losses(model), windows, batch_size, mask)


def _compiled_losses(model: LanguageModel):
    return tf.function(lambda windows: token_losses(model, windows), reduce_retracing=True)


def bits(nats: float) -> float:
    return nats / math.log(2)


def characters_per_token(ids: np.ndarray, decode: Callable[[np.ndarray], str]) -> float:
    """Characters of text per scored token of ``ids`` (all but the first, as :func:`mean_loss` scores),
    as the tokenizer decodes them: 1 for characters, spaces and punctuation included for words."""
    scored = np.asarray(ids)[1:]
    return len(decode(scored)) / max(len(scored), 1)


def bits_per_character(nats_per_token: float, chars_per_token: float) -> float:
    """Total bits of a text over its number of characters: one scale for every tokenizer."""
    return bits(nats_per_token) / chars_per_token if chars_per_token > 0 else math.nan
