"""The compiled generation loop, driven by a stub model whose logits are a fixed table."""

import math

import numpy as np
import pytest
import tensorflow as tf

from playground.errors import PlaygroundError
from playground.models.base import LanguageModel
from playground.generation.sampling import GenerationLoop, SamplingSettings

V = 5
# After token i the model strongly prefers i + 1 (probability ~0.9), else uniform.
TABLE = np.full((V, V), 0.0, dtype=np.float32)
for i in range(V):
    TABLE[i, (i + 1) % V] = math.log(0.9 * (V - 1) / 0.1)


class StubModel(LanguageModel):
    """Logits depend only on the last token: next = table[last]."""

    def __init__(self):
        super().__init__({"vocab_size": V})
        self.table = tf.constant(TABLE)

    def call(self, ids, training=False):
        return tf.gather(self.table, ids)

    def prefill(self, ids):
        return tf.gather(self.table, ids[:, -1]), ()

    def step(self, token, state):
        return tf.gather(self.table, token), state


@pytest.fixture(scope="module")
def generator():
    return GenerationLoop(StubModel())


def test_greedy_follows_the_table(generator):
    batch = generator.generate([2], [0.0], 7)
    assert batch.token_ids.tolist() == [[3, 4, 0, 1, 2, 3, 4]]
    # Greedy draws with certainty; the model itself gave each token probability 0.9.
    np.testing.assert_allclose(batch.token_probability, 1.0)
    np.testing.assert_allclose(batch.token_logprob, math.log(0.9), rtol=1e-5)
    assert batch.top_ids[0, 0, 0] == 3


def test_same_seed_same_text_other_seed_other_text(generator):
    a = generator.generate([0], [1.5], 200, seed=3).token_ids
    b = generator.generate([0], [1.5], 200, seed=3).token_ids
    c = generator.generate([0], [1.5], 200, seed=4).token_ids
    assert (a == b).all()
    assert (a != c).any()


def test_grid_rows_match_single_calls(generator):
    """A row of the grid is exactly what that temperature gives alone: shared random numbers."""
    grid = generator.generate([1], [0.5, 1.0, 1.5], 100, seed=9)
    for row, temperature in enumerate([0.5, 1.0, 1.5]):
        alone = generator.generate([1], [temperature], 100, seed=9)
        assert (grid.token_ids[row] == alone.token_ids[0]).all()


def test_higher_temperature_strays_more(generator):
    batch = generator.generate([0], [0.3, 1.0, 3.0], 2000, seed=1)
    expected = (batch.token_ids[:, :-1] + 1) % V
    followed = (batch.token_ids[:, 1:] == expected).mean(axis=1)
    assert followed[0] > followed[1] > followed[2]
    assert followed[1] == pytest.approx(0.9, abs=0.03)


def test_samples_per_temperature_use_different_streams(generator):
    batch = generator.generate([0], [1.5, 1.5], 50, seed=0, samples_per_temperature=2)
    assert batch.token_ids.shape == (4, 50)
    assert batch.sample_index.tolist() == [0, 1, 0, 1]
    assert (batch.token_ids[0] != batch.token_ids[1]).any()
    assert (batch.token_ids[0] == batch.token_ids[2]).all()


def test_top_k_one_is_greedy(generator):
    batch = generator.generate([2], [1.5], 20, seed=5, settings=SamplingSettings(top_k=1))
    assert batch.token_ids.tolist()[0] == [(2 + i) % V for i in range(1, 21)]


@pytest.mark.parametrize("kwargs, message", [
    ({"length": 0}, "Length must be between"),
    ({"length": 10**6}, "Length must be between"),
    ({"prompt_ids": []}, "at least one token"),
])
def test_bad_requests(generator, kwargs, message):
    arguments = {"prompt_ids": [1], "temperatures": [1.0], "length": 5, **kwargs}
    with pytest.raises(PlaygroundError, match=message):
        generator.generate(**arguments)
