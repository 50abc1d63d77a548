"""What a newcomer sees before any click: the shipped models' curves, listed as read-only runs."""

from pathlib import Path

import pandas as pd
import pytest

from playground.runs import quality_curves
from playground.runs import store as run_store
from playground.errors import PlaygroundError
from playground.runs.catalog import Catalog

PRETRAINED = Path(__file__).resolve().parent.parent / "pretrained"


def test_every_shipped_bundle_has_a_small_quality_diversity_curve():
    for name in Catalog(PRETRAINED).names():
        path = PRETRAINED / name / quality_curves.FILE
        assert path.is_file() and path.stat().st_size < 4096, name
        curve = quality_curves.read(PRETRAINED / name, f"pretrained/{name}")
        assert list(curve["temperature"]) == sorted(curve["temperature"])
        assert set(curve["model"]) == {f"pretrained/{name}"}
        assert curve["bleu"].between(0, 1).all() and curve["self_bleu"].between(0, 1).all()
        # Colder samples resemble each other more: self-BLEU falls as the temperature rises.
        assert curve["self_bleu"].iloc[0] > curve["self_bleu"].iloc[-1]


def test_a_curve_round_trips_and_a_damaged_one_is_left_out(tmp_path):
    curve = pd.DataFrame({"model": ["x", "x"], "temperature": [0.5, 1.0], "bleu": [0.2, 0.1],
                          "self_bleu": [0.4, 0.2], "samples": [8, 8], "references": [4, 4]})
    quality_curves.write(tmp_path, curve)
    assert quality_curves.read(tmp_path, "mine").equals(curve.assign(model="mine"))
    (tmp_path / quality_curves.FILE).write_text("not,a,curve\n1,2,3\n")
    assert quality_curves.read(tmp_path) is None
    assert quality_curves.read(tmp_path / "missing") is None


def test_the_catalog_offers_the_character_models_and_their_curves():
    catalog = Catalog(PRETRAINED)
    assert catalog.first_look() == [f"pretrained/{name}" for name in catalog.names()
                                    if catalog.level(name) == "char"]
    assert "pretrained/lstm" in catalog.first_look() and "pretrained/words" not in catalog.first_look()
    curves = catalog.quality_diversity(catalog.first_look())
    assert list(dict.fromkeys(curves["model"])) == catalog.first_look()
    assert catalog.quality_diversity(["pretrained/words"])["model"].unique().tolist() == ["pretrained/words"]


def test_shipped_models_are_read_only_rows_beside_the_runs(tmp_path):
    catalog = Catalog(PRETRAINED)
    rows = catalog.runs()
    assert list(rows.columns) == run_store.RUN_COLUMNS
    assert list(rows["name"]) == [f"pretrained/{name}" for name in catalog.names()]
    assert set(rows["status"]) == {"shipped (read-only)"}
    assert rows["parameters"].min() > 0 and rows["validation loss"].notna().all()
    with pytest.raises(PlaygroundError, match="shipped with the playground: it cannot be deleted"):
        catalog.refuse_change("pretrained/lstm", "deleted")
    catalog.refuse_change("my-run", "deleted")  # a user's run may change
    assert catalog.bundle_path("pretrained/gru") == PRETRAINED / "gru"
    with pytest.raises(PlaygroundError, match="No pretrained model called 'nothing'"):
        catalog.bundle_path("pretrained/nothing")
