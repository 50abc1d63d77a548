import math
import re

import numpy as np

import pytest

from playground.text import builtin
from playground.text import corpus
from playground.errors import PlaygroundError
import itertools


def write(tmp_path, name, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("data, message", [
    (b"", "empty"),
    (b"   \n\t\n  ", "empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 50, "binary"),
    ("caf\u00e9 ".encode("latin-1") * 100, "not valid UTF-8"),
    (b"a" * 1000, "one character repeated"),
    (b"too short", "only 10 characters"),
])
def test_bad_files_get_clear_messages(tmp_path, data, message):
    with pytest.raises(PlaygroundError, match=message):
        corpus.read_files([write(tmp_path, "bad.txt", data)])


def test_size_limit_is_configurable(tmp_path, monkeypatch, small_text):
    path = write(tmp_path, "big.txt", small_text.encode())
    monkeypatch.setenv("PLAYGROUND_MAX_CORPUS_MB", "0.001")
    with pytest.raises(PlaygroundError, match=re.escape(
            "The files add up to more than the 0.0 MB limit (set PLAYGROUND_MAX_CORPUS_MB to raise it).")):
        corpus.read_files([path])
    monkeypatch.setenv("PLAYGROUND_MAX_CORPUS_MB", "1")
    assert corpus.read_files([path]).text.startswith(small_text[:50])


def test_bom_and_crlf_are_normalised(tmp_path, small_text):
    data = b"\xef\xbb\xbf" + small_text.replace("\n", "\r\n").encode("utf-8")
    loaded = corpus.read_files([write(tmp_path, "windows.txt", data)])
    assert not loaded.text.startswith("\ufeff")
    assert "\r" not in loaded.text
    assert loaded.text == small_text


def test_several_files_are_joined_in_order(tmp_path, small_text):
    first = write(tmp_path, "a.txt", small_text.encode())
    second = write(tmp_path, "b.txt", ("Second file. " * 30).encode())
    loaded = corpus.read_files([first, second])
    assert loaded.name == "a.txt + 1 more"
    assert loaded.text.index("Second file.") > loaded.text.index(small_text[:40])


def test_missing_file_and_no_files():
    with pytest.raises(PlaygroundError, match="No file"):
        corpus.read_files([])
    with pytest.raises(PlaygroundError, match="does not exist"):
        corpus.read_files(["/nonexistent/nothing.txt"])


def test_split_is_contiguous_with_default_ten_percent(small_text):
    train, validation = corpus.from_text(small_text).split()
    assert train + validation == small_text
    assert len(validation) == len(small_text) - int(len(small_text) * 0.9)
    with pytest.raises(PlaygroundError, match=r"between 0 and 0\.5"):
        corpus.from_text(small_text).split(0.7)


def test_describe_counts(small_text):
    stats = corpus.describe("ab a\nb\n" * 40)
    assert stats.characters == 280
    assert stats.lines == 80
    assert stats.vocabulary == 4
    assert stats.top_characters[0] in (("a", 80), ("b", 80))


def test_python_docs_builtin_is_offline_prose():
    docs = builtin.python_docs()
    assert len(docs.text) > 200_000
    assert "statement" in docs.text


def test_markov_babble_entropy_floor_is_sane():
    chain = builtin.MarkovBabble.make()
    np_rows = chain.transitions.sum(axis=1)
    assert all(abs(r - 1) < 1e-9 for r in np_rows)
    floor = builtin.entropy_floor("markov-babble")
    text = builtin.markov_babble(50_000).text
    assert 0.05 < floor < math.log(len(set(text)))
    # Deterministic: the same corpus every time.
    assert builtin.markov_babble(5_000).text == builtin.markov_babble(5_000).text
    assert builtin.entropy_floor("python-docs") is None


def test_entropy_per_character_of_a_chain_worked_by_hand():
    # "ab" is followed by "ab" or "." with equal odds; "." always by "ab". Rendered "ab " and ".\n".
    chain = builtin.MarkovBabble(("ab", "."), np.array([[0.5, 0.5], [1.0, 0.0]]))
    # Stationary: p(ab) = p(ab)/2 + p(.), p(.) = p(ab)/2 -> (2/3, 1/3).
    # Information per word: ln 2 after "ab", 0 after "." -> 2/3 ln 2 nats.
    # Characters of the next word: 3/2 + 2/2 = 5/2 after "ab", 3 after "." -> 2/3 * 5/2 + 1/3 * 3 = 8/3.
    assert chain.entropy_per_character() == pytest.approx((2 / 3 * math.log(2)) / (8 / 3))  # ln 2 / 4


def test_markov_babble_floor_matches_the_empirical_rate():
    """A count-based estimate of the word chain's entropy on a long sample agrees with the formula."""
    import collections

    chain = builtin.MarkovBabble.make()
    text = chain.sample(400_000, seed=3)
    words = text.replace("\n", " ").split()
    pairs = collections.Counter(itertools.pairwise(words))
    firsts = collections.Counter(words[:-1])
    nats = -sum(n * math.log(n / firsts[a]) for (a, _), n in pairs.items())
    assert nats / len(text) == pytest.approx(builtin.entropy_floor("markov-babble"), rel=0.03)


def test_unknown_builtin():
    with pytest.raises(PlaygroundError, match="Unknown built-in corpus"):
        builtin.load_builtin("nope")


def test_tiny_shakespeare_offline_is_a_clear_message_or_the_cache(tmp_path, monkeypatch):
    import urllib.request

    def offline(*args, **kwargs):
        raise OSError("network is unreachable")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    with pytest.raises(PlaygroundError, match="not cached and could not be downloaded"):
        builtin.tiny_shakespeare(tmp_path)
    speech = "First Citizen:\nBefore we proceed any further, hear me speak.\n"
    (tmp_path / "tinyshakespeare.txt").write_text(speech * 10)
    assert builtin.tiny_shakespeare(tmp_path).text.startswith("First Citizen:")
