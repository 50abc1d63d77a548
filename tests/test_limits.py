"""Limits that cannot be bypassed: every architecture's size is counted before it is built."""

import dataclasses

import pytest

from playground import limits, network_diagram
from playground.errors import PlaygroundError
from playground.models import ARCHITECTURES, Architecture, architecture, register
from playground.models.lstm import LSTMLanguageModel


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
        assert limits.parameter_count(small) == network_diagram.parameter_count(small) > 0, name
        assert limits.parameter_count(large) > limits.parameter_count(small), name  # each token has weights
        assert limits.check_model(large) == limits.parameter_count(large)
