"""A trained model ready to generate: :class:`TextModel` (loaded from a bundle or handed over by a
training run), the :class:`Sample` it writes, and :func:`evaluate_text` for its loss on any text.
"""

from __future__ import annotations

import collections
import dataclasses
import threading
from pathlib import Path
from typing import Any
from collections.abc import Callable, Sequence

import numpy as np
import tensorflow as tf

from playground.text import baselines
from playground.generation import next_token
from playground.text import tokenizers
from playground.text.corpus import DEFAULT_VALIDATION_SHARE, Corpus
from playground.generation.evaluation import (TOP_ALTERNATIVES, bits, bits_per_character, characters_per_token,
                                              compiled_scores)
from playground.models import architecture
from playground.models.base import LanguageModel
from playground.generation.sampling import MAX_PROMPT, GeneratedBatch, GenerationLoop, SamplingSettings
from playground.text.tokenizers import Tokenizer

LOGITS_CACHE = 256  # prompts whose next-token scores a shared model keeps (a few KB each)


@dataclasses.dataclass(frozen=True)
class Sample:
    temperature: float
    sample_index: int
    text: str
    tokens: list[str]
    token_ids: np.ndarray
    token_logprob: np.ndarray
    token_probability: np.ndarray
    top_ids: np.ndarray
    top_probabilities: np.ndarray


class TextModel:
    """A network (the Keras model that turns token ids into logits) with its tokenizer, ready to
    generate. The compiled loop is built once."""

    def __init__(self, network: LanguageModel, tokenizer: Tokenizer, info: dict[str, Any] | None = None,
                 name: str = "model", corpus_text: str | None = None, path: Path | None = None,
                 read_corpus: Callable[[], str | None] | None = None):
        """``read_corpus`` reads the training text when it is first needed (a saved run's is on disk)."""
        self.network, self.tokenizer, self.info, self.name = network, tokenizer, info or {}, name
        self.path = path
        self._corpus_text = corpus_text
        self._read_corpus = read_corpus
        self._generator: GenerationLoop | None = None
        self._index = None
        self._index_lock = threading.Lock()  # many sessions may share one model
        self._counting: baselines.CountingModels | None = None
        self._counting_lock = threading.Lock()
        self._prefill = None
        self._scores = None
        self._token_texts: list[str] | None = None
        self._logits: collections.OrderedDict[tuple[int, ...], np.ndarray] = collections.OrderedDict()
        self._logits_lock = threading.Lock()

    def corpus_split(self) -> tuple[str, str] | None:
        """(training text, held-out text) as this model was trained, if its corpus is known."""
        if self._corpus_text is None and self._read_corpus is not None:
            self._corpus_text = self._read_corpus()
        if self._corpus_text is None:
            return None
        share = float(self.info.get("train", {}).get("validation_share", DEFAULT_VALIDATION_SHARE))
        return Corpus(self.name, self._corpus_text).split(share)

    def memorisation_index(self):
        """N-gram index of the training text (built once), or None if the corpus is unknown."""
        with self._index_lock:
            if self._index is None:
                from playground.text.metrics import memorisation_index

                split = self.corpus_split()
                self._index = memorisation_index(split[0], self.level) if split else None
            return self._index

    def counting_models(self) -> baselines.CountingModels | None:
        """The counting baselines of the training text (counted once), or None if the corpus is unknown."""
        with self._counting_lock:
            if self._counting is None:
                split = self.corpus_split()
                if split is None:
                    return None
                self._counting = baselines.fit(self.tokenizer.encode(split[0]), len(self.tokenizer), self.level)
            return self._counting

    @property
    def generator(self) -> GenerationLoop:
        if self._generator is None:
            self._generator = GenerationLoop(self.network, forbid=self.forbidden_ids)
        return self._generator

    @property
    def forbidden_ids(self) -> tuple[int, ...]:
        """<unk> is never generated: a character model never saw it in training, and at word
        level it stands for any rare word, which would make the text unreadable."""
        return (0,)

    @property
    def arch(self) -> str:
        return self.network.model_config.arch

    @property
    def level(self) -> str:
        return self.tokenizer.level

    @property
    def prompt_limit(self) -> int:
        """The most prompt tokens the model reads: a transformer's context, at most MAX_PROMPT for others."""
        return min(MAX_PROMPT, getattr(self.network, "max_window", None) or MAX_PROMPT)

    def prompt_note(self, prompt: str) -> str:
        """What a student should know when the prompt is longer than the model reads ('' otherwise)."""
        count = len(self.tokenizer.encode(prompt)) if prompt else 0
        if count <= self.prompt_limit:
            return ""
        why = "its context length" if self.prompt_limit < MAX_PROMPT else "the playground's limit"
        return (f"The prompt is {count:,} tokens; the model reads only the last {self.prompt_limit:,} ({why}).")

    def start_ids(self, prompt: str = "") -> list[int]:
        """Prompt ids, cut to the last ``prompt_limit``; an empty prompt starts after a newline (or a
        space), as text does."""
        ids = self.tokenizer.encode(prompt).tolist() if prompt else []
        if ids:
            return ids[-self.prompt_limit:]
        for start in ("\n", " ", "."):
            encoded = self.tokenizer.encode(start).tolist()
            if encoded and encoded[0] != 0:
                return encoded[:1]
        return [1]

    def generate(self, prompt: str, temperatures: Sequence[float], length: int, seed: int = 0,
                 settings: SamplingSettings = SamplingSettings(), samples_per_temperature: int = 1) -> list[Sample]:
        start = self.start_ids(prompt)
        batch: GeneratedBatch = self.generator.generate(
            start, temperatures, length, seed, settings, samples_per_temperature)
        # After a line break or a full stop the first generated word opens a sentence.
        opens = self.tokenizer.token_texts(start[-1:])[0] in tokenizers.SENTENCE_ENDS
        samples = []
        for row in range(len(batch.temperatures)):
            ids = batch.token_ids[row]
            # The temperature as the user typed it, not its float32 round trip.
            temperature = float(temperatures[row // samples_per_temperature])
            samples.append(Sample(
                temperature, int(batch.sample_index[row]), self.tokenizer.decode(ids, sentence_start=opens),
                self.tokenizer.token_texts(ids), ids, batch.token_logprob[row], batch.token_probability[row],
                batch.top_ids[row], batch.top_probabilities[row]))
        return samples

    def join(self, prompt: str, continuation: str) -> str:
        """Prompt and generated text as one text; words need a space between them, characters don't."""
        if self.level == "word" and prompt and continuation and not prompt[-1].isspace() \
                and continuation[0] not in ".,;:!?)'\"\n":
            return f"{prompt} {continuation}"
        return prompt + continuation

    def unknown_in(self, prompt: str) -> list[str]:
        return self.tokenizer.unknown_symbols(prompt)

    @property
    def validation_loss(self) -> float | None:
        """The held-out loss (nats per token) measured when training finished, if it was."""
        result = self.info.get("result") if isinstance(self.info.get("result"), dict) else {}
        loss = result.get("val_loss")
        return float(loss) if isinstance(loss, (int, float)) and not isinstance(loss, bool) else None

    @property
    def ignores_prompt(self) -> bool:
        """The naive GAN writes from noise: what it expects next does not depend on the prompt."""
        return not architecture(self.arch).reads_prompt

    def next_logits(self, prompt: str) -> np.ndarray:
        """The model's scores for the token after ``prompt`` (V,), read once per prompt and kept:
        moving a temperature slider only re-does the softmax."""
        ids = tuple(self.start_ids(prompt))
        with self._logits_lock:
            if ids in self._logits:
                self._logits.move_to_end(ids)
                return self._logits[ids]
        if self._prefill is None:
            self._prefill = tf.function(lambda batch: self.network.prefill(batch)[0],
                                        input_signature=[tf.TensorSpec([1, None], tf.int32)])
        logits = self._prefill(np.asarray([ids], np.int32)).numpy()[0].astype(np.float32)  # (V,)
        with self._logits_lock:
            self._logits[ids] = logits
            while len(self._logits) > LOGITS_CACHE:
                self._logits.popitem(last=False)
        return logits

    def token_scores(self, windows: np.ndarray) -> tuple[np.ndarray, ...]:
        """Per target of windows ``(B, T + 1)``: nats ``(B, T)``, rank ``(B, T)``, the five likeliest tokens
        ``(B, T, 5)`` and their probabilities (see :func:`playground.generation.evaluation.token_scores`),
        through one compiled function kept with the model."""
        if self._scores is None:
            self._scores = compiled_scores(self.network, TOP_ALTERNATIVES)
        windows = np.asarray(windows, np.int32)
        half = max(len(windows) // 2, 1)
        first, second = windows[:half], windows[half:]
        halves = self._scores(first, second if len(second) else first)  # one window: read twice, kept once
        halves = halves if len(second) else halves[:1]
        return tuple(np.concatenate([part[i].numpy() for part in halves]) for i in range(4))

    def next_token(self, prompt: str, temperature: float,
                   settings: SamplingSettings = SamplingSettings()) -> next_token.NextToken:
        """Every stage of the distribution over the token after ``prompt`` at these settings."""
        if self._token_texts is None:
            self._token_texts = self.tokenizer.token_texts(range(self.network.model_config.vocab_size))
        return next_token.distribution(self.next_logits(prompt), self._token_texts, temperature, settings,
                                       self.forbidden_ids)

    def append(self, prompt: str, token: str) -> str:
        """The prompt with one more token, as the step-through lab writes it."""
        return self.join(prompt, token)


def evaluate_text(text_model: TextModel, text: str, window: int | None = None) -> dict[str, Any]:
    """Mean loss of a model over a whole text, as the CLI's ``evaluate`` reports it."""
    from playground.generation.evaluation import mean_loss

    window = window or int(text_model.info.get("train", {}).get("window", 128))
    ids = text_model.tokenizer.encode(text)
    loss = mean_loss(text_model.network, ids, window)
    counting = text_model.counting_models()  # the model's own training text, if it was saved
    counted = counting.measure(ids).as_json() if counting else None
    return {"val_loss": loss, "bits_per_token": bits(loss), "tokens": int(len(ids) - 1),
            "bits_per_character": bits_per_character(loss, characters_per_token(ids, text_model.tokenizer.decode)),
            "baselines": counted}
