"""Text-quality metrics against small examples worked out by hand in the comments."""

import math

import numpy as np
import pytest

from playground.text.metrics import (
    NgramIndex,
    mean_sentence_bleu,
    distinct_n,
    ngrams,
    repetition_rate,
    sample_metrics,
    self_bleu,
    sentence_bleu,
)

# ---------------------------------------------------------------- n-grams, distinct-n


def test_ngrams_of_characters_words_and_ids():
    assert ngrams("abcd", 2) == [("a", "b"), ("b", "c"), ("c", "d")]
    assert ngrams(["to", "be", "or"], 2) == [("to", "be"), ("be", "or")]
    assert ngrams([1, 2, 3], 3) == [(1, 2, 3)]
    assert ngrams(np.array([1, 2, 3]), 1) == [(1,), (2,), (3,)]


def test_ngrams_of_too_short_or_empty_sequences_are_empty():
    assert ngrams("ab", 3) == []
    assert ngrams("", 1) == []
    assert ngrams([], 2) == []


@pytest.mark.parametrize("bad_n", [0, -1, 1.5, True])
def test_ngrams_rejects_bad_order(bad_n):
    with pytest.raises(ValueError):
        ngrams("abc", bad_n)


def test_distinct_n_hand_examples():
    # "abab": bigrams ab, ba, ab -> 2 distinct / 3 = 2/3.
    assert distinct_n("abab", 2) == pytest.approx(2 / 3)
    # "abab": unigrams a, b, a, b -> 2 distinct / 4 = 1/2.
    assert distinct_n("abab", 1) == pytest.approx(0.5)
    # "aaaa": unigrams -> 1 / 4.
    assert distinct_n("aaaa", 1) == pytest.approx(0.25)
    # No repeats at all -> 1.0.
    assert distinct_n("abcdef", 3) == 1.0


def test_distinct_n_word_level_and_ids():
    # the cat the cat: bigrams (the,cat) (cat,the) (the,cat) -> 2 / 3.
    assert distinct_n(["the", "cat", "the", "cat"], 2) == pytest.approx(2 / 3)
    # word unigrams: the, cat, the, cat -> 2 / 4. (As characters it would differ.)
    assert distinct_n(["the", "cat", "the", "cat"], 1) == pytest.approx(0.5)
    assert distinct_n(np.array([1, 2, 1, 2]), 2) == pytest.approx(2 / 3)


def test_distinct_n_without_ngrams_is_zero():
    assert distinct_n("", 1) == 0.0
    assert distinct_n("ab", 3) == 0.0


# ------------------------------------------------------------------- repetition rate


def test_repetition_rate_hand_examples():
    # "abcabc", n=3: trigrams abc, bca, cab, abc; only the 4th occurrence was seen
    # before -> 1/4.
    assert repetition_rate("abcabc", 3) == pytest.approx(0.25)
    # "aaaaa", n=2: bigrams aa, aa, aa, aa; all but the first repeat -> 3/4.
    assert repetition_rate("aaaaa", 2) == pytest.approx(0.75)
    # Default n=4. "abcdabcd": abcd, bcda, cdab, dabc, abcd -> 1 repeat / 5.
    assert repetition_rate("abcdabcd") == pytest.approx(0.2)
    assert repetition_rate("abcdefgh") == 0.0


def test_repetition_rate_equals_one_minus_distinct_for_the_same_n():
    # Every different n-gram is "new" exactly once, so the two are complements.
    text = "the cat sat on the mat and the cat sat"
    for n in (1, 2, 3, 4):
        assert repetition_rate(text, n) == pytest.approx(1 - distinct_n(text, n))


def test_repetition_rate_word_level_and_empty():
    # words: a b a b a, n=2: (a,b) (b,a) (a,b) (b,a) -> last two repeat -> 2/4.
    assert repetition_rate(["a", "b", "a", "b", "a"], 2) == pytest.approx(0.5)
    assert repetition_rate("") == 0.0
    assert repetition_rate("abc", 4) == 0.0


# ------------------------------------------------------------------------ NgramIndex


def test_copied_share_characters():
    index = NgramIndex("the cat sat", 3)
    # Sample "a cat": trigrams "a c", " ca", "cat"; "a c" is not in the corpus
    # ("the cat" has "e c"), the other two are -> 2/3.
    assert index.copied_share("a cat") == pytest.approx(2 / 3)
    assert index.copied_share("the cat") == 1.0
    assert index.copied_share("xyz") == 0.0


def test_copied_share_counts_occurrences_and_handles_short_samples():
    index = NgramIndex("abc", 2)
    # "ababx": ab, ba, ab, bx -> "ab" twice in the corpus, "ba", "bx" not -> 2/4.
    assert index.copied_share("ababx") == pytest.approx(0.5)
    assert index.copied_share("a") == 0.0  # shorter than n: no bigrams
    assert index.copied_share("") == 0.0


def test_longest_copied_span_characters():
    index = NgramIndex("the cat sat", 2)
    # " cat s" occurs in "the cat sat"; " cat si" does not; nothing longer matches.
    assert index.longest_copied_span("a cat sits") == 6
    assert index.longest_copied_span("the cat sat") == 11
    assert index.longest_copied_span("xyz") == 0
    assert index.longest_copied_span("") == 0


def test_longest_copied_span_when_every_ngram_occurs_but_the_span_does_not():
    # All bigrams of "abcd" (ab, bc, cd) are in "abcXbcd", but "abcd" itself is not:
    # the longest copied pieces are "abc" and "bcd", 3 characters.
    index = NgramIndex("abcXbcd", 2)
    assert index.copied_share("abcd") == 1.0
    assert index.longest_copied_span("abcd") == 3


def test_longest_copied_span_list_of_characters_same_as_str():
    index = NgramIndex(list("the cat sat"), 2)
    assert index.is_character_level
    assert index.longest_copied_span(list("a cat sits")) == 6
    assert index.longest_copied_span("a cat sits") == 6


def test_word_level_index():
    corpus = ["to", "be", "or", "not", "to", "be"]
    index = NgramIndex(corpus, 2)
    assert not index.is_character_level
    assert index.corpus_length == 6
    # Distinct bigrams: (to,be) (be,or) (or,not) (not,to) -> 4.
    assert index.distinct_ngrams == 4
    # "not to be or": bigrams (not,to) (to,be) (be,or), all in the corpus -> 1.0.
    # Longest span: "not to be" (corpus words 4-6) or "to be or" (words 1-3): 3 words;
    # the four words in a row never occur.
    sample = ["not", "to", "be", "or"]
    assert index.copied_share(sample) == 1.0
    assert index.longest_copied_span(sample) == 3
    # "to be is to do": (to,be) only, out of 4 bigrams -> 1/4; longest span "to be" = 2.
    sample = ["to", "be", "is", "to", "do"]
    assert index.copied_share(sample) == pytest.approx(0.25)
    assert index.longest_copied_span(sample) == 2


def test_word_level_spans_match_whole_tokens_only():
    index = NgramIndex(["cat", "sat"], 2)
    # "at" is inside the corpus string "cat" but is not a corpus token.
    assert index.longest_copied_span(["at"]) == 0
    assert index.longest_copied_span(["cat", "sat"]) == 2
    assert index.longest_copied_span(["ca", "t"]) == 0


def test_token_id_index():
    index = NgramIndex([1, 12, 3], 2)
    # Token 2 is not in the corpus even though the digit "2" is part of "12".
    assert index.longest_copied_span([2]) == 0
    assert index.longest_copied_span([12, 3]) == 2
    assert index.longest_copied_span([1, 2]) == 1
    assert index.longest_copied_span(np.array([5, 1, 12, 3, 7])) == 3
    # Ids and strings are different tokens.
    assert index.longest_copied_span(["1", "12"]) == 0


def test_character_index_with_word_sample():
    # Multi-character tokens can never be part of a character corpus.
    index = NgramIndex("abc", 2)
    assert index.longest_copied_span(["ab", "c"]) == 1


def test_empty_corpus_index():
    index = NgramIndex("", 3)
    assert index.distinct_ngrams == 0
    assert index.copied_share("abc") == 0.0
    assert index.longest_copied_span("abc") == 0
    assert NgramIndex([], 2).longest_copied_span(["a"]) == 0


def longest_copied_by_brute_force(corpus, sample) -> int:
    corpus, sample = list(corpus), list(sample)
    best = 0
    for start in range(len(sample)):
        for stop in range(start + best + 1, len(sample) + 1):
            piece = sample[start:stop]
            if not any(corpus[at:at + len(piece)] == piece for at in range(len(corpus) - len(piece) + 1)):
                break
            best = stop - start
    return best


@pytest.mark.parametrize("level", ["char", "word"])
def test_longest_copied_span_matches_brute_force(level):
    # A small alphabet makes long shared spans common, so the suffix search runs a lot.
    rng = np.random.default_rng(7)
    alphabet = list("ab c") if level == "char" else ["to", "be", "or", "not", 3]
    for _ in range(60):
        corpus = [alphabet[i] for i in rng.integers(0, len(alphabet), rng.integers(0, 80))]
        sample = [alphabet[i] for i in rng.integers(0, len(alphabet), rng.integers(0, 40))]
        index = NgramIndex("".join(corpus) if level == "char" else corpus, 3)
        assert index.longest_copied_span(sample) == longest_copied_by_brute_force(corpus, sample)


def test_suffix_array_is_sorted():
    from playground.text.metrics import _suffix_array

    text = "mississippi banana" * 3
    assert [text[at:] for at in _suffix_array(text)] == sorted(text[at:] for at in range(len(text)))
    assert list(_suffix_array("")) == []
    assert list(_suffix_array("aaaa")) == [3, 2, 1, 0]


def test_index_rejects_bad_order():
    with pytest.raises(ValueError):
        NgramIndex("abc", 0)


# ------------------------------------------------------------------------------ BLEU


def test_bleu_of_identical_hypothesis_and_reference_is_one():
    assert sentence_bleu("the cat sat on the mat", ["the cat sat on the mat"]) == pytest.approx(1.0)
    words = ["the", "cat", "sat", "on", "the", "mat"]
    assert sentence_bleu(words, [words]) == pytest.approx(1.0)


def test_bleu_hand_worked_word_example():
    hypothesis = ["the", "cat", "sat", "on", "mat"]  # c = 5 words
    reference = ["the", "cat", "sat", "on", "the", "mat"]  # r = 6 words
    # p1: the, cat, sat, on, mat all in the reference         -> 5/5 = 1
    # p2: (the cat) (cat sat) (sat on) match, (on mat) not     -> (3+1)/(4+1) = 4/5
    # p3: (the cat sat) (cat sat on) match, (sat on mat) not   -> (2+1)/(3+1) = 3/4
    # p4: (the cat sat on) matches, (cat sat on mat) not       -> (1+1)/(2+1) = 2/3
    # geometric mean: (1 * 4/5 * 3/4 * 2/3) ** (1/4) = (2/5) ** 0.25
    # brevity penalty: c = 5 <= r = 6 -> exp(1 - 6/5) = exp(-0.2)
    expected = math.exp(-0.2) * (2 / 5) ** 0.25  # ~0.6511
    assert sentence_bleu(hypothesis, [reference]) == pytest.approx(expected)


def test_bleu_clips_counts_by_the_maximum_over_references_not_the_sum():
    # Unigram BLEU. "the" occurs once in the first reference and twice in the second:
    # the clip is max(1, 2) = 2, not 1 + 2 = 3. p1 = 2/4.
    # Lengths 2 and 3; the closest to c = 4 is 3; c > r -> BP = 1.
    hypothesis = ["the"] * 4
    references = [["the", "cat"], ["the", "the", "dog"]]
    assert sentence_bleu(hypothesis, references, max_n=1) == pytest.approx(0.5)


def test_bleu_brevity_penalty_ties_go_to_the_shorter_reference():
    # c = 4; references of length 3 and 5 are equally close -> r = 3 -> c > r -> BP = 1.
    # (Were the longer one chosen, BP = exp(1 - 5/4) ~ 0.78.)  p1 = 4/4.
    assert sentence_bleu("abcd", ["abc", "abcde"], max_n=1) == pytest.approx(1.0)


def test_bleu_short_hypothesis_is_smoothed_not_zero():
    # "ab" vs "ab": p1 = 2/2, p2 = (1+1)/(1+1), no trigrams or 4-grams -> (0+1)/(0+1).
    assert sentence_bleu("ab", ["ab"]) == pytest.approx(1.0)
    # "ab" vs "abcd": same precisions, BP = exp(1 - 4/2) = exp(-1).
    assert sentence_bleu("ab", ["abcd"]) == pytest.approx(math.exp(-1))
    # "abx" vs "abcd": p1 = 2/3; p2: ab yes, bx no -> (1+1)/(2+1) = 2/3;
    # p3: abx no -> (0+1)/(1+1) = 1/2; p4: none -> 1/1. BP = exp(1 - 4/3).
    expected = math.exp(1 - 4 / 3) * (2 / 3 * 2 / 3 * 1 / 2 * 1) ** 0.25
    assert sentence_bleu("abx", ["abcd"]) == pytest.approx(expected)


def test_bleu_is_zero_without_unigram_matches_or_hypothesis():
    assert sentence_bleu("xyz", ["abc"]) == 0.0
    assert sentence_bleu("", ["abc"]) == 0.0
    assert sentence_bleu([], [["a", "b"]]) == 0.0


def test_bleu_rejects_missing_or_string_references():
    with pytest.raises(ValueError):
        sentence_bleu("abc", [])
    with pytest.raises(TypeError):
        sentence_bleu("abc", "abc")


def test_corpus_bleu_is_the_mean_of_sentence_bleu():
    # "ab" vs "ab" -> 1.0; "xy" vs "ab" -> no unigram match -> 0.0; mean 0.5.
    assert mean_sentence_bleu(["ab", "xy"], ["ab"]) == pytest.approx(0.5)
    # Against "abcd" (worked out in test_bleu_short_hypothesis_is_smoothed_not_zero):
    #   "abcd" -> 1;  "ab" -> exp(-1);  "abx" -> exp(1 - 4/3) * (2/3 * 2/3 * 1/2 * 1) ** (1/4).
    # The mean ~0.6095; pooling the counts first (Papineni's corpus BLEU) would give another figure.
    expected = (1 + math.exp(-1) + math.exp(-1 / 3) * (2 / 9) ** 0.25) / 3
    assert mean_sentence_bleu(["abcd", "ab", "abx"], ["abcd"]) == pytest.approx(expected)
    assert mean_sentence_bleu([], ["ab"]) == 0.0


# ------------------------------------------------------------------------- self-BLEU


def test_self_bleu_of_identical_samples_is_one():
    assert self_bleu(["abcde"] * 3) == pytest.approx(1.0)
    assert self_bleu([["the", "cat", "sat"]] * 2) == pytest.approx(1.0)


def test_self_bleu_excludes_the_sample_itself():
    # Each sample would match itself perfectly (BLEU 1), but against the *other* one
    # no unigram matches -> 0 each -> mean 0.
    assert self_bleu(["aaaa", "bbbb"]) == 0.0


def test_self_bleu_hand_worked_mean():
    # "ab" vs {"ab", "cd"} -> 1; "ab" vs {"ab", "cd"} -> 1; "cd" vs {"ab", "ab"} -> 0.
    assert self_bleu(["ab", "ab", "cd"]) == pytest.approx(2 / 3)


def test_self_bleu_max_references_takes_the_first_others_in_order():
    samples = ["ab", "cd", "ab"]
    # Unlimited: s0 vs {cd, ab} -> 1; s1 vs {ab, ab} -> 0; s2 vs {ab, cd} -> 1 -> 2/3.
    assert self_bleu(samples) == pytest.approx(2 / 3)
    # One reference each: s0 vs {cd} -> 0; s1 vs {ab} -> 0; s2 vs {ab} (sample 0) -> 1.
    assert self_bleu(samples, max_references=1) == pytest.approx(1 / 3)


def test_self_bleu_needs_two_samples():
    assert self_bleu([]) == 0.0
    assert self_bleu(["abc"]) == 0.0


# -------------------------------------------------------------------- sample_metrics


def test_sample_metrics_with_index_and_logprobs():
    index = NgramIndex("abcab", 4)  # 4-grams: abca, bcab
    logprobs = np.log([0.5, 0.5, 0.25, 0.25, 0.5])
    metrics = sample_metrics("ababa", index=index, logprobs=logprobs)
    # "ababa": unigrams a b a b a -> 2/5; bigrams ab ba ab ba -> 2/4;
    # trigrams aba bab aba -> 2/3; 4-grams abab baba -> no repeat -> 0.
    assert metrics["distinct_1"] == pytest.approx(2 / 5)
    assert metrics["distinct_2"] == pytest.approx(2 / 4)
    assert metrics["distinct_3"] == pytest.approx(2 / 3)
    assert metrics["repetition_rate"] == 0.0
    # Neither abab nor baba is in the corpus -> 0; longest copied: "ab" (3 chars like
    # "aba" never occur in "abcab") -> 2.
    assert metrics["copied_share"] == 0.0
    assert metrics["longest_copied"] == 2
    # mean of (3 ln 0.5 + 2 ln 0.25) / 5 = (-3 ln 2 - 4 ln 2) / 5 = -7/5 ln 2.
    assert metrics["mean_logprob"] == pytest.approx(-7 / 5 * math.log(2))


def test_sample_metrics_without_index_or_logprobs():
    metrics = sample_metrics(["to", "be", "or", "not", "to", "be"])
    assert set(metrics) == {
        "distinct_1",
        "distinct_2",
        "distinct_3",
        "repetition_rate",
        "copied_share",
        "longest_copied",
        "mean_logprob",
    }
    # words: to be or not to be -> 4 distinct / 6; bigrams 4 distinct / 5.
    assert metrics["distinct_1"] == pytest.approx(4 / 6)
    assert metrics["distinct_2"] == pytest.approx(4 / 5)
    assert metrics["copied_share"] is None
    assert metrics["longest_copied"] is None
    assert metrics["mean_logprob"] is None
    assert sample_metrics("", logprobs=[])["mean_logprob"] is None
