"""Reading a text with the model's eyes: how surprised the model is by every token.

For each token of a text: its **surprisal** (how many bits of surprise, −log₂ of the probability
the model gave it), its **rank** among all tokens (1: the model's favourite), and the five tokens
the model found likeliest there; beside them, the surprisal of the same token under the counting
baselines of the model's own training text, so a student sees where the network beats counting
and where it does not. Colouring a text by rank is GLTR's idea (Gehrmann, Strobelt and Rush,
2019, on GPT-2); on a student's own small model it shows which tokens are easy (the rest of a
common word) and which are hard (the first letter of a word, a name).

How a long text is read: each token is predicted from the text before it, as far as the model
reads, and the whole text goes through the network in a few batched, compiled calls.

* A **transformer** reads windows of its training length, each starting half a window after the
  last (a sliding context): every token is predicted from at least half a window of text, exactly
  as the held-out loss scores it (:func:`playground.generation.evaluation.mean_loss`), so a text's
  mean surprisal is what ``evaluate`` reports for it.
* A **recurrent** model carries its memory along: the text is cut into pieces of ``PIECE`` tokens,
  read side by side in one batch, each after a warm-up over half a training window of the text
  before it. Its memory so holds at least that much of the text, and usually far more; within a
  piece the reading is exactly what the model's own ``prefill``/``step`` contract computes.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable
from pathlib import Path

import numpy as np

from playground.errors import PlaygroundError
from playground.generation.evaluation import bits_per_character
from playground.text.baselines import NAMES as BASELINE_NAMES
from playground.text.windows import scoring_windows

MAX_CHARACTERS = 200_000  # one reading at most; about 2-4 s on two cores
PIECE = 512  # tokens a recurrent model reads with its memory carried along, per row of the batch
BATCH_TOKENS = 32_768  # tokens per call to the network: enough to keep it busy, little memory
BATCH_SCORES = 1 << 24  # ... and at most this many scores (tokens x vocabulary), 64 MB, for word models
# Rank buckets as GLTR draws them: (highest rank in the bucket, its name).
BUCKETS = ((1, "the favourite"), (10, "top 10"), (100, "top 100"), (None, "the rest"))
HARDEST = 10  # passages listed
MOSTLY_UNKNOWN = 0.5  # a text with more unknown tokens than this is not the model's kind of text
HELD_OUT = "the held-out text"
PASTED = "your text"


@dataclasses.dataclass(frozen=True)
class Place:
    """One token where the model was surprised, with the text around it and what it expected."""

    position: int  # the token's index in the text's tokens
    token: str
    before: str
    after: str
    bits: float
    rank: int
    expected: list[tuple[str, float]]  # the model's five likeliest tokens there, with their probabilities
    counting_bits: float | None  # the same token under the n-gram (or bigram) counting model

    def to_json(self) -> dict:
        return {"position": self.position, "token": self.token, "before": self.before, "after": self.after,
                "bits": round(self.bits, 4), "rank": self.rank,
                "expected": [[token, round(p, 4)] for token, p in self.expected],
                "counting_bits": None if self.counting_bits is None else round(self.counting_bits, 4)}


@dataclasses.dataclass(frozen=True)
class Passage:
    """A window of held-out text and the model's mean loss over it."""

    start: int  # index of its first token in the text's tokens
    text: str
    nats: float  # mean surprisal per token
    hardest: Place  # its most surprising token

    @property
    def bits_per_token(self) -> float:
        return self.nats / math.log(2)

    def to_json(self) -> dict:
        return {"start": self.start, "text": self.text, "loss": round(self.nats, 4),
                "bits_per_token": round(self.bits_per_token, 4), "hardest": self.hardest.to_json()}


@dataclasses.dataclass(frozen=True)
class Reading:
    """A text as the model read it, token by token. Arrays have one entry per token; the first
    token has nothing before it to be predicted from, so its surprisal is NaN and its rank 0."""

    model: str
    arch: str
    level: str
    source: str  # what was read, in words ("your text", "the held-out text")
    tokens: list[str]
    ids: np.ndarray  # (N,)
    nats: np.ndarray  # (N,)
    rank: np.ndarray  # (N,)
    top_ids: np.ndarray  # (N, 5)
    top_probabilities: np.ndarray  # (N, 5)
    vocabulary: list[str]  # token texts by id, to name the alternatives
    counting: dict[str, np.ndarray]  # baseline name -> (N,) nats of each token under it; empty if unknown
    counting_order: int  # of the n-gram baseline
    characters: int  # of the text the scored tokens make (all but the first): the bits-per-character scale
    window: int  # the context the model was trained on: every token gets at least half of it
    context: str  # how far back the model read, in a sentence
    decode: Callable[[np.ndarray], str] = dataclasses.field(repr=False, compare=False)  # ids -> text
    note: str = ""

    # Per token --------------------------------------------------------------------------
    # Worked out once: the views ask for them token by token.
    @functools.cached_property
    def bits(self) -> np.ndarray:
        return self.nats / math.log(2)

    @functools.cached_property
    def probability(self) -> np.ndarray:
        return np.exp(-self.nats)

    @property
    def scored(self) -> int:
        return len(self.ids) - 1

    @functools.cached_property
    def buckets(self) -> np.ndarray:
        """Each token's rank bucket (index into :data:`BUCKETS`); -1 for the first token."""
        edges = [limit for limit, _ in BUCKETS if limit is not None]
        found = np.searchsorted(np.asarray(edges), self.rank, side="left")  # (N,)
        return np.where(self.rank > 0, found, -1)

    @property
    def counting_name(self) -> str | None:
        """The counting model the model is held against: the n-gram, or the bigram on a short training text."""
        return "ngram" if "ngram" in self.counting else ("bigram" if "bigram" in self.counting else None)

    @property
    def counting_label(self) -> str:
        return {"ngram": f"{self.counting_order}-gram", "bigram": "bigram"}.get(self.counting_name or "", "")

    def difference(self) -> np.ndarray | None:
        """Model bits minus counting bits per token (N,): below 0 where the model is less surprised."""
        name = self.counting_name
        return None if name is None else (self.nats - self.counting[name]) / math.log(2)

    # Totals ------------------------------------------------------------------------------
    def bits_per_character(self) -> float:
        """Total bits of the text over its characters (as ``evaluate`` reports it): one scale for every tokenizer."""
        return bits_per_character(float(np.mean(self.nats[1:])), self.characters / self.scored)

    def baseline_bits_per_character(self) -> dict[str, float]:
        """Bits per character of this text under each counting baseline measured."""
        return {name: bits_per_character(float(np.mean(self.counting[name][1:])), self.characters / self.scored)
                for name in BASELINE_NAMES if name in self.counting}

    def baseline_label(self, name: str) -> str:
        return f"{self.counting_order}-gram" if name == "ngram" else name

    def bucket_counts(self) -> list[tuple[str, int]]:
        """(bucket name, tokens in it) for every rank bucket, the first token left out."""
        counts = np.bincount(self.buckets[1:], minlength=len(BUCKETS))
        return [(name, int(count)) for (_, name), count in zip(BUCKETS, counts)]

    def beats_counting_share(self) -> float | None:
        """Share of the tokens the model found less surprising than the counting model did."""
        difference = self.difference()
        return None if difference is None else float(np.mean(difference[1:] < 0))

    # Places --------------------------------------------------------------------------------
    def expected_at(self, position: int) -> list[tuple[str, float]]:
        return [(self.vocabulary[int(i)], float(p))
                for i, p in zip(self.top_ids[position], self.top_probabilities[position])]

    def place(self, position: int) -> Place:
        """The token at ``position`` with some text before and after it."""
        around = 12 if self.level == "word" else 40
        counting = self.counting.get(self.counting_name or "")
        before = self.decode(self.ids[max(0, position - around):position])
        after = self.decode(self.ids[position + 1:position + 1 + around // 3])
        if self.level == "word":  # words decoded apart need the spaces between them back
            before = before + " " if before and not before.endswith("\n") else before
            after = " " + after if after and after[0] not in ".,;:!?)'\"\n" else after
        return Place(position, self.tokens[position], before, after, float(self.bits[position]),
                     int(self.rank[position]), self.expected_at(position),
                     None if counting is None else float(counting[position] / math.log(2)))

    def hardest(self, count: int = HARDEST) -> list[Place]:
        """The ``count`` tokens the model was most surprised by, each from a different stretch of text."""
        gap = 3 if self.level == "word" else 8
        chosen: list[int] = []
        for position in np.argsort(-np.nan_to_num(self.nats, nan=-1.0), kind="stable"):
            if position == 0 or len(chosen) >= count:
                break
            if all(abs(int(position) - other) > gap for other in chosen):
                chosen.append(int(position))
        return [self.place(position) for position in chosen]

    # For the command line and the API ------------------------------------------------------------
    def summary(self) -> dict:
        return {"model": self.model, "source": self.source, "tokens": len(self.ids), "scored": self.scored,
                "characters": self.characters, "bits_per_character": self.bits_per_character(),
                "bits_per_token": float(np.mean(self.bits[1:])),
                "baselines_bits_per_character": {self.baseline_label(name): value
                                                 for name, value in self.baseline_bits_per_character().items()},
                "ranks": dict(self.bucket_counts()), "beats_counting_share": self.beats_counting_share(),
                "compared_with": self.counting_label or None, "window": self.window, "note": self.note}

    def to_json(self) -> dict:
        """The summary, every token (text, bits, rank, the five likeliest tokens) and the hardest places."""
        counting = self.counting.get(self.counting_name or "")
        tokens = []
        for i, token in enumerate(self.tokens):
            row = {"text": token, "bits": None if i == 0 else round(float(self.bits[i]), 4),
                   "rank": None if i == 0 else int(self.rank[i]),
                   "top": [] if i == 0 else [[t, round(p, 4)] for t, p in self.expected_at(i)]}
            if counting is not None:
                row["counting_bits"] = None if i == 0 else round(float(counting[i] / math.log(2)), 4)
            tokens.append(row)
        return {**self.summary(), "per_token": tokens, "hardest": [p.to_json() for p in self.hardest()]}


# Reading --------------------------------------------------------------------------------------
def check_readable(text_model) -> None:
    if text_model.ignores_prompt:
        raise PlaygroundError("The naive GAN writes from noise and ignores any text it is given, so it cannot "
                              "read one: what it expects next is the same whatever came before. Pick another model "
                              "(an LSTM, GRU, transformer or the RelGAN-style GAN).")


def model_window(text_model) -> int:
    """The context a model was trained to read (its training window), within what it can read."""
    window = int(text_model.info.get("train", {}).get("window", 128))
    limit = getattr(text_model.network, "max_window", None)
    return min(window, limit) if limit else window


def windows_for(text_model, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """The rows the network reads ``(R, L + 1)``, which of their targets to keep ``(R, L)``, and the
    model's window (see the module's docstring for the two ways)."""
    window = model_window(text_model)
    if getattr(text_model.network, "max_window", None):  # a transformer: a sliding context
        length, stride = window, max(window // 2, 1)
    else:  # a recurrent model: long pieces, each warmed up on half a window before it
        length, stride = window // 2 + PIECE, PIECE
    if len(ids) - 1 <= length:  # one row reads it all from its start
        length = stride = len(ids) - 1
    rows, keep = scoring_windows(ids, length, stride)
    return rows, keep, window


def context_sentence(text_model) -> str:
    window = model_window(text_model)
    if getattr(text_model.network, "max_window", None):
        return (f"Each token is predicted from the {window // 2} to {window} tokens before it (a sliding window; "
                "fewer at the very start), as the validation loss is measured.")
    return (f"The model reads with its memory carried along: each token is predicted from at least {window // 2} "
            "tokens before it, usually many more (fewer at the very start).")


def score_ids(text_model, ids: np.ndarray) -> tuple[np.ndarray, ...]:
    """nats (N,), rank (N,), top ids (N, 5) and probabilities (N, 5) of every token but the first,
    placed at its own index (index 0 left empty)."""
    rows, keep, _ = windows_for(text_model, ids)
    vocabulary = text_model.network.model_config.vocab_size
    batch = max(1, min(BATCH_TOKENS, BATCH_SCORES // vocabulary) // rows.shape[1])
    parts = [[] for _ in range(4)]
    for start in range(0, len(rows), batch):
        scores = text_model.token_scores(rows[start:start + batch])
        chosen = keep[start:start + batch]
        for part, values in zip(parts, scores):
            part.append(values[chosen])  # the targets this row scores, in the text's order
    nats, rank, top_ids, top_probabilities = (np.concatenate(part) for part in parts)
    return (_after_first(nats.astype(np.float64), np.nan), _after_first(rank, 0), _after_first(top_ids, 0),
            _after_first(top_probabilities, 0.0))


def _after_first(values: np.ndarray, empty) -> np.ndarray:
    """``values`` of tokens 1.. with an ``empty`` row in front for token 0."""
    return np.concatenate([np.full((1, *values.shape[1:]), empty, values.dtype), values])


def check_text(text_model, text: str) -> None:
    """Refuse, in a sentence, a model that cannot read and a text that is empty or too long."""
    check_readable(text_model)
    if not text or not text.strip():
        raise PlaygroundError("There is no text to read: paste some text, or choose the held-out text of the "
                              "model's corpus.")
    if len(text) > MAX_CHARACTERS:
        raise PlaygroundError(f"This text has {len(text):,} characters; the playground reads at most "
                              f"{MAX_CHARACTERS:,} at once. Read it in parts of that size.")


def read(text_model, text: str, source: str = PASTED, note: str = "") -> Reading:
    """Score every token of ``text`` with ``text_model`` (a
    :class:`playground.generation.text_model.TextModel`) and its counting baselines; ``note``: something
    to say about the text first."""
    check_text(text_model, text)
    tokenizer = text_model.tokenizer
    ids = np.asarray(tokenizer.encode(text), dtype=np.int32)
    if len(ids) < 2:
        raise PlaygroundError("The text is one token long; a model predicts each token from the ones before it, "
                              "so give it at least two.")
    notes = [note]
    unknown = text_model.unknown_in(text)
    if unknown:
        share = float(np.mean(ids == 0))
        shown = ", ".join(repr(symbol) for symbol in unknown[:10]) + (" …" if len(unknown) > 10 else "")
        if share > MOSTLY_UNKNOWN and text_model.level != "word":
            raise PlaygroundError(f"{share:.0%} of this text is symbols the model never saw in training ({shown}), "
                                  "so there is little to learn from its reading. Give it text like its corpus.")
        if text_model.level == "word":
            notes.append(f"{int(np.sum(ids == 0)):,} words are outside the model's vocabulary ({shown}); it reads "
                         "each as the unknown word <unk>.")
        else:
            notes.append(f"The model never saw {shown} in training; it reads them as the unknown token <unk>, "
                         "which surprises it.")
    nats, rank, top_ids, top_probabilities = score_ids(text_model, ids)
    counting_models = text_model.counting_models()
    counting, order = {}, 0
    if counting_models is not None:
        counting = {name: np.concatenate([[np.nan], values]) for name, values in counting_models.surprisal(ids).items()}
        order = counting_models.order
        if counting_models.ngram is None:
            notes.append(counting_models.note)
    else:
        notes.append("The model was saved without its training text, so there are no counting baselines to compare "
                     "with.")
    vocabulary = tokenizer.token_texts(range(text_model.network.model_config.vocab_size))
    characters = len(tokenizer.decode(ids[1:]))  # as evaluate counts them (characters_per_token)
    return Reading(text_model.name, text_model.arch, text_model.level, source, tokenizer.token_texts(ids), ids,
                   nats, rank, top_ids, top_probabilities, vocabulary, counting, order, characters,
                   model_window(text_model), context_sentence(text_model), tokenizer.decode,
                   " ".join(note for note in notes if note))


def read_file(path) -> str:
    """A UTF-8 text file to read, refused in a sentence if it is missing, too long or not text."""
    path = Path(path)
    try:
        if path.stat().st_size > 4 * MAX_CHARACTERS:  # UTF-8 takes at most 4 bytes a character
            raise PlaygroundError(f"{path.name} is {path.stat().st_size:,} bytes; the playground reads at most "
                                  f"{MAX_CHARACTERS:,} characters at once. Read it in parts of that size.")
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PlaygroundError(f"There is no file {path}.") from None
    except UnicodeDecodeError:
        raise PlaygroundError(f"{path.name} is not UTF-8 text.") from None
    except OSError as error:
        raise PlaygroundError(f"{path.name} cannot be read: {error.strerror}.") from None


def held_out_text(text_model) -> tuple[str, str]:
    """(the held-out part of the model's corpus, up to the reading limit; a note if it was cut)."""
    split = text_model.corpus_split()
    if split is None or not split[1].strip():
        raise PlaygroundError("This model was saved without its training text, so there is no held-out text to "
                              "read; paste a text instead.")
    text = split[1]
    if len(text) <= MAX_CHARACTERS:
        return text, ""
    return text[:MAX_CHARACTERS], (f"The held-out text has {len(text):,} characters; these are the first "
                                   f"{MAX_CHARACTERS:,}.")


def read_held_out(text_model) -> Reading:
    text, cut = held_out_text(text_model)
    return read(text_model, text, HELD_OUT, cut)


# Worst passages ---------------------------------------------------------------------------
def worst_windows(reading: Reading, window: int, count: int = HARDEST) -> list[Passage]:
    """The ``count`` windows of ``window`` scored tokens (side by side, not overlapping; a shorter text is
    one window) with the highest mean surprisal, worst first."""
    scored = reading.nats[1:]  # (N - 1,)
    size = min(window, len(scored))
    means = scored[:len(scored) // size * size].reshape(-1, size).mean(axis=1)  # (W,)
    passages = []
    for index in np.argsort(-means, kind="stable")[:count]:
        start = 1 + int(index) * size
        worst = start + int(np.argmax(reading.nats[start:start + size]))
        passages.append(Passage(start, reading.decode(reading.ids[start:start + size]), float(means[index]),
                                reading.place(worst)))
    return passages


def worst_passages(text_model, count: int = HARDEST) -> dict:
    """The ``count`` held-out windows (of the model's training length) with the highest loss, worst first,
    with the mean loss of the whole held-out text: ``{"passages": [...], "loss": ..., "window": ..., "note": ...}``."""
    check_readable(text_model)
    reading = read_held_out(text_model)
    window = model_window(text_model)
    passages = worst_windows(reading, window, count)
    return {"model": text_model.name, "window": window, "loss": float(np.mean(reading.nats[1:])),
            "passages": passages, "note": reading.note}


# A person or a model? -------------------------------------------------------------------------
WRITER_TEMPERATURES = (0.3, 1.5)
WRITER_TOKENS = 600


@dataclasses.dataclass(frozen=True)
class Writer:
    """A text, who wrote it, and its reading."""

    label: str
    text: str
    reading: Reading

    def shares(self) -> list[tuple[str, float]]:
        counts = self.reading.bucket_counts()
        total = max(sum(count for _, count in counts), 1)
        return [(name, count / total) for name, count in counts]


def writers(text_model, tokens: int = WRITER_TOKENS, seed: int = 0) -> list[Writer]:
    """Held-out text (a person) beside the model's own samples at T = 0.3 and 1.5, each read by the model."""
    check_readable(text_model)
    held, _ = held_out_text(text_model)
    paragraph = held.find("\n\n", 0, 5_000)  # start where a person started, not mid-sentence
    ids = text_model.tokenizer.encode(held[paragraph + 2 if paragraph >= 0 else 0:])
    person = text_model.tokenizer.decode(ids[:tokens + 1])
    found = [Writer("held-out text (a person)", person, read(text_model, person, HELD_OUT))]
    for sample in text_model.generate("", WRITER_TEMPERATURES, tokens, seed):
        label = f"the model at T = {sample.temperature:g}"
        found.append(Writer(label, sample.text, read(text_model, sample.text, label)))
    return found
