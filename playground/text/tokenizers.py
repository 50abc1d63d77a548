"""Text <-> token ids.

Every tokenizer has the same small contract: ``encode(text) -> np.ndarray`` of int32 ids,
``decode(ids) -> str``, ``vocabulary`` (a list, id = position), ``level`` ("char", "subword"
or "word"), and ``to_json`` / ``from_json`` so a bundle restores it exactly.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterable, Sequence

import numpy as np

from playground.errors import PlaygroundError
from playground.settings import Setting, check, require, setting

UNKNOWN = "<unk>"
LEVELS = ("char", "subword", "word")

# How a text becomes tokens, each setting declared once: the Corpus tab's controls, the train
# command's flags, set-up links and the tokenizers' own checks read these.
LEVEL = Setting("Tokens", choices=LEVELS, page=(), help="tokens: char (default), subword (byte-pair encoding) or word",
                rule="Tokenization must be 'char', 'subword' or 'word' (got {value}).")
WORDS = Setting("Word vocabulary cap", 2, page=(2, 50_000), rule="The word vocabulary cap must be at least {low} (got "
                "{value}).", help="word level: the vocabulary's cap (the most frequent words; others become <unk>)")
SUBWORDS = Setting("Subword vocabulary", 2, page=(2, 50_000), flag="--vocab", help="subword level: the BPE "
                   "vocabulary size", rule="The subword vocabulary must have at least {low} tokens (got {value}).")


@dataclasses.dataclass(frozen=True)
class TokenizerSettings:
    """Which tokens, and how many kinds at most."""

    level: str = setting("char", LEVEL)
    max_words: int = setting(10_000, WORDS)
    subword_vocab: int = setting(512, SUBWORDS)

    def __post_init__(self) -> None:
        check(self)

    def fit(self, text: str) -> Tokenizer:
        return fit(text, self.level, self.max_words, self.subword_vocab)


class CharTokenizer:
    """One token per character. Id 0 is reserved for characters never seen in training."""

    level = "char"

    def __init__(self, characters: Sequence[str]):
        symbols = [c for c in characters if c != UNKNOWN]
        if len(set(symbols)) != len(symbols):
            raise PlaygroundError("The tokenizer's character list has duplicates.")
        self.vocabulary = [UNKNOWN, *symbols]
        self._ids = {symbol: index for index, symbol in enumerate(self.vocabulary)}

    @classmethod
    def fit(cls, text: str) -> CharTokenizer:
        return cls(sorted(set(text)))

    def __len__(self) -> int:
        return len(self.vocabulary)

    def encode(self, text: str) -> np.ndarray:
        return np.fromiter((self._ids.get(c, 0) for c in text), dtype=np.int32, count=len(text))

    def decode(self, ids: Iterable[int], sentence_start: bool = False) -> str:
        """The text of ``ids``; ``sentence_start`` only matters at word level."""
        return "".join(self.vocabulary[i] if i > 0 else "\ufffd" for i in map(int, ids))

    def unknown_symbols(self, text: str) -> list[str]:
        """Characters of ``text`` the model has never seen, in order of first appearance."""
        return list(dict.fromkeys(c for c in text if c not in self._ids))

    def token_texts(self, ids: Iterable[int]) -> list[str]:
        return [self.decode([i]) for i in ids]

    def to_json(self) -> str:
        return json.dumps({"level": self.level, "vocabulary": self.vocabulary[1:]}, ensure_ascii=False)


# Scripts written without spaces (Chinese, Japanese kana): each character is a word, as word
# tokenizers for them commonly do; otherwise a whole clause would be one "word".
_UNSPACED = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f"
_LETTERS = f"(?:(?![{_UNSPACED}])[^\\W\\d_])+"
_WORD_PATTERN = re.compile(rf"\n|[{_UNSPACED}]|{_LETTERS}(?:'{_LETTERS})?|\d+|[^\w\s]", re.UNICODE)
_CLOSE_UP = re.compile(f"[{_UNSPACED}\u3000-\u303f\uff00-\uffef]")  # no spaces between these when decoding
_NO_SPACE_BEFORE = set(".,;:!?)]}'\"\n-")
_NO_SPACE_AFTER = set("([{\n-")  # a hyphen joins its neighbours: "to-morrow"
SENTENCE_ENDS = frozenset({"\n", ".", "!", "?", "。", "！", "？"})


class WordTokenizer:
    """Words, numbers and punctuation marks as tokens, newlines kept, a capped vocabulary.

    The text is split by one regular expression (lower-cased words, numbers, each
    punctuation mark, each newline) and the tokens go through a Keras
    ``TextVectorization`` layer, which builds the vocabulary (the ``max_tokens`` most
    frequent, ties in a fixed order) and looks the tokens up; anything outside it becomes
    ``<unk>`` (id 0). Decoding joins tokens with spaces, except around punctuation, and
    capitalises sentence starts and "I", so text reads back naturally.
    """

    level = "word"

    def __init__(self, vocabulary: Sequence[str]):
        words = [w for w in vocabulary if w != UNKNOWN]
        if len(set(words)) != len(words):
            raise PlaygroundError("The tokenizer's word list has duplicates.")
        self.vocabulary = [UNKNOWN, *words]
        self._ids = {word: index for index, word in enumerate(self.vocabulary)}
        self._lookup = None  # the TextVectorization layer, made on first use

    @staticmethod
    def split(text: str) -> list[str]:
        return _WORD_PATTERN.findall(text.lower())

    @staticmethod
    def _vectorizer(**options):
        import keras

        # split=None: the tokens come already split; ids 0 and 1 are the layer's padding
        # ("") and out-of-vocabulary ("[UNK]") tokens, so ours are the layer's minus one.
        return keras.layers.TextVectorization(standardize=None, split=None, output_mode="int", **options)

    @classmethod
    def fit(cls, text: str, max_tokens: int = TokenizerSettings.max_words) -> WordTokenizer:
        require("max_words", max_tokens, WORDS, int)
        tokens = cls.split(text)
        if not tokens:
            return cls([])
        layer = cls._vectorizer(max_tokens=max_tokens + 1)  # + the padding token
        layer.adapt(np.asarray(tokens, dtype=object), batch_size=65_536)
        return cls([str(word) for word in layer.get_vocabulary()[2:]])

    def __len__(self) -> int:
        return len(self.vocabulary)

    def encode(self, text: str) -> np.ndarray:
        tokens = self.split(text)
        if not tokens or len(self.vocabulary) == 1:
            return np.zeros(len(tokens), dtype=np.int32)
        if self._lookup is None:
            self._lookup = self._vectorizer(vocabulary=self.vocabulary[1:])
        ids = np.asarray(self._lookup(np.asarray(tokens, dtype=object))).reshape(-1)
        return (ids - 1).astype(np.int32)

    def token_texts(self, ids: Iterable[int]) -> list[str]:
        return [self.vocabulary[int(i)] for i in ids]

    def decode(self, ids: Iterable[int], sentence_start: bool = False) -> str:
        """The text of ``ids``. ``sentence_start``: the first word opens a sentence (capitalised);
        by default it may be continuing a prompt's sentence."""
        pieces: list[str] = []
        for word in self.token_texts(ids):
            if pieces and word[0] not in _NO_SPACE_BEFORE and pieces[-1][-1] not in _NO_SPACE_AFTER \
                    and not (_CLOSE_UP.match(word[0]) or _CLOSE_UP.match(pieces[-1][-1])):
                pieces.append(" ")
            capital = sentence_start or word == "i" or word.startswith("i'")
            pieces.append(word.capitalize() if capital and word[0].isalpha() else word)
            sentence_start = word in SENTENCE_ENDS or (sentence_start and not word[0].isalnum())
        return "".join(pieces)

    def unknown_symbols(self, text: str) -> list[str]:
        return list(dict.fromkeys(w for w in self.split(text) if w not in self._ids))

    def to_json(self) -> str:
        return json.dumps({"level": self.level, "vocabulary": self.vocabulary[1:]}, ensure_ascii=False)


class SubwordTokenizer:
    """Byte-pair encoding learned from the corpus (Hugging Face ``tokenizers``): frequent runs of
    bytes become one token, so common words are one token and rare ones a few pieces.

    Byte-level, so any Unicode text splits and decodes back exactly; bytes never seen in training
    become ``<unk>`` (id 0), as unseen characters do at character level. A token may hold part of a
    character's bytes; decoded alone it shows as \ufffd.
    """

    level = "subword"

    def __init__(self, vocabulary: Sequence[str], merges: Sequence[Sequence[str]]):
        from tokenizers import Tokenizer as HuggingFaceTokenizer, decoders, models, pre_tokenizers

        tokens = [t for t in vocabulary if t != UNKNOWN]
        if len(set(tokens)) != len(tokens):
            raise PlaygroundError("The tokenizer's subword list has duplicates.")
        self.vocabulary = [UNKNOWN, *tokens]
        self.merges = [tuple(pair) for pair in merges]
        ids = {token: index for index, token in enumerate(self.vocabulary)}
        if not all(len(pair) == 2 and all(part in ids for part in pair) for pair in self.merges):
            raise PlaygroundError("tokenizer.json's merges must be pairs of tokens from its vocabulary.")
        try:
            self._bpe = HuggingFaceTokenizer(models.BPE(vocab=ids, merges=self.merges, unk_token=UNKNOWN))
        except Exception as error:  # the library's own message, in our error type
            raise PlaygroundError(f"tokenizer.json's subword merges are not valid: {error}") from None
        self._bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        self._bpe.decoder = decoders.ByteLevel()

    @classmethod
    def fit(cls, text: str, vocab_size: int = TokenizerSettings.subword_vocab) -> SubwordTokenizer:
        from tokenizers import Tokenizer as HuggingFaceTokenizer, decoders, models, pre_tokenizers, trainers

        require("subword_vocab", vocab_size, SUBWORDS, int)
        learner = HuggingFaceTokenizer(models.BPE(unk_token=UNKNOWN))
        learner.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        learner.decoder = decoders.ByteLevel()
        learner.train_from_iterator(text.splitlines(keepends=True), trainer=trainers.BpeTrainer(
            vocab_size=vocab_size, special_tokens=[UNKNOWN], show_progress=False))
        spec = json.loads(learner.to_str())["model"]
        vocabulary = [token for token, _ in sorted(spec["vocab"].items(), key=lambda item: item[1])]
        alphabet = len(vocabulary) - len(spec["merges"])  # <unk> and every byte the text uses
        if vocab_size < alphabet:
            raise PlaygroundError(
                f"A subword vocabulary of {vocab_size} is smaller than the {alphabet - 1} different bytes of the "
                f"text plus <unk>; choose at least {alphabet}.")
        if len(vocabulary) < vocab_size:
            raise PlaygroundError(
                f"This text supports at most {len(vocabulary)} subword tokens (after that no pair of tokens "
                f"repeats); choose a vocabulary of {len(vocabulary)} or fewer, or use a longer text.")
        return cls(vocabulary, spec["merges"])

    def __len__(self) -> int:
        return len(self.vocabulary)

    def encode(self, text: str) -> np.ndarray:
        return np.asarray(self._bpe.encode(text).ids if text else [], dtype=np.int32)

    def decode(self, ids: Iterable[int], sentence_start: bool = False) -> str:
        """The text of ``ids``; each <unk> shows as \ufffd. ``sentence_start`` only matters at word level."""
        pieces, run = [], []
        for i in map(int, ids):
            if i == 0:
                pieces.append(self._bpe.decode(run, skip_special_tokens=False) if run else "")
                pieces.append("\ufffd")
                run = []
            else:
                run.append(i)
        pieces.append(self._bpe.decode(run, skip_special_tokens=False) if run else "")
        return "".join(pieces)

    def token_texts(self, ids: Iterable[int]) -> list[str]:
        return [self.decode([i]) for i in ids]

    def unknown_symbols(self, text: str) -> list[str]:
        """Characters of ``text`` with a byte the tokenizer never saw, in order of first appearance."""
        return [c for c in dict.fromkeys(text) if 0 in self.encode(c)]

    def to_json(self) -> str:
        return json.dumps({"level": self.level, "vocabulary": self.vocabulary[1:],
                           "merges": [list(pair) for pair in self.merges]}, ensure_ascii=False)


Tokenizer = CharTokenizer | SubwordTokenizer | WordTokenizer


def from_json(data: str) -> Tokenizer:
    try:
        spec = json.loads(data)
        level, vocabulary = spec["level"], spec["vocabulary"]
    except (ValueError, KeyError, TypeError):
        raise PlaygroundError("tokenizer.json is not a valid tokenizer file.") from None
    if not isinstance(vocabulary, list) or not all(isinstance(token, str) and token for token in vocabulary):
        raise PlaygroundError("tokenizer.json's vocabulary must be a list of non-empty strings.")
    if level == "char":
        return CharTokenizer(vocabulary)
    if level == "word":
        return WordTokenizer(vocabulary)
    if level == "subword":
        merges = spec.get("merges")
        if not isinstance(merges, list) or not all(isinstance(pair, list) for pair in merges):
            raise PlaygroundError("tokenizer.json's subword merges must be a list of token pairs.")
        return SubwordTokenizer(vocabulary, merges)
    raise PlaygroundError(f"tokenizer.json names an unknown level {level!r}.")


def check_level(level: str) -> str:
    require("level", level, LEVEL, str)
    return level


def fit(text: str, level: str = TokenizerSettings.level, max_tokens: int = TokenizerSettings.max_words,
        subword_vocab: int = TokenizerSettings.subword_vocab) -> Tokenizer:
    """A tokenizer learned from ``text``: ``max_tokens`` caps a word vocabulary, ``subword_vocab`` is the
    size of a subword one."""
    if check_level(level) == "char":
        return CharTokenizer.fit(text)
    if level == "subword":
        return SubwordTokenizer.fit(text, subword_vocab)
    tokenizer = WordTokenizer.fit(text, max_tokens)
    if len(tokenizer) == 2:  # <unk> and one word: nothing to learn
        if max_tokens <= 2:
            raise PlaygroundError(f"A word vocabulary cap of {max_tokens} keeps one word and <unk>; a word model "
                                  "needs at least two words. Raise the cap.")
        raise PlaygroundError(f"The text has only one distinct word ({tokenizer.vocabulary[1]!r}); a word model needs "
                              "at least two. Use a longer, more varied text, or character tokens.")
    return tokenizer
