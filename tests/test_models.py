import math

import keras
import numpy as np
import pytest

import playground  # noqa: F401  (registers the model classes)
from playground.runs import bundle
from playground.text import tokenizers
from playground.errors import PlaygroundError
from playground.models import ARCHITECTURES, architecture, config_from_dict
from playground.training.trainer import History

TINY = {
    "lstm": {"units": 16, "layers": 2, "embedding_dim": 8},
    "gru": {"units": 16, "layers": 2, "embedding_dim": 8},
    "transformer": {"embedding_dim": 8, "heads": 2, "layers": 2, "context": 64},
    "gan": {"units": 16, "embedding_dim": 8, "d_filters": 4, "d_embedding": 8},
    "gan-naive": {"units": 16, "noise_dim": 8},
}
RECURRENT = ["gru", "lstm"]
# The naive GAN ignores its input by design (see its module), so the prefix contracts skip it.
CONDITIONAL = sorted(a for a in ARCHITECTURES if a != "gan-naive")


def tiny_model(arch, vocab_size=20, **overrides):
    spec = architecture(arch)
    return spec.build(spec.default_config(vocab_size, **{**TINY[arch], **overrides}))


@pytest.fixture(autouse=True)
def seeded():
    keras.utils.set_random_seed(1)


@pytest.mark.parametrize("arch", sorted(ARCHITECTURES))
def test_logits_shape_and_initial_loss_near_ln_v(arch):
    assert_untrained_logits(tiny_model(arch, vocab_size=30), vocab_size=30)


def assert_untrained_logits(model, vocab_size: int) -> None:
    """Logits come out (B, T, V) and an untrained model is about as unsure as a uniform guess."""
    ids = np.random.default_rng(0).integers(0, vocab_size, size=(4, 12)).astype("int32")
    logits = model(ids).numpy()
    assert logits.shape == (4, 12, vocab_size)
    targets = np.random.default_rng(1).integers(0, vocab_size, size=(4, 12))
    log_probs = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    loss = -np.take_along_axis(log_probs, targets[..., None], -1).mean()
    assert loss == pytest.approx(math.log(vocab_size), abs=0.1)


@pytest.mark.parametrize("arch", CONDITIONAL)
def test_step_by_step_matches_the_whole_window(arch):
    model = tiny_model(arch)
    ids = np.random.default_rng(2).integers(0, 20, size=(3, 9)).astype("int32")
    full = model(ids).numpy()  # (B, T, V)
    logits, state = model.prefill(ids[:, :4])
    np.testing.assert_allclose(logits.numpy(), full[:, 3], atol=1e-5)
    for t in range(4, 9):
        logits, state = model.step(ids[:, t], state)
    np.testing.assert_allclose(logits.numpy(), full[:, 8], atol=1e-5)


@pytest.mark.parametrize("arch", [*RECURRENT, "gan"])
def test_one_loop_over_time_computes_what_the_layers_one_after_the_other_compute(arch):
    """On a CPU the recurrent layers step inside one loop; the logits and the gradients are the Keras
    layers' own, and a model whose dropout is on in training keeps the layers' loops."""
    import tensorflow as tf

    model = tiny_model(arch, layers=3) if arch != "gan" else tiny_model(arch)
    assert model.one_loop  # no GPU here
    ids = np.random.default_rng(3).integers(0, 20, size=(3, 11)).astype("int32")
    found = {}
    for one_loop in (True, False):
        model.one_loop = one_loop
        with tf.GradientTape() as tape:
            logits = model(ids, training=True)
            loss = tf.reduce_mean(logits ** 2)
        found[one_loop] = logits.numpy(), [tf.convert_to_tensor(g).numpy()
                                           for g in tape.gradient(loss, model.trainable_variables)]
    np.testing.assert_allclose(found[True][0], found[False][0], atol=1e-6)
    assert len(found[True][1]) == len(model.trainable_variables) > 0
    for one, layers in zip(found[True][1], found[False][1]):
        np.testing.assert_allclose(one, layers, atol=1e-6)

    dropping = tiny_model(arch, dropout=0.5) if arch != "gan" else None
    if dropping is not None:
        assert dropping.one_loop
        twice = [dropping(ids, training=True).numpy() for _ in range(2)]
        assert np.abs(twice[0] - twice[1]).max() > 1e-3  # dropout really drops, so the layers' loops ran
        np.testing.assert_array_equal(dropping(ids).numpy(), dropping(ids).numpy())


@pytest.mark.parametrize("arch", RECURRENT)
def test_one_hot_input_works(arch):
    model = tiny_model(arch, embedding_dim=0)
    assert model(np.zeros((1, 3), "int32")).shape == (1, 3, 20)


@pytest.mark.parametrize("arch", sorted(ARCHITECTURES))
def test_bundle_round_trip_gives_identical_logits(tmp_path, arch, small_text):
    tokenizer = tokenizers.CharTokenizer.fit(small_text)
    model = tiny_model(arch, vocab_size=len(tokenizer))
    history = History()
    history.add(1, 0.5, 1.0, train_loss=3.0, val_loss=2.9)
    bundle.save(tmp_path / "run", model, tokenizer, {"corpus": "test"}, history)
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == sorted(bundle.MEMBERS)
    loaded = bundle.load(tmp_path / "run")
    ids = tokenizer.encode(small_text[:50])[None, :]
    np.testing.assert_array_equal(loaded.model(ids).numpy(), model(ids).numpy())
    assert loaded.tokenizer.vocabulary == tokenizer.vocabulary
    assert loaded.history.rows == history.rows
    # Plain Keras loads it too once playground is imported.
    plain = keras.models.load_model(tmp_path / "run" / "model.keras")
    np.testing.assert_array_equal(plain(ids).numpy(), model(ids).numpy())


@pytest.mark.parametrize("arch", [*RECURRENT, "gan"])
def test_a_one_hot_network_loads_with_its_trained_weights(tmp_path, arch, small_text):
    tokenizer = tokenizers.CharTokenizer.fit(small_text)
    model = tiny_model(arch, vocab_size=len(tokenizer), embedding_dim=0)
    bundle.save(tmp_path / "run", model, tokenizer, {"corpus": "test"}, History())
    loaded = bundle.load(tmp_path / "run")
    assert loaded.model.count_params() == model.count_params()
    ids = tokenizer.encode(small_text[:50])[None, :]
    np.testing.assert_array_equal(loaded.model(ids).numpy(), model(ids).numpy())


def test_corrupt_bundle_gets_a_clear_message(tmp_path, small_text):
    tokenizer = tokenizers.CharTokenizer.fit(small_text)
    bundle.save(tmp_path / "run", tiny_model("lstm", len(tokenizer)), tokenizer, {}, History())
    (tmp_path / "run" / "model.keras").write_bytes(b"this is not a zip file")
    with pytest.raises(PlaygroundError, match="could not be loaded safely"):
        bundle.load(tmp_path / "run")
    (tmp_path / "run" / "config.json").write_text("{not json")
    with pytest.raises(PlaygroundError, match="not valid JSON"):
        bundle.load(tmp_path / "run")
    with pytest.raises(PlaygroundError, match="not a model directory"):
        bundle.load(tmp_path / "missing")


@pytest.mark.parametrize("fields, message", [
    ({"arch": "lstm", "vocab_size": 20, "units": 0}, "Units per layer"),
    ({"arch": "lstm", "vocab_size": 20, "layers": 0}, "between 1 and 8 recurrent layers"),
    ({"arch": "gru", "vocab_size": 20, "dropout": 1.5}, "Dropout is a probability"),
    ({"arch": "gru", "vocab_size": 1}, "at least 2 tokens"),
    ({"arch": "lstm", "vocab_size": 20, "embedding_dim": -1}, "embedding size"),
    ({"arch": "lstm", "vocab_size": 20, "colour": "red"}, "does not fit the lstm"),
    ({"arch": "transformer", "vocab_size": 20, "embedding_dim": 100, "heads": 3}, "divisible by 3 heads"),
    ({"arch": "cnn", "vocab_size": 20}, "Unknown architecture"),
])
def test_config_validation_messages(fields, message):
    with pytest.raises(PlaygroundError, match=message):
        config_from_dict(fields)
