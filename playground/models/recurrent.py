"""Recurrent language models: stacked LSTM or GRU layers between an input encoding and a head.

Training runs whole windows through the layers; sampling feeds one token at a time through the
same layers' cells, carrying their state, so a generated character costs one small matrix product
per layer instead of a pass over the whole window.

On a CPU, a window runs through all the layers in one loop over time (:meth:`RecurrentLM.read_in_one_loop`)
rather than through each Keras layer's own loop in turn. Each layer's step at time t needs only its
own step at t - 1 and the layer below at t, so with one loop TensorFlow can run the lower layer's
next step on one core while the upper layer finishes this one on the other, and it pays one loop's
overhead instead of one per layer. Measured with oneDNN held to AVX2 on 2 cores (the default sizes,
2,048 characters a step, forward, backward and update): the LSTM's step took 82 ms against 92–96 ms,
the GRU's 78–80 ms against 91–94 ms. On a GPU the layers keep Keras's loop, which uses cuDNN there.
The weights are the layers' own either way, so saved models load in both.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import keras
import tensorflow as tf

from playground.models import base
from playground.models.base import LanguageModel, ModelConfig


@dataclasses.dataclass(frozen=True)
class RecurrentConfig(ModelConfig):
    """Sizes of a recurrent model. ``embedding_dim`` 0 means one-hot input."""

    cell: ClassVar[str] = "lstm"
    # Measured on 2 cores (benchmarks/train.py, Tiny Shakespeare), 192 units against 256: the LSTM reached
    # 1.90 nats/char in 20 s against 32 s (28 s and 41 s with oneDNN held to AVX2) and after three minutes
    # scored 1.516 against 1.546 (1.552 against 1.564); the GRU reached 1.90 in 17 s against 21 s and
    # scored 1.490 against 1.486 (1.499 against 1.501). More updates per second win in short runs; after
    # ten minutes, held to AVX2, the 256-unit LSTM wins (1.505 against 1.527). The LSTM has since
    # gone to 160 (LSTMConfig).
    units: int = base.units(192)
    layers: int = base.layers(2, 8, "Use between {low} and {high} recurrent layers (got {value}).")
    embedding_dim: int = base.embedding(
        64, "Embedding size", 0, 4096, "The embedding size must be between 0 (one-hot input) and 4096 (got {value}).",
        "Length of the vector each token becomes (0 = one-hot input, as in the classic char-rnn).")
    dropout: float = base.dropout()


class RecurrentLM(LanguageModel):
    config_class = RecurrentConfig

    def __init__(self, config, **kwargs):
        super().__init__(config, **kwargs)
        cfg = self.model_config
        if cfg.embedding_dim:
            self.encode = keras.layers.Embedding(cfg.vocab_size, cfg.embedding_dim, name="embedding")
        else:
            self.encode = None
        layer_class = {"lstm": keras.layers.LSTM, "gru": keras.layers.GRU}[cfg.cell]
        self.recurrent = [
            layer_class(cfg.units, return_sequences=True, return_state=True, name=f"{cfg.cell}_{i}")
            for i in range(cfg.layers)
        ]
        self.dropout = keras.layers.Dropout(cfg.dropout) if cfg.dropout else None
        # Dropout between the layers, or cuDNN on a GPU, needs the layers' own loops.
        self.one_loop = not base.has_gpu()
        # float32 logits even under mixed precision: the softmax needs the range.
        self.head = keras.layers.Dense(cfg.vocab_size, name="logits", dtype="float32")

    def _inputs(self, ids):
        if self.encode is None:
            return tf.one_hot(ids, self.model_config.vocab_size)  # (B, T, V)
        return self.encode(ids)  # (B, T, E)

    def call(self, ids, training=False):
        return self.read(ids, training)[0]  # (B, T, V)

    def read(self, ids, training=False):
        """What ``call`` computes, and how: the logits ``(B, T, V)`` and the last recurrent layer's
        hidden state at every position ``(B, T, units)``, as that layer output it."""
        x = self._inputs(ids)
        if self.one_loop and (self.dropout is None or not training):
            hidden = self.read_in_one_loop(x, training)
            return self.head(hidden), hidden
        hidden = x
        for layer in self.recurrent:
            hidden = layer(x, training=training)[0]  # (B, T, units)
            x = self.dropout(hidden, training=training) if self.dropout is not None else hidden
        return self.head(x), hidden  # (B, T, V), (B, T, units)

    def read_in_one_loop(self, x, training=False):
        """The last layer's hidden state at every position ``(B, T, units)`` for inputs ``(B, T, F)``,
        every layer stepping inside one ``tf.while_loop`` over time: what the layers one after the
        other compute, with the same cells (see the module docstring)."""
        width = x.shape[-1]
        for layer in self.recurrent:
            if not layer.built:
                layer.build((None, None, width))
            width = layer.cell.units
        cells = [layer.cell for layer in self.recurrent]
        batch, steps = tf.shape(x)[0], tf.shape(x)[1]
        inputs = tf.TensorArray(x.dtype, size=steps).unstack(tf.transpose(x, [1, 0, 2]))  # T x (B, F)
        outputs = tf.TensorArray(self.recurrent[-1].compute_dtype, size=steps, element_shape=[None, width])

        def step(time, states, outputs):
            hidden, new_states = inputs.read(time), []
            for cell, state in zip(cells, states):
                hidden, state = cell(hidden, list(state), training=training)
                new_states.append(tuple(state))
            return time + 1, tuple(new_states), outputs.write(time, hidden)

        initial = tuple(tuple(cell.get_initial_state(batch)) for cell in cells)
        _, _, outputs = tf.while_loop(lambda time, *_: time < steps, step, (tf.constant(0), initial, outputs),
                                      parallel_iterations=32)
        return tf.transpose(outputs.stack(), [1, 0, 2])  # (B, T, units)

    def prefill(self, ids):
        x = self._inputs(ids)
        state = []
        for layer in self.recurrent:
            x, *layer_state = layer(x)
            state.append(tuple(layer_state))
        return self.head(x[:, -1]), tuple(state)  # (B, V)

    def step(self, token, state):
        x = self._inputs(token)  # (B, E)
        new_state = []
        for layer, layer_state in zip(self.recurrent, state):
            x, cell_state = layer.cell(x, list(layer_state))
            new_state.append(tuple(cell_state) if isinstance(cell_state, (list, tuple)) else (cell_state,))
        return self.head(x), tuple(new_state)  # (B, V)
