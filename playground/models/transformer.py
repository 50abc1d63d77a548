"""Transformer decoder (a mini-GPT): causal self-attention over a fixed-length context.

Training runs whole windows at once: every position attends to itself and the positions
before it, all in a few matrix products. Sampling keeps, for every layer, the keys and
values of the tokens already read (a KV cache), so a new token costs one row of attention
per layer instead of a pass over the whole window.

The model has a learned embedding per position ``0 .. context - 1``, so it reads at most
``context`` tokens. When generation fills the context, old tokens must go, and then every
remaining token sits at an earlier position than when it was cached: its keys and values, in
every layer, are no longer the ones :meth:`TransformerLanguageModel.call` computes for the cropped
window. Shifting the cache left would be cheap but quietly wrong. Instead the model forgets
the oldest ``forget_when_full`` tokens and re-reads the rest from position 0 with one full
pass (the state keeps a buffer of the tokens for that), so every sampled distribution is
exactly what ``call`` gives on the tokens since the last re-read: between
``context - forget_when_full + 1`` and ``context`` of them. ``forget_when_full = 1`` makes
that always the last ``context`` tokens, at the price of a full pass per token once past the
context (six 500-token samples at the default size: about 7 s instead of 1 s on two CPU
cores). The default, a quarter of the context, re-reads once every ``context / 4`` tokens
and always keeps at least three quarters of the context.
"""

from __future__ import annotations

import dataclasses
import math

import keras
import tensorflow as tf

from playground.models import sizes
from playground.errors import PlaygroundError
from playground.models import base
from playground.models.base import Architecture, LanguageModel, ModelConfig
from playground.settings import setting

MASKED = -1e9  # a score no softmax can bring back


@dataclasses.dataclass(frozen=True)
class TransformerConfig(ModelConfig):
    """Sizes of a transformer decoder. ``context`` is the most tokens it can look back over."""

    arch = "transformer"
    # Fast default, chosen by measurement; the shipped model has 4.
    layers: int = base.layers(2, 12, "Use between {low} and {high} transformer layers (got {value}).")
    embedding_dim: int = base.embedding(128, "Embedding size", 8, 1024,
                                        "The embedding size must be between {low} and {high} (got {value}).",
                                        "Length of the vector each token becomes; the heads share it out.")
    heads: int = setting(4, "Attention heads", 1, 16, page=(1, 16, 1),
                         rule="Use between {low} and {high} attention heads (got {value}).",
                         help="Parallel attention patterns; must divide the embedding size.")
    context: int = setting(64, "Context length (model)", 4, 2048, page=(16, 1024, 16), key="context_length",
                           rule="The context length must be between {low} and {high} tokens (got {value}).",
                           help="The most tokens the transformer can look back over.")
    dropout: float = base.dropout()
    ff_multiplier: int = setting(4, "Feed-forward width", 1, 8,
                                 rule="The feed-forward layer is {low} to {high} times the embedding size "
                                      "(got {value}).",
                                 help="width of the feed-forward layer, as a multiple of the embedding size")
    tied_head: bool = setting(True, "Tied output layer", flag="--untied-head",
                              help="a separate output matrix instead of the embedding's")

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.embedding_dim % self.heads:
            raise PlaygroundError(
                f"Embedding size {self.embedding_dim} must be divisible by {self.heads} heads "
                f"({self.embedding_dim} / {self.heads} is not a whole number)."
            )

    @property
    def head_dim(self) -> int:
        return self.embedding_dim // self.heads


def _initializer(stddev: float = 0.02) -> keras.initializers.Initializer:
    # GPT-2's small normal init keeps the first logits near zero, so the initial loss is ~ln V.
    return keras.initializers.RandomNormal(stddev=stddev)


def attention(query, key, value, visible, dropout=None, training=False):
    """Scaled dot-product attention; ``visible`` (Tq, Tk) says which keys each query may see.

    Returns the mixed values and the weights they were mixed with, so the Inside tab shows the
    very weights the model used (unused, they cost nothing: the graph drops them)."""
    scores = tf.matmul(query, key, transpose_b=True)  # (B, H, Tq, Tk)
    scores = scores / math.sqrt(query.shape[-1])
    scores = tf.where(visible, scores, tf.cast(MASKED, scores.dtype))
    weights = tf.nn.softmax(scores, axis=-1)  # (B, H, Tq, Tk), each row sums to 1
    if dropout is not None:
        weights = dropout(weights, training=training)
    return tf.matmul(weights, value), weights  # (B, H, Tq, D), (B, H, Tq, Tk)


class DecoderBlock(keras.layers.Layer):
    """Pre-LayerNorm block: x + attention(norm(x)), then x + feed_forward(norm(x))."""

    def __init__(self, config: TransformerConfig, **kwargs):
        super().__init__(**kwargs)
        self.heads, self.head_dim = config.heads, config.head_dim
        width = config.embedding_dim
        # Residual projections start smaller, so the sum of many layers keeps its scale.
        residual_init = _initializer(0.02 / math.sqrt(2 * config.layers))
        self.attention_norm = keras.layers.LayerNormalization(epsilon=1e-5, name="attention_norm")
        self.query = keras.layers.Dense(width, kernel_initializer=_initializer(), name="query")
        self.key = keras.layers.Dense(width, kernel_initializer=_initializer(), name="key")
        self.value = keras.layers.Dense(width, kernel_initializer=_initializer(), name="value")
        self.attention_output = keras.layers.Dense(width, kernel_initializer=residual_init, name="attention_output")
        self.feed_forward_norm = keras.layers.LayerNormalization(epsilon=1e-5, name="feed_forward_norm")
        self.expand = keras.layers.Dense(width * config.ff_multiplier, activation="gelu",
                                         kernel_initializer=_initializer(), name="expand")
        self.contract = keras.layers.Dense(width, kernel_initializer=residual_init, name="contract")
        if config.dropout:
            self.attention_dropout = keras.layers.Dropout(config.dropout)
            self.residual_dropout = keras.layers.Dropout(config.dropout)
        else:
            self.attention_dropout = self.residual_dropout = None

    def _split_heads(self, x):
        batch, time = tf.shape(x)[0], tf.shape(x)[1]
        x = tf.reshape(x, [batch, time, self.heads, self.head_dim])  # (B, T, H, D)
        return tf.transpose(x, [0, 2, 1, 3])  # (B, H, T, D)

    def _merge_heads(self, x):
        batch, time = tf.shape(x)[0], tf.shape(x)[2]
        x = tf.transpose(x, [0, 2, 1, 3])  # (B, T, H, D)
        return tf.reshape(x, [batch, time, self.heads * self.head_dim])  # (B, T, E)

    def _residual(self, x, update, training):
        if self.residual_dropout is not None:
            update = self.residual_dropout(update, training=training)
        return x + update

    def keys_values(self, normed):
        return self._split_heads(self.key(normed)), self._split_heads(self.value(normed))  # (B, H, T, D) each

    def _finish(self, x, normed, key, value, visible, training):
        """Attention of ``x``'s positions over ``key``/``value``, then the feed-forward part.
        Also returns the attention weights ``(B, H, Tq, Tk)``."""
        query = self._split_heads(self.query(normed))  # (B, H, Tq, D)
        attended, weights = attention(query, key, value, visible, self.attention_dropout, training)
        x = self._residual(x, self.attention_output(self._merge_heads(attended)), training)  # (B, Tq, E)
        return self._residual(x, self.contract(self.expand(self.feed_forward_norm(x))), training), weights

    def forward(self, x, training=False):
        """A whole window ``(B, T, E)``, causally; returns the output, its keys and values, and the
        attention weights ``(B, H, T, T)``."""
        time = tf.shape(x)[1]
        visible = tf.range(time)[:, None] >= tf.range(time)[None, :]  # (T, T) lower triangle
        normed = self.attention_norm(x)
        key, value = self.keys_values(normed)
        x, weights = self._finish(x, normed, key, value, visible, training)
        return x, key, value, weights

    def call(self, x, training=False):
        """The block's output ``(B, T, E)`` and its attention weights ``(B, H, T, T)``."""
        x, _, _, weights = self.forward(x, training)
        return x, weights

    def step(self, x, key_cache, value_cache, position):
        """One new token ``(B, 1, E)`` at ``position``, attending over the cache ``(B, H, C, D)``."""
        normed = self.attention_norm(x)
        key, value = self.keys_values(normed)  # (B, H, 1, D)
        # Written into the slot in place: selecting it with a mask rewrote the whole cache (a few
        # per cent of the grid's time).
        key_cache = keras.ops.slice_update(key_cache, [0, 0, position, 0], key)
        value_cache = keras.ops.slice_update(value_cache, [0, 0, position, 0], value)
        visible = tf.range(key_cache.shape[2])[None, :] <= position  # (1, C): the cache up to here
        return self._finish(x, normed, key_cache, value_cache, visible, training=False)[0], key_cache, value_cache


@keras.saving.register_keras_serializable(package="playground")
class TransformerLanguageModel(LanguageModel):
    """Token and position embeddings, ``layers`` decoder blocks, a final norm and the head.

    ``forget_when_full``: how many of the oldest tokens sampling drops once the context is full
    (default a quarter of it; 1 for exact sliding windows). It is read when the sampling step is
    first compiled, so choose it when building the model; it is not saved with the weights.
    """

    config_class = TransformerConfig
    # Halves of the batch on two cores: 40.3-41.2 k tokens/s against 32.4-32.6 k for the default
    # model's training step (2 cores, AVX-512). The recurrent models lose by it (their one loop over
    # time already keeps both cores busy): 35-36 k against 42-44 k.
    batch_parts_on_cpu = 2
    step_compiled = True  # _compiled_step

    def __init__(self, config, forget_when_full: int | None = None, **kwargs):
        super().__init__(config, **kwargs)
        cfg = self.model_config
        self.forget_when_full = forget_when_full or max(1, cfg.context // 4)
        if not 1 <= self.forget_when_full < cfg.context:
            raise PlaygroundError(
                f"Sampling must forget between 1 and {cfg.context - 1} old tokens when the context is full "
                f"(got {self.forget_when_full})."
            )
        self.token_embedding = keras.layers.Embedding(
            cfg.vocab_size, cfg.embedding_dim, embeddings_initializer=_initializer(), name="token_embedding")
        self.position_embedding = keras.layers.Embedding(
            cfg.context, cfg.embedding_dim, embeddings_initializer=_initializer(), name="position_embedding")
        self.embedding_dropout = keras.layers.Dropout(cfg.dropout) if cfg.dropout else None
        self.blocks = [DecoderBlock(cfg, name=f"block_{i}") for i in range(cfg.layers)]
        self.final_norm = keras.layers.LayerNormalization(epsilon=1e-5, name="final_norm")
        if cfg.tied_head:
            self.head = None
        else:
            self.head = keras.layers.Dense(cfg.vocab_size, use_bias=False, kernel_initializer=_initializer(),
                                           name="logits")

    @property
    def max_window(self) -> int:
        """The longest input ``call`` accepts: one learned position per token."""
        return self.model_config.context

    def _logits(self, x):
        x = self.final_norm(x)
        if self.head is None:
            # Tied head: score each token by how well x matches its own input embedding.
            return tf.matmul(x, self.token_embedding.embeddings, transpose_b=True)  # (..., V)
        return self.head(x)

    def _embed(self, ids, start, training=False):
        """Token plus position embedding for ``ids`` (B, T) placed at positions ``start ..``."""
        positions = start + tf.range(tf.shape(ids)[1])  # (T,)
        x = self.token_embedding(ids) + self.position_embedding(positions)[None]  # (B, T, E)
        if self.embedding_dropout is not None:
            x = self.embedding_dropout(x, training=training)
        return x

    def call(self, ids, training=False):
        return self.read(ids, training)[0]  # (B, T, V)

    def read(self, ids, training=False):
        """What ``call`` computes, and how: the logits ``(B, T, V)`` and, per layer, the attention
        weights ``(B, H, T, T)`` they came from (row i: how much token i took from each token j)."""
        time = ids.shape[1]
        if time is not None and time > self.max_window:
            raise PlaygroundError(
                f"This transformer reads at most {self.max_window} tokens at once (its context length), "
                f"but got {time}. Use a training context length of at most {self.max_window}."
            )
        x = self._embed(ids, 0, training)
        attention_weights = []
        for block in self.blocks:
            x, weights = block(x, training=training)  # (B, T, E), (B, H, T, T)
            attention_weights.append(weights)
        return self._logits(x), attention_weights  # (B, T, V)

    # Sampling state: (position, tokens (B, C), ((key (B, H, C, D), value (B, H, C, D)) per layer)).
    # ``position`` counts the tokens in the cache; all sizes but the batch stay fixed, as the
    # compiled loop in playground.generation.sampling needs.

    def _fill(self, ids):
        """Read up to ``context`` tokens ``(B, T)`` from position 0; return the last hidden vector and a state."""
        cfg = self.model_config
        time = tf.shape(ids)[1]
        padding = cfg.context - time
        x = self._embed(ids, 0)
        caches = []
        for block in self.blocks:
            x, key, value, _ = block.forward(x)  # (B, T, E), (B, H, T, D) twice
            pad = [[0, 0], [0, 0], [0, padding], [0, 0]]
            shape = [None, cfg.heads, cfg.context, cfg.head_dim]
            caches.append((tf.ensure_shape(tf.pad(key, pad), shape), tf.ensure_shape(tf.pad(value, pad), shape)))
        tokens = tf.ensure_shape(tf.pad(ids, [[0, 0], [0, padding]]), [None, cfg.context])  # (B, C)
        return x[:, -1], (time, tokens, tuple(caches))  # (B, E)

    def prefill(self, ids):
        ids = tf.cast(ids, tf.int32)[:, -self.model_config.context:]  # a longer prompt keeps its end
        last, state = self._fill(ids)
        return self._logits(last), state  # (B, V)

    def step(self, token, state):
        return self._compiled_step(tf.cast(token, tf.int32), state)

    # XLA fuses the step's hundred-odd small operations: about three times faster on a CPU.
    @tf.function(jit_compile=True)
    def _compiled_step(self, token, state):
        context = self.model_config.context
        position, tokens, caches = tf.cond(
            state[0] < context,
            lambda: state,
            # Full: forget the oldest tokens and re-read the rest from position 0 (see the module docstring).
            lambda: self._fill(state[1][:, self.forget_when_full:])[1],
        )
        x = self._embed(token[:, None], position)  # (B, 1, E)
        new_caches = []
        for block, (key_cache, value_cache) in zip(self.blocks, caches):
            x, key_cache, value_cache = block.step(x, key_cache, value_cache, position)
            new_caches.append((key_cache, value_cache))
        tokens = tf.where(tf.range(context)[None, :] == position, token[:, None], tokens)  # (B, C)
        return self._logits(x[:, 0]), (position + 1, tokens, tuple(new_caches))  # (B, V)


ARCHITECTURE = Architecture(
    name="transformer",
    label="Transformer decoder (mini-GPT)",
    model_class=TransformerLanguageModel,
    stacks=sizes.transformer_stacks,
    # The training window matches the default context, so every position embedding gets trained.
    # Measured on 2 cores (benchmarks/train.py): 1.90 nats/char on Tiny Shakespeare in about 40 s.
    # Batch 16 got there in 40 s where 32 took 47 s (at the same tokens per second: twice the
    # updates); 8 took 47 s (a tenth fewer tokens per second).
    train_defaults={"batch_size": 16, "window": 64, "learning_rate": 5e-3, "optimizer": "adamw",
                    "schedule": "cosine", "warmup_steps": 30},
    explanation=(
        "A transformer does not squeeze the past into one memory vector. To predict the next "
        "token it looks back at every earlier token in its context directly, through attention: "
        "each position asks a question (a query), every earlier position offers a label (a key) "
        "and some content (a value), and the answer is a mix of the contents whose labels match "
        "the question best. A causal mask hides the future, so no position can peek at the token "
        "it must predict. Several heads ask different questions side by side: one might track the "
        "current word while another finds the last quote mark. Attention alone ignores order, so "
        "each position also adds a learned position vector; that is why the model reads at most "
        "'context length' tokens. Because no step waits for the previous one, training computes "
        "all positions of a window at once, which suits fast parallel hardware; generating still "
        "goes one token at a time, helped by a cache of the keys and values already computed."
    ),
)
