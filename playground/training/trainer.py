"""Training in-process, one compiled step at a time, reporting through events (its settings are
:class:`~playground.training.config.TrainConfig`).

The loop is ours rather than ``model.fit``: a compiled train step over windows from a
prefetching ``tf.data`` pipeline, so a Stop is noticed after the current step (well under a
second) and the loop never idles at the end of an epoch. It still speaks Keras: every step goes through a
``keras.callbacks.CallbackList``, and :class:`EventCallback` is the one callback that turns
progress into events and asks the model to stop when the user does.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import math
import os
import threading
import time
from collections.abc import Callable, Sequence

import keras
import numpy as np
import tensorflow as tf

from playground.training import events
from playground.training.config import TrainConfig
from playground.text.windows import check_length
from playground.errors import PlaygroundError
from playground.training.history import History
from playground.generation.evaluation import mean_loss, mean_window_loss, token_losses
from playground.models.base import LanguageModel, has_gpu
from playground.generation.sampling import GenerationLoop

log = logging.getLogger(__name__)

MAX_PAUSE_SECONDS = 2.0  # a training step never waits longer than this for generation to finish


class EventCallback(keras.callbacks.Callback):
    """Keras callback that publishes progress and stops training on request or at a deadline."""

    def __init__(self, publish: Callable[[events.Event], None], stop: threading.Event,
                 deadline: float | None, total_steps: int | None, steps_per_epoch: int, tokens_per_step: int,
                 clock: Callable[[], float] = time.monotonic):
        super().__init__()
        self.publish, self.stop, self.deadline, self.clock = publish, stop, deadline, clock
        self.total_steps, self.steps_per_epoch, self.tokens_per_step = total_steps, steps_per_epoch, tokens_per_step
        self.started = clock()
        self.reason = "completed"
        self.offset = 0  # steps done before this session of training (a resumed run)

    def elapsed(self) -> float:
        return self.clock() - self.started

    def should_stop(self) -> bool:
        if self.stop.is_set():
            self.reason = "stopped"
        elif self.deadline is not None and self.clock() >= self.deadline:
            self.reason = "time limit"
        else:
            return False
        return True

    def on_train_batch_end(self, batch, logs=None):
        step = batch + 1 + self.offset
        seconds = self.elapsed()
        rate = (batch + 1) * self.tokens_per_step / max(seconds, 1e-9)
        remaining = []
        if self.total_steps is not None:
            remaining.append((self.total_steps - batch - 1) * seconds / (batch + 1))
        if self.deadline is not None:
            remaining.append(max(self.deadline - self.clock(), 0.0))
        self.publish(events.BatchEnd(step, step / self.steps_per_epoch, seconds, float(logs["loss"]), rate,
                                     min(remaining) if remaining else None))
        if self.should_stop():
            self.model.stop_training = True


class _Reports:
    """When the loop last reported what (validation, samples), in seconds of training.

    Time spent reporting is not training, so it does not count towards the next report: however
    slow sampling is, training gets its seconds in between.
    """

    def __init__(self, elapsed: Callable[[], float]):
        self.elapsed = elapsed
        self.reporting = 0.0  # seconds spent on reports so far
        self.last_seconds: dict[str, float] = {}  # kind -> seconds of training at its last report
        self.last_step: dict[str, int] = {}

    def training_seconds(self) -> float:
        return self.elapsed() - self.reporting

    def due(self, kind: str, every_seconds: float) -> bool:
        return self.training_seconds() - self.last_seconds.get(kind, 0.0) >= every_seconds

    @contextlib.contextmanager
    def timing(self, kind: str, step: int):
        self.last_seconds[kind], self.last_step[kind] = self.training_seconds(), step
        began = self.elapsed()
        try:
            yield
        finally:
            self.reporting += self.elapsed() - began


@dataclasses.dataclass(frozen=True)
class Kept:
    """Which weights a run ends with: ``"best"`` (those of its lowest validation evaluation) or
    ``"last"`` (the last step's), the step they come from, and their validation loss on the fixed
    slice every evaluation measures (None when that step was not evaluated)."""

    weights: str
    step: int
    val_loss: float | None = None

    def as_json(self) -> dict:
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class RunHooks:
    """What a trainer calls back into the run it serves: text for samples, events, checkpoints."""

    decode: Callable[[np.ndarray], str]
    start_ids: Callable[[], list[int]]
    publish: Callable[[events.Event], None] = lambda event: None
    run_name: str = "run"
    forbid: Sequence[int] = ()  # token ids samples never contain
    checkpoint: Callable[[History], None] | None = None  # called with the history at each epoch's samples


def cores() -> int:
    """The cores TensorFlow may run operations on at once: the CPUs this process may use, or fewer
    where TF_NUM_INTEROP_THREADS says so (a training in the class's cluster sets it to its CPUs)."""
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    threads = int(os.environ.get("TF_NUM_INTEROP_THREADS", "0") or 0)
    return min(usable, threads) if threads > 0 else usable


def batch_parts(model: LanguageModel, batch_size: int, replicas: int) -> int:
    """How many parts each batch is split into for the training step: the model's
    ``batch_parts_on_cpu`` on a CPU with at least that many cores, when the batch divides evenly;
    otherwise 1 (with a GPU, or several replicas, one whole batch per device is best)."""
    parts = model.batch_parts_on_cpu
    if parts <= 1 or replicas != 1 or has_gpu() or cores() < parts:
        return 1
    return parts if batch_size % parts == 0 else 1


class Trainer:
    """Trains one model on token ids; ``run()`` blocks, ``stop()`` may be called from any thread.

    ``clock`` (seconds, monotonic) times the run: its deadline, its reports and its history.
    """

    def __init__(self, model: LanguageModel, train_ids: np.ndarray, val_ids: np.ndarray, config: TrainConfig,
                 hooks: RunHooks, strategy: tf.distribute.Strategy | None = None, mixed: bool = False,
                 clock: Callable[[], float] = time.monotonic):
        check_length(train_ids, config.window, "training")
        check_length(val_ids, config.window, "validation")
        self.model, self.config, self.publish, self.run_name = model, config, hooks.publish, hooks.run_name
        self.train_ids, self.val_ids = train_ids, val_ids
        self.decode, self.start_ids, self.forbid = hooks.decode, hooks.start_ids, tuple(hooks.forbid)
        self.checkpoint, self.clock = hooks.checkpoint, clock
        self._busy: Callable[[], bool] = lambda: False  # True while training should let others go first
        self.stop_requested = threading.Event()
        self.history = History()
        self._steps_done = 0  # steps of this session of training
        self.offset = 0  # steps a resumed run had done before
        self.seconds_offset = 0.0  # and the seconds it had trained
        self._generator: GenerationLoop | None = None
        self._validation: np.ndarray | None = None
        # The lowest validation loss so far and its step; with ``keep_best``, also its weights.
        self._best: tuple[float, int] | None = None
        self._best_weights: list[np.ndarray] | None = None
        self._since_best = 0  # evaluations since the best one
        self._kept: Kept | None = None
        self.seconds = 0.0
        self.reporting_seconds = 0.0  # of those seconds, spent on the loop's reports (validation, samples)
        self._reason = "not started"
        self.strategy = tf.distribute.get_strategy() if strategy is None else strategy
        self.mixed = mixed
        self._plan()
        self._callback = self._new_callback(deadline=None)
        with self.strategy.scope():
            self.optimizer = config.make_optimizer(mixed, model.trainable_variables)
            # Slots made now, on every replica; made lazily inside a replica step they break.
            self.optimizer.build(model.trainable_variables)
        self._parts = batch_parts(model, config.batch_size, self.strategy.num_replicas_in_sync)
        self._train_step = tf.function(self._distributed_step, jit_compile=config.jit_compile and
                                       self.strategy.num_replicas_in_sync == 1, reduce_retracing=True)
        self._val_losses = tf.function(lambda w: token_losses(model, w), reduce_retracing=True)

    def stop(self) -> None:
        self.stop_requested.set()

    def yield_to(self, busy: Callable[[], bool]) -> None:
        """Before each step, wait (up to ``MAX_PAUSE_SECONDS``) while ``busy()`` is true: generation
        for someone else on the same machine goes first."""
        self._busy = busy

    @property
    def steps_total_done(self) -> int:
        """Steps of the whole run: a resumed run's earlier steps and this trainer's."""
        return self.offset + self._steps_done

    @property
    def seconds_total(self) -> float:
        """Seconds of training in the whole run: a resumed run's earlier seconds and this trainer's."""
        return self.seconds_offset + self.seconds

    @property
    def steps_per_epoch(self) -> int:
        return self._steps_per_epoch

    @property
    def callback(self) -> EventCallback:
        """The callback of the current (or, before ``run()``, the planned) stretch of training."""
        return self._callback

    @property
    def steps_done(self) -> int:
        """Steps trained by this trainer (a resumed run's earlier steps not counted)."""
        return self._steps_done

    @property
    def reason(self) -> str:
        """Why training ended: "completed", "stopped", "time limit" or "early stopping" ("not started"
        before ``run()``)."""
        return self._reason

    @property
    def kept(self) -> Kept:
        """Which weights the model holds now (after ``run()``: the best ones with ``keep_best``)."""
        if self._kept is not None:
            return self._kept
        rows = self.history.rows
        last = rows[-1] if rows else None
        loss = last["val_loss"] if last is not None and not math.isnan(last["val_loss"]) else None
        return Kept("last", int(last["step"]) if last else 0, loss)

    def remember_best(self, val_loss: float, step: int) -> None:
        """Say that the model's weights now are the best so far, scoring ``val_loss`` at ``step`` (a resumed
        run that kept its best weights): training goes on from them and ends with them unless it beats them."""
        self._best = (float(val_loss), int(step))
        if self.config.keep_best:
            self._best_weights = self.model.get_weights()

    def _plan(self) -> None:
        """Steps per epoch and in all, from the data and the config."""
        cfg = self.config
        # The batch size is per replica: several devices each take a full batch.
        self._global_batch = cfg.batch_size * self.strategy.num_replicas_in_sync
        self._tokens_per_step = self._global_batch * cfg.window
        self._steps_per_epoch = max(1, len(self.train_ids) // self._tokens_per_step)
        self._total_steps = max(1, round(cfg.epochs * self._steps_per_epoch)) if cfg.epochs is not None else None
        self._deadline: float | None = None

    def _new_callback(self, deadline: float | None) -> EventCallback:
        # Publishes through ``self.publish`` as it is when an event comes, not as it was here.
        return EventCallback(lambda event: self.publish(event), self.stop_requested, deadline, self._total_steps,
                             self._steps_per_epoch, self._tokens_per_step, self.clock)

    def _distributed_step(self, inputs, targets):
        """One update; with several replicas each gets its share of the batch and gradients are summed."""
        replicas = self.strategy.num_replicas_in_sync
        if replicas == 1:
            return self._step(inputs, targets, tf.size(targets))
        batch = tf.shape(inputs)[0] // replicas

        def shard(array):
            return self.strategy.experimental_distribute_values_from_function(
                lambda context: array[context.replica_id_in_sync_group * batch:
                                      (context.replica_id_in_sync_group + 1) * batch])

        tokens = batch * tf.shape(inputs)[1] * replicas
        per_replica = self.strategy.run(self._step, args=(shard(inputs), shard(targets), tokens))
        return self.strategy.reduce(tf.distribute.ReduceOp.SUM, per_replica, axis=None)

    def _step(self, inputs, targets, global_tokens):
        with tf.GradientTape() as tape:
            # The batch in parts (usually one): each part's pass is independent of the others'.
            summed = tf.add_n([self._summed_loss(part, part_targets) for part, part_targets in
                               zip(tf.split(inputs, self._parts), tf.split(targets, self._parts))])
            # Divided by the tokens of the whole (global) batch, so summing replicas gives the mean.
            loss = summed / tf.cast(global_tokens, tf.float32)
            scaled = self.optimizer.scale_loss(loss) if self.mixed else loss
        gradients = tape.gradient(scaled, self.model.trainable_variables)
        if self._parts > 1:
            # An embedding read once per part gets its gradient as slices, one set per part, with the
            # same rows repeated. Summed into one tensor, the update is the whole batch's; left as slices,
            # the position embedding's first update differed from it by up to the learning rate.
            gradients = [tf.convert_to_tensor(g) if isinstance(g, tf.IndexedSlices) else g for g in gradients]
        self.optimizer.apply_gradients(zip(gradients, self.model.trainable_variables))
        return loss

    def _summed_loss(self, inputs, targets):
        logits = self.model(inputs, training=True)  # (B, T, V)
        losses = tf.keras.losses.sparse_categorical_crossentropy(targets, tf.cast(logits, tf.float32),
                                                                 from_logits=True)
        return tf.reduce_sum(losses)

    def _validation_slice(self) -> np.ndarray:
        # A fixed slice, the same at every evaluation, so the curve shows the model changing
        # and not the text; evenly spaced windows cover the whole validation split.
        if self._validation is not None:
            return self._validation
        window = self.config.window
        count = max(1, min(self.config.eval_tokens // window, (len(self.val_ids) - 1) // (window + 1)))
        starts = np.linspace(0, len(self.val_ids) - window - 1, count).astype(int)
        self._validation = self.val_ids[starts[:, None] + np.arange(window + 1)]
        return self._validation

    def validation_loss(self, interrupt: Callable[[], bool] = lambda: False) -> float:
        """The model's mean loss on the fixed validation slice, as every evaluation measures it (NaN if
        ``interrupt()`` said stop half way)."""
        return mean_window_loss(self._val_losses, self._validation_slice(), self.config.batch_size,
                                interrupt=interrupt)

    def _samples(self, step: int, epoch: float) -> None:
        if self._generator is None:  # one compiled loop for the whole run, not one per epoch
            self._generator = GenerationLoop(self.model, forbid=self.forbid)
        generator = self._generator
        batch = generator.generate(self.start_ids(), self.config.sample_temperatures, self.config.sample_length,
                                   seed=step)
        texts = tuple((t, self.decode(ids)) for t, ids in zip(self.config.sample_temperatures, batch.token_ids))
        self.publish(events.Sampled(step, epoch, texts))

    def run(self) -> History:
        """Train until the epochs are done, the time is up or :meth:`stop` is called."""
        cfg = self.config
        self._plan()  # again: a resumed run may have been given a new budget since __init__
        global_batch, steps_per_epoch, total_steps = self._global_batch, self._steps_per_epoch, self._total_steps
        deadline = self._deadline = self.clock() + cfg.minutes * 60 if cfg.minutes is not None else None
        callback = self._callback = self._new_callback(deadline)
        callbacks = keras.callbacks.CallbackList([callback], model=self.model)
        self.publish(events.Started(self.run_name, self.model.count_params(), steps_per_epoch, total_steps,
                                    self._tokens_per_step))
        validation = self._validation_slice()
        self._kept, self._since_best = None, 0
        self.model.stop_training = False
        offset = callback.offset = self.offset = int(self.history.rows[-1]["step"]) if self.history.rows else 0
        self.seconds_offset = float(self.history.rows[-1]["seconds"]) if self.history.rows else 0.0
        callbacks.on_train_begin()
        step = 0
        reports = _Reports(callback.elapsed)
        batches = self._input_pipeline(global_batch, offset)
        while total_steps is None or step < total_steps:
            inputs, targets = next(batches)
            waited = 0.0
            while self._busy() and waited < MAX_PAUSE_SECONDS and not self.stop_requested.is_set():
                time.sleep(0.005)  # generation for someone else goes first
                waited += 0.005
            callbacks.on_train_batch_begin(step)
            self.optimizer.learning_rate.assign(self.learning_rate_now(step))
            logs = self.train_batch(step, inputs, targets)
            loss = logs.pop("loss")
            if not math.isfinite(loss):
                raise PlaygroundError(
                    f"The loss became {loss} at step {step + 1}: training diverged. "
                    "Lower the learning rate (try half) and train again."
                )
            self.history.add(offset + step + 1, (offset + step + 1) / steps_per_epoch,
                             self.seconds_offset + callback.elapsed(), train_loss=loss, **logs)
            callbacks.on_train_batch_end(step, {"loss": loss})
            step += 1
            self._steps_done, self.seconds = step, callback.elapsed()
            if self.model.stop_training:
                break
            epoch_done = step % steps_per_epoch == 0
            if (reports.due("evaluated", cfg.eval_every_seconds)
                    or (epoch_done and reports.due("evaluated", cfg.report_every_seconds))):
                with reports.timing("evaluated", step):
                    self._evaluate(offset + step, steps_per_epoch, validation, callback)
                    self.after_evaluation(offset + step)
                if self._out_of_patience():
                    callback.reason = "early stopping"
                    break
            if epoch_done and reports.due("sampled", cfg.report_every_seconds):
                with reports.timing("sampled", step):
                    self._samples(step, step / steps_per_epoch)
                    if self.checkpoint is not None:
                        self.checkpoint(self.history)
        callbacks.on_train_end()
        # End the curve with a validation point and samples from the final model, unless the user
        # is waiting on a Stop.
        if callback.reason != "stopped" and step and math.isnan(self.history.rows[-1]["val_loss"]):
            self._evaluate(offset + step, steps_per_epoch, validation, callback, force=True)
            self.after_evaluation(offset + step)
        restored = self._restore_best()
        if callback.reason != "stopped" and step and (restored or reports.last_step.get("sampled") != step):
            self._samples(step, step / steps_per_epoch)
        self.seconds, self.reporting_seconds = callback.elapsed(), reports.reporting
        self._reason = callback.reason
        return self.history

    def _out_of_patience(self) -> bool:
        """Whether ``patience`` evaluations in a row have not beaten the best validation loss."""
        return bool(self.config.patience) and self._since_best >= self.config.patience

    def _restore_best(self) -> bool:
        """With ``keep_best``, put back the weights of the best evaluation (if they are not the model's
        now) and note which weights the run ends with; True if the weights changed."""
        last = self.kept
        if not self.config.keep_best or self._best is None or self._best_weights is None:
            self._kept = last
            return False
        loss, step = self._best
        self._kept = Kept("best", step, loss)
        if step == last.step:
            return False
        self.model.set_weights(self._best_weights)
        return True

    def _input_pipeline(self, global_batch: int, first_step: int):
        """Batches of random training windows from a ``tf.data`` pipeline, made ahead of time.

        Batch ``k`` is drawn with the stateless seed ``(seed, k)``, so a run is reproducible
        and a resumed run goes on with new windows instead of repeating its first ones. The
        windows are gathered in TensorFlow and prefetched on a background thread while the
        current step trains. The pipeline has its own single thread and no autotuning: on the
        shared thread pool with autotuning, dropping the iterator at the end of a run stalled
        for 40 s in 3 of 4 runs here (the idle end ``model.fit`` is known for); not since.
        """
        ids = tf.constant(self.train_ids, dtype=tf.int32)
        window, seed = self.config.window, self.config.seed
        starts_below = len(self.train_ids) - window
        offsets = tf.range(window + 1, dtype=tf.int64)

        def windows(step):
            starts = tf.random.stateless_uniform([global_batch], tf.stack([tf.constant(seed, tf.int64), step]),
                                                 minval=0, maxval=starts_below, dtype=tf.int64)
            batch = tf.gather(ids, starts[:, None] + offsets)  # (B, T + 1)
            return batch[:, :-1], batch[:, 1:]

        options = tf.data.Options()
        options.threading.private_threadpool_size = 1
        options.autotune.enabled = False
        dataset = tf.data.Dataset.counter(start=first_step).map(windows).prefetch(2).with_options(options)
        return iter(dataset)

    # Hooks for architectures that train differently (a GAN's adversarial phase) ---------
    def train_batch(self, step: int, inputs: np.ndarray, targets: np.ndarray) -> dict[str, float]:
        """One update; returns ``{"loss": nats per token, ...any extra history columns}``."""
        return {"loss": float(self._train_step(inputs, targets))}

    def after_evaluation(self, step: int) -> None:
        """Called after each periodic validation; a place to publish ``Diagnostics``."""

    def learning_rate_now(self, step: int) -> float:
        """The scheduled rate: linear warm-up, then constant or cosine decay over the budget."""
        rate = self.config.learning_rate
        if step < self.config.warmup_steps:
            return rate * (step + 1) / self.config.warmup_steps
        if self.config.schedule == "cosine":
            return rate * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * self.progress())))
        return rate

    def progress(self, steps: int | None = None) -> float:
        """How far through its budget the run is, 0 to 1, by steps (``steps`` done, by default
        the steps done so far) or by time, whichever is further."""
        steps = self._steps_done if steps is None else steps
        shares = []
        if self._total_steps:
            shares.append(steps / self._total_steps)
        if self._deadline is not None and self.config.minutes:
            shares.append(1 - max(self._deadline - self.clock(), 0.0) / (self.config.minutes * 60))
        return min(max(shares, default=0.0), 1.0)

    def _evaluate(self, step, steps_per_epoch, validation, callback, force=False) -> None:
        val_loss = mean_window_loss(self._val_losses, validation, self.config.batch_size,
                                    interrupt=(lambda: False) if force else callback.should_stop)
        if math.isnan(val_loss):
            return
        row = self.history.rows[-1]
        row["val_loss"] = val_loss
        if self._best is None or val_loss < self._best[0]:
            self._best, self._since_best = (val_loss, step), 0
            if self.config.keep_best:
                self._best_weights = self.model.get_weights()
        else:
            self._since_best += 1
        self.publish(events.Evaluated(step, step / steps_per_epoch, callback.elapsed(), val_loss))

    def final_val_loss(self) -> float:
        """Mean loss over the whole validation split (every token scored once)."""
        return mean_loss(self.model, self.val_ids, self.config.window, self.config.batch_size,
                         loss_fn=self._val_losses)
