import numpy as np
import pytest

from playground.text.windows import check_length, random_windows, scoring_windows
from playground.errors import PlaygroundError


def test_windows_have_targets_shifted_by_one():
    ids = np.arange(1000, dtype=np.int32)
    windows = random_windows(ids, batch_size=8, window=16, rng=np.random.default_rng(0))
    assert windows.shape == (8, 17)
    assert (np.diff(windows, axis=1) == 1).all()  # consecutive tokens from the text


def test_scoring_windows_score_every_token_exactly_once():
    ids = np.arange(103, dtype=np.int32)
    windows, mask = scoring_windows(ids, window=16)
    scored = windows[:, 1:][mask]
    assert sorted(scored.tolist()) == list(range(1, 103))
    # Apart from the first window, every scored token sees at least half a window of context.
    positions = np.argwhere(mask[1:])[:, 1]
    assert positions.min() >= 8


def test_too_short_for_the_context_length():
    with pytest.raises(PlaygroundError, match="fewer than the context length 128"):
        check_length(np.zeros(100, dtype=np.int32), 128, "validation")


@pytest.mark.parametrize("length, window, stride", [(103, 16, 8), (103, 16, 12), (1000, 40, 33), (17, 16, 16)])
def test_a_longer_stride_still_scores_every_token_once_with_the_context_it_promises(length, window, stride):
    ids = np.arange(length, dtype=np.int32)
    windows, mask = scoring_windows(ids, window, stride)
    assert sorted(windows[:, 1:][mask].tolist()) == list(range(1, length))
    assert np.argwhere(mask[1:])[:, 1].min(initial=window) >= window - stride
