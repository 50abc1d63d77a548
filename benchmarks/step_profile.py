"""Where a training step's time goes: ``python benchmarks/step_profile.py [--arch lstm gru transformer] [--steps 60]``.

For each architecture's default model and training settings (65 characters, as on Tiny Shakespeare),
on random batches of the default size, the median time of:

* **forward**: the network on a batch, compiled (``tf.function``), no gradients;
* **forward + backward**: the loss and its gradients, no update;
* **update**: the optimizer applying a set of gradients already computed;
* **whole step**: the playground's own compiled train step (the Trainer's), called as training calls it,
  with a NumPy batch (so the copy into TensorFlow is counted) and the loss read back;
* **batch making**: cutting a batch of windows out of the token ids, as the training loop does.

What is left of the whole step after forward + backward and the update is the step's own overhead
(Python, the call into the compiled function, reading the loss). Run it with
``ONEDNN_MAX_CPU_ISA=AVX2`` on a machine with AVX-512 to see a laptop's profile.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

from machine import describe

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
import tensorflow as tf

from playground.models import ARCHITECTURES
from playground.training.config import config_for
from playground.training.trainer import RunHooks, Trainer

VOCABULARY = 65


def median_seconds(action, steps: int) -> float:
    action()  # compiles, warms the caches
    times = []
    for _ in range(steps):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def profile(arch: str, steps: int) -> dict[str, float]:
    spec = ARCHITECTURES[arch]
    config = config_for(arch, {"epochs": 1})
    model = spec.build(spec.default_config(VOCABULARY))
    ids = np.random.default_rng(0).integers(1, VOCABULARY, 200_000).astype(np.int32)
    trainer = Trainer(model, ids, ids[:20_000], config, RunHooks(decode=lambda ids: "", start_ids=lambda: [1]))
    rng = np.random.default_rng(1)

    def batch() -> np.ndarray:
        starts = rng.integers(0, len(ids) - config.window - 1, config.batch_size)
        return ids[starts[:, None] + np.arange(config.window + 1)]

    windows = batch()
    inputs, targets = tf.constant(windows[:, :-1]), tf.constant(windows[:, 1:])
    variables = model.trainable_variables

    @tf.function
    def forward():
        return model(inputs, training=True)

    @tf.function
    def gradients():
        with tf.GradientTape() as tape:
            logits = model(inputs, training=True)
            loss = tf.reduce_mean(tf.keras.losses.sparse_categorical_crossentropy(targets, logits, from_logits=True))
        return loss, tape.gradient(loss, variables)  # every output is computed before the call returns

    computed = [tf.zeros_like(v) for v in variables]  # zero gradients: the update's cost, not its effect

    @tf.function
    def update():
        trainer.optimizer.apply_gradients(zip(computed, variables))

    figures = {
        "forward": median_seconds(lambda: forward().numpy(), steps),
        "forward + backward": median_seconds(lambda: gradients()[0].numpy(), steps),
        "update": median_seconds(lambda: update(), steps),
        "whole step": median_seconds(lambda: trainer.train_batch(0, windows[:, :-1], windows[:, 1:]), steps),
        "batch making": median_seconds(batch, steps),
    }
    figures["step overhead"] = max(0.0, figures["whole step"] - figures["forward + backward"] - figures["update"])
    figures["tokens per second"] = config.batch_size * config.window / figures["whole step"]
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", nargs="*", default=["lstm", "gru", "transformer"])
    parser.add_argument("--steps", type=int, default=60)
    args = parser.parse_args()
    print(describe(), flush=True)
    for arch in args.arch:
        figures = profile(arch, args.steps)
        step = figures["whole step"]
        parts = ", ".join(f"{name} {seconds * 1000:.1f} ms ({seconds / step:.0%})" for name, seconds in figures.items()
                          if name not in ("whole step", "tokens per second"))
        print(f"{arch}: whole step {step * 1000:.1f} ms ({figures['tokens per second']:,.0f} tokens/s); {parts}",
              flush=True)


if __name__ == "__main__":
    main()
