"""Training text GANs: the RelGAN-style adversarial trainer, the naive one, and their diagnostics.

Both trainers plug into :class:`playground.training.trainer.Trainer` through its hooks, so the run
loop, the stop button, the validation curve and the saved bundle stay the same. What they
add:

* ``train_batch`` returns, besides the generator's maximum-likelihood loss on the real batch
  (so the chart's curve stays comparable with every other model), the discriminator's and
  generator's losses, the discriminator's accuracy and, for RelGAN, ``beta``. History
  writes them as extra columns, empty where they were not measured.
* ``after_evaluation`` publishes :class:`playground.training.events.Diagnostics`: those numbers
  averaged since the last evaluation, the generator's entropy, the diversity of a fixed
  set of samples, and a one-line reading chosen by simple rules (:func:`reading`).

RelGAN (Nie, Narodytska and Patel, ICLR 2019), as implemented here: the generator first
learns by maximum likelihood for ``pretrain_share`` of the budget. Then, in each step, it
writes ``adversarial_length`` tokens after a start token taken from the text, choosing
every token by the Gumbel-max trick (``argmax(o + g)``, an exact sample from
``softmax(o)``) and feeding it back, while the discriminator sees the relaxation
``softmax(beta * (o + g))``: differentiable, and closer to one-hot as ``beta`` grows
(:func:`beta_schedule`). The losses are relativistic: the discriminator learns that real
text should score higher than generated text, ``softplus(-(D(real) - D(fake)))``, and the
generator the reverse.
"""

from __future__ import annotations

import math

import keras
import numpy as np
import tensorflow as tf

from playground.training import events
from playground.text.windows import check_length, random_windows
from playground.text.metrics import distinct_n, self_bleu
from playground.generation.sampling import GenerationLoop
from playground.training.trainer import Trainer

LN2 = math.log(2.0)
DIAGNOSTIC_SAMPLES = 16  # samples in the fixed diversity set
DIAGNOSTIC_LENGTH = 64  # tokens per sample
DIAGNOSTIC_SEED = 1234  # the same random numbers at every evaluation: only the model changes
ADVERSARIAL_CLIPNORM = 5.0


def beta_schedule(beta_max: float, fraction: float) -> float:
    """Inverse temperature after ``fraction`` (0..1) of the adversarial phase: ``beta_max ** fraction``.

    Exponential, as in RelGAN: 1 (plain softmax) at the start, ``beta_max`` at the end.
    """
    return float(beta_max ** min(max(fraction, 0.0), 1.0))


def adversarial_fraction(share: float, phase_start: float) -> float:
    """How far through the adversarial phase a run is, 0..1.

    ``share`` is the part of the whole budget used once the current step is done, and
    ``phase_start`` the share at which the adversarial phase began; the rest of the
    budget is the phase, so the last step of a run gets 1 exactly.
    """
    if phase_start >= 1.0:
        return 1.0
    return min(max((share - phase_start) / (1.0 - phase_start), 0.0), 1.0)


def reading(values: dict, pretraining: bool = False) -> str:
    """One line a student can act on, from the diagnostics' numbers.

    Collapse is judged against real text measured the same way (``real_self_bleu``,
    ``real_distinct_2``), since a corpus with a small vocabulary looks repetitive by itself.
    """
    if pretraining:
        return ("pretraining (maximum likelihood): the generator is learning the text the ordinary way; "
                "the adversarial game starts later")
    real_bleu = values.get("real_self_bleu", 0.6)
    real_distinct = values.get("real_distinct_2", 0.8)
    self_similarity, distinct_2 = values.get("self_bleu", 0.0), values.get("distinct_2", 1.0)
    if self_similarity > max(0.8, (1 + real_bleu) / 2) or distinct_2 < real_distinct / 2:
        return (f"mode collapse: samples nearly identical or repetitive (self-BLEU {self_similarity:.2f}, "
                f"real text {real_bleu:.2f}; distinct-2 {distinct_2:.2f}, real text {real_distinct:.2f}); "
                "the generator found one output that works and repeats it")
    accuracy, d_loss = values.get("d_accuracy", math.nan), values.get("d_loss", math.nan)
    if accuracy > 0.95:
        return (f"discriminator winning: it tells real from fake almost always (accuracy {accuracy:.2f} > 0.95); "
                "its verdicts carry little information for the generator")
    # Within about three standard errors of chance for accuracies averaged over a few batches.
    if abs(accuracy - 0.5) < 0.05 and abs(d_loss - LN2) < 0.02:
        return (f"discriminator blind: accuracy near 0.5 ({accuracy:.2f}) and loss near ln 2 ({d_loss:.3f}); "
                "either the fakes are very good or the discriminator has stopped learning")
    return f"balanced: the discriminator is right {accuracy:.0%} of the time and the samples stay diverse"


class _GANTrainer(Trainer):
    """What both GAN trainers share: running means of the extra columns and the diagnostics."""

    def __init__(self, model, train_ids, val_ids, config, hooks, **kwargs):
        super().__init__(model, train_ids, val_ids, config, hooks, **kwargs)
        self.discriminator = model.make_discriminator()
        self._sums: dict[str, list[float]] = {}
        self._sampler = GenerationLoop(model, forbid=self.forbid)
        # A few fixed validation windows for the generator's entropy.
        self._entropy_windows = self._validation_slice()[:DIAGNOSTIC_SAMPLES, :-1]
        self._entropy = tf.function(self._mean_entropy, reduce_retracing=True)
        self._real_diversity = self._diversity(self.real_samples())

    def _mean_entropy(self, ids):
        logits = tf.cast(self.model(ids, training=False), tf.float32)  # (B, T, V)
        log_p = tf.nn.log_softmax(logits, axis=-1)
        return -tf.reduce_mean(tf.reduce_sum(tf.exp(log_p) * log_p, axis=-1))

    def real_samples(self) -> list[np.ndarray]:
        rng = np.random.default_rng(DIAGNOSTIC_SEED)
        length = min(DIAGNOSTIC_LENGTH, len(self.train_ids) - 1)
        return list(random_windows(self.train_ids, DIAGNOSTIC_SAMPLES, length - 1, rng))

    @staticmethod
    def _diversity(samples) -> dict[str, float]:
        return {
            "distinct_1": float(np.mean([distinct_n(s, 1) for s in samples])),
            "distinct_2": float(np.mean([distinct_n(s, 2) for s in samples])),
            "distinct_3": float(np.mean([distinct_n(s, 3) for s in samples])),
            "self_bleu": self_bleu(samples),
        }

    def diagnostic_samples(self) -> list[np.ndarray]:
        """The fixed sample set: same prompt, seed and temperature 1 at every evaluation."""
        batch = self._sampler.generate(self.start_ids(), [1.0], DIAGNOSTIC_LENGTH, seed=DIAGNOSTIC_SEED,
                                       samples_per_temperature=DIAGNOSTIC_SAMPLES)
        return list(batch.token_ids)

    def _record(self, values: dict[str, float]) -> None:
        for name, value in values.items():
            if name == "loss":
                continue  # already on the chart
            total = self._sums.setdefault(name, [0.0, 0])
            total[0] += value
            total[1] += 1

    def in_pretraining(self) -> bool:
        return False

    def diagnostics(self) -> dict[str, float]:
        """The numbers a Diagnostics event carries (and resets the running means)."""
        values = {name: total / count for name, (total, count) in self._sums.items() if count}
        self._sums = {}
        values["entropy"] = float(self._entropy(self._entropy_windows))
        values.update(self._diversity(self.diagnostic_samples()))
        values["real_self_bleu"] = self._real_diversity["self_bleu"]
        values["real_distinct_2"] = self._real_diversity["distinct_2"]
        return values

    def after_evaluation(self, step: int) -> None:
        values = self.diagnostics()
        pretraining = self.in_pretraining()
        self.publish(events.Diagnostics(step, step / self.steps_per_epoch, self.callback.elapsed(), values,
                                        reading(values, pretraining)))

    def _adam(self, learning_rate: float) -> keras.optimizers.Optimizer:
        return keras.optimizers.Adam(learning_rate, beta_1=0.9, beta_2=0.999, clipnorm=ADVERSARIAL_CLIPNORM)


def _nll(targets, logits):
    return tf.reduce_mean(tf.keras.losses.sparse_categorical_crossentropy(
        targets, tf.cast(logits, tf.float32), from_logits=True))


class AdversarialTrainer(_GANTrainer):
    """RelGAN: maximum likelihood first, then the adversarial game (see the module docstring)."""

    def __init__(self, model, train_ids, val_ids, config, hooks, **kwargs):
        super().__init__(model, train_ids, val_ids, config, hooks, **kwargs)
        self.gan = model.model_config
        # Real windows for the discriminator are as long as the generator's fakes.
        check_length(train_ids, self.gan.adversarial_length, "training")
        self.generator_optimizer = self._adam(self.gan.adversarial_lr)
        self.discriminator_optimizer = self._adam(self.gan.adversarial_lr)
        vocab = self.gan.vocab_size
        # Forbidden tokens (a character model's <unk>) are never chosen, as in sampling.
        self._penalty = tf.constant([-1e9 if t in self.forbid else 0.0 for t in range(vocab)], tf.float32)
        self._adversarial_step = tf.function(self._adversarial_update, reduce_retracing=True)
        self._rng = np.random.default_rng(config.seed + 1)
        self.phase_start: float | None = None  # budget share at which the adversarial phase began

    def in_pretraining(self) -> bool:
        return self.phase_start is None

    def train_batch(self, step, inputs, targets):
        cfg = self.gan
        if self.phase_start is None:
            if self.progress() < cfg.pretrain_share:
                return super().train_batch(step, inputs, targets)
            self.phase_start = self.progress(step)
        beta = beta_schedule(cfg.beta_max, adversarial_fraction(self.progress(step + 1), self.phase_start))
        groups = cfg.d_steps + 1  # d_steps batches for the discriminator, one for the generator
        windows = random_windows(self.train_ids, groups * len(inputs), cfg.adversarial_length, self._rng)
        windows = windows.reshape(groups, len(inputs), -1)  # (K, B, 1 + L): a start token, then real text
        seed = np.array([self.config.seed, step], np.int32)
        out = self._adversarial_step(inputs, targets, windows, np.float32(beta), seed)
        values = {name: float(value) for name, value in out.items()}
        values["beta"] = beta
        self.model.trained_beta.assign(beta)
        self._record(values)
        return values

    def generate_relaxed(self, start, beta, seed):
        """Write ``adversarial_length`` tokens after ``start`` ``(N,)``; returns what D sees ``(N, L, V)``.

        Each token is ``argmax(o + g)`` with Gumbel noise ``g`` (a sample from softmax(o)) and is fed
        back; the discriminator gets ``softmax(beta * (o + g))``, or with the straight-through
        estimator the one-hot token whose gradient is the relaxation's.
        """
        cfg = self.gan
        logits, state = self.model.prefill(start[:, None])  # (N, V)
        relaxed = tf.TensorArray(tf.float32, size=cfg.adversarial_length)
        for i in tf.range(cfg.adversarial_length):
            uniform = tf.random.stateless_uniform(tf.shape(logits), tf.random.experimental.stateless_fold_in(seed, i),
                                                  minval=1e-20, maxval=1.0)
            noisy = tf.cast(logits, tf.float32) + self._penalty - tf.math.log(-tf.math.log(uniform))  # (N, V)
            token = tf.argmax(noisy, axis=-1, output_type=tf.int32)  # (N,)
            soft = tf.nn.softmax(beta * noisy, axis=-1)  # (N, V)
            if cfg.straight_through:
                soft = tf.one_hot(token, cfg.vocab_size) + soft - tf.stop_gradient(soft)
            relaxed = relaxed.write(i, soft)
            logits, state = self.model.step(token, state)
        return tf.transpose(relaxed.stack(), [1, 0, 2])  # (N, L, V)

    def _adversarial_update(self, inputs, targets, windows, beta, seed):
        cfg = self.gan
        groups, batch = cfg.d_steps + 1, tf.shape(windows)[1]
        start = tf.reshape(windows[:, :, 0], [-1])  # (K * B,)
        real = tf.one_hot(windows[:, :, 1:], cfg.vocab_size)  # (K, B, L, V)
        discriminator, generator = self.discriminator, self.model
        with tf.GradientTape() as generator_tape:
            # One batched pass writes the fakes for every discriminator step and the generator
            # step: the generator does not change in between, so this equals writing them one by one.
            fake = self.generate_relaxed(start, beta, seed)  # (K * B, L, V)
            fake = tf.reshape(fake, [groups, batch, cfg.adversarial_length, cfg.vocab_size])  # (K, B, L, V)
            with generator_tape.stop_recording():
                for k in range(cfg.d_steps):
                    with tf.GradientTape() as tape:
                        d_real = discriminator(real[k], training=True)[:, 0]  # (B,)
                        d_fake = discriminator(tf.stop_gradient(fake[k]), training=True)[:, 0]
                        d_loss = tf.reduce_mean(tf.nn.softplus(-(d_real - d_fake)))
                    gradients = tape.gradient(d_loss, discriminator.trainable_variables)
                    self.discriminator_optimizer.apply_gradients(zip(gradients, discriminator.trainable_variables))
                d_accuracy = tf.reduce_mean(tf.cast(d_real > d_fake, tf.float32))
            d_real = discriminator(real[-1], training=True)[:, 0]
            d_fake = discriminator(fake[-1], training=True)[:, 0]
            g_loss = tf.reduce_mean(tf.nn.softplus(-(d_fake - d_real)))
            total = g_loss
            if cfg.mle_mix:
                nll = _nll(targets, generator(inputs, training=True))
                total = g_loss + cfg.mle_mix * nll
        if not cfg.mle_mix:
            nll = _nll(targets, generator(inputs, training=False))
        gradients = generator_tape.gradient(total, generator.trainable_variables)
        self.generator_optimizer.apply_gradients(zip(gradients, generator.trainable_variables))
        return {"loss": nll, "d_loss": d_loss, "g_loss": g_loss, "d_accuracy": d_accuracy}


class NaiveGANTrainer(_GANTrainer):
    """The naive design's training, done correctly: one discriminator and one generator update per step.

    As in the original, the discriminator learns from one batch of real one-hot rows and
    generated softmax rows with labels 1 and 0; the generator is then trained through the
    discriminator, which judges an all-fake batch in training mode, so its batch
    normalisation sees fakes alone. Gradients come from explicit tapes (no frozen combined
    model), so whatever goes wrong is the design's doing.
    """

    def __init__(self, model, train_ids, val_ids, config, hooks, **kwargs):
        super().__init__(model, train_ids, val_ids, config, hooks, **kwargs)
        self.generator_optimizer = config.make_optimizer(variables=model.trainable_variables)
        self.discriminator_optimizer = config.make_optimizer(variables=self.discriminator.trainable_variables)
        self._naive_step = tf.function(self._naive_update, reduce_retracing=True)

    def train_batch(self, step, inputs, targets):
        seed = np.array([self.config.seed, step], np.int32)
        out = self._naive_step(inputs, targets, seed)
        values = {name: float(value) for name, value in out.items()}
        self._record(values)
        return values

    def _naive_update(self, inputs, targets, seed):
        generator, discriminator = self.model, self.discriminator
        shape = tf.shape(inputs)
        noise_shape = [shape[0], generator.model_config.noise_dim]
        real = tf.one_hot(inputs, generator.model_config.vocab_size)  # (B, T, V)
        fake = tf.nn.softmax(generator.generate_logits(
            tf.random.stateless_normal(noise_shape, seed), shape[1], training=True))  # (B, T, V)
        with tf.GradientTape() as tape:
            # One batch, real rows then fake rows, as the original's discriminator saw them.
            verdicts = discriminator(tf.concat([real, tf.stop_gradient(fake)], axis=0), training=True)  # (2B, T, 1)
            d_real, d_fake = verdicts[:shape[0]], verdicts[shape[0]:]
            d_loss = 0.5 * (
                tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(tf.ones_like(d_real), d_real))
                + tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(tf.zeros_like(d_fake), d_fake)))
        gradients = tape.gradient(d_loss, discriminator.trainable_variables)
        self.discriminator_optimizer.apply_gradients(zip(gradients, discriminator.trainable_variables))
        d_accuracy = 0.5 * (tf.reduce_mean(tf.cast(d_real > 0, tf.float32))
                            + tf.reduce_mean(tf.cast(d_fake < 0, tf.float32)))
        with tf.GradientTape() as tape:
            noise = tf.random.stateless_normal(noise_shape, seed + 1)
            fake = tf.nn.softmax(generator.generate_logits(noise, shape[1], training=True))  # (B, T, V)
            d_fake = discriminator(fake, training=True)  # an all-fake batch: batch norm sees fakes alone
            g_loss = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(tf.ones_like(d_fake), d_fake))
        gradients = tape.gradient(g_loss, generator.trainable_variables)
        self.generator_optimizer.apply_gradients(zip(gradients, generator.trainable_variables))
        nll = _nll(targets, generator(inputs, training=False))
        return {"loss": nll, "d_loss": d_loss, "g_loss": g_loss, "d_accuracy": d_accuracy}
