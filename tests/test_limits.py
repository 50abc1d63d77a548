"""Limits that cannot be bypassed: every architecture's size is counted before it is built, and a prompt
past the recurrent models' cut is cut, answered and costs the server no more than a short one."""

import dataclasses
import re
import tracemalloc
from pathlib import Path

import keras
import pytest

from conftest import make_text
from playground.models import limits
from playground.models import sizes
from playground.text import tokenizers
from playground.errors import PlaygroundError
from playground.models import ARCHITECTURES, Architecture, architecture, register
from playground.models.lstm import LSTMLanguageModel
from playground.generation.sampling import MAX_PROMPT
from playground.generation.text_model import TextModel


def test_an_architecture_that_cannot_count_its_parameters_cannot_be_registered():
    with pytest.raises(TypeError, match="'stacks'"):
        Architecture(name="toy", label="Toy", model_class=LSTMLanguageModel, explanation="A toy.")
    lstm = architecture("lstm")
    refusal = r"^The toy architecture has no network to count its parameters from: give its registry entry the " \
              r"stacks that draw it\.$"
    for stacks in (None, lambda config: []):
        with pytest.raises(PlaygroundError, match=refusal):
            register(lstm, dataclasses.replace(lstm, name="toy", stacks=stacks))
    with pytest.raises(PlaygroundError, match=r"^Two architectures are called 'lstm'; each needs a name of its own\.$"):
        register(lstm, lstm)
    assert register(lstm) == {"lstm": lstm}


def test_every_registered_architecture_is_counted_before_it_is_built():
    for name, spec in ARCHITECTURES.items():
        small, large = spec.default_config(65), spec.default_config(limits.MAX_VOCABULARY)
        assert limits.parameter_count(small) == sizes.parameter_count(small) > 0, name
        assert limits.parameter_count(large) > limits.parameter_count(small), name  # each token has weights
        assert limits.check_model(large) == limits.parameter_count(large)


def memory(key: str) -> int:
    """A line of the process's status in bytes: VmRSS (now) or VmHWM (the peak since the last reset)."""
    return int(re.search(rf"^{key}:\s+(\d+) kB", Path("/proc/self/status").read_text(), re.M).group(1)) * 1024


def grid_with_memory(model: TextModel, prompt: str):
    """A temperature grid of 8 × 8 samples for ``prompt``, with what it cost the server: the peak growth of
    its resident memory (TensorFlow's buffers included) and of Python's own allocations (NumPy's too)."""
    Path("/proc/self/clear_refs").write_text("5")  # the peak (VmHWM) starts again from now
    before = memory("VmRSS")
    tracemalloc.start()
    try:
        samples = model.generate(prompt, [0.2, 0.5, 0.7, 1.0, 1.2, 1.5, 1.8, 2.0], 8, seed=1,
                                 samples_per_temperature=8)
        python_peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return samples, memory("VmHWM") - before, python_peak


def test_a_prompt_past_the_cut_is_cut_answered_and_costs_no_more_than_a_short_one():
    if not Path("/proc/self/clear_refs").exists():
        pytest.skip("measuring the peak memory of one request needs Linux's /proc")
    keras.utils.set_random_seed(0)
    text = make_text(4000)
    tokenizer = tokenizers.fit(text, "char")
    spec = architecture("lstm")
    model = TextModel(spec.build(spec.default_config(len(tokenizer), units=32, layers=1, embedding_dim=16)),
                      tokenizer, name="tiny")
    long_prompt = (text * (20 * MAX_PROMPT // len(text) + 1))[:20 * MAX_PROMPT]  # 200,000 characters
    assert model.prompt_note(long_prompt) == \
        "The prompt is 200,000 tokens; the model reads only the last 10,000 (the playground's limit)."

    grid_with_memory(model, text[:100])  # compiles the loop once, as the first request of a server does
    _, short_growth, short_python = grid_with_memory(model, text[:100])
    answered, long_growth, long_python = grid_with_memory(model, long_prompt)

    # The cut path: 64 samples, each the same as from the prompt's last 10,000 tokens alone.
    tail = model.generate(long_prompt[-MAX_PROMPT:], [0.2, 0.5, 0.7, 1.0, 1.2, 1.5, 1.8, 2.0], 8, seed=1,
                          samples_per_temperature=8)
    assert len(answered) == 64 and all(sample.text for sample in answered)
    assert [s.token_ids.tolist() for s in answered] == [s.token_ids.tolist() for s in tail]
    # Reading all 200,000 tokens once per sample would keep 64 × 200,000 × 32 floats of LSTM outputs
    # (1.6 GB); read once and cut, the long prompt costs a few MB more than a short one.
    assert long_growth <= short_growth + 64 * 2**20, (short_growth, long_growth)
    assert long_python <= short_python + 32 * 2**20, (short_python, long_python)
