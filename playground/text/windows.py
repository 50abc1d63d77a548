"""Windows of token ids for training and evaluation.

A training example is a window of ``T + 1`` consecutive tokens: the first ``T`` are the
input and the last ``T`` (shifted by one) are the targets, so every position learns to
predict the token after it.
"""

from __future__ import annotations

import numpy as np

from playground.errors import PlaygroundError


def random_windows(ids: np.ndarray, batch_size: int, window: int, rng: np.random.Generator) -> np.ndarray:
    """``batch_size`` windows of ``window + 1`` tokens starting at random offsets."""
    starts = rng.integers(0, len(ids) - window, size=batch_size)
    return ids[starts[:, None] + np.arange(window + 1)]  # (B, T + 1)


def check_length(ids: np.ndarray, window: int, part: str) -> None:
    if len(ids) < window + 2:
        raise PlaygroundError(
            f"The {part} text has {len(ids)} tokens, fewer than the context length {window} + 2. "
            "Use a longer corpus, a smaller validation share or a shorter context length."
        )


def scoring_windows(ids: np.ndarray, window: int, stride: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Overlapping windows that score every token once, each with at least ``window - stride`` context.

    Returns windows ``(N, window + 1)`` and a mask ``(N, window)`` of the target positions
    to count. Windows start every ``stride`` tokens (default ``window/2``); each scores only its
    last ``stride`` targets (the first window scores everything), so no token is predicted from a
    cold start twice. A longer stride costs less and leaves less context to the first targets.
    """
    stride = max(window // 2, 1) if stride is None else stride
    if not 1 <= stride <= window:
        raise ValueError(f"stride must be between 1 and the window {window} (got {stride})")
    last_start = len(ids) - window - 1
    starts = list(range(0, last_start + 1, stride))
    if starts[-1] != last_start:
        starts.append(last_start)
    windows = ids[np.asarray(starts)[:, None] + np.arange(window + 1)]
    mask = np.zeros((len(starts), window), dtype=bool)
    mask[0] = True
    scored_until = window  # targets 1..window of the first window are scored
    for row, start in enumerate(starts[1:], start=1):
        first_new = scored_until - start  # position in this window's targets not yet scored
        mask[row, first_new:] = True
        scored_until = start + window
    return windows, mask
