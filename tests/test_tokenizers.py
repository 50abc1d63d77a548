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
    # Words are kept lower-case; sentence starts are capitalised when the text is read back.
    assert tokenizer.decode(tokenizer.encode(text)) == "the cat sat.\nThe dog, too!\n"
    restored = tokenizers.from_json(tokenizer.to_json())
    assert restored.vocabulary == tokenizer.vocabulary
    assert restored.encode(text).tolist() == tokenizer.encode(text).tolist()


def test_word_decoding_capitalises_sentences_and_i():
    tokenizer = WordTokenizer.fit("i said so . and i'll go ! why ? yes \n ( no ) to - morrow")
    ids = tokenizer.encode("i said so. and i'll go! why? yes\n(no) to-morrow")
    assert tokenizer.decode(ids) == "I said so. And I'll go! Why? Yes\n(No) to-morrow"
    said = tokenizer.encode("said so")
    assert tokenizer.decode(said) == "said so" and tokenizer.decode(said, sentence_start=True) == "Said so"


def test_word_vocabulary_is_ranked_by_frequency_from_keras_text_vectorization():
    tokenizer = WordTokenizer.fit("b a b c b a , ,")
    # b x3, then a and "," x2 (a fixed order among equals), then c.
    assert tokenizer.vocabulary[:2] == ["<unk>", "b"]
    assert set(tokenizer.vocabulary[2:4]) == {"a", ","} and tokenizer.vocabulary[4] == "c"
    assert tokenizers.fit("b a b c b a , ,", "word").vocabulary == tokenizer.vocabulary


def test_word_tokenizer_with_unknown_words_and_empty_text():
    tokenizer = WordTokenizer.fit("to be or not to be")
    assert tokenizer.encode("").tolist() == []
    assert tokenizer.encode("to flee or be").tolist() == [tokenizer.vocabulary.index("to"), 0,
                                                          tokenizer.vocabulary.index("or"),
                                                          tokenizer.vocabulary.index("be")]
    assert tokenizer.unknown_symbols("to flee, to fly") == ["flee", ",", "fly"]
    assert WordTokenizer.fit("").vocabulary == ["<unk>"]
    assert WordTokenizer.fit("").encode("anything at all").tolist() == [0, 0, 0]


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
