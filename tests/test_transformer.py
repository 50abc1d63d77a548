"""The transformer decoder: causal, ~ln V at the start, exact cached sampling, saves, learns."""

import keras
import numpy as np
import pytest

import playground  # noqa: F401  (registers the model classes)
from playground.runs import bundle
from playground.text import corpus
from playground.text import tokenizers
from playground.errors import PlaygroundError
from playground.models import architecture, config_from_dict
from playground.runs.training_run import TrainingRun
from playground.generation.sampling import GenerationLoop, SamplingSettings
from playground.training.config import TrainConfig
from playground.training.trainer import History
from conftest import unigram_entropy
from test_models import assert_untrained_logits

VOCABULARY = 20
CONTEXT = 16
TINY = {"embedding_dim": 16, "heads": 2, "layers": 2, "context": CONTEXT}


def tiny_model(vocab_size=VOCABULARY, forget_when_full=None, **overrides):
    keras.utils.set_random_seed(1)
    spec = architecture("transformer")
    config = spec.default_config(vocab_size, **{**TINY, **overrides})
    return spec.model_class(config, forget_when_full=forget_when_full, name="transformer").build_for_vocabulary()


def random_ids(batch, time, seed=0):
    return np.random.default_rng(seed).integers(0, VOCABULARY, size=(batch, time)).astype("int32")


@pytest.fixture(scope="module")
def model():
    return tiny_model()


@pytest.fixture(scope="module")
def exact_model():
    """Forgets one token at a time, so sampling always sees the last ``context`` tokens."""
    return tiny_model(forget_when_full=1)


def test_changing_a_token_changes_only_what_comes_after(model):
    ids = random_ids(2, CONTEXT)
    changed = ids.copy()
    t = 7
    changed[:, t] = (changed[:, t] + 1) % VOCABULARY
    before, after = model(ids).numpy(), model(changed).numpy()  # (B, T, V)
    np.testing.assert_allclose(after[:, :t], before[:, :t], atol=1e-6)
    assert np.abs(after[:, t] - before[:, t]).max() > 1e-4


@pytest.mark.parametrize("tied_head", [True, False])
def test_logits_shape_and_initial_loss_near_ln_v(tied_head):
    assert_untrained_logits(tiny_model(vocab_size=30, tied_head=tied_head), vocab_size=30)


def test_tied_head_reuses_the_token_embedding():
    tied, separate = tiny_model(tied_head=True), tiny_model(tied_head=False)
    assert separate.count_params() - tied.count_params() == VOCABULARY * TINY["embedding_dim"]


def test_a_window_longer_than_the_context_is_refused(model):
    assert model.max_window == CONTEXT
    with pytest.raises(PlaygroundError, match=f"at most {CONTEXT} tokens"):
        model(random_ids(1, CONTEXT + 1))


def test_step_by_step_equals_the_last_context_tokens_even_past_the_context(exact_model):
    ids = random_ids(3, 3 * CONTEXT, seed=2)
    logits, state = exact_model.prefill(ids[:, :5])
    np.testing.assert_allclose(logits.numpy(), exact_model(ids[:, :5]).numpy()[:, -1], atol=1e-4)
    for t in range(5, ids.shape[1]):
        logits, state = exact_model.step(ids[:, t], state)
        window = ids[:, max(0, t + 1 - CONTEXT):t + 1]
        np.testing.assert_allclose(logits.numpy(), exact_model(window).numpy()[:, -1], atol=1e-4,
                                   err_msg=f"after token {t}")


def test_by_default_sampling_re_reads_a_quarter_less_than_the_context(model):
    """Once full, the oldest quarter is forgotten: logits are call() on the tokens since then."""
    forget = model.forget_when_full
    assert forget == CONTEXT // 4
    ids = random_ids(2, 3 * CONTEXT, seed=3)
    logits, state = model.prefill(ids[:, :1])
    start = 0
    for t in range(1, ids.shape[1]):
        if t - start == CONTEXT:
            start += forget
        logits, state = model.step(ids[:, t], state)
        np.testing.assert_allclose(logits.numpy(), model(ids[:, start:t + 1]).numpy()[:, -1], atol=1e-4,
                                   err_msg=f"after token {t}")
        if t >= CONTEXT:
            assert CONTEXT - forget < t + 1 - start <= CONTEXT
    assert start > CONTEXT  # it re-read more than once


def test_a_prompt_longer_than_the_context_keeps_its_end(exact_model):
    ids = random_ids(2, CONTEXT + 9, seed=4)
    logits, state = exact_model.prefill(ids)
    np.testing.assert_allclose(logits.numpy(), exact_model(ids[:, -CONTEXT:]).numpy()[:, -1], atol=1e-4)
    logits, _ = exact_model.step(ids[:, 0], state)
    window = np.concatenate([ids[:, -CONTEXT + 1:], ids[:, :1]], axis=1)
    np.testing.assert_allclose(logits.numpy(), exact_model(window).numpy()[:, -1], atol=1e-4)


def test_generator_runs_past_the_context_and_repeats_itself_for_a_seed(model):
    generator = GenerationLoop(model)
    length = 3 * CONTEXT
    first = generator.generate([1, 2, 3], [0.5, 1.0, 1.5], length, seed=7)
    again = generator.generate([1, 2, 3], [0.5, 1.0, 1.5], length, seed=7)
    assert first.token_ids.shape == (3, length)
    assert first.token_ids.min() >= 0 and first.token_ids.max() < VOCABULARY
    np.testing.assert_array_equal(first.token_ids, again.token_ids)


@pytest.mark.parametrize("settings", [SamplingSettings(), SamplingSettings(top_k=3, top_p=0.9, min_p=0.05)],
                         ids=["plain", "filtered"])
def test_drawing_inside_the_compiled_step_draws_what_drawing_apart_draws(model, settings):
    # The transformer's loop draws 16 tokens per XLA call, each followed by the step; the recurrent
    # models' loop draws one token per call, apart from the step. Same random numbers, same
    # distributions, same text, past the context too, for a length that is not a multiple of 16.
    together = GenerationLoop(model)
    apart = GenerationLoop(model)
    apart.tokens_per_call, apart._draw_tokens = 1, apart._draw_one  # before the first call traces the loop
    assert together.tokens_per_call == 16
    asked = dict(prompt_ids=[1, 2, 3], temperatures=[0.0, 0.5, 1.0, 1.5], length=3 * CONTEXT + 5, seed=11,
                 settings=settings, samples_per_temperature=2)
    ours, theirs = together.generate(**asked), apart.generate(**asked)
    np.testing.assert_array_equal(ours.token_ids, theirs.token_ids)
    np.testing.assert_array_equal(ours.top_ids, theirs.top_ids)
    for name in ("token_logprob", "token_probability", "top_probabilities"):
        np.testing.assert_allclose(getattr(ours, name), getattr(theirs, name), atol=1e-5)


def test_greedy_generation_matches_argmax_of_the_whole_window(exact_model):
    prompt = [1, 2, 3]
    tokens = GenerationLoop(exact_model).generate(prompt, [0.0], 2 * CONTEXT).token_ids[0]
    ids = list(prompt)
    for token in tokens:
        window = np.asarray(ids[-CONTEXT:], "int32")[None]
        assert token == int(exact_model(window).numpy()[0, -1].argmax())
        ids.append(int(token))


def test_bundle_round_trip_gives_identical_logits(tmp_path, small_text):
    tokenizer = tokenizers.CharTokenizer.fit(small_text)
    model = tiny_model(vocab_size=len(tokenizer), tied_head=False, dropout=0.1)
    bundle.save(tmp_path / "run", model, tokenizer, {"corpus": "test"}, History())
    loaded = bundle.load(tmp_path / "run")
    assert loaded.model.model_config == model.model_config
    ids = tokenizer.encode(small_text[:CONTEXT])[None, :]
    np.testing.assert_array_equal(loaded.model(ids).numpy(), model(ids).numpy())
    plain = keras.models.load_model(tmp_path / "run" / "model.keras")
    np.testing.assert_array_equal(plain(ids).numpy(), model(ids).numpy())


@pytest.mark.parametrize("fields, message", [
    ({"embedding_dim": 100, "heads": 3}, r"Embedding size 100 must be divisible by 3 heads \(100 / 3 is not"),
    ({"layers": 0}, "between 1 and 12 transformer layers"),
    ({"layers": 13}, "between 1 and 12 transformer layers"),
    ({"heads": 17, "embedding_dim": 34}, "between 1 and 16 attention heads"),
    ({"context": 3}, "context length must be between 4 and 2048"),
    ({"context": 4096}, "context length must be between 4 and 2048"),
    ({"dropout": 1.0}, r"Dropout is a probability in \[0, 1\)"),
    ({"embedding_dim": 4, "heads": 1}, "embedding size must be between 8 and 1024"),
    ({"ff_multiplier": 0}, "feed-forward layer"),
    ({"tied_head": "yes"}, "tied_head must be true or false"),
    ({"units": 64}, "does not fit the transformer"),
])
def test_config_validation_messages(fields, message):
    with pytest.raises(PlaygroundError, match=message):
        config_from_dict({"arch": "transformer", "vocab_size": VOCABULARY, **fields})


def test_sampling_must_forget_fewer_tokens_than_the_context():
    with pytest.raises(PlaygroundError, match="between 1 and 15 old tokens"):
        tiny_model(forget_when_full=CONTEXT)


def test_a_short_run_learns(tmp_path, small_text):
    options = {"embedding_dim": 32, "heads": 2, "layers": 2, "context": 16}
    config = TrainConfig(epochs=0.5, batch_size=16, window=16, learning_rate=0.01, eval_every_seconds=60,
                         eval_tokens=2048)
    run = TrainingRun(corpus.from_text(small_text), "transformer", options, config, run_dir=tmp_path / "run")
    result = run.execute()
    # It learned more than how often each letter occurs (35 steps: ~1.9 nats against 2.83 here).
    assert result.val_loss < unigram_entropy(small_text) - 0.3, (result.val_loss, unigram_entropy(small_text))
    assert bundle.load(tmp_path / "run").arch == "transformer"


def test_a_training_window_longer_than_the_context_is_refused_before_training(small_text):
    with pytest.raises(PlaygroundError, match=f"longer than the model's context {CONTEXT}"):
        TrainingRun(corpus.from_text(small_text), "transformer", TINY, TrainConfig(window=2 * CONTEXT, epochs=1))


def test_adamw_decays_the_matrices_and_leaves_biases_and_norms_alone():
    model = tiny_model()
    variables = model.trainable_variables
    rate = 0.1
    optimizer = TrainConfig(optimizer="adamw", learning_rate=rate).make_optimizer(variables=variables)
    before = [np.array(v) for v in variables]
    # With zero gradients Adam moves nothing, so any change is the decay alone: w <- w - rate * 0.01 * w.
    optimizer.apply_gradients([(keras.ops.zeros_like(v), v) for v in variables])
    matrices = [(np.array(v), old) for v, old in zip(variables, before) if old.ndim >= 2]
    vectors = [(np.array(v), old) for v, old in zip(variables, before) if old.ndim < 2]
    assert matrices and vectors  # kernels and embeddings; biases, layer-norm gains and offsets
    for now, old in matrices:
        np.testing.assert_allclose(now, old * (1 - rate * 0.01), rtol=1e-5, atol=1e-7)
    for now, old in vectors:
        np.testing.assert_array_equal(now, old)
