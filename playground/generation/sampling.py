"""Turning logits into tokens, and one compiled generation loop for every architecture.

Samplers follow one recipe: probabilities = softmax(logits / temperature) in float32, keep
some tokens (all of them, the top k, the nucleus, those above a share of the best), then
draw one by inverse CDF with a uniform number ``u``. Dividing the logits, never taking the
log of probabilities, keeps low temperatures stable: at T = 0.05 the largest logit simply
dominates. Temperature 0 means greedy (argmax).

The loop draws ``u`` from a seeded stream that depends only on the seed, the step and the
sample number, not on the temperature. Rows at different temperatures therefore share
their random numbers, so a temperature grid shows what temperature alone changes, and the
same seed always gives the same text.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

import numpy as np
import tensorflow as tf

from playground.errors import PlaygroundError
from playground.models.base import LanguageModel
from playground.settings import Setting, check, require, setting

MAX_LENGTH = 5000
MAX_PROMPT = 10_000
MAX_ROWS = 512
MAX_TEMPERATURES = 16  # in one call
TOP_ALTERNATIVES = 5
# What the loop records of each token: the token, its log-probability at T = 1, the probability it
# was drawn with, the top alternatives and theirs.
RECORD_DTYPES = (tf.int32, tf.float32, tf.float32, tf.int32, tf.float32)
# Tokens per compiled call, where the model's step is compiled with XLA: 8 took the transformer's
# grid from 0.32 s to 0.165 s, 32 to 0.148 s (held to AVX2); a short text pays for up to 15 unused.
TOKENS_PER_CALL = 16
GREEDY_GAP = 0.05  # temperatures above 0 and below this are too close to greedy to mean anything else

# What a student sets to generate, besides the prompt and the filters; the page's sliders offer a
# part of each range (``page``), the generation loop accepts all of it.
TEMPERATURE = Setting("Temperature", 0.0, 5.0, page=(0.0, 2.0, GREEDY_GAP))  # no slider step lands in the gap
LENGTH = Setting("Length (tokens to generate)", 1, MAX_LENGTH, page=(10, 1000, 10),
                 rule="Length must be between {low} and {high} tokens (got {value}).")
SEED = Setting("Random seed", 0, 2**31 - 1, page=(), help="Same seed, same text.",
               rule="The seed must be a whole number from 0 to 2,147,483,647 (got {value}).")


class Sampler:
    """Plain temperature sampling: every token keeps its tempered probability."""

    def compute_probabilities(self, logits, temperature):
        """softmax(logits / T) in float32; ``logits`` (B, V), ``temperature`` (B,)."""
        logits = tf.cast(logits, tf.float32)
        safe = tf.where(temperature > 0, temperature, tf.ones_like(temperature))
        return tf.nn.softmax(logits / safe[:, None], axis=-1)  # (B, V)

    def keep(self, probabilities):
        """Which tokens may be drawn; subclasses narrow this down."""
        return tf.ones_like(probabilities, dtype=tf.bool)

    def draw(self, probabilities, uniform):
        """Inverse CDF: the first token whose cumulative probability exceeds ``u`` of the total."""
        cumulative = tf.cumsum(probabilities, axis=-1)  # (B, V)
        target = uniform[:, None] * cumulative[:, -1:]  # (B, 1)
        index = tf.reduce_sum(tf.cast(cumulative <= target, tf.int32), axis=-1)
        return tf.minimum(index, tf.shape(probabilities)[-1] - 1)  # (B,)

    def filtered_probabilities(self, logits, temperature):
        probabilities = self.compute_probabilities(logits, temperature)
        kept = tf.where(self.keep(probabilities), probabilities, tf.zeros_like(probabilities))
        return kept / tf.reduce_sum(kept, axis=-1, keepdims=True)  # (B, V)

    def distribution(self, logits, temperature):
        """What a row draws from: the filtered tempered probabilities, or all mass on the
        favourite where the temperature is 0 (greedy)."""
        greedy = tf.one_hot(tf.argmax(logits, axis=-1), tf.shape(logits)[-1])  # (B, V)
        return tf.where((temperature > 0)[:, None], self.filtered_probabilities(logits, temperature), greedy)

    def next_token(self, logits, temperature, uniform):
        """One token per row; rows with temperature <= 0 take the most likely token (their
        distribution puts all the mass on it, so every ``uniform`` in [0, 1) draws it)."""
        return self.draw(self.distribution(logits, temperature), uniform)


class TopKSampler(Sampler):
    """Only the ``k`` most likely tokens (k <= 0 keeps all)."""

    def __init__(self, k):
        self.k = k

    def keep(self, probabilities):
        vocab = tf.shape(probabilities)[-1]
        k = tf.where(tf.logical_and(self.k > 0, self.k < vocab), self.k, vocab)
        # The k-th largest by sorting, not top_k: XLA compiles top_k once per value of k.
        ranked = tf.sort(probabilities, axis=-1, direction="DESCENDING")  # (B, V)
        kth = tf.gather(ranked, k - 1, axis=-1)[:, None]  # (B, 1)
        return probabilities >= kth


class TopPSampler(Sampler):
    """Nucleus: the fewest most-likely tokens whose probabilities add up to at least ``p``."""

    def __init__(self, p):
        self.p = p

    def keep(self, probabilities):
        ranked = tf.sort(probabilities, axis=-1, direction="DESCENDING")  # (B, V)
        before = tf.cumsum(ranked, axis=-1, exclusive=True)
        # A token is in the nucleus if the mass ranked above it is still short of p.
        in_nucleus = before < tf.cast(self.p, tf.float32)
        threshold = tf.reduce_min(tf.where(in_nucleus, ranked, tf.ones_like(ranked)), axis=-1)
        return probabilities >= threshold[:, None]


class MinPSampler(Sampler):
    """Tokens at least ``min_p`` times as likely as the most likely one."""

    def __init__(self, min_p):
        self.min_p = min_p

    def keep(self, probabilities):
        best = tf.reduce_max(probabilities, axis=-1, keepdims=True)
        return probabilities >= tf.cast(self.min_p, tf.float32) * best


class CombinedSampler(Sampler):
    """Every declared filter together (:func:`filters`): a token must pass them all."""

    def __init__(self, *values):
        """``values``: one per filter, in :class:`SamplingSettings`' order (numbers, or tensors in the loop)."""
        self.parts = tuple(field.metadata["sampler"](value) for field, value in zip(filters(), values, strict=True))

    def keep(self, probabilities):
        masks = [part.keep(probabilities) for part in self.parts]
        return tf.reduce_all(tf.stack(masks), axis=0)


def sampling_filter(sampler: type[Sampler], default: float, label: str, low: float, high: float, **details):
    """A field of :class:`SamplingSettings` declared with its setting (:func:`playground.settings.setting`)
    and the :class:`Sampler` its value builds. The generation loop, the next-token view, the command
    line, the page, the web API and links read the filters from these fields: a new filter is its
    ``Sampler`` (its ``keep`` mask) and one such field."""
    declared_ = setting(default, label, low, high, **details)
    return dataclasses.field(default=default, metadata={**declared_.metadata, "sampler": sampler})


@dataclasses.dataclass(frozen=True)
class SamplingSettings:
    """What the student chose. ``top_k`` 0, ``top_p`` 1 and ``min_p`` 0 switch a filter off."""

    top_k: int = sampling_filter(TopKSampler, 0, "top-k (0 = off)", 0, 1_000_000, page=(0, 1_000_000),
                                 rule="top-k must be a whole number from 0 (off) to 1,000,000 (got {raw}).",
                                 help="Only the k most likely tokens can be drawn.")
    top_p: float = sampling_filter(TopPSampler, 1.0, "top-p (1 = off)", 0.0, 1.0, open_low=True,
                                   page=(0.05, 1.0, 0.05), rule="top-p must be in (0, 1], 1 for off (got {raw}).",
                                   help="Only the most likely tokens that together hold p of the probability.")
    min_p: float = sampling_filter(MinPSampler, 0.0, "min-p (0 = off)", 0.0, 1.0, open_high=True,
                                   page=(0.0, 0.5, 0.01), rule="min-p must be in [0, 1), 0 for off (got {raw}).",
                                   help="Only tokens at least this share as likely as the favourite.")
    greedy: bool = False

    def __post_init__(self) -> None:
        check(self)

    def filter_values(self) -> tuple:
        """Each filter's value, in declaration order."""
        return tuple(getattr(self, field.name) for field in filters())

    def sampler(self) -> CombinedSampler:
        return CombinedSampler(*self.filter_values())


def filters() -> tuple[dataclasses.Field, ...]:
    """The sampling filters: the fields of :class:`SamplingSettings` that name a sampler, in order."""
    return tuple(field for field in dataclasses.fields(SamplingSettings) if "sampler" in field.metadata)


def filter_names() -> list[str]:
    """The filters as the page names them: top-k, top-p, min-p."""
    return [field.name.replace("_", "-") for field in filters()]


def filter_dtype(field: dataclasses.Field) -> tf.DType:
    """How the compiled loop receives a filter's value: whole numbers as int32, others as float32."""
    return tf.int32 if isinstance(field.default, int) else tf.float32


@dataclasses.dataclass(frozen=True)
class GenerationSettings(SamplingSettings):
    """Everything a student sets to generate but the prompt, each setting declared once: the
    filters, how many tokens, how hot and which random numbers. The Generate tab's controls,
    its handlers, the web API and links read these declarations."""

    length: int = setting(300, LENGTH)
    temperature: float = setting(1.0, TEMPERATURE)
    seed: int = setting(0, SEED)

    def __post_init__(self) -> None:
        check_temperatures([self.temperature])  # the greedy gap and its own sentences, before the range
        super().__post_init__()


def check_temperatures(temperatures: Sequence[float]) -> list[float]:
    """Temperatures the generation loop accepts (:data:`TEMPERATURE`): 0 (greedy), or from 0.05 up."""
    values = [float(t) for t in temperatures]
    if not values:
        raise PlaygroundError("Give at least one temperature.")
    if len(values) > MAX_TEMPERATURES:
        raise PlaygroundError(f"At most {MAX_TEMPERATURES} temperatures at once (got {len(values)}).")
    for t in values:
        if math.isnan(t) or math.isinf(t) or t < TEMPERATURE.low:
            raise PlaygroundError(f"Temperature must be a number >= 0 (0 means greedy); got {t}.")
        if 0 < t < GREEDY_GAP:
            raise PlaygroundError(f"Temperatures between 0 and {GREEDY_GAP:g} are too close to greedy; use 0 for "
                                  f"greedy (got {t}).")
        if t > TEMPERATURE.high:
            raise PlaygroundError(f"Temperature {t} is far too high to be useful; use at most {TEMPERATURE.high:g}.")
    return values


def parse_temperatures(text: str) -> list[float]:
    """'0.2, 0.5 1.0' -> [0.2, 0.5, 1.0], with a clear error for anything else."""
    pieces = [p for p in str(text).replace(";", ",").replace(" ", ",").split(",") if p.strip()]
    try:
        values = [float(p) for p in pieces]
    except ValueError:
        raise PlaygroundError(
            f"Temperatures must be numbers separated by commas, like 0.2, 0.7, 1.0 (got {text!r})."
        ) from None
    return check_temperatures(values)


def forbidden_penalty(vocab_size: int, forbid: Sequence[int]):
    """Added to the logits: forbidden tokens get a score so low that no temperature or filter
    can bring them back."""
    return tf.constant([-1e9 if t in forbid else 0.0 for t in range(vocab_size)], tf.float32)  # (V,)


def step_uniforms(streams, seed, step):
    """The uniform numbers of generation step ``step``, one per random stream: the same for every
    temperature, so that only the temperature differs between the rows of a grid."""
    return tf.random.stateless_uniform([streams], seed=tf.stack([tf.cast(seed, tf.int32), tf.cast(step, tf.int32)]))


@dataclasses.dataclass
class GeneratedBatch:
    """Everything one call produced, as NumPy arrays with one row per sample."""

    temperatures: np.ndarray  # (B,)
    sample_index: np.ndarray  # (B,)
    token_ids: np.ndarray  # (B, L)
    token_logprob: np.ndarray  # (B, L) log-probability under the model (T = 1)
    token_probability: np.ndarray  # (B, L) probability it was drawn with (tempered, filtered)
    top_ids: np.ndarray  # (B, L, K) most likely alternatives at the sampling temperature
    top_probabilities: np.ndarray  # (B, L, K)


class GenerationLoop:
    """Compiled batched generation for one model. Keep one per loaded model and reuse it."""

    def __init__(self, model: LanguageModel, forbid: Sequence[int] = ()):
        """``forbid``: token ids never to generate, such as a character model's ``<unk>``."""
        self.model = model
        self.forbid = tuple(forbid)
        # Where the model's step is compiled with XLA, one compiled call draws TOKENS_PER_CALL
        # tokens, each followed by the step: XLA then updates the state (the transformer's key-value
        # cache) in place, where a call per token copied all of it in and out, and a few dozen
        # operations per token no longer start one by one. The transformer's grid took 0.15-0.17 s
        # instead of 0.32-0.35 s (held to AVX2). A step that is not compiled (the recurrent models
        # use oneDNN's kernels) goes one token per call.
        if model.step_compiled:
            self.tokens_per_call = TOKENS_PER_CALL
            self._draw_tokens = tf.function(self._draw_in_turn, jit_compile=True)
        else:
            self.tokens_per_call = 1
            self._draw_tokens = self._draw_one
        self._loop = tf.function(
            self._generate,
            input_signature=[
                tf.TensorSpec([1, None], tf.int32),  # prompt ids (1, T), shared by every row
                tf.TensorSpec([None], tf.float32),  # temperature per row
                tf.TensorSpec([None], tf.int32),  # which random stream each row uses
                tf.TensorSpec([], tf.int32),  # seed
                tf.TensorSpec([], tf.int32),  # length
                tf.TensorSpec([], tf.bool),  # greedy
                tuple(tf.TensorSpec([], filter_dtype(field)) for field in filters()),  # each filter's value
            ],
        )

    def _generate(self, prompt, temperature, stream, seed, length, greedy, filter_values):
        temperature = tf.where(greedy, tf.zeros_like(temperature), temperature)
        streams = tf.reduce_max(stream) + 1
        # Every row continues the same prompt: read it once and copy the result to each row, so a
        # long prompt costs one row's memory however many samples are asked for.
        rows = tf.shape(temperature)[0]
        logits, state = self.model.prefill(prompt)  # (1, V)
        logits = tf.repeat(logits, rows, axis=0)  # (B, V)
        state = tf.nest.map_structure(lambda t: tf.repeat(t, rows, axis=0) if t.shape.rank else t, state)
        # Calls of tokens_per_call tokens each; the last may write a few more than asked, cut below.
        per_call = self.tokens_per_call
        calls = (length + per_call - 1) // per_call
        arrays = [tf.TensorArray(dtype, size=calls) for dtype in RECORD_DTYPES]
        for call in tf.range(calls):
            # Drawn here, outside any XLA call: XLA's stateless random numbers differ from
            # TensorFlow's for the same seed, and the next-token view and the take-home notebooks
            # draw what the grid draws by drawing these.
            uniforms = tf.stack([tf.gather(step_uniforms(streams, seed, call * per_call + n), stream)
                                 for n in range(per_call)])  # (N, B)
            records, logits, state = self._draw_tokens(logits, state, uniforms, temperature, filter_values)
            arrays = [a.write(call, r) for a, r in zip(arrays, records)]
        # Along time first, call after call: (L, B, ...) -> (B, L, ...)
        stacked = [a.concat()[:length] for a in arrays]
        return [tf.transpose(s, [1, 0] + list(range(2, len(s.shape)))) for s in stacked]

    def _draw_one(self, logits, state, uniforms, temperature, filter_values):
        """:meth:`_draw_then_step` for ``uniforms`` (1, B): its records with a time axis of one."""
        record, logits, state = self._draw_then_step(logits, state, uniforms[0], temperature, filter_values)
        return [r[None] for r in record], logits, state

    def _draw_in_turn(self, logits, state, uniforms, temperature, filter_values):
        """:meth:`_draw_then_step` once per row of ``uniforms`` (N, B), in turn: the records (N, B, ...)."""
        count = uniforms.shape[0]
        arrays = [tf.TensorArray(dtype, size=count) for dtype in RECORD_DTYPES]
        for n in tf.range(count):
            record, logits, state = self._draw_then_step(logits, state, uniforms[n], temperature, filter_values)
            arrays = [a.write(n, r) for a, r in zip(arrays, record)]
        return [a.stack() for a in arrays], logits, state

    def _draw_then_step(self, logits, state, uniform, temperature, filter_values):
        """One token per row drawn from ``logits`` (B, V) with ``uniform`` (B,), what the page
        records of it (token, log-probability at T = 1, probability it was drawn with, the top
        alternatives and theirs), and the model's logits and state after reading it."""
        sampler = CombinedSampler(*filter_values)
        vocab = self.model.model_config.vocab_size
        logits = tf.cast(logits, tf.float32) + forbidden_penalty(vocab, self.forbid)
        # Sampler.next_token, with the distribution it draws from kept for the record.
        probabilities = sampler.distribution(logits, temperature)  # (B, V)
        token = sampler.draw(probabilities, uniform)  # (B,)
        top = tf.math.top_k(probabilities, k=min(TOP_ALTERNATIVES, vocab))
        logprob = tf.gather(tf.nn.log_softmax(logits), token, batch_dims=1)
        chosen = tf.gather(probabilities, token, batch_dims=1)
        logits, state = self.model.step(token, state)
        return (token, logprob, chosen, top.indices, top.values), logits, state

    def generate(
        self,
        prompt_ids: Sequence[int],
        temperatures: Sequence[float],
        length: int,
        seed: int = 0,
        settings: SamplingSettings = SamplingSettings(),
        samples_per_temperature: int = 1,
    ) -> GeneratedBatch:
        temperatures = check_temperatures(temperatures)
        require("length", length, LENGTH, int)
        rows = len(temperatures) * samples_per_temperature
        if not 1 <= rows <= MAX_ROWS:
            raise PlaygroundError(f"At most {MAX_ROWS} samples in one call (asked for {rows}).")
        if len(prompt_ids) == 0:
            raise PlaygroundError("The prompt must contain at least one token.")
        if len(prompt_ids) > MAX_PROMPT:
            raise PlaygroundError(f"The prompt is {len(prompt_ids):,} tokens; at most {MAX_PROMPT:,} are read.")
        row_temperature = np.repeat(np.asarray(temperatures, np.float32), samples_per_temperature)
        row_stream = np.tile(np.arange(samples_per_temperature, dtype=np.int32), len(temperatures))
        prompt = np.asarray(prompt_ids, np.int32)[None, :]
        outputs = self._loop(
            prompt, row_temperature, row_stream, np.int32(seed % (2**31)), np.int32(length), np.bool_(settings.greedy),
            tuple(np.asarray(value, filter_dtype(field).as_numpy_dtype)
                  for field, value in zip(filters(), settings.filter_values())),
        )
        token_ids, logprob, chosen, top_ids, top_probabilities = (o.numpy() for o in outputs)
        return GeneratedBatch(row_temperature, row_stream, token_ids, logprob, chosen, top_ids, top_probabilities)
