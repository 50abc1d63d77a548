"""Text <-> token ids.

Every tokenizer has the same small contract: ``encode(text) -> np.ndarray`` of int32 ids,
``decode(ids) -> str``, ``vocabulary`` (a list, id = position), ``level`` ("char" or
"word"), and ``to_json`` / ``from_json`` so a bundle restores it exactly.
"""

from __future__ import annotations

import json
import re
from typing import Iterable, Sequence

import numpy as np

from playground.errors import PlaygroundError

UNKNOWN = "<unk>"


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
    def fit(cls, text: str) -> "CharTokenizer":
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


_WORD_PATTERN = re.compile(r"\n|[^\W\d_]+(?:'[^\W\d_]+)?|\d+|[^\w\s]", re.UNICODE)
_NO_SPACE_BEFORE = set(".,;:!?)]}'\"\n-")
_NO_SPACE_AFTER = set("([{\n-")  # a hyphen joins its neighbours: "to-morrow"
SENTENCE_ENDS = frozenset({"\n", ".", "!", "?"})


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
    def fit(cls, text: str, max_tokens: int = 10_000) -> "WordTokenizer":
        if max_tokens < 2:
            raise PlaygroundError(f"The word vocabulary cap must be at least 2 (got {max_tokens}).")
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
            if pieces and word[0] not in _NO_SPACE_BEFORE and pieces[-1][-1] not in _NO_SPACE_AFTER:
                pieces.append(" ")
            capital = sentence_start or word == "i" or word.startswith("i'")
            pieces.append(word.capitalize() if capital and word[0].isalpha() else word)
            sentence_start = word in SENTENCE_ENDS or (sentence_start and not word[0].isalnum())
        return "".join(pieces)

    def unknown_symbols(self, text: str) -> list[str]:
        return list(dict.fromkeys(w for w in self.split(text) if w not in self._ids))

    def to_json(self) -> str:
        return json.dumps({"level": self.level, "vocabulary": self.vocabulary[1:]}, ensure_ascii=False)


Tokenizer = CharTokenizer | WordTokenizer


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
    raise PlaygroundError(f"tokenizer.json names an unknown level {level!r}.")


def fit(text: str, level: str = "char", max_tokens: int = 10_000) -> Tokenizer:
    if level == "char":
        return CharTokenizer.fit(text)
    if level == "word":
        return WordTokenizer.fit(text, max_tokens)
    raise PlaygroundError(f"Tokenization must be 'char' or 'word' (got {level!r}).")
