"""Quality and diversity measures for generated text.

Every function works on a *token sequence*: a list of words, a list of token ids, or a
plain ``str``, which counts as a sequence of characters (``"abc"`` is ``a``, ``b``,
``c``). A 1-D NumPy array of ids works too. Nothing here knows about models: the
numbers describe text, so they can be compared across architectures and tokenizers as
long as both sides are tokenized the same way.

The measures, and what they are good for:

* **distinct-n**: distinct n-grams / all n-grams. Low values mean the sample keeps
  saying the same thing (loops such as ``"the the the"``).
* **repetition rate**: the share of n-gram occurrences that repeat an earlier one.
* **copied share** and **longest copied span** (:class:`NgramIndex`): how much of a
  sample is lifted verbatim from the training corpus. A model that memorised its corpus
  scores high here even when its samples look fluent.
* **BLEU** (:func:`sentence_bleu`, :func:`mean_sentence_bleu`): n-gram overlap with reference
  texts, with the brevity penalty of Papineni et al. (2002).
* **self-BLEU** (:func:`self_bleu`): BLEU of each sample against the other samples.
  High self-BLEU means the samples resemble each other: low diversity across samples.

All of it is written from the definitions, in pure Python and NumPy.
"""

from __future__ import annotations

import bisect
import dataclasses
import math
from collections import Counter
from collections.abc import Sequence

import numpy as np

TokenSequence = str | Sequence[str] | Sequence[int] | np.ndarray
"""Characters (a ``str``), words (``list[str]``), or token ids (``list[int]``, 1-D array)."""

Ngram = tuple
"""An n-gram is a tuple of ``n`` consecutive tokens, e.g. ``("t", "h", "e")``."""

# Non-character tokens are written into the searchable corpus string as one character
# each: the n-th different token gets code point n, skipping the surrogate block (which
# UTF-32 cannot hold). A match in that string is then a match of whole tokens.
_SURROGATES = range(0xD800, 0xE000)


def _code_character(index: int) -> str:
    return chr(index if index < _SURROGATES.start else index + len(_SURROGATES))


def _as_tokens(tokens: TokenSequence) -> tuple:
    """The tokens as a tuple; a ``str`` becomes its characters."""
    if isinstance(tokens, np.ndarray):
        if tokens.ndim != 1:
            raise ValueError(f"Expected a 1-D array of tokens, got shape {tokens.shape}.")
        # tolist() gives plain Python ints/strs, which compare and hash like the tokens
        # of an ordinary list.
        return tuple(tokens.tolist())
    return tuple(tokens)


def _check_order(n: int, name: str = "n") -> None:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"{name} must be a whole number of at least 1, got {n!r}.")


def _ngrams_of_tuple(tokens: tuple, n: int) -> list[Ngram]:
    # zip over n shifted views yields every window of n consecutive tokens, and stops
    # by itself when the sequence is shorter than n.
    return list(zip(*(tokens[offset:] for offset in range(n))))


def ngrams(tokens: TokenSequence, n: int) -> list[Ngram]:
    """All n-grams of a sequence, in order, overlapping, repeats kept.

    A sequence of ``L`` tokens has ``max(L - n + 1, 0)`` n-grams:
    ``ngrams("abcd", 2) == [("a", "b"), ("b", "c"), ("c", "d")]``.
    """
    _check_order(n)
    return _ngrams_of_tuple(_as_tokens(tokens), n)


def distinct_n(tokens: TokenSequence, n: int) -> float:
    """Distinct-n: the number of *different* n-grams divided by the number of n-grams.

    1.0 means no n-gram occurs twice; values near 0 mean a few n-grams repeat over and
    over. Example: ``"abab"`` has the bigrams ``ab, ba, ab``: 2 different out of 3, so
    distinct-2 is 2/3. Returns 0.0 when the sequence is too short to have an n-gram.
    """
    grams = ngrams(tokens, n)
    if not grams:
        return 0.0
    return len(set(grams)) / len(grams)


def repetition_rate(tokens: TokenSequence, n: int = 4) -> float:
    """The share of n-gram occurrences whose n-gram already occurred earlier.

    Reading the sequence left to right, an occurrence is a repetition when the same n-gram
    appeared at an earlier position (overlapping occurrences count). Example: ``"abcabc"``
    with ``n=3`` has the trigrams ``abc, bca, cab, abc``; only the last repeats: 1/4.

    Each different n-gram is new exactly once (its first occurrence), so the rate *is*
    ``1 - distinct_n(tokens, n)``, and is computed so. It has its own name because it is read
    at a longer ``n`` (4, where repeats are loops rather than common letter pairs) and as "the
    share of the text that repeats". 0.0 when there are no n-grams.
    """
    distinct = distinct_n(tokens, n)  # 0.0 only when there are no n-grams
    return 1.0 - distinct if distinct else 0.0


class NgramIndex:
    """A training corpus indexed once, for asking "was this copied?".

    ``NgramIndex(corpus_tokens, n)`` writes the corpus as one string, one character per
    token, and sorts its suffixes (a suffix array). Whether any span of tokens occurs in
    the corpus is then a binary search, O(span * log C) for a corpus of C tokens. Building
    takes about 1 s for 1 MB of text and keeps about 5 bytes per token (a set of the
    corpus's 8-grams took 50 times that).

    Character-level corpora (a ``str``, or a sequence of one-character strings) are
    searched as the text itself. Other tokens (words, ids) get one code character per
    different token, so a search only matches whole tokens: the word ``"at"`` is not
    found inside the corpus word ``"cat"``. Strings and ints are told apart (``1`` is not
    ``"1"``); ``True``/``False`` count as the ints 1/0, as they do in Python's own
    comparisons. ``n`` is the n-gram length of :meth:`copied_share`.
    """

    def __init__(self, corpus_tokens: TokenSequence, n: int = 4) -> None:
        _check_order(n)
        self._n = int(n)
        self._codes: dict[str, str] = {}  # token key -> its character (non-character corpora)
        self._distinct: int | None = None
        if isinstance(corpus_tokens, str):
            self._character_level, self._searchable = True, corpus_tokens
        else:
            tokens = _as_tokens(corpus_tokens)
            self._character_level = bool(tokens) and all(
                isinstance(token, str) and len(token) == 1 for token in tokens
            )
            if self._character_level:
                self._searchable = "".join(tokens)
            else:
                keys = [_token_key(token) for token in tokens]
                for key in keys:
                    if key not in self._codes:
                        self._codes[key] = _code_character(len(self._codes))
                self._searchable = "".join(self._codes[key] for key in keys)
        self._suffixes = _suffix_array(self._searchable)

    @property
    def n(self) -> int:
        """The n-gram length of :meth:`copied_share`."""
        return self._n

    @property
    def corpus_length(self) -> int:
        """Number of tokens in the corpus."""
        return len(self._searchable)

    @property
    def distinct_ngrams(self) -> int:
        """Number of different n-grams in the corpus (counted on first use)."""
        if self._distinct is None:
            text, n = self._searchable, self._n
            self._distinct = len({text[at : at + n] for at in range(len(text) - n + 1)})
        return self._distinct

    @property
    def is_character_level(self) -> bool:
        """Whether the corpus is a sequence of single characters."""
        return self._character_level

    def __contains__(self, ngram: object) -> bool:
        """Whether an n-gram (a tuple of ``n`` tokens) occurs in the corpus."""
        if not isinstance(ngram, tuple) or len(ngram) != self._n:
            return False
        pieces = [self._searchable_piece(token) for token in ngram]
        return None not in pieces and self._find("".join(pieces)) >= 0  # type: ignore[arg-type]

    def copied_share(self, tokens: TokenSequence) -> float:
        """The share of the sample's n-grams that also occur somewhere in the corpus.

        Counts occurrences, so an n-gram the sample repeats three times counts three
        times. 1.0 means every n-gram of the sample is in the corpus (not necessarily in
        the same order). Returns 0.0 when the sample is shorter than ``n``. Cost: one
        search per different n-gram, O(L * n * log C) for a sample of L tokens.
        """
        pieces = [self._searchable_piece(token) for token in _as_tokens(tokens)]
        count = len(pieces) - self._n + 1
        if count <= 0:
            return 0.0
        found: dict[str, bool] = {}
        copied = 0
        for start in range(count):
            window = pieces[start : start + self._n]
            if None in window:
                continue
            needle = "".join(window)  # type: ignore[arg-type]
            if needle not in found:
                found[needle] = self._find(needle) >= 0
            copied += found[needle]
        return copied / count

    def longest_copied_span(self, tokens: TokenSequence) -> int:
        """Length, in tokens, of the longest contiguous part of the sample found verbatim
        in the corpus (0 when no single token of the sample occurs in it).

        Method: a two-pointer sweep. If a span occurs in the corpus, so does every
        shorter piece of it. So for each start position ``i`` the end ``j`` only needs
        to grow while ``sample[i:j]`` occurs, and when ``i`` moves on, ``j`` stays where
        it is: ``sample[i+1:j]`` is part of a span that occurred. ``j`` never moves back,
        so there are at most ``2 * L`` occurrence checks for a sample of ``L`` tokens.
        A span that just grew by one token usually still sits at the corpus position where
        it was last found (one comparison); otherwise the check is a search of the suffix
        array, O(S * log C), S being the answer. Measured on the 1 MB Tiny Shakespeare:
        six 200-character samples take about 9 ms together (``str.find`` over the whole
        corpus took 180 ms).
        """
        pieces = [self._searchable_piece(token) for token in _as_tokens(tokens)]
        length = len(pieces)
        searchable = self._searchable
        best = 0
        stop = 0
        found_at = -1  # where sample[start:stop] was last found in the corpus string
        for start in range(length):
            if stop <= start:
                stop, found_at = start, -1
            elif found_at >= 0:
                # Dropping the first token of a found span leaves a span that starts
                # right after that token at the same corpus position.
                found_at += 1
            while stop < length and pieces[stop] is not None:
                candidate = "".join(pieces[start : stop + 1])  # type: ignore[arg-type]
                if not (found_at >= 0 and searchable.startswith(candidate, found_at)):
                    found_at = self._find(candidate)
                    if found_at < 0:
                        break
                stop += 1
            best = max(best, stop - start)
            if best >= length - start:
                break  # no later start can give a longer span
        return best

    def _searchable_piece(self, token: object) -> str | None:
        """How a sample token is written in the corpus string; None if it cannot occur."""
        if self._character_level or not self._codes:
            return token if isinstance(token, str) and len(token) == 1 else None
        return self._codes.get(_token_key(token))

    def _find(self, needle: str) -> int:
        """A position of ``needle`` in the corpus string, or -1: a binary search of the
        sorted suffixes, O(len(needle) * log C)."""
        suffixes, searchable, width = self._suffixes, self._searchable, len(needle)
        place = bisect.bisect_left(suffixes, needle, key=lambda at: searchable[at : at + width])
        if place < len(suffixes) and searchable.startswith(needle, suffixes[place]):
            return int(suffixes[place])
        return -1


def _token_key(token: object) -> str:
    """A text key telling tokens apart as Python's equality does, except that strings and
    numbers never match (``"1"`` is not ``1``)."""
    if isinstance(token, str):
        # str.__repr__ rather than repr(): NumPy string scalars have their own repr,
        # and they must be keyed like the equal plain str.
        return str.__repr__(token)
    if isinstance(token, (int, np.integer)):
        return str(int(token))
    return repr(token)


def _suffix_array(text: str) -> np.ndarray:
    """The start positions of ``text``'s suffixes in sorted order (prefix doubling).

    Each round sorts the suffixes by their first ``2k`` characters, given the ranks by
    the first ``k``: the pair (rank at i, rank at i + k). It stops once all ranks
    differ, after about log2 of the longest repeated substring's length rounds, each one
    NumPy sort of C keys.
    """
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4")
    size = len(codes)
    if size == 0:
        return np.zeros(0, dtype=np.int64)
    rank = np.unique(codes, return_inverse=True)[1].astype(np.int64).reshape(-1)
    width = 1
    while True:
        following = np.zeros(size, dtype=np.int64)  # 0 past the end sorts first
        if width < size:
            following[: size - width] = rank[width:] + 1
        pair = rank * (size + 1) + following
        order = np.argsort(pair, kind="stable")
        keys = pair[order]
        sorted_rank = np.concatenate(([0], np.cumsum(keys[1:] != keys[:-1])))
        rank = np.empty(size, dtype=np.int64)
        rank[order] = sorted_rank
        if sorted_rank[-1] == size - 1:
            return order.astype(np.int32) if size < 2**31 else order
        width *= 2


# --------------------------------------------------------------------------- BLEU


@dataclasses.dataclass(frozen=True)
class _ReferenceStats:
    """What BLEU needs from a set of references, computed once and reused.

    ``max_counts[k]`` maps each (k+1)-gram to the largest number of times it occurs in
    any single reference: the clip for the "modified" precision. ``lengths`` are the
    reference lengths, for the brevity penalty.
    """

    max_counts: tuple[dict[Ngram, int], ...]
    lengths: tuple[int, ...]


def _ngram_counts(tokens: tuple, max_n: int) -> tuple[Counter, ...]:
    """Counts of 1-grams, 2-grams, ..., max_n-grams of one sequence."""
    return tuple(Counter(_ngrams_of_tuple(tokens, n)) for n in range(1, max_n + 1))


def _merge_reference_counts(
    counts_per_reference: Sequence[tuple[Counter, ...]], lengths: Sequence[int], max_n: int
) -> _ReferenceStats:
    """Combine per-reference n-gram counts into the per-n-gram maximum over references."""
    max_counts: list[dict[Ngram, int]] = []
    for order in range(max_n):
        merged: dict[Ngram, int] = {}
        for reference_counts in counts_per_reference:
            for gram, count in reference_counts[order].items():
                if count > merged.get(gram, 0):
                    merged[gram] = count
        max_counts.append(merged)
    return _ReferenceStats(max_counts=tuple(max_counts), lengths=tuple(lengths))


def _reference_stats(references: Sequence[TokenSequence], max_n: int) -> _ReferenceStats:
    """Clipping counts and lengths for a list of references (the shared, reusable part)."""
    if isinstance(references, str):
        raise TypeError(
            "references must be a list of token sequences, e.g. ['the cat sat'], "
            "not a single string."
        )
    reference_tokens = [_as_tokens(reference) for reference in references]
    if not reference_tokens:
        raise ValueError("BLEU needs at least one reference.")
    return _merge_reference_counts(
        [_ngram_counts(tokens, max_n) for tokens in reference_tokens],
        [len(tokens) for tokens in reference_tokens],
        max_n,
    )


def _bleu_against(
    hypothesis_length: int,
    hypothesis_counts: tuple[Counter, ...],
    references: _ReferenceStats,
    max_n: int,
) -> float:
    if hypothesis_length == 0:
        return 0.0
    log_precision_sum = 0.0
    for order in range(max_n):
        clip = references.max_counts[order]
        counts = hypothesis_counts[order]
        matches = sum(min(count, clip.get(gram, 0)) for gram, count in counts.items())
        total = sum(counts.values())
        if order == 0:
            if matches == 0:
                return 0.0
            precision = matches / total
        else:
            # Add-one smoothing for n >= 2 (Lin & Och 2004; Chen & Cherry 2014, method 2):
            # without it a short sample with no matching 4-gram scores exactly 0, hiding
            # every difference in its unigram and bigram overlap.
            precision = (matches + 1) / (total + 1)
        log_precision_sum += math.log(precision)
    # The reference length closest to the hypothesis length; ties go to the shorter.
    closest = min(references.lengths, key=lambda length: (abs(length - hypothesis_length), length))
    brevity_penalty = 1.0 if hypothesis_length > closest else math.exp(1.0 - closest / hypothesis_length)
    return brevity_penalty * math.exp(log_precision_sum / max_n)


def sentence_bleu(
    hypothesis: TokenSequence, references: Sequence[TokenSequence], max_n: int = 4
) -> float:
    """BLEU of one hypothesis against one or more references, between 0 and 1.

    BLEU = BP * exp( (1/N) * sum_{n=1..N} log p_n ), with N = ``max_n``:

    * ``p_n`` is the *modified* n-gram precision: each hypothesis n-gram counts as
      matched at most as many times as it occurs in a single reference (the maximum
      over references), so ``"the the the the"`` cannot score by repeating ``"the"``.
      ``p_1 = clipped matches / hypothesis unigrams``. For ``n >= 2`` one is added to
      both sides, ``p_n = (matches + 1) / (n-grams + 1)`` (smoothing of Lin & Och 2004;
      "method 2" of Chen & Cherry 2014), so short samples do not drop to 0. A hypothesis
      shorter than ``n`` has no n-grams and gets ``p_n = 1/1``.
    * ``BP``, the brevity penalty, stops very short hypotheses from scoring high
      precision cheaply: with hypothesis length ``c`` and ``r`` the reference length
      closest to ``c`` (ties go to the shorter reference), ``BP = 1`` if ``c > r``,
      else ``exp(1 - r / c)``.

    Returns 0.0 for an empty hypothesis or when no unigram matches. An identical
    hypothesis and reference give 1.0.
    """
    _check_order(max_n, "max_n")
    stats = _reference_stats(references, max_n)
    hypothesis_tokens = _as_tokens(hypothesis)
    return _bleu_against(
        len(hypothesis_tokens), _ngram_counts(hypothesis_tokens, max_n), stats, max_n
    )


def mean_sentence_bleu(
    hypotheses: Sequence[TokenSequence], references: Sequence[TokenSequence], max_n: int = 4
) -> float:
    """The mean of :func:`sentence_bleu` over the hypotheses, each against all references.

    Note: this is a plain average of per-sample scores, not the "corpus BLEU" of
    Papineni et al., which pools n-gram counts and lengths over all sentences before
    dividing. The reference clipping counts are computed once and shared by every
    hypothesis. Returns 0.0 when there are no hypotheses.
    """
    _check_order(max_n, "max_n")
    if isinstance(hypotheses, str):
        raise TypeError("hypotheses must be a list of token sequences, not a single string.")
    stats = _reference_stats(references, max_n)
    if len(hypotheses) == 0:
        return 0.0
    scores = []
    for hypothesis in hypotheses:
        tokens = _as_tokens(hypothesis)
        scores.append(_bleu_against(len(tokens), _ngram_counts(tokens, max_n), stats, max_n))
    return float(np.mean(scores))


def self_bleu(
    samples: Sequence[TokenSequence], max_n: int = 4, max_references: int | None = None
) -> float:
    """Self-BLEU (Zhu et al. 2018): how much the samples resemble *each other*.

    Each sample in turn is the hypothesis, and the *other* samples are its references
    (never the sample itself, which would always match perfectly). The result is the
    mean of these :func:`sentence_bleu` scores. High self-BLEU means low diversity: 1.0
    when all samples are identical.

    ``max_references`` caps the number of references per hypothesis: the first
    ``max_references`` other samples in their original order. Returns 0.0 for fewer
    than two samples.

    Cost: O(N^2 * L * max_n) for N samples of L tokens, since each of the N
    hypotheses merges the n-gram counts of up to N - 1 references (each sample's counts
    are computed only once).
    """
    _check_order(max_n, "max_n")
    if max_references is not None:
        _check_order(max_references, "max_references")
    if isinstance(samples, str):
        raise TypeError("samples must be a list of token sequences, not a single string.")
    sample_tokens = [_as_tokens(sample) for sample in samples]
    if len(sample_tokens) < 2:
        return 0.0
    counts = [_ngram_counts(tokens, max_n) for tokens in sample_tokens]
    lengths = [len(tokens) for tokens in sample_tokens]
    scores = []
    for index, tokens in enumerate(sample_tokens):
        others = [other for other in range(len(sample_tokens)) if other != index]
        if max_references is not None:
            others = others[:max_references]
        stats = _merge_reference_counts(
            [counts[other] for other in others], [lengths[other] for other in others], max_n
        )
        scores.append(_bleu_against(len(tokens), counts[index], stats, max_n))
    return float(np.mean(scores))


# ------------------------------------------------------------------ one-sample summary


def sample_metrics(
    tokens: TokenSequence,
    index: NgramIndex | None = None,
    logprobs: Sequence[float] | np.ndarray | None = None,
) -> dict[str, float | int | None]:
    """The per-sample measures in one dictionary, for display next to a sample.

    Keys:

    * ``distinct_1``, ``distinct_2``, ``distinct_3``: :func:`distinct_n` for n = 1, 2, 3.
    * ``repetition_rate``: :func:`repetition_rate` with n = 4.
    * ``copied_share``, ``longest_copied``: :meth:`NgramIndex.copied_share` and
      :meth:`NgramIndex.longest_copied_span` against the training corpus; None without
      an ``index``.
    * ``mean_logprob``: the mean of the per-token log-probabilities the model gave the
      tokens it sampled (natural log; closer to 0 is more confident); None when no
      log-probabilities are given or they are empty.
    """
    sequence = _as_tokens(tokens)
    mean_logprob: float | None = None
    if logprobs is not None:
        values = np.asarray(logprobs, dtype=np.float64)
        if values.size:
            mean_logprob = float(values.mean())
    return {
        "distinct_1": distinct_n(sequence, 1),
        "distinct_2": distinct_n(sequence, 2),
        "distinct_3": distinct_n(sequence, 3),
        "repetition_rate": repetition_rate(sequence, 4),
        "copied_share": index.copied_share(sequence) if index is not None else None,
        "longest_copied": index.longest_copied_span(sequence) if index is not None else None,
        "mean_logprob": mean_logprob,
    }


CHAR_NGRAM, WORD_NGRAM = 8, 3  # what "copied" means: a shared 8-character or 3-word n-gram


def memorisation_index(train_text: str, level: str) -> NgramIndex:
    """Index of the training text: 8-character n-grams, or 3-word n-grams at word level."""
    from playground.text.tokenizers import WordTokenizer

    if level != "word":
        return NgramIndex(train_text, CHAR_NGRAM)
    return NgramIndex(WordTokenizer.split(train_text), WORD_NGRAM)
