"""GRU: Embedding -> GRU -> GRU -> Dense, the design of the TensorFlow blog tutorial."""

import dataclasses

import keras

from playground.models import sizes
from playground.models.base import Architecture
from playground.models.recurrent import RecurrentConfig, RecurrentLM


@dataclasses.dataclass(frozen=True)
class GRUConfig(RecurrentConfig):
    arch = "gru"
    cell = "gru"


@keras.saving.register_keras_serializable(package="playground")
class GRULanguageModel(RecurrentLM):
    config_class = GRUConfig


ARCHITECTURE = Architecture(
    name="gru",
    label="GRU (gated recurrent unit)",
    model_class=GRULanguageModel,
    stacks=sizes.recurrent_stacks,
    # Measured on 2 cores (benchmarks/train.py): 1.90 nats/char on Tiny Shakespeare in about 17 s.
    train_defaults={"batch_size": 64, "window": 64, "learning_rate": 0.005, "schedule": "cosine"},
    explanation=(
        "A GRU is a lighter cousin of the LSTM: one state vector instead of two and two gates "
        "instead of three (an update gate that blends old memory with new, and a reset gate "
        "that decides how much of the past to use when proposing the new memory). With the "
        "same number of units it has about three quarters of the LSTM's parameters and often "
        "learns just as well on characters. Here, as in the TensorFlow tutorial, an embedding "
        "turns each token into a vector, two GRU layers read the sequence and a dense layer "
        "scores every possible next token."
    ),
)
