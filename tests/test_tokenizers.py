import numpy as np
import pytest

from playground.text import tokenizers
from playground.errors import PlaygroundError
from playground.text.tokenizers import CharTokenizer, SubwordTokenizer, WordTokenizer


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
    with pytest.raises(PlaygroundError, match="'char', 'subword' or 'word'"):
        tokenizers.fit("abc", "byte")


SNIPPETS = {
    "german": "Über den Bergen weht ein kühler Wind; die Bäume flüstern Märchen über Straßen und Flüsse.\n",
    "russian": "Мороз и солнце; день чудесный! Ещё ты дремлешь, друг прелестный, пора, красавица, проснись.\n",
    "chinese": "床前明月光，疑是地上霜。举头望明月，低头思故乡。春眠不觉晓，处处闻啼鸟。\n",
}


def test_subword_round_trip_on_every_script(small_text):
    text = small_text + "".join(SNIPPETS.values()) * 3
    tokenizer = tokenizers.fit(text, "subword", subword_vocab=300)
    assert tokenizer.level == "subword" and len(tokenizer) == 300 and tokenizer.vocabulary[0] == "<unk>"
    for snippet in (small_text, *SNIPPETS.values()):
        ids = tokenizer.encode(snippet)
        assert ids.dtype == np.int32 and 0 not in ids
        assert tokenizer.decode(ids) == snippet
    # Frequent words become single tokens: far fewer tokens than characters.
    assert len(tokenizer.encode(small_text)) < len(small_text) / 2.5
    restored = tokenizers.from_json(tokenizer.to_json())
    assert isinstance(restored, SubwordTokenizer) and restored.vocabulary == tokenizer.vocabulary
    assert restored.encode(text).tolist() == tokenizer.encode(text).tolist()


def test_subword_unknown_bytes_and_token_texts(small_text):
    tokenizer = SubwordTokenizer.fit(small_text, 100)
    ids = tokenizer.encode("The cat Ω")
    assert 0 in ids and tokenizer.decode(ids).startswith("The cat ") and tokenizer.decode(ids).endswith("\ufffd")
    assert tokenizer.unknown_symbols("cat Ωé") == ["Ω", "é"]
    assert "".join(tokenizer.token_texts(tokenizer.encode("the dog"))) == "the dog"
    assert tokenizer.encode("").tolist() == [] and tokenizer.decode([]) == ""


@pytest.mark.parametrize("size, message", [
    (1, "at least 2 tokens"),
    (10, "smaller than the 36 different bytes of the text plus <unk>; choose at least 37"),
    (5000, "supports at most [0-9]+ subword tokens"),
])
def test_subword_vocabulary_the_text_cannot_support(small_text, size, message):
    with pytest.raises(PlaygroundError, match=message):
        tokenizers.fit(small_text, "subword", subword_vocab=size)


def test_bad_subword_json():
    with pytest.raises(PlaygroundError, match="merges must be a list"):
        tokenizers.from_json('{"level": "subword", "vocabulary": ["a", "b"]}')
    with pytest.raises(PlaygroundError, match="pairs of tokens from its vocabulary"):
        tokenizers.from_json('{"level": "subword", "vocabulary": ["a", "b"], "merges": [["a", "c"]]}')


def test_words_of_unspaced_scripts_are_single_characters():
    tokenizer = WordTokenizer.fit(SNIPPETS["chinese"] + "ありがとう。Hello world.")
    assert WordTokenizer.split("举头望明月，ありがとう。Hello") == [
        "举", "头", "望", "明", "月", "，", "あ", "り", "が", "と", "う", "。", "hello"]
    assert tokenizer.decode(tokenizer.encode("举头望明月，低头思故乡。")) == "举头望明月，低头思故乡。"
    assert max(map(len, tokenizer.vocabulary[1:])) <= 5  # "hello", never a clause


def test_a_word_corpus_of_one_distinct_word_is_refused():
    with pytest.raises(PlaygroundError,
                       match=r"only one distinct word \('buffalo'\); a word model needs at least two"):
        tokenizers.fit("Buffalo buffalo BUFFALO buffalo", "word")
    assert len(tokenizers.fit("buffalo bills", "word")) == 3
    with pytest.raises(PlaygroundError, match="cap of 2 keeps one word and <unk>"):
        tokenizers.fit("buffalo bills buffalo", "word", max_tokens=2)
