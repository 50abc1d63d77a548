import numpy as np
import pytest

from playground import tokenizers
from playground.errors import PlaygroundError
from playground.tokenizers import CharTokenizer, WordTokenizer


def test_char_round_trip_and_json(small_text):
    tokenizer = CharTokenizer.fit(small_text)
    ids = tokenizer.encode(small_text)
    assert ids.dtype == np.int32
    assert tokenizer.decode(ids) == small_text
    restored = tokenizers.from_json(tokenizer.to_json())
    assert restored.vocabulary == tokenizer.vocabulary
    assert (restored.encode(small_text) == ids).all()


def test_char_ids_are_sorted_and_zero_is_unknown():
    tokenizer = CharTokenizer.fit("cab")
    assert tokenizer.vocabulary == ["<unk>", "a", "b", "c"]
    assert tokenizer.encode("abcz").tolist() == [1, 2, 3, 0]
    assert tokenizer.unknown_symbols("azbyz") == ["z", "y"]
    assert tokenizer.decode([1, 0]) == "a\ufffd"


def test_word_round_trip_keeps_punctuation_and_newlines():
    text = "The cat sat.\nThe dog, too!\n"
    tokenizer = WordTokenizer.fit(text)
    assert tokenizer.split(text) == ["the", "cat", "sat", ".", "\n", "the", "dog", ",", "too", "!", "\n"]
    assert tokenizer.decode(tokenizer.encode(text)) == "the cat sat.\nthe dog, too!\n"
    restored = tokenizers.from_json(tokenizer.to_json())
    assert restored.vocabulary == tokenizer.vocabulary


def test_word_vocabulary_cap_maps_rare_words_to_unknown():
    tokenizer = WordTokenizer.fit("a a a b b c", max_tokens=3)
    assert tokenizer.vocabulary == ["<unk>", "a", "b"]
    assert tokenizer.encode("a c zebra").tolist() == [1, 0, 0]
    assert tokenizer.decode([1, 0]) == "a <unk>"


@pytest.mark.parametrize("data", ["not json", '{"level": "char"}', '{"level": "byte", "vocabulary": []}'])
def test_bad_tokenizer_json(data):
    with pytest.raises(PlaygroundError, match="tokenizer"):
        tokenizers.from_json(data)


def test_unknown_level():
    with pytest.raises(PlaygroundError, match="'char' or 'word'"):
        tokenizers.fit("abc", "byte")
