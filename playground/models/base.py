"""The contract every architecture keeps.

A language model turns token ids ``(B, T)`` into next-token logits ``(B, T, V)``. For fast
sampling it also exposes the same computation one token at a time:

* ``prefill(ids) -> (logits, state)``: read a prompt ``(B, T)``, return the logits for the
  token after it ``(B, V)`` and whatever the model carries forward (a nest of tensors);
* ``step(token, state) -> (logits, state)``: feed one token ``(B,)``.

Those two are all the shared generation loop in :mod:`playground.generation.sampling` needs, so one
compiled loop serves every architecture.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, ClassVar

import keras

from playground.errors import PlaygroundError
from playground.settings import check, setting


@dataclasses.dataclass(frozen=True)
class ModelConfig:
    """Fields every architecture shares; subclasses add their own and validate them."""

    arch: ClassVar[str] = ""
    vocab_size: int = setting(dataclasses.MISSING, "Vocabulary", 2, kind=int, flag=None,
                              rule="The vocabulary needs at least 2 tokens (got {value}).")

    def __post_init__(self) -> None:
        check(self)  # every declared setting; subclasses add the rules that join two fields

    def to_dict(self) -> dict[str, Any]:
        return {"arch": self.arch, **dataclasses.asdict(self)}


# Settings several architectures share, declared once.


def dropout(default: float = 0.0, label: str = "Dropout", page: tuple | None = (0.0, 0.5, 0.05),
            help: str = "Randomly silences units while training; helps on small corpora."):
    return setting(default, label, 0.0, 1.0, open_high=True, page=page, help=help,
                   rule=label + " is a probability in [0, 1) (got {value}).")


def units(default: int = 256, label: str = "Units per layer", help: str = ""):
    return setting(default, label, 1, 4096, page=(16, 1024, 16),
                   help=help or "Size of the memory vector: more units remember more, train slower.")


def embedding(default: int, label: str, low: int, high: int, rule: str, help: str):
    return setting(default, label, low, high, page=(low, 512, 8), flag="--embedding", rule=rule, help=help)


def layers(default: int, most: int, rule: str):
    return setting(default, "Layers", 1, most, page=(1, most, 1), rule=rule,
                   help="Layers stacked on each other: each reads the one below's summary of the text.")


def has_gpu() -> bool:
    """Whether TensorFlow sees a GPU: the models and the training choose their CPU paths by it."""
    import tensorflow as tf

    return bool(tf.config.list_logical_devices("GPU"))


class LanguageModel(keras.Model):
    """Base class: holds its config dataclass and saves it with the weights."""

    config_class: ClassVar[type[ModelConfig]] = ModelConfig
    # On a CPU with two or more cores, training may split each batch into this many parts: the
    # parts' forward and backward passes are independent, so TensorFlow runs them on different
    # cores at once (see Trainer._step). Only where measured to win.
    batch_parts_on_cpu: ClassVar[int] = 1
    # Whether ``step`` is compiled with XLA. The generation loop then draws several tokens per
    # compiled call, each followed by the step (see playground.generation.sampling.GenerationLoop).
    step_compiled: ClassVar[bool] = False

    def __init__(self, config: ModelConfig | dict, **kwargs):
        super().__init__(**kwargs)
        if isinstance(config, dict):
            config = self.config_class(**{k: v for k, v in config.items() if k != "arch"})
        self.model_config = config

    def get_config(self) -> dict[str, Any]:
        return {"config": self.model_config.to_dict(), "name": self.name}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> LanguageModel:
        return cls(config["config"], name=config.get("name"))

    def build_for_vocabulary(self) -> LanguageModel:
        """Create the weights by running a tiny batch, so the parameter count is known."""
        import numpy as np

        self(np.zeros((1, 2), dtype="int32"))
        return self

    def build_from_config(self, config: dict[str, Any]) -> None:
        """Loading a saved model: create the weights, as building did, before Keras fills them in.
        (Keras's own guess runs the model on float inputs, which a one-hot network cannot read: its
        layers stayed unbuilt and it loaded without its trained weights.)"""
        self.build_for_vocabulary()

    # Subclasses implement these three.
    def call(self, ids, training=False):  # (B, T) -> (B, T, V)
        raise NotImplementedError

    def prefill(self, ids):  # (B, T) -> ((B, V), state)
        raise NotImplementedError

    def step(self, token, state):  # (B,), state -> ((B, V), state)
        raise NotImplementedError


@dataclasses.dataclass(frozen=True)
class Architecture:
    """One registry entry: how the UI, the CLI and the trainer know an architecture."""

    name: str
    label: str
    model_class: type[LanguageModel]
    explanation: str
    # Its networks layer by layer, each layer's parameters counted from the config as Keras counts
    # them (sizes.Stack), the saved model first: the server's limits check that count before
    # anything is built, so an architecture cannot be registered without it.
    stacks: Callable[[ModelConfig], list]
    # Training settings this architecture starts from (TrainConfig fields), chosen by measurement.
    train_defaults: dict = dataclasses.field(default_factory=dict)
    # The Trainer subclass that trains it, as "module:Class" ("": the standard maximum-likelihood
    # Trainer). Named, not imported: trainers live a layer above the models.
    trainer: str = ""
    # Trained against a discriminator (a GAN), so there is one to ask whether it is fooled.
    has_discriminator: bool = False
    # False for a generator that writes from noise: what it expects next ignores the prompt.
    reads_prompt: bool = True

    @property
    def config_class(self) -> type[ModelConfig]:
        return self.model_class.config_class

    def default_config(self, vocab_size: int, **overrides) -> ModelConfig:
        return self.config_class(vocab_size=vocab_size, **overrides)

    def build(self, config: ModelConfig) -> LanguageModel:
        return self.model_class(config, name=self.name).build_for_vocabulary()

    def parameter_count(self, config: ModelConfig) -> int:
        """The saved model's parameters (its first network's), counted without building it."""
        networks = self.stacks(config) if callable(self.stacks) else []
        if not networks:
            raise PlaygroundError(f"The {self.name} architecture has no network to count its parameters from: "
                                  "give its registry entry the stacks that draw it.")
        return networks[0].params
