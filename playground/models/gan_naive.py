"""The naive text GAN, kept as a lesson: the design many tutorials show, and why it fails.

The generator turns a noise vector into a whole sequence at once: Dense -> BatchNorm -> the
same vector repeated at every position -> LSTM -> a softmax over the vocabulary at every
position. Its output is a sequence of *continuous* probability vectors ``(B, T, V)``; real
text, shown to the discriminator as one-hot vectors, never looks like that. The
discriminator (LSTM -> BatchNorm -> one verdict per position) only has to notice that real
rows contain a single 1 and generated rows do not, which it learns at once; the
generator's only way to look less soft is to put all its probability on one token, and
with the same input at every position the easiest such token is the same everywhere. The
trainer (:class:`playground.training.adversarial.NaiveGANTrainer`) uses a correct explicit
``GradientTape`` step, so the failure is the design's, not a bug in the training loop.

To sit in the playground, the generator keeps the language-model contract honestly: it
does **not** read a prompt. ``call(ids)`` returns, at every position, the generator's
logits for that position of the sequence it writes from one fixed noise vector (saved
with the weights); only the length of ``ids`` matters. ``prefill``/``step`` walk the same
sequence one position at a time, carrying the LSTM state, and ignore the tokens they are
given. Sampling at a temperature draws from each position's softmax.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import keras
import tensorflow as tf

from playground.models import sizes
from playground.models import base
from playground.models.base import Architecture, LanguageModel, ModelConfig
from playground.settings import setting


@dataclasses.dataclass(frozen=True)
class NaiveGANConfig(ModelConfig):
    """Sizes of the naive GAN. ``embedding_dim`` 0: the discriminator reads the vectors as
    they are, as in the original design; more puts a bias-free projection in front."""

    arch: ClassVar[str] = "gan-naive"
    units: int = base.units(help="Size of the memory vector of both networks' LSTMs.")
    layers: int = base.layers(1, 4, "Use between {low} and {high} LSTM layers (got {value}).")
    embedding_dim: int = base.embedding(
        0, "Discriminator input size", 0, 4096,
        "The discriminator's input size must be between 0 (read the vectors directly) and 4096 (got {value}).",
        "0: the discriminator reads the generator's vectors as they are; more puts a projection in front.")
    dropout: float = base.dropout()  # on the generator's LSTM output, while training
    noise_dim: int = setting(100, "Noise size", 1, 1024,
                             rule="The noise vector needs between {low} and {high} numbers (got {value}).",
                             help="numbers of random noise the generator starts each text from")


@keras.saving.register_keras_serializable(package="playground")
class NaiveGANGenerator(LanguageModel):
    config_class = NaiveGANConfig

    def __init__(self, config, **kwargs):
        super().__init__(config, **kwargs)
        cfg = self.model_config
        self.project = keras.layers.Dense(cfg.units, name="project")
        self.normalize = keras.layers.BatchNormalization(name="batch_norm")
        self.recurrent = [
            keras.layers.LSTM(cfg.units, return_sequences=True, return_state=True, name=f"lstm_{i}")
            for i in range(cfg.layers)
        ]
        self.dropout = keras.layers.Dropout(cfg.dropout) if cfg.dropout else None
        self.head = keras.layers.Dense(cfg.vocab_size, name="logits")
        # The one noise vector the playground samples from, saved so a reloaded model writes the same text.
        self.sampling_noise = self.add_weight(shape=(cfg.noise_dim,), initializer="random_normal",
                                              trainable=False, name="sampling_noise")

    def seed_vector(self, noise, training=False):
        """Noise ``(B, Z)`` -> the vector fed to the LSTM at every position ``(B, units)``."""
        return self.normalize(self.project(noise), training=training)

    def generate_logits(self, noise, length, training=False):
        """Noise ``(B, Z)`` -> logits of a whole sequence ``(B, length, V)``."""
        x = self.seed_vector(noise, training)
        x = tf.repeat(x[:, None, :], length, axis=1)  # (B, T, units): RepeatVector
        for layer in self.recurrent:
            x = layer(x, training=training)[0]  # (B, T, units)
            if self.dropout is not None:
                x = self.dropout(x, training=training)
        return self.head(x)  # (B, T, V)

    def fixed_noise(self, batch):
        return tf.tile(self.sampling_noise[None, :], [batch, 1])  # (B, Z)

    def make_discriminator(self) -> keras.Model:
        return build_naive_discriminator(self.model_config)

    # The language-model contract: the prompt's tokens are ignored (see the module docstring).
    def call(self, ids, training=False):
        shape = tf.shape(ids)
        return self.generate_logits(self.fixed_noise(shape[0]), shape[1], training)  # (B, T, V)

    def prefill(self, ids):
        shape = tf.shape(ids)
        seed = self.seed_vector(self.fixed_noise(shape[0]))  # (B, units)
        x = tf.repeat(seed[:, None, :], shape[1], axis=1)  # (B, T, units)
        state = []
        for layer in self.recurrent:
            x, *layer_state = layer(x)
            state.append(tuple(layer_state))
        return self.head(x[:, -1]), (seed, tuple(state))  # (B, V)

    def step(self, token, state):
        seed, layer_states = state
        x = seed  # (B, units): the same input at every position, whatever the token
        new_states = []
        for layer, layer_state in zip(self.recurrent, layer_states):
            x, cell_state = layer.cell(x, list(layer_state))
            new_states.append(tuple(cell_state))
        return self.head(x), (seed, tuple(new_states))  # (B, V)


def build_naive_discriminator(config: NaiveGANConfig) -> keras.Model:
    """Vectors ``(B, T, V)`` -> a realness logit per position ``(B, T, 1)``: LSTM -> BatchNorm -> Dense."""
    tokens = keras.Input((None, config.vocab_size), name="tokens")  # (B, T, V)
    x = tokens
    if config.embedding_dim:
        x = keras.layers.Dense(config.embedding_dim, use_bias=False, name="embedding")(x)  # (B, T, E)
    for i in range(config.layers):
        x = keras.layers.LSTM(config.units, return_sequences=True, name=f"lstm_{i}")(x)  # (B, T, units)
    x = keras.layers.BatchNormalization(name="batch_norm")(x)
    realness = keras.layers.Dense(1, name="realness")(x)  # (B, T, 1)
    return keras.Model(tokens, realness, name="naive_discriminator")

ARCHITECTURE = Architecture(
    name="gan-naive",
    label="Naive text GAN (a lesson in failure)",
    model_class=NaiveGANGenerator,
    stacks=sizes.naive_gan_stacks,
    explanation=(
        "This is the text GAN many tutorials sketch, built faithfully so you can watch it fail. "
        "The generator turns random noise into a whole sequence at once and ends in a softmax, so "
        "every position is a blurry vector of probabilities, while real text reaches the "
        "discriminator as one-hot vectors with a single 1. Telling the two apart needs no "
        "understanding of language: 'are the rows exactly one-hot?' settles it, so the "
        "discriminator wins almost at once (its accuracy goes towards 1). Batch normalisation "
        "muddles what is left: when the generator learns, the discriminator judges a batch of fakes "
        "alone, normalised by statistics of fakes alone, so its verdicts say more about how the fakes "
        "differ from each other than from real text. The generator's only escape is to make its vectors "
        "sharper, piling all probability onto one token; since it feeds the same vector into the "
        "LSTM at every position, that token is the same everywhere, and the samples collapse into "
        "one repeated character (watch distinct-1 fall). It also ignores your prompt: it writes "
        "from noise, not from a beginning. The 'Text GAN (RelGAN-style)' model shows the fixes: a "
        "generator that writes token by token, a maximum-likelihood warm-up, Gumbel-softmax "
        "relaxation and a relativistic loss."
    ),
    train_defaults={"learning_rate": 1e-3, "batch_size": 64, "window": 64},
    trainer="playground.training.adversarial:NaiveGANTrainer",
    has_discriminator=True,
    reads_prompt=False,
)
