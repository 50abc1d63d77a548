"""What a watcher of a training run sees, built from its events.

The trainer publishes events from its thread; :class:`TrainingMonitor` collects them under a
lock, and any number of readers (the Train tab's stream, an API client reconnecting) take
consistent snapshots without ever touching the trainer.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import threading

import numpy as np

from playground.training import events
from playground.generation.evaluation import bits


UNITS = {"char": "char", "subword": "token", "word": "word"}  # what one token is, per level
PREPARING = "Preparing the model (the first step compiles it, a few seconds)…"
OVERFIT_RISES = 3  # evaluations in a row with a higher validation loss, while the training loss fell
GLANCE_POINTS = 100  # points of a curve in the class view's small charts, however long the run
RECENT_STEPS = 50  # the class view's "training loss now" is their mean: one batch is noisy
LIVE_STATES = ("starting", "queued", "training")


def overfitting_step(val: list[tuple[int, float]], steps: list[int], losses: list[float]) -> int | None:
    """The step at which the validation loss had risen ``OVERFIT_RISES`` evaluations in a row while the
    training loss fell over the same stretch (the model learning its training text by heart), or None.

    ``val``: (step, validation loss) in order; ``steps``/``losses``: the training loss per step. The
    training loss is compared as the mean of the steps up to each of the two evaluations' steps since the
    one before, so one noisy batch does not decide it.
    """
    for end in range(OVERFIT_RISES, len(val)):
        stretch = val[end - OVERFIT_RISES:end + 1]
        if not all(later[1] > earlier[1] for earlier, later in itertools.pairwise(stretch)):
            continue
        before = _mean_training_loss(steps, losses, val[end - OVERFIT_RISES - 1][0] if end > OVERFIT_RISES else -1,
                                     stretch[0][0])
        after = _mean_training_loss(steps, losses, val[end - 1][0], val[end][0])
        if before is not None and after is not None and after < before:
            return val[end][0]
    return None


def _mean_training_loss(steps: list[int], losses: list[float], after: int, until: int) -> float | None:
    chosen = [loss for step, loss in zip(steps, losses) if after < step <= until and math.isfinite(loss)]
    return sum(chosen) / len(chosen) if chosen else None


def standing(baselines: list[tuple[str, float, str]], val: list[tuple[int, float]]) -> str:
    """Where the validation loss stands against the counting baselines, in words:
    'better than a 5-gram counting model since step 420'."""
    if not baselines or not val:
        return ""
    latest = val[-1][1]
    beaten = [(label, value) for label, value, _ in baselines if latest < value]
    if not beaten:
        label, value, _ = baselines[0]
        return f"not yet better than the {label} guess ({value:.2f} nats)"
    label, value = min(beaten, key=lambda pair: pair[1])
    since = val[-1][0]
    for step, loss in reversed(val):
        if loss >= value:
            break
        since = step
    name = "guess" if label == "uniform" else "counting model"
    line = f"better than a {label} {name} ({value:.2f} nats) since step {since}"
    better = [(other, v) for other, v, _ in baselines if v < value]
    if better:
        other, v = max(better, key=lambda pair: pair[1])
        line += f"; next: the {other} counting model at {v:.2f}"
    return line


def ordinal(number: int) -> str:
    """1st, 2nd, 3rd, 4th, ..., 11th, 12th, 13th, ..., 21st."""
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


def format_seconds(seconds: float | None) -> str:
    if seconds is None or not math.isfinite(seconds):
        return "?"
    seconds = round(seconds)
    return f"{seconds // 60}:{seconds % 60:02d}" if seconds >= 60 else f"{seconds}s"


@dataclasses.dataclass
class Snapshot:
    run_name: str
    state: str  # "starting", "queued", "training", "finished", "stopped", "failed", "interrupted"
    steps: list[int]
    losses: list[float]
    seconds: list[float]
    val_steps: list[int]
    val_losses: list[float]
    val_seconds: list[float]
    samples: list[tuple[int, float, float, str]]  # (step, epoch, temperature, text)
    status: str
    error: str | None
    entropy_floor: float | None = None
    level: str = "char"
    diagnostics: list[tuple[int, dict, str]] = dataclasses.field(default_factory=list)  # (step, values, reading)
    baselines: list[tuple[str, float, str]] = dataclasses.field(default_factory=list)  # (label, nats, sentence)
    baseline_note: str = ""
    overfitting_step: int | None = None  # where the validation loss had risen 3 times while training fell
    characters_per_token: float | None = None  # of the held-out text, known once the baselines are measured
    notice: str = ""  # one line that stays above the status for the whole run (where it trains, if not as asked)

    @property
    def done(self) -> bool:
        return self.state in ("finished", "stopped", "failed", "interrupted")


@dataclasses.dataclass(frozen=True)
class Glance:
    """What the class view shows of one training: whose, what, how far, and its curves in bits per
    character (the scale every tokenizer shares), small enough to draw thirty of every two seconds."""

    run_name: str
    owner: str
    arch: str
    level: str
    state: str  # as Snapshot.state
    queue_position: int | None  # 1 = next to start, while queued
    step: int
    total_steps: int | None
    seconds: float
    params: int | None
    curve_steps: tuple[int, ...]  # training loss, each point the mean of a stretch of steps
    curve: tuple[float, ...]  # bits per character
    val_steps: tuple[int, ...]
    val_curve: tuple[float, ...]  # bits per character on the held-out slice
    baselines: tuple[tuple[str, float], ...]  # (label, bits per character), worst first
    bits_per_character: float | None  # the latest held-out measurement, None before the first
    training_bits_per_character: float | None  # the mean training loss of the last RECENT_STEPS steps

    @property
    def live(self) -> bool:
        return self.state in LIVE_STATES

    @property
    def beaten(self) -> tuple[str, float] | None:
        """The best counting baseline the latest held-out measurement is below: (label, bits per character)."""
        latest = self.bits_per_character
        below = [line for line in self.baselines if latest is not None and latest < line[1]]
        return min(below, key=lambda line: line[1]) if below else None


def _mean(values: list[float]) -> float | None:
    finite = [v for v in values if math.isfinite(v)]
    return sum(finite) / len(finite) if finite else None


def downsample(steps: list[int], values: list[float], points: int = GLANCE_POINTS) -> tuple[list[int], list[float]]:
    """At most ``points`` points, each the mean of an equal stretch of the finite values at the stretch's
    last step: a long run's curve is smoothed, not thinned."""
    values_array = np.asarray(values, dtype=np.float64)
    finite = np.isfinite(values_array)
    steps_array, values_array = np.asarray(steps, dtype=np.int64)[finite], values_array[finite]
    count = len(values_array)
    if count <= points:
        return steps_array.tolist(), values_array.tolist()
    size = math.ceil(count / points)
    starts = np.arange(0, count, size)
    sums, sizes = np.add.reduceat(values_array, starts), np.diff(np.append(starts, count))
    return steps_array[np.minimum(starts + size, count) - 1].tolist(), (sums / sizes).tolist()


class TrainingMonitor:
    """Thread-safe collector of one run's events. ``publish`` is handed to the trainer."""

    def __init__(self, run_name: str = "", entropy_floor: float | None = None, level: str = "char"):
        self._lock = threading.Lock()
        self.run_name, self.entropy_floor, self.level = run_name, entropy_floor, level
        self.state = "starting"
        self.steps: list[int] = []
        self.losses: list[float] = []
        self.seconds: list[float] = []
        self.val: list[tuple[int, float, float]] = []
        self.samples: list[tuple[int, float, float, str]] = []
        self.diagnostics: list[tuple[int, dict, str]] = []
        self.baselines: list[tuple[str, float, str]] = []
        self.baseline_note = ""
        self.overfitting_step: int | None = None
        self.last_batch: events.BatchEnd | None = None
        self.characters_per_token: float | None = None
        self.status = PREPARING
        self.error: str | None = None
        self.started: events.Started | None = None
        self.arch, self.owner = "", ""
        self.queue_position: int | None = None
        self.notice = ""
        self.version = 0  # bumps on every event, so a reader can tell whether anything changed
        self._glance: Glance | None = None
        self._glance_version = -1

    def describe(self, run_name: str, level: str, arch: str = "", owner: str = "") -> None:
        """Name the run once it exists: its folder, token level, architecture and owner."""
        with self._lock:
            self.version += 1
            self.run_name, self.level, self.arch, self.owner = run_name, level, arch, owner

    def publish(self, event: events.Event) -> None:
        with self._lock:
            self.version += 1
            if isinstance(event, events.Started):
                self.started, self.state, self.queue_position = event, "training", None
            elif isinstance(event, events.BatchEnd):
                self.steps.append(event.step)
                self.losses.append(event.loss)
                self.seconds.append(event.seconds)
                self.status, self.last_batch = self._progress_line(event), event
            elif isinstance(event, events.BaselinesMeasured):
                self.baselines, self.baseline_note = list(event.lines), event.note
                self.characters_per_token = event.characters_per_token
            elif isinstance(event, events.Evaluated):
                self.val.append((event.step, event.val_loss, event.seconds))
                if self.overfitting_step is None:
                    self.overfitting_step = overfitting_step([(v[0], v[1]) for v in self.val], self.steps,
                                                             self.losses)
                if self.last_batch is not None:  # the judgement changed with this measurement
                    self.status = self._progress_line(self.last_batch)
            elif isinstance(event, events.Diagnostics):
                self.diagnostics.append((event.step, dict(event.values), event.reading))
            elif isinstance(event, events.Sampled):
                self.samples.extend((event.step, event.epoch, t, text) for t, text in event.samples)
            elif isinstance(event, events.Finished):
                self.state = "stopped" if event.reason == "stopped" else "finished"
                unit = UNITS.get(self.level, "token")
                loss = f"{event.val_loss:.3f} nats/{unit} ({bits(event.val_loss):.3f} bits/{unit})" \
                    if event.val_loss is not None and math.isfinite(event.val_loss) else "not measured"
                verb = {"stopped": "Stopped", "time limit": "Time is up",
                        "early stopping": "Stopped early"}.get(event.reason, "Finished")
                why = " because the validation loss had stopped improving" if event.reason == "early stopping" \
                    else ""
                kept = f"Kept the weights of the best evaluation, at step {event.kept_step}. " \
                    if event.kept == "best" else ""
                # After a Stop nobody waits for a full pass: the last periodic measurement stands (of the
                # weights kept).
                if event.reason == "stopped":
                    measured = f"{'Their' if kept else 'Last'} validation loss (a fixed slice of the held-out text)"
                else:
                    measured = "Validation loss on the whole held-out text"
                judgement = self._judgement()
                self.status = (f"{verb} after {event.step} steps in {format_seconds(event.seconds)}{why}. "
                               f"{kept}{measured}: {loss}. {judgement + ' ' if judgement else ''}"
                               "The model is ready in the Generate tab.")
            elif isinstance(event, events.Failed):
                self.state, self.error = "failed", event.error
                self.status = f"Training failed: {event.error}"

    def _progress_line(self, event: events.BatchEnd) -> str:
        total = self.started.total_steps if self.started else None
        of = f" of {total}" if total else ""
        unit = f"bits/{UNITS.get(self.level, 'token')}"
        line = (f"Step {event.step}{of} · epoch {event.epoch:.2f} · loss {event.loss:.3f} nats "
                f"({bits(event.loss):.2f} {unit}) · {event.tokens_per_second:,.0f} tokens/s · "
                f"elapsed {format_seconds(event.seconds)} · ETA {format_seconds(event.eta_seconds)}")
        judgement = self._judgement()
        return f"{line}. {judgement}" if judgement else line

    def _judgement(self) -> str:
        """Sentences on where validation stands: against the baselines, and overfitting if it shows."""
        sentences = []
        where = standing(self.baselines, [(v[0], v[1]) for v in self.val])
        if where:
            sentences.append(f"Validation: {where}.")
        if self.overfitting_step is not None:
            sentences.append(f"Overfitting since step {self.overfitting_step}: the validation loss rose "
                             f"{OVERFIT_RISES} evaluations in a row while the training loss fell, so the model is "
                             "learning its training text by heart; stop, or add dropout or text.")
        return " ".join(sentences)

    def queued(self, position: int, cluster: bool = False) -> None:
        """Waiting, ``position`` in line (1: next): for a training slot of this server, or with
        ``cluster`` for a computer of the Ray cluster."""
        where = (f"Waiting for a free computer in the cluster: {ordinal(position)} in the queue." if cluster
                 else f"Waiting for a free training slot: you are number {position} in the queue.")
        with self._lock:
            self.version += 1
            self.state, self.queue_position = "queued", position
            self.status = f"{where} Training starts by itself; Stop leaves the queue."

    def preparing(self) -> None:
        """Out of the queue: the model is being built (on a cluster's computer, with TensorFlow starting first)."""
        with self._lock:
            if self.state == "queued":
                self.version += 1
                self.state, self.status = "starting", PREPARING

    def note(self, line: str) -> None:
        """A line shown above the status for the rest of the run, e.g. that it trains elsewhere than asked."""
        with self._lock:
            self.version += 1
            self.notice = line

    def interrupted(self, line: str) -> None:
        """The run ended without finishing, through no fault of its own (its computer went away); ``line``
        says what is saved and what to do."""
        with self._lock:
            self.version += 1
            self.state, self.status = "interrupted", line

    def finish_stopped_before_start(self) -> None:
        with self._lock:
            self.version += 1
            self.state, self.status = "stopped", "Stopped before the first step."
            self.queue_position = None

    def glance(self) -> Glance:
        """The class view's summary, worked out again only when an event has arrived since the last one."""
        with self._lock:
            if self._glance_version != self.version:
                self._glance, self._glance_version = self._make_glance(), self.version
            return self._glance

    def _make_glance(self) -> Glance:
        # Bits per character: nats per token / ln 2 / characters per token (1 for characters).
        scale = 1 / (math.log(2) * (self.characters_per_token or 1.0))
        steps, losses = downsample(self.steps, self.losses)
        val_steps, val_losses = downsample([v[0] for v in self.val], [v[1] for v in self.val])
        recent = _mean(self.losses[-RECENT_STEPS:])
        return Glance(
            self.run_name, self.owner, self.arch, self.level, self.state, self.queue_position,
            self.steps[-1] if self.steps else 0, self.started.total_steps if self.started else None,
            self.seconds[-1] if self.seconds else 0.0, self.started.params if self.started else None,
            tuple(steps), tuple(v * scale for v in losses), tuple(val_steps), tuple(v * scale for v in val_losses),
            tuple((label, nats * scale) for label, nats, _ in self.baselines),
            self.val[-1][1] * scale if self.val and math.isfinite(self.val[-1][1]) else None,
            recent * scale if recent is not None else None)

    def snapshot(self) -> Snapshot:
        with self._lock:
            return Snapshot(
                self.run_name, self.state, list(self.steps), list(self.losses), list(self.seconds),
                [v[0] for v in self.val], [v[1] for v in self.val], [v[2] for v in self.val],
                list(self.samples), self.status, self.error, self.entropy_floor, self.level, list(self.diagnostics),
                list(self.baselines), self.baseline_note, self.overfitting_step, self.characters_per_token,
                self.notice,
            )
