"""Every shipped model loads, its card tells the truth, and it writes only tokens it knows."""

import json
import re
from pathlib import Path

import numpy as np
import pytest

from playground.generation.evaluation import mean_loss
from playground.runs.catalog import Catalog
from playground.runs.bundle import load_text_model

PRETRAINED = Path(__file__).resolve().parent.parent / "pretrained"
BUNDLES = sorted(p.name for p in PRETRAINED.iterdir() if (p / "config.json").is_file())
PIECES, PIECE = 8, 1024  # held-out text scored per bundle: pieces of tokens


def test_something_is_shipped_and_small():
    assert "lstm" in BUNDLES
    size = sum(f.stat().st_size for f in PRETRAINED.rglob("*") if f.is_file())
    assert size <= 25 * 1024 * 1024


@pytest.mark.parametrize("name", BUNDLES)
def test_bundle_loads_and_generates_from_its_vocabulary(name):
    model = load_text_model(PRETRAINED / name)
    samples = model.generate("ROMEO:", [0.5, 1.0], 200, seed=0)
    vocabulary = set(model.tokenizer.vocabulary[1:])
    for sample in samples:
        assert len(sample.tokens) == 200
        assert set(sample.tokens) <= vocabulary


# Quality promised for each shipped model, nats per token (characters; words for "words") on the held-out
# last 10 % of Tiny Shakespeare.
CEILING = {"lstm": 1.60, "gru": 1.60, "transformer": 1.55, "gan": 1.75, "words": 4.60}


@pytest.mark.parametrize("name", BUNDLES)
def test_shipped_quality(name):
    info = json.loads((PRETRAINED / name / "config.json").read_text())
    assert info["result"]["val_loss"] <= CEILING[name]
    assert info["train"]["validation_share"] == 0.1


@pytest.mark.parametrize("name", BUNDLES)
def test_the_shipped_weights_score_what_the_config_says(name):
    """The loaded weights, not only the stored figure: score pieces of the bundle's own held-out text."""
    model = load_text_model(PRETRAINED / name)
    _, held_out = model.corpus_split()
    ids = model.tokenizer.encode(held_out)
    window = model.info["train"]["window"]
    # Eight pieces of 1,024 tokens spread over the held-out text (scoring it all takes minutes). Scenes
    # differ, so the pieces do too (by ~0.15 nats/char and ~0.35 nats/word here); their mean agrees with
    # the whole split's figure within three standard errors. Untrained weights score ~ln V (4.2 nats/char).
    starts = np.linspace(0, len(ids) - PIECE, PIECES).astype(int)
    losses = np.array([mean_loss(model.network, ids[start:start + PIECE], window) for start in starts])
    standard_error = losses.std() / np.sqrt(PIECES)
    stored = model.info["result"]["val_loss"]
    assert abs(losses.mean() - stored) <= 3 * standard_error, (losses.mean(), stored, standard_error)


@pytest.mark.parametrize("name", BUNDLES)
def test_model_card_matches_the_config(name):
    info = json.loads((PRETRAINED / name / "config.json").read_text())
    card = (PRETRAINED / name / "MODEL_CARD.md").read_text()
    result = info["result"]
    unit = "char" if info["level"] == "char" else "token"
    assert f"{result['val_loss']:.4f} nats/{unit}" in card
    assert f"{result['bits_per_token']:.4f} bits/{unit}" in card
    assert f"{result['params']:,}" in card
    assert json.dumps(info["model"], indent=2) in card
    assert re.search(r"python -m playground train .*--arch " + info["model"]["arch"], card)


def test_catalog_lists_and_loads_the_shipped_models():
    catalog = Catalog(PRETRAINED)
    assert catalog.names()[0] == "lstm"
    assert catalog.default() is catalog.get("lstm")
    assert "Validation loss" in catalog.card("lstm")
