"""A text GAN that learns: a RelGAN-style generator and discriminator.

The generator is an ordinary recurrent language model (Embedding -> LSTM/GRU -> logits), so
it keeps the playground's contract and samples with the shared loop. What makes it a GAN is
how :class:`playground.adversarial.AdversarialTrainer` trains it after a maximum-likelihood
warm-up: it writes sequences token by token, hands the discriminator a *relaxed* version of
each token (a softmax sharpened by the inverse temperature ``beta``) and learns from the
discriminator's verdict. The discriminator is a separate Keras model built by
:func:`build_discriminator`: it lives only as long as the training run.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import keras

from playground.errors import PlaygroundError
from playground.models.base import Architecture, ModelConfig
from playground.models.recurrent import RecurrentLM


@dataclasses.dataclass(frozen=True)
class GANConfig(ModelConfig):
    """Generator sizes plus the adversarial settings, saved with the weights."""

    arch: ClassVar[str] = "gan"
    max_layers: ClassVar[int] = 4
    # The generator: a recurrent language model.
    embedding_dim: int = 64
    units: int = 256
    cell: str = "lstm"
    layers: int = 1
    dropout: float = 0.0
    # The schedule.
    pretrain_share: float = 0.5  # share of the training budget spent on maximum likelihood first
    beta_max: float = 100.0  # inverse temperature of the relaxation at the end of training
    d_steps: int = 3  # discriminator updates per generator update
    adversarial_lr: float = 1e-4
    # The discriminator: a convolutional text classifier.
    d_filters: int = 64  # filters per width
    d_widths: tuple[int, ...] = (2, 3, 4, 5)
    d_embedding: int = 64
    d_dropout: float = 0.25
    # Variations to experiment with.
    straight_through: bool = False  # forward one-hot, backward relaxed
    mle_mix: float = 0.0  # weight of a maximum-likelihood term in the generator's adversarial loss
    adversarial_length: int = 64  # tokens the generator writes for the discriminator
    sample_temperature: float = 1.0  # the temperature this generator is meant to be sampled at

    def __post_init__(self) -> None:
        super().__post_init__()
        # JSON turns tuples into lists; store a tuple so a reloaded config compares equal.
        widths = self.d_widths
        if isinstance(widths, (list, tuple)):
            object.__setattr__(self, "d_widths", tuple(widths))
        if self.cell not in ("lstm", "gru"):
            raise PlaygroundError(f"The generator's cell must be 'lstm' or 'gru' (got {self.cell!r}).")
        if not 1 <= self.units <= 4096:
            raise PlaygroundError(f"Generator units must be between 1 and 4096 (got {self.units}).")
        if not 0 <= self.embedding_dim <= 4096:
            raise PlaygroundError(
                f"The generator's embedding size must be between 0 (one-hot input) and 4096 (got {self.embedding_dim})."
            )
        if not 1 <= self.layers <= self.max_layers:
            raise PlaygroundError(f"The generator may have 1 to 4 recurrent layers (got {self.layers}).")
        if not 0.0 <= self.dropout < 1.0:
            raise PlaygroundError(f"Dropout is a probability in [0, 1) (got {self.dropout:g}).")
        if not 0.0 <= self.pretrain_share < 1.0:
            raise PlaygroundError(
                f"The pretraining share is the part of the training budget spent on maximum likelihood before "
                f"the adversarial phase: at least 0 and below 1 (got {self.pretrain_share:g}). Try 0.5."
            )
        if not 1.0 <= self.beta_max <= 1000.0:
            raise PlaygroundError(
                f"The largest inverse temperature beta must be between 1 (no sharpening) and 1000 "
                f"(got {self.beta_max:g}). RelGAN used 100 or 1000."
            )
        if not 1 <= self.d_steps <= 10:
            raise PlaygroundError(
                f"Discriminator steps per generator step must be between 1 and 10 (got {self.d_steps})."
            )
        if not 0.0 < self.adversarial_lr <= 0.01:
            raise PlaygroundError(
                f"The adversarial learning rate must be in (0, 0.01] (got {self.adversarial_lr:g}); "
                "GANs need small steps, try 0.0001."
            )
        if not 1 <= self.d_filters <= 1024:
            raise PlaygroundError(f"Discriminator filters per width must be between 1 and 1024 (got {self.d_filters}).")
        if not (isinstance(widths, (list, tuple)) and widths
                and all(isinstance(w, int) and not isinstance(w, bool) and 1 <= w <= 16 for w in widths)):
            raise PlaygroundError(
                f"Discriminator filter widths must be a list of whole numbers from 1 to 16, like 2, 3, 4, 5 "
                f"(got {widths!r})."
            )
        if not 1 <= self.d_embedding <= 1024:
            raise PlaygroundError(
                f"The discriminator's embedding size must be between 1 and 1024 (got {self.d_embedding})."
            )
        if not 0.0 <= self.d_dropout < 1.0:
            raise PlaygroundError(f"Discriminator dropout is a probability in [0, 1) (got {self.d_dropout:g}).")
        if not isinstance(self.straight_through, bool):
            raise PlaygroundError(f"straight_through is on or off (got {self.straight_through!r}).")
        if not 0.0 <= self.mle_mix <= 10.0:
            raise PlaygroundError(f"The maximum-likelihood mix weight must be between 0 and 10 (got {self.mle_mix:g}).")
        if not 8 <= self.adversarial_length <= 512:
            raise PlaygroundError(
                f"The generator writes between 8 and 512 tokens for the discriminator (got {self.adversarial_length})."
            )
        if max(self.d_widths) > self.adversarial_length:
            raise PlaygroundError(
                f"A discriminator filter {max(self.d_widths)} tokens wide does not fit in sequences of "
                f"{self.adversarial_length} tokens."
            )
        if not 0.0 < self.sample_temperature <= 5.0:
            raise PlaygroundError(f"The sampling temperature must be in (0, 5] (got {self.sample_temperature:g}).")


@keras.saving.register_keras_serializable(package="playground")
class GANGenerator(RecurrentLM):
    """The generator: a recurrent language model (see :class:`RecurrentLM`) that also
    records the inverse temperature ``beta`` its adversarial training reached."""

    config_class = GANConfig

    def __init__(self, config, **kwargs):
        super().__init__(config, **kwargs)
        # Saved with the weights, so a reloaded GAN knows how far its annealing got.
        self.trained_beta = self.add_weight(shape=(), initializer="zeros", trainable=False, name="trained_beta")

    def make_discriminator(self) -> keras.Model:
        return build_discriminator(self.model_config)


def build_discriminator(config: GANConfig) -> keras.Model:
    """One-hot or relaxed tokens ``(B, T, V)`` -> one realness logit per sequence ``(B, 1)``.

    A bias-free dense layer embeds each position: on a one-hot row it picks an embedding,
    on a relaxed row it mixes embeddings, so real and generated text go through the same
    path. Convolutions of several widths look for n-grams; max-pooling keeps, for every
    filter, its strongest match anywhere in the sequence. No batch normalisation: its
    batch statistics would differ between all-real and all-fake batches and give the
    game away.
    """
    tokens = keras.Input((None, config.vocab_size), name="tokens")  # (B, T, V)
    x = keras.layers.Dense(config.d_embedding, use_bias=False, name="embedding")(tokens)  # (B, T, E)
    pooled = [
        keras.layers.GlobalMaxPooling1D(name=f"max_{width}")(
            keras.layers.Conv1D(config.d_filters, width, activation="relu", name=f"conv_{width}")(x))  # (B, F)
        for width in config.d_widths
    ]
    x = keras.layers.Concatenate(name="features")(pooled) if len(pooled) > 1 else pooled[0]  # (B, F * widths)
    x = keras.layers.Dropout(config.d_dropout, name="dropout")(x)
    realness = keras.layers.Dense(1, name="realness")(x)  # (B, 1)
    return keras.Model(tokens, realness, name="discriminator")

ARCHITECTURE = Architecture(
    name="gan",
    label="Text GAN (RelGAN-style)",
    model_class=GANGenerator,
    explanation=(
        "A GAN pits two networks against each other: a generator writes text and a "
        "discriminator tries to tell it from real text. For images this works directly, but "
        "text is made of discrete tokens, and picking a token is not differentiable: there is "
        "no gradient telling the generator how to change a 'q' into something more convincing. "
        "This design (after RelGAN, 2019) gets around it with the Gumbel-softmax trick: the "
        "generator still picks real tokens to continue its own text, but shows the "
        "discriminator a soft version of each choice, a softmax of its noisy scores multiplied "
        "by an inverse temperature beta. A small beta gives blurry vectors and smooth "
        "gradients; a large beta gives nearly one-hot vectors that look like real text, so beta "
        "is raised from 1 towards its maximum during training. Because a GAN started from "
        "scratch rarely finds language at all, the generator first learns by ordinary maximum "
        "likelihood (the same training as the LSTM) for part of the budget. The discriminator "
        "then uses a relativistic loss: it is not asked 'is this real?' but 'is the real text "
        "more real than the fake one?', which keeps its gradients useful even when it is "
        "winning. Watch the diagnostics: discriminator accuracy, the diversity of samples and "
        "the reading tell you whether the game is balanced or has collapsed."
    ),
    train_defaults={"learning_rate": 3e-3, "batch_size": 64, "window": 128},
    trainer="playground.adversarial:AdversarialTrainer",
)
