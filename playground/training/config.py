"""The training settings (:class:`TrainConfig`, each one declared once) and the one place they are
merged: the config's defaults, then the architecture's measured ones, then what a student, a link
or a script gave (:func:`config_for`); the Train tab's start values and form reading."""

from __future__ import annotations

import dataclasses
from typing import Any
from collections.abc import Mapping, Sequence

import keras

from playground.errors import PlaygroundError
from playground.settings import check, from_form, on_page, setting
from playground.text.corpus import DEFAULT_VALIDATION_SHARE, VALIDATION_SHARE
from playground.training.distribute import STRATEGIES

MAX_MINUTES = 240.0


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """How to train. Give ``epochs``, ``minutes`` or both (whichever ends first)."""

    epochs: float | None = setting(
        None, "Epochs", 0.0, 1000.0, open_low=True, kind=float, page=(0, 1000), start=3.0,
        help="One epoch shows the model as many tokens as the training text has (fractions allowed).")
    minutes: float | None = setting(None, "Minutes", 0.0, MAX_MINUTES, open_low=True, kind=float,
                                    page=(0, MAX_MINUTES), start=5.0,
                                    help="Training ends at whichever limit comes first.")
    learning_rate: float = setting(3e-3, "Learning rate", 0.0, 1.0, open_low=True, page=(), flag="--lr",
                                   rule="Learning rate must be in (0, 1] (got {value}); try 0.002.",
                                   help="Step size of each update. Too high: the loss jumps or explodes.")
    optimizer: str = setting("adam", "Optimizer", choices=("adam", "adamw", "rmsprop", "sgd"), page=(),
                             rule="Optimizer must be adam, adamw, rmsprop or sgd (got {value}).",
                             help="How each update uses the gradients (adam suits almost everything here).")
    batch_size: int = setting(64, "Batch size", 1, 4096, page=(1, 256, 1), help="Windows of text per update.")
    # Context length: tokens the model sees before predicting.
    window: int = setting(128, "Context length", 2, 4096, page=(16, 512, 16),
                          rule="Context length must be between {low} and {high} tokens (got {value}).",
                          help="Tokens per training window: how far back gradients reach.")
    seed: int = setting(0, "Random seed", 0, 2**31 - 1, page=(),
                        rule="The seed must be a whole number from 0 to 2,147,483,647 (got {value}).",
                        help="The same seed, settings and text train the same model.")
    clipnorm: float = setting(1.0, "Gradient clipping norm", 0.0,
                              rule="Gradient clipping norm must be >= 0, 0 for off (got {value}).",
                              help="largest gradient norm of an update (0: no clipping)")
    validation_share: float = setting(DEFAULT_VALIDATION_SHARE, VALIDATION_SHARE)
    eval_every_seconds: float = setting(10.0, "Seconds between evaluations", 0.0,
                                        rule="Seconds between evaluations cannot be negative (got {value}).",
                                        help="seconds of training between two measurements of the held-out loss")
    # Which weights the run ends with: the last step's, or those of its best validation evaluation.
    keep_best: bool = setting(False, "Keep the best weights", page=(),
                              help="End with the weights of the evaluation with the lowest validation loss, "
                                   "not the last step's.")
    patience: int = setting(0, "Patience (evaluations)", 0, 1000, page=(0, 1000),
                            rule="Patience is a whole number of evaluations from 0 (never stop early) to 1,000 "
                                 "(got {value}).",
                            help="Stop early after this many evaluations without a lower validation loss "
                                 "(0: never stop early).")
    # Per-epoch samples and validation at most this often, in seconds of training (time spent on
    # reports not counted), and always once at the end: on a tiny corpus an epoch is one step, and
    # reporting after every step would leave little time for training.
    report_every_seconds: float = setting(5.0, "Seconds between reports", 0.0,
                                          rule="Seconds between reports cannot be negative (got {value}).",
                                          help="seconds of training between two reports with samples")
    # Size of the fixed validation slice used during training.
    eval_tokens: int = setting(65_536, "Validation slice", 1, help="tokens of held-out text measured during "
                                                                   "training")
    sample_temperatures: tuple[float, ...] = (0.5, 0.8, 1.1)
    sample_length: int = 200
    jit_compile: bool = setting(False, "XLA", help="compile the train step with XLA (measure before you choose)")
    # "cosine" decays to a tenth of the rate by the end of the budget.
    schedule: str = setting("constant", "Learning-rate schedule", choices=("constant", "cosine"),
                            rule="Learning-rate schedule must be constant or cosine (got {value}).",
                            help="constant, or cosine: down to a tenth of the rate by the end of the budget")
    warmup_steps: int = setting(0, "Warm-up steps", 0, flag="--warmup",
                                rule="Warm-up steps cannot be negative (got {value}).",
                                help="steps over which the rate rises linearly from zero")
    strategy: str = setting("default", "Strategy", choices=STRATEGIES,
                            rule="Strategy must be one of {choices} (got {value}).",
                            help="tf.distribute: auto, default, mirrored or multiworker (TF_CONFIG)")
    mixed_precision: bool | None = False  # None: on when a GPU is visible

    def __post_init__(self) -> None:
        if self.epochs is None and self.minutes is None:
            object.__setattr__(self, "epochs", 1.0)
        check(self)

    def make_optimizer(self, mixed: bool = False, variables: Sequence | None = None) -> keras.optimizers.Optimizer:
        """The optimizer for ``variables``. AdamW's weight decay pulls only the matrices (weights of
        two or more dimensions: kernels, embeddings) towards zero; biases and normalisation scales
        and offsets are left alone, as a shrunken bias or gain only hurts the fit."""
        optimizer = self._base_optimizer()
        if self.optimizer == "adamw" and variables is not None:
            optimizer.exclude_from_weight_decay(var_list=[v for v in variables if len(v.shape) < 2])
        # float16 gradients underflow; the scaled loss keeps them representable.
        return keras.optimizers.LossScaleOptimizer(optimizer) if mixed else optimizer

    def _base_optimizer(self) -> keras.optimizers.Optimizer:
        clip = {"clipnorm": self.clipnorm} if self.clipnorm else {}
        if self.optimizer == "adam":
            return keras.optimizers.Adam(self.learning_rate, **clip)
        if self.optimizer == "adamw":
            return keras.optimizers.AdamW(self.learning_rate, weight_decay=0.01, **clip)
        if self.optimizer == "rmsprop":
            return keras.optimizers.RMSprop(self.learning_rate, **clip)
        return keras.optimizers.SGD(self.learning_rate, momentum=0.9, **clip)


def config_for(arch: str, given: Mapping[str, Any], **exact) -> TrainConfig:
    """The one merge of training settings: the config's defaults, then the architecture's measured
    ones, then what was ``given`` (``None``: not given); ``exact`` values are taken as they are."""
    from playground.models import architecture

    chosen = {name: value for name, value in given.items() if value is not None}
    return TrainConfig(**{**architecture(arch).train_defaults, **chosen, **exact})


def page_start(arch: str) -> dict[str, Any]:
    """What the Train tab shows for this architecture before anyone changes it, by setting key."""
    from playground.models import architecture

    measured = architecture(arch).train_defaults
    return {item.key: measured.get(item.name, item.start) for item in on_page(TrainConfig)}


def measured_on_page() -> tuple[str, ...]:
    """The Train tab's settings some architecture has a measured value for: they follow the
    architecture a student picks (the budget and the seed stay as the student set them)."""
    from playground.models import ARCHITECTURES

    named = {name for spec in ARCHITECTURES.values() for name in spec.train_defaults}
    return tuple(item.key for item in on_page(TrainConfig) if item.name in named)


def config_from_page(arch: str, values: Mapping[str, Any]) -> TrainConfig:
    """The Train tab's (or a web API caller's) values, by setting key, as a config: 0 (or an empty
    box) for epochs or minutes means no limit there, but one of the two is needed."""
    chosen = from_form(TrainConfig, values)
    budget = [chosen.get("epochs") or 0.0, chosen.get("minutes") or 0.0]
    if min(budget) < 0:
        raise PlaygroundError("Epochs and minutes cannot be negative.")
    if not any(budget):
        raise PlaygroundError("Set a number of epochs or of minutes (or both: whichever comes first).")
    chosen["epochs"], chosen["minutes"] = (value or None for value in budget)
    return config_for(arch, chosen)
