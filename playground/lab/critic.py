"""Is the discriminator fooled? A GAN's discriminator scores held-out text and the generator's samples.

A GAN run saves the discriminator it trained against (``discriminator.weights.h5``: weights only,
the network is rebuilt from the config, so no code is loaded). For a GAN saved without one (the
shipped model predates this), a *fresh* discriminator of the same design is trained here for a
fixed number of steps to tell held-out windows from samples at T = 1: what a discriminator can
still learn to tell apart.

Each text gets the discriminator's probability that it is real, ``sigmoid(logit)``. A generator
that fools it gets its samples scored like held-out text; a winning discriminator scores them
near 0.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from playground.errors import PlaygroundError
from playground.models import architecture

WEIGHTS = "discriminator.weights.h5"
DEFAULT_TEMPERATURES = (0.5, 1.0, 1.5)
FRESH_STEPS = 150


def has_discriminator(text_model) -> bool:
    """Whether the model was trained against a discriminator (a GAN), so there is one to ask."""
    return text_model is not None and architecture(text_model.arch).has_discriminator


@dataclasses.dataclass(frozen=True)
class Scored:
    kind: str  # "held-out" or "T = 0.5"
    text: str
    realness: float  # the discriminator's probability that the text is real


def save(discriminator: keras.Model, directory: Path) -> None:
    """The discriminator's weights beside the bundle, written to a temporary name and renamed."""
    temporary = Path(directory) / f".{WEIGHTS}.tmp.weights.h5"
    try:
        discriminator.save_weights(temporary)
        temporary.replace(Path(directory) / WEIGHTS)
    finally:
        temporary.unlink(missing_ok=True)


def _one_hot(ids: np.ndarray, vocab: int) -> tf.Tensor:
    return tf.one_hot(np.asarray(ids, np.int32), vocab)  # (B, T, V)


def realness_logits(discriminator: keras.Model, tokens, training: bool = False) -> tf.Tensor:
    """One logit per text ``(B,)``: the naive discriminator judges every position, so its are averaged."""
    out = discriminator(tokens, training=training)
    return tf.reduce_mean(tf.reshape(out, [tf.shape(out)[0], -1]), axis=1)


def saved_discriminator(text_model) -> keras.Model | None:
    """The discriminator this GAN trained against, or None if its run did not save one."""
    path = Path(text_model.path) / WEIGHTS if text_model.path is not None else None
    if path is None or not path.is_file():
        return None
    discriminator = text_model.network.make_discriminator()
    discriminator(_one_hot(np.zeros((1, 8), np.int32), text_model.network.model_config.vocab_size))
    try:
        discriminator.load_weights(path)
    except Exception as error:  # a damaged or mismatched file: say so rather than crash
        raise PlaygroundError(f"{text_model.name}/{WEIGHTS} could not be loaded: {str(error).splitlines()[0][:200]}") \
            from None
    return discriminator


def held_out_ids(text_model, window: int) -> np.ndarray:
    """The model's held-out text as ids (encoded once per request), at least one window long."""
    split = text_model.corpus_split()
    if split is None:
        raise PlaygroundError(f"{text_model.name} was saved without its corpus, so there is no held-out text to score.")
    ids = text_model.tokenizer.encode(split[1])
    if len(ids) < window + 1:
        raise PlaygroundError(f"The held-out text has {len(ids)} tokens, fewer than one window of {window}.")
    return ids


def held_out_windows(ids: np.ndarray, count: int, window: int, seed: int) -> np.ndarray:
    starts = np.random.default_rng(seed).integers(0, len(ids) - window, size=count)
    return np.stack([ids[s:s + window] for s in starts])


def samples(text_model, temperature: float, count: int, window: int, seed: int) -> np.ndarray:
    start = text_model.start_ids("\n")
    batch = text_model.generator.generate(start, [temperature], window, seed, samples_per_temperature=count)
    return batch.token_ids


def train_fresh(text_model, held_out: np.ndarray, window: int, steps: int = FRESH_STEPS, seed: int = 0) -> keras.Model:
    """A new discriminator of the GAN's design, trained ``steps`` batches on the held-out ids vs samples at T = 1."""
    keras.utils.set_random_seed(seed)
    vocab = text_model.network.model_config.vocab_size
    discriminator = text_model.network.make_discriminator()
    optimizer = keras.optimizers.Adam(1e-3)
    loss = keras.losses.BinaryCrossentropy(from_logits=True)

    @tf.function
    def step(real, fake):
        inputs = tf.concat([real, fake], 0)
        labels = tf.concat([tf.ones([tf.shape(real)[0]]), tf.zeros([tf.shape(fake)[0]])], 0)
        with tf.GradientTape() as tape:
            value = loss(labels, realness_logits(discriminator, inputs, training=True))
        gradients = tape.gradient(value, discriminator.trainable_variables)
        optimizer.apply_gradients(zip(gradients, discriminator.trainable_variables))
        return value

    fakes = samples(text_model, 1.0, 256, window, seed + 1)
    for i in range(steps):
        real = held_out_windows(held_out, 16, window, seed + 100 + i)
        fake = fakes[np.random.default_rng(seed + i).integers(0, len(fakes), size=16)]
        step(_one_hot(real, vocab), _one_hot(fake, vocab))
    return discriminator


def score(text_model, temperatures=DEFAULT_TEMPERATURES, count: int = 4, window: int = 64, seed: int = 0,
          fresh_steps: int = FRESH_STEPS) -> dict:
    """Held-out windows and samples at each temperature, each scored by the discriminator.

    Returns ``{"source": "saved" | "fresh", "rows": [Scored...], "means": {kind: mean realness}}``.
    """
    if not has_discriminator(text_model):
        raise PlaygroundError("Only a GAN has a discriminator: choose the GAN (or a GAN run) in the Generate tab.")
    if not 1 <= count <= 32 or not 16 <= window <= 256:
        raise PlaygroundError(f"Score 1 to 32 texts of 16 to 256 tokens (got {count} of {window}).")
    vocab = text_model.network.model_config.vocab_size
    held_out = held_out_ids(text_model, window)
    discriminator = saved_discriminator(text_model)
    source = "saved"
    if discriminator is None:
        discriminator, source = train_fresh(text_model, held_out, window, fresh_steps, seed), "fresh"
    groups = [("held-out", held_out_windows(held_out, count, window, seed + 7))]
    groups += [(f"T = {t:g}", samples(text_model, float(t), count, window, seed + 11)) for t in temperatures]
    rows, means = [], {}
    for kind, ids in groups:
        realness = tf.sigmoid(realness_logits(discriminator, _one_hot(ids, vocab))).numpy()
        means[kind] = float(np.mean(realness))
        rows += [Scored(kind, text_model.tokenizer.decode(row), float(p)) for row, p in zip(ids, realness)]
    return {"source": source, "rows": rows, "means": means}


def verdict(result: dict) -> str:
    """One sentence for a student: is the discriminator fooled at each temperature?"""
    means = result["means"]
    real = means["held-out"]
    fooled = [kind for kind in means if kind != "held-out" and means[kind] >= real - 0.1]
    told = [kind for kind in means if kind != "held-out" and kind not in fooled]
    who = ("The discriminator this GAN trained against" if result["source"] == "saved" else
           f"A fresh discriminator of the GAN's design, trained {FRESH_STEPS} steps here (this run saved none)")
    parts = [f"{who} gives held-out text a mean realness of {real:.2f}."]
    if fooled:
        parts.append(f"It is fooled at {', '.join(fooled)}: those samples score about as real.")
    if told:
        parts.append(f"It tells {', '.join(told)} apart: those samples score lower.")
    return " ".join(parts)
