"""The server's limits, checked by arithmetic before anything large is built or read.

A classroom server is shared: one request must not be able to take all its memory. Every
check here works from numbers (a config, a batch size, a file's size) and raises a
:class:`PlaygroundError` that says what to change, so the UI, the API and the command line
give the same answer and nothing is built first.
"""

from __future__ import annotations

from playground.errors import PlaygroundError
from playground.models import ModelConfig, architecture

MAX_PARAMETERS = 50_000_000
MAX_VOCABULARY = 50_000
# Tokens in one training batch (batch size × context length): the recurrent layers keep every
# step's activations for the backward pass.
MAX_BATCH_TOKENS = 262_144
# The transformer's attention scores and their softmax, kept for the backward pass.
MAX_ATTENTION_BYTES = 4 * 2**30
# The members of a bundle that are parsed whole, each with a size limit: a config is a few KB,
# the largest allowed word vocabulary about 1 MB, a long run's history a few MB.
MAX_MEMBER_BYTES = {"config.json": 1 * 2**20, "tokenizer.json": 8 * 2**20, "history.csv": 32 * 2**20}


def parameter_count(config: ModelConfig) -> int:
    """Counted from the config by the architecture's registry entry, which every architecture must have."""
    return architecture(config.arch).parameter_count(config)


def check_model(config: ModelConfig) -> int:
    """The model's parameter count, after checking its vocabulary and size against the limits."""
    if config.vocab_size > MAX_VOCABULARY:
        raise PlaygroundError(
            f"The vocabulary has {config.vocab_size:,} tokens, over the limit of {MAX_VOCABULARY:,}. "
            "Use word level with a vocabulary cap, or a cleaner corpus.")
    params = parameter_count(config)
    if params > MAX_PARAMETERS:
        raise PlaygroundError(f"This model has {params:,} parameters, over the limit of {MAX_PARAMETERS:,}. "
                              "Use fewer or narrower layers.")
    return params


def attention_bytes(config: ModelConfig, batch_size: int, window: int) -> int:
    """Memory for one batch's attention scores and weights (0 for models without attention)."""
    heads, layers = getattr(config, "heads", 0), getattr(config, "layers", 0)
    if not heads or config.arch != "transformer":
        return 0
    return 2 * 4 * batch_size * heads * window * window * layers


def check_batch(config: ModelConfig, batch_size: int, window: int) -> None:
    """Batch size × context length, and the transformer's attention memory, within the limits."""
    tokens = batch_size * window
    if tokens > MAX_BATCH_TOKENS:
        raise PlaygroundError(
            f"Batch size × context length is {batch_size:,} × {window:,} = {tokens:,} tokens per step, over the "
            f"limit of {MAX_BATCH_TOKENS:,}. Use a smaller batch or a shorter context.")
    needed = attention_bytes(config, batch_size, window)
    if needed > MAX_ATTENTION_BYTES:
        raise PlaygroundError(
            f"Attention over {window:,} tokens for a batch of {batch_size:,} with {config.heads} heads in "
            f"{config.layers} layers needs about {needed / 2**30:.1f} GB, over the limit of "
            f"{MAX_ATTENTION_BYTES // 2**30} GB. Use a smaller batch, a shorter context or fewer heads.")
