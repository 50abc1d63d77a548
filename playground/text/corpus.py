"""Loading, checking and describing a training corpus.

A corpus is plain text: one or more UTF-8 files, pasted text, or a built-in corpus.
Every way in goes through :func:`check_text`, so every way in gives the same clear
messages for text that cannot be used.
"""

from __future__ import annotations

import collections
import dataclasses
import os
from pathlib import Path
from collections.abc import Sequence

from playground.errors import PlaygroundError
from playground.settings import Setting, require, setting
from playground.text.tokenizers import TokenizerSettings

DEFAULT_MAX_BYTES = 20_000_000
MIN_CHARACTERS = 200


def max_corpus_bytes() -> int:
    """The corpus size limit: ``PLAYGROUND_MAX_CORPUS_MB`` megabytes, 20 by default."""
    value = os.environ.get("PLAYGROUND_MAX_CORPUS_MB")
    if not value:
        return DEFAULT_MAX_BYTES
    try:
        megabytes = float(value)
    except ValueError:
        raise PlaygroundError(f"PLAYGROUND_MAX_CORPUS_MB must be a number, not {value!r}.") from None
    return int(megabytes * 1_000_000)


DEFAULT_VALIDATION_SHARE = 0.1  # of a text, held out to measure the model
VALIDATION_SHARE = Setting("Validation share", 0.0, 0.5, open_low=True, open_high=True,
                           rule="The validation share must be between {low} and {high} (got {value}).",
                           help="The last part of the text, held out to measure generalisation.")


@dataclasses.dataclass(frozen=True)
class CorpusSettings(TokenizerSettings):
    """What the Corpus tab sets besides the text, each setting declared once: its tokens and how
    much of it is held out (the training settings keep the same share, declared by the same
    :data:`VALIDATION_SHARE`, for the command line and the saved run; the Corpus tab shows it)."""

    validation_share: float = setting(DEFAULT_VALIDATION_SHARE, dataclasses.replace(VALIDATION_SHARE,
                                                                                    page=(0.05, 0.3, 0.05)))


@dataclasses.dataclass(frozen=True)
class Corpus:
    """Checked text with a name saying where it came from."""

    name: str
    text: str

    def split(self, validation_share: float = DEFAULT_VALIDATION_SHARE) -> tuple[str, str]:
        """Contiguous split: the first part trains, the last ``validation_share`` validates.

        Contiguous rather than shuffled so that validation text is genuinely unseen:
        random windows would leak overlapping context from training into validation.
        """
        check_validation_share(validation_share)
        cut = int(len(self.text) * (1.0 - validation_share))
        return self.text[:cut], self.text[cut:]


def check_validation_share(share: float) -> None:
    """The one check of a validation share, wherever one is given (corpus, session, training)."""
    require("validation_share", share, VALIDATION_SHARE)


def decode_bytes(data: bytes, source: str) -> str:
    """UTF-8 (with or without BOM) to text with ``\\n`` line ends, or a clear error."""
    if b"\x00" in data[:8192]:
        raise PlaygroundError(
            f"{source} looks like a binary file (it contains zero bytes). "
            "Please upload plain text (.txt) saved as UTF-8."
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise PlaygroundError(
            f"{source} is not valid UTF-8 text (undecodable byte at position {error.start}). "
            "Save it as UTF-8 and upload it again."
        ) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def check_text(text: str, source: str, max_bytes: int | None = None) -> str:
    """Return ``text`` if it can be trained on, else raise :class:`PlaygroundError`."""
    limit = max_corpus_bytes() if max_bytes is None else max_bytes
    size = len(text.encode("utf-8"))
    if size > limit:
        raise PlaygroundError(
            f"{source} is {size / 1e6:.1f} MB, over the {limit / 1e6:.1f} MB limit "
            "(set PLAYGROUND_MAX_CORPUS_MB to raise it)."
        )
    if not text.strip():
        raise PlaygroundError(f"{source} is empty (or only whitespace): there is nothing to learn from.")
    if len(text) < MIN_CHARACTERS:
        raise PlaygroundError(
            f"{source} has only {len(text)} characters; a model needs at least {MIN_CHARACTERS} "
            "(and really tens of thousands) to learn anything."
        )
    if len(set("".join(text.split()))) < 2:  # whitespace aside, one symbol
        raise PlaygroundError(
            f"{source} is one character repeated; there is nothing to predict. Use real text."
        )
    return text


def read_files(paths: Sequence[str | os.PathLike], max_bytes: int | None = None) -> Corpus:
    """Read one or more text files into one corpus, files separated by a blank line."""
    if not paths:
        raise PlaygroundError("No file was given. Upload at least one .txt file.")
    limit = max_corpus_bytes() if max_bytes is None else max_bytes
    parts, names, total = [], [], 0
    for path in paths:
        path = Path(path)
        if not path.is_file():
            raise PlaygroundError(f"{path.name} does not exist or is not a file.")
        total += path.stat().st_size
        if total > limit:
            raise PlaygroundError(
                f"The files add up to more than the {limit / 1e6:.1f} MB limit "
                "(set PLAYGROUND_MAX_CORPUS_MB to raise it)."
            )
        text = decode_bytes(path.read_bytes(), path.name)
        if not text.strip():
            raise PlaygroundError(f"{path.name} is empty (or only whitespace).")
        parts.append(text)
        names.append(path.name)
    name = names[0] if len(names) == 1 else f"{names[0]} + {len(names) - 1} more"
    text = "\n\n".join(part.strip("\n") for part in parts) + "\n"
    return Corpus(name, check_text(text, name, limit))


def from_text(text: str, name: str = "pasted text", max_bytes: int | None = None) -> Corpus:
    """A corpus from pasted text."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    return Corpus(name, check_text(text, name, max_bytes))


@dataclasses.dataclass(frozen=True)
class CorpusStats:
    characters: int
    words: int
    lines: int
    vocabulary: int
    top_characters: list[tuple[str, int]]
    top_words: list[tuple[str, int]]

    def as_rows(self) -> list[tuple[str, str]]:
        return [
            ("characters", f"{self.characters:,}"),
            ("words", f"{self.words:,}"),
            ("lines", f"{self.lines:,}"),
            ("distinct characters (vocabulary)", f"{self.vocabulary:,}"),
        ]


def describe(text: str, top: int = 30) -> CorpusStats:
    """Counts a student looks at before training: size, vocabulary, most frequent symbols."""
    characters = collections.Counter(text)
    words = collections.Counter(text.split())
    return CorpusStats(
        characters=len(text),
        words=sum(words.values()),
        lines=text.count("\n") + (0 if text.endswith("\n") else 1),
        vocabulary=len(characters),
        top_characters=characters.most_common(top),
        top_words=words.most_common(top),
    )


def printable(symbol: str) -> str:
    """How a character is shown in a chart or table: whitespace made visible."""
    return {" ": "␣ (space)", "\n": "↵ (newline)", "\t": "⇥ (tab)"}.get(symbol, symbol)
