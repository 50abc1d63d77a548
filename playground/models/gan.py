"""A text GAN that learns: a RelGAN-style generator and discriminator.

The generator is an ordinary recurrent language model (Embedding -> LSTM/GRU -> logits), so
it keeps the playground's contract and samples with the shared loop. What makes it a GAN is
how :class:`playground.training.adversarial.AdversarialTrainer` trains it after a maximum-likelihood
warm-up: it writes sequences token by token, hands the discriminator a *relaxed* version of
each token (a softmax sharpened by the inverse temperature ``beta``) and learns from the
discriminator's verdict. The discriminator is a separate Keras model built by
:func:`build_discriminator`: it lives only as long as the training run.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import keras

from playground.models import sizes
from playground.errors import PlaygroundError
from playground.models import base
from playground.models.base import Architecture, ModelConfig
from playground.models.recurrent import RecurrentLM
from playground.settings import setting


@dataclasses.dataclass(frozen=True)
class GANConfig(ModelConfig):
    """Generator sizes plus the adversarial settings, saved with the weights."""

    arch: ClassVar[str] = "gan"
    # The generator: a recurrent language model.
    units: int = base.units(label="Generator units")
    layers: int = base.layers(1, 4, "The generator may have {low} to {high} recurrent layers (got {value}).")
    embedding_dim: int = base.embedding(
        64, "Generator embedding size", 0, 4096,
        "The generator's embedding size must be between 0 (one-hot input) and 4096 (got {value}).",
        "Length of the vector each token becomes in the generator (0 = one-hot input).")
    cell: str = setting("lstm", "Generator cell", choices=("lstm", "gru"), page=(),
                        rule="The generator's cell must be 'lstm' or 'gru' (got {value}).",
                        help="The generator's recurrent cell.")
    dropout: float = base.dropout()
    # The schedule.
    pretrain_share: float = setting(
        0.5, "Pretraining share", 0.0, 1.0, open_high=True, page=(0.0, 0.95, 0.05),
        rule="The pretraining share is the part of the training budget spent on maximum likelihood before the "
             "adversarial phase: at least 0 and below 1 (got {value}). Try 0.5.",
        help="Share of the budget spent on maximum likelihood before the adversarial phase.")
    beta_max: float = setting(
        100.0, "β max (inverse temperature)", 1.0, 1000.0, page=(1, 1000, 1),
        rule="The largest inverse temperature beta must be between 1 (no sharpening) and 1000 (got {value}). "
             "RelGAN used 100 or 1000.",
        help="How sharp the relaxed samples the discriminator sees become by the end: high β = nearly one-hot.")
    d_steps: int = setting(3, "Discriminator steps per generator step", 1, 10, page=(1, 10, 1),
                           help="Discriminator updates per generator update.")
    # Half a maximum-likelihood term keeps what pretraining learned: a 3-minute run on Tiny Shakespeare
    # ended at 1.558 nats/char held out with it and 1.586 without (the 5-gram counting model: 1.579).
    mle_mix: float = setting(
        0.5, "MLE mix", 0.0, 10.0, page=(0.0, 1.0, 0.05),
        rule="The maximum-likelihood mix weight must be between {low} and {high} (got {value}).",
        help="Weight of a maximum-likelihood term kept in the adversarial loss (0: the adversarial game alone).")
    straight_through: bool = setting(False, "Straight-through estimator", page=(),
                                     help="Forward one-hot tokens, backward the relaxation.")
    adversarial_lr: float = setting(
        1e-4, "Adversarial learning rate", 0.0, 0.01, open_low=True,
        rule="The adversarial learning rate must be in (0, 0.01] (got {value}); GANs need small steps, try 0.0001.",
        help="learning rate of both networks in the adversarial phase")
    # The discriminator: a convolutional text classifier.
    d_filters: int = setting(64, "Discriminator filters per width", 1, 1024,
                             help="convolution filters of each width in the discriminator")
    d_widths: tuple[int, ...] = (2, 3, 4, 5)
    d_embedding: int = setting(64, "Discriminator embedding size", 1, 1024,
                               rule="The discriminator's embedding size must be between {low} and {high} "
                                    "(got {value}).",
                               help="length of the vector each token becomes in the discriminator")
    d_dropout: float = base.dropout(0.25, "Discriminator dropout", page=None,
                                    help="dropout in the discriminator while it trains")
    adversarial_length: int = setting(
        64, "Adversarial length", 8, 512,
        rule="The generator writes between {low} and {high} tokens for the discriminator (got {value}).",
        help="tokens the generator writes for the discriminator")
    # The temperature this generator is meant to be sampled at.
    sample_temperature: float = setting(1.0, "Sampling temperature", 0.0, 5.0, open_low=True, flag=None,
                                        rule="The sampling temperature must be in (0, 5] (got {value}).")

    def __post_init__(self) -> None:
        # JSON turns tuples into lists; store a tuple so a reloaded config compares equal.
        widths = self.d_widths
        if isinstance(widths, (list, tuple)):
            object.__setattr__(self, "d_widths", tuple(widths))
        super().__post_init__()
        if not (isinstance(widths, (list, tuple)) and widths
                and all(isinstance(w, int) and not isinstance(w, bool) and 1 <= w <= 16 for w in widths)):
            raise PlaygroundError(
                f"Discriminator filter widths must be a list of whole numbers from 1 to 16, like 2, 3, 4, 5 "
                f"(got {widths!r})."
            )
        if max(self.d_widths) > self.adversarial_length:
            raise PlaygroundError(
                f"A discriminator filter {max(self.d_widths)} tokens wide does not fit in sequences of "
                f"{self.adversarial_length} tokens."
            )


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
    stacks=sizes.gan_stacks,
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
    # The LSTM's recipe for the maximum-likelihood phase: after 3 minutes on Tiny Shakespeare
    # (python -m playground train --minutes 3, 2 cores) 1.586 nats/char held out with mle_mix 0, where the
    # earlier 128-token windows at 0.003 gave 1.927.
    train_defaults={"learning_rate": 0.01, "batch_size": 64, "window": 32, "schedule": "cosine"},
    trainer="playground.training.adversarial:AdversarialTrainer",
    has_discriminator=True,
)
