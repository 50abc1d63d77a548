"""Counting baselines: what a model's validation loss should be held against.

Each baseline is fitted on the training ids and scored on the validation ids, in nats per
token, exactly as the model is scored (every validation token but the first, its context taken
from the validation text only):

- ``uniform``: ln V, a model that knows only the vocabulary;
- ``unigram``: token frequencies with add-one smoothing;
- ``bigram``: the previous token, interpolated Kneser–Ney of order 2;
- ``ngram``: interpolated Kneser–Ney of order 5 (characters, subwords) or 3 (words), the best a
  counting model does here. Left out (``None``) when the training text is too short to trust it.

Interpolated Kneser–Ney (Chen & Goodman 1998), with one absolute discount ``D = n1 / (n1 + 2 n2)``
per order::

    P_k(w | h) = (max(c_k(h w) - D_k, 0) + D_k * N1+(h .) * P_{k-1}(w | h')) / c_k(h)

where ``h'`` is ``h`` without its first token, ``c_k`` are plain counts at the top order and
continuation counts (how many different tokens precede ``h w``) below it, ``N1+(h .)`` is how many
different tokens follow ``h``, an unseen context falls back to ``P_{k-1}``, and the bottom of the
chain is the uniform distribution, so no token has probability zero.

Counting is NumPy throughout: each n-gram is one int64 key (mixed radix V), the top order is
sorted once, and every lower order's continuation counts come from the distinct keys above it.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

NAMES = ("uniform", "unigram", "bigram", "ngram")
NGRAM_ORDER = {"char": 5, "subword": 5, "word": 3}
DENSE_SPACE = 1 << 22  # key spaces up to this size are counted and looked up in plain arrays
MIN_NGRAM_TOKENS = 10_000  # fewer training tokens than this and most 5-gram contexts are seen once or never

EXPLANATIONS = {
    "uniform": "knows only the vocabulary: every token equally likely (ln V)",
    "unigram": "knows which tokens are common, nothing about order",
    "bigram": "predicts from the previous token only, by counting pairs",
    "ngram": "predicts from the last {context} tokens by counting (Kneser–Ney): what counting alone achieves",
}


@dataclasses.dataclass(frozen=True)
class Baselines:
    """Cross-entropy of each counting model on the validation ids, nats per token."""

    uniform: float
    unigram: float
    bigram: float
    ngram: float | None
    order: int  # of the n-gram model
    note: str = ""  # why the n-gram baseline is missing, if it is

    def as_json(self) -> dict:
        return {name: getattr(self, name) for name in NAMES}

    def label(self, name: str) -> str:
        return f"{self.order}-gram" if name == "ngram" else name

    def explanation(self, name: str) -> str:
        return EXPLANATIONS[name].format(context=self.order - 1)

    def lines(self) -> list[tuple[str, float, str]]:
        """(label, nats per token, one-sentence explanation) of each baseline measured, worst first."""
        return [(self.label(name), getattr(self, name), self.explanation(name))
                for name in NAMES if getattr(self, name) is not None]


def from_json(values: dict | None, level: str) -> Baselines | None:
    """Baselines as ``config.json``'s result keeps them, or None when they are missing or damaged."""
    if not isinstance(values, dict):
        return None
    numbers = {name: values.get(name) for name in NAMES}
    if not all(isinstance(numbers[name], (int, float)) and math.isfinite(numbers[name]) for name in NAMES[:3]):
        return None
    if not (numbers["ngram"] is None or isinstance(numbers["ngram"], (int, float))):
        return None
    return Baselines(**numbers, order=NGRAM_ORDER.get(level, 5))


def measure(train_ids: np.ndarray, val_ids: np.ndarray, vocab_size: int, level: str = "char") -> Baselines:
    """All four baselines for a split, counted on ``train_ids`` and scored on ``val_ids``."""
    return fit(train_ids, vocab_size, level).measure(val_ids)


@dataclasses.dataclass(frozen=True)
class CountingModels:
    """The counting models of one training text, counted once, to score any text token by token."""

    vocab_size: int
    unigram_probabilities: np.ndarray  # (V,) add-one smoothed
    bigram: KneserNey
    ngram: KneserNey | None  # None: the training text is too short to trust it
    order: int
    note: str = ""

    def surprisal(self, ids: np.ndarray) -> dict[str, np.ndarray]:
        """Nats of each token of ``ids`` but the first (N - 1,) under each baseline measured, by name;
        a token's context is the tokens of ``ids`` before it."""
        ids = np.asarray(ids, dtype=np.int64)
        nats = {"uniform": np.full(max(len(ids) - 1, 0), math.log(self.vocab_size)),
                "unigram": -np.log(self.unigram_probabilities[ids[1:]]),
                "bigram": -np.log(self.bigram.probabilities(ids))}
        if self.ngram is not None:
            nats["ngram"] = -np.log(self.ngram.probabilities(ids))
        return nats

    def measure(self, ids: np.ndarray) -> Baselines:
        """Each baseline's mean nats per token over ``ids`` (every token but the first)."""
        means = {name: float(values.mean()) for name, values in self.surprisal(ids).items()}
        return Baselines(uniform=means["uniform"], unigram=means["unigram"], bigram=means["bigram"],
                         ngram=means.get("ngram"), order=self.order, note=self.note)


def fit(train_ids: np.ndarray, vocab_size: int, level: str = "char") -> CountingModels:
    """Count the four baselines on ``train_ids``; the n-gram only on a long enough text."""
    train_ids = np.asarray(train_ids, dtype=np.int64)
    order = NGRAM_ORDER.get(level, 5)
    note, ngram = "", None
    if len(train_ids) < MIN_NGRAM_TOKENS:
        note = (f"The training text has {len(train_ids):,} tokens, too few for a reliable {order}-gram "
                f"baseline (it needs {MIN_NGRAM_TOKENS:,}); only the simpler baselines are shown.")
    else:
        ngram = KneserNey.fit(train_ids, vocab_size, order)
    counts = np.bincount(train_ids, minlength=vocab_size)[:vocab_size].astype(np.float64)
    return CountingModels(vocab_size, (counts + 1) / (len(train_ids) + vocab_size),
                          KneserNey.fit(train_ids, vocab_size, 2), ngram, order, note)


def unigram(train_ids: np.ndarray, val_ids: np.ndarray, vocab_size: int) -> float:
    """Add-one smoothed token frequencies: P(w) = (c(w) + 1) / (N + V)."""
    counts = np.bincount(train_ids, minlength=vocab_size)[:vocab_size].astype(np.float64)
    probabilities = (counts + 1) / (len(train_ids) + vocab_size)
    return float(-np.log(probabilities[val_ids[1:]]).mean())


def _keys(ids: np.ndarray, order: int, vocab_size: int) -> np.ndarray:
    """Each run of ``order`` tokens as one integer, first token most significant: (len - order + 1,)."""
    keys = np.zeros(len(ids) - order + 1, dtype=np.int64)
    for offset in range(order):
        keys = keys * vocab_size + ids[offset:len(ids) - order + 1 + offset]
    return keys


def _discount(counts: np.ndarray) -> float:
    ones, twos = np.count_nonzero(counts == 1), np.count_nonzero(counts == 2)
    return float(np.clip(ones / (ones + 2 * twos), 0.1, 0.9)) if ones + twos else 0.5


def _lookup(sorted_keys: np.ndarray, columns: list[np.ndarray], queries: np.ndarray,
            space: int) -> list[np.ndarray]:
    """Each of ``columns`` (aligned with ``sorted_keys``) at ``queries``, zero where a query is absent."""
    if space <= DENSE_SPACE:  # a direct table is faster than a search
        found = []
        for column in columns:
            table = np.zeros(space, dtype=np.float64)
            table[sorted_keys] = column
            found.append(table[queries])
        return found
    if len(sorted_keys) == 0:
        return [np.zeros(len(queries), dtype=np.float64) for _ in columns]
    where = np.minimum(np.searchsorted(sorted_keys, queries), len(sorted_keys) - 1)
    present = sorted_keys[where] == queries
    return [np.where(present, column[where], 0).astype(np.float64) for column in columns]


def _grouped(keys: np.ndarray, counts: np.ndarray, vocab_size: int):
    """Per context (key // V): distinct contexts, their total count and how many tokens follow them."""
    contexts, starts = _runs(keys // vocab_size)  # sorted keys have sorted contexts
    return contexts, np.add.reduceat(counts, starts), np.diff(np.append(starts, len(keys)))


def _runs(sorted_keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct values of a sorted array and where each run of them starts."""
    if len(sorted_keys) == 0:
        return sorted_keys, np.zeros(0, dtype=np.int64)
    starts = np.flatnonzero(np.concatenate(([True], sorted_keys[1:] != sorted_keys[:-1])))
    return sorted_keys[starts], starts


def _count(keys: np.ndarray, space: int) -> tuple[np.ndarray, np.ndarray]:
    """Distinct keys (sorted) and how often each occurs. Small key spaces are tallied, not sorted."""
    if space <= DENSE_SPACE:
        tally = np.bincount(keys, minlength=space)
        distinct = np.flatnonzero(tally)
        return distinct, tally[distinct]
    distinct, starts = _runs(np.sort(keys))
    return distinct, np.diff(np.append(starts, len(keys)))


def kneser_ney(train_ids: np.ndarray, val_ids: np.ndarray, vocab_size: int, order: int) -> float:
    """Interpolated Kneser–Ney of ``order`` fitted on ``train_ids``, nats per token on ``val_ids[1:]``."""
    return float(-np.log(KneserNey.fit(train_ids, vocab_size, order).probabilities(val_ids)).mean())


@dataclasses.dataclass(frozen=True)
class KneserNey:
    """Interpolated Kneser–Ney of one order, counted once on a training text.

    ``levels[k]`` holds the k-grams' sorted distinct keys and counts (plain at the top order,
    continuation counts below it), their contexts' totals and follower counts, and the discount.
    """

    vocab_size: int
    order: int
    levels: dict

    @classmethod
    def fit(cls, train_ids: np.ndarray, vocab_size: int, order: int) -> KneserNey:
        train_ids = np.asarray(train_ids, dtype=np.int64)
        # Keys must fit in int64; a huge vocabulary lowers the order rather than overflow.
        while order > 1 and vocab_size ** order >= 2 ** 62:
            order -= 1
        order = max(1, min(order, len(train_ids)))
        # counts[k]: (sorted distinct k-gram keys, their counts): plain at the top, continuation below.
        counts: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        counts[order] = _count(_keys(train_ids, order, vocab_size), vocab_size ** order)
        for k in range(order - 1, 0, -1):
            above = counts[k + 1][0]
            # Dropping the first token of each distinct (k+1)-gram: how many different tokens precede each k-gram.
            counts[k] = _count(above % vocab_size ** k, vocab_size ** k)
        levels = {1: (*counts[1], _discount(counts[1][1]))}
        for k in range(2, order + 1):
            keys, values = counts[k]
            levels[k] = (keys, values, *_grouped(keys, values, vocab_size), _discount(values))
        return cls(vocab_size, order, levels)

    def probabilities(self, ids: np.ndarray) -> np.ndarray:
        """P(ids[t] | the tokens of ``ids`` before it) for every t >= 1: (N - 1,), never zero."""
        ids = np.asarray(ids, dtype=np.int64)
        vocab_size = self.vocab_size
        targets = ids[1:]  # (N,)
        positions = np.arange(1, len(ids))
        unigram_keys, unigram_counts, discount = self.levels[1]
        total, seen = unigram_counts.sum(), len(unigram_keys)
        [seen_count] = _lookup(unigram_keys, [unigram_counts], targets, vocab_size)
        probability = (np.maximum(seen_count - discount, 0)
                       + discount * seen / vocab_size) / total  # (N,)
        keys_here = ids.copy()  # after step k: the k-gram ending at each position
        for k in range(2, self.order + 1):
            keys_here[k - 1:] = keys_here[k - 2:-1] * vocab_size + ids[k - 1:]
            keys, values, contexts, context_totals, followers, discount = self.levels[k]
            has_context = positions >= k - 1
            grams = keys_here[positions]
            [joint] = _lookup(keys, [values], grams, vocab_size ** k)
            context_total, context_followers = _lookup(contexts, [context_totals, followers], grams // vocab_size,
                                                       vocab_size ** (k - 1))
            known = has_context & (context_total > 0)
            safe_total = np.where(known, context_total, 1)
            interpolated = (np.maximum(joint - discount, 0) + discount * context_followers * probability) / safe_total
            probability = np.where(known, interpolated, probability)
        return probability
