"""Scaling out with TensorFlow's own engine: ``tf.distribute`` strategies and mixed precision.

* ``default``: one device (the CPU, or the first GPU) — what a laptop uses.
* ``mirrored``: one model copy per GPU on this machine (or per logical CPU device when
  there is no GPU, which is how the tests exercise it), gradients summed every step.
* ``multiworker``: several machines, each running the same command, configured by the
  ``TF_CONFIG`` environment variable (``{"cluster": {"worker": [...]}, "task": {...}}``).
* ``auto``: mirrored over all visible GPUs when there are several, else default.

Mixed precision (``mixed_float16``) computes in float16 on GPUs with float32 weights; the
logits and the loss stay float32 and the loss is scaled so small gradients survive.
"""

from __future__ import annotations

import contextlib
import threading

import keras
import tensorflow as tf

from playground.errors import PlaygroundError
from playground.models.base import has_gpu

STRATEGIES = ("auto", "default", "mirrored", "multiworker")
_POLICY_LOCK = threading.Lock()


def make_strategy(name: str = "default") -> tf.distribute.Strategy:
    if name not in STRATEGIES:
        raise PlaygroundError(f"Strategy must be one of {', '.join(STRATEGIES)} (got {name!r}).")
    gpus = tf.config.list_logical_devices("GPU")
    if name == "auto":
        name = "mirrored" if len(gpus) > 1 else "default"
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        if gpus:
            return tf.distribute.MirroredStrategy()
        cpus = [device.name for device in tf.config.list_logical_devices("CPU")]
        return tf.distribute.MirroredStrategy(devices=cpus)
    return tf.distribute.MultiWorkerMirroredStrategy()


def use_mixed_precision(requested: bool | None) -> bool:
    """None means: on when a GPU is visible. Mixed precision on a CPU only slows things down."""
    gpu = has_gpu()
    if requested and not gpu:
        raise PlaygroundError("Mixed precision needs a GPU; this machine has none.")
    return gpu if requested is None else bool(requested)


@contextlib.contextmanager
def precision_scope(mixed: bool):
    """Layers built inside take the mixed_float16 policy. Held under a lock: the policy is global."""
    if not mixed:
        yield
        return
    with _POLICY_LOCK:
        previous = keras.config.dtype_policy()
        keras.config.set_dtype_policy("mixed_float16")
        try:
            yield
        finally:
            keras.config.set_dtype_policy(previous)
