"""Character/word LSTM: stacked long short-term memory layers (the char-rnn design)."""

import dataclasses

import keras

from playground.models import base, sizes
from playground.models.base import Architecture
from playground.models.recurrent import RecurrentConfig, RecurrentLM


@dataclasses.dataclass(frozen=True)
class LSTMConfig(RecurrentConfig):
    arch = "lstm"
    cell = "lstm"
    # 160 units against 192 (benchmarks/train.py, Tiny Shakespeare, 2 cores held to AVX2, runs
    # alternating): 1.90 nats/char in 23.1 and 23.2 s against 26.9 and 27.0 s, and 1.541 against
    # 1.537 after three minutes. The GRU keeps 192 (RecurrentConfig).
    units: int = base.units(160)


@keras.saving.register_keras_serializable(package="playground")
class LSTMLanguageModel(RecurrentLM):
    config_class = LSTMConfig


ARCHITECTURE = Architecture(
    name="lstm",
    label="LSTM (stacked long short-term memory)",
    model_class=LSTMLanguageModel,
    stacks=sizes.recurrent_stacks,
    # Measured on 2 cores (benchmarks/train.py): short windows and a high rate reach 1.90 nats/char on
    # Tiny Shakespeare in under half a minute. Batch 64 got there in 28 s where 128 took 46 s (at the
    # same tokens per second: twice the updates) and 32 took 33 s (a third fewer tokens per second).
    train_defaults={"batch_size": 64, "window": 32, "learning_rate": 0.01, "schedule": "cosine"},
    explanation=(
        "An LSTM reads the text one token at a time and keeps a memory vector that it updates "
        "at every step. Gates (small learned switches) decide what to forget, what to write and "
        "what to show, which lets it carry information across dozens of characters: an open "
        "quote, the start of a word, the speaker's name. Stacking layers lets the upper layer "
        "work with the lower layer's summaries. To predict the next character it looks only "
        "at its memory, so generating is cheap: one small step per character. Embedding size 0 "
        "feeds one-hot vectors instead of a learned embedding, as in the classic char-rnn."
    ),
)
