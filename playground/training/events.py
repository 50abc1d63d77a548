"""What training tells the outside world. The UI and the CLI drain these; the trainer never
knows who listens."""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class Started:
    run_name: str
    params: int
    steps_per_epoch: int
    total_steps: int | None  # None when the run is limited by time only
    tokens_per_step: int


@dataclasses.dataclass(frozen=True)
class BaselinesMeasured:
    """What counting models score on this run's own split, to hold the validation loss against."""

    lines: tuple[tuple[str, float, str], ...]  # (label, nats per token, one sentence), worst first
    note: str = ""  # why a baseline is missing, if one is
    characters_per_token: float = 1.0  # of the held-out text, to turn nats per token into bits per character


@dataclasses.dataclass(frozen=True)
class BatchEnd:
    step: int
    epoch: float
    seconds: float
    loss: float  # nats per token, this batch
    tokens_per_second: float
    eta_seconds: float | None


@dataclasses.dataclass(frozen=True)
class Evaluated:
    step: int
    epoch: float
    seconds: float
    val_loss: float  # nats per token on a fixed slice of the validation text


@dataclasses.dataclass(frozen=True)
class Sampled:
    step: int
    epoch: float
    samples: tuple[tuple[float, str], ...]  # (temperature, text)


@dataclasses.dataclass(frozen=True)
class Diagnostics:
    """Architecture-specific measurements (a GAN's discriminator accuracy, say), with a reading."""

    step: int
    epoch: float
    seconds: float
    values: dict  # name -> number
    reading: str = ""  # one line a student can act on, e.g. "discriminator winning"


@dataclasses.dataclass(frozen=True)
class Finished:
    reason: str  # "completed", "stopped", "time limit" or "early stopping"
    step: int
    seconds: float
    val_loss: float | None
    kept: str = "last"  # the weights the run ends with: "last", or "best" (of its validation evaluations)
    kept_step: int | None = None  # the step they come from


@dataclasses.dataclass(frozen=True)
class Failed:
    error: str


Event = Started | BaselinesMeasured | BatchEnd | Evaluated | Sampled | Diagnostics | Finished | Failed
