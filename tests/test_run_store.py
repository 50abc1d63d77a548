"""Runs on disk: listing, renaming, deleting, and bundles that travel as one .zip file."""

import json
import zipfile

import keras
import pytest

from playground.text import corpus
from playground.runs import store as run_store
from playground.errors import PlaygroundError
from playground.runs.bundle import load_text_model
from playground.runs.training_run import TrainingRun
from playground.training.config import TrainConfig


@pytest.fixture
def saved_run(small_text):
    run = TrainingRun(corpus.from_text(small_text), "lstm", {"units": 16, "layers": 1, "embedding_dim": 8},
                      TrainConfig(epochs=0.2, batch_size=16, window=32), run_dir=run_store.runs_dir() / "first")
    run.execute(final_evaluation=False)
    return run


def test_list_rename_delete(saved_run):
    table = run_store.list_runs()
    assert list(table["name"]) == ["first"]
    assert table.iloc[0]["architecture"] == "lstm" and table.iloc[0]["status"] == "completed"
    run_store.rename("first", "renamed")
    assert list(run_store.list_runs()["name"]) == ["renamed"]
    with pytest.raises(PlaygroundError, match="not a usable run name"):
        run_store.rename("renamed", "../escape")
    with pytest.raises(PlaygroundError, match="type its name again"):
        run_store.delete("renamed", "nope")
    run_store.delete("renamed", "renamed")
    assert run_store.list_runs().empty


def test_export_then_import_gives_the_same_model(saved_run, tmp_path):
    archive = run_store.export_bundle("first", tmp_path)
    assert set(zipfile.ZipFile(archive).namelist()) >= {"config.json", "tokenizer.json", "model.keras",
                                                          "history.csv", "corpus.txt.gz"}
    target = run_store.import_bundle(archive, "copy")
    original, copy = load_text_model(saved_run.run_dir), load_text_model(target)
    assert original.generate("the", [0.8], 30, seed=1)[0].text == copy.generate("the", [0.8], 30, seed=1)[0].text
    with pytest.raises(PlaygroundError, match="already exists"):
        run_store.import_bundle(archive, "copy")


def test_repeated_exports_replace_one_file_in_the_workspace(saved_run):
    first = run_store.export_bundle("first")
    second = run_store.export_bundle("first")
    assert first == second and first.parent == run_store.workspace() / "exports"
    assert [p.name for p in first.parent.iterdir()] == ["first.zip"]  # no copies, no partial files
    assert "model.keras" in zipfile.ZipFile(second).namelist()


def rewrite(archive, tmp_path, name, change):
    """A copy of the archive with members changed: change(dict name -> bytes)."""
    members = {info.filename: zipfile.ZipFile(archive).read(info) for info in zipfile.ZipFile(archive).infolist()}
    change(members)
    path = tmp_path / name
    with zipfile.ZipFile(path, "w") as zipped:
        for member, data in members.items():
            zipped.writestr(member, data)
    return path


def lambda_model_bytes(tmp_path) -> bytes:
    inputs = keras.Input((4,), dtype="int32")
    outputs = keras.layers.Lambda(lambda x: x * 2)(inputs)
    path = tmp_path / "evil.keras"
    keras.Model(inputs, outputs).save(path)
    return path.read_bytes()


@pytest.mark.parametrize("case, message", [
    ("dotdot", "unsafe path"), ("absolute", "unsafe path"), ("extra", "unexpected file"),
    ("missing", "incomplete"), ("badjson", "not valid JSON"), ("badarch", "Unknown architecture"),
    ("notzip", "not a model bundle"), ("lambda", "could not be loaded safely"), ("corrupt", "could not be loaded"),
])
def test_bad_bundles_are_refused_with_a_reason(saved_run, tmp_path, case, message):
    archive = run_store.export_bundle("first", tmp_path)
    changes = {
        "dotdot": lambda m: m.update({"../evil.txt": b"x"}),
        "absolute": lambda m: m.update({"/etc/evil": b"x"}),
        "extra": lambda m: m.update({"script.py": b"print(1)"}),
        "missing": lambda m: m.pop("model.keras"),
        "badjson": lambda m: m.update({"config.json": b"{nope"}),
        "badarch": lambda m: m.update({"config.json": json.dumps({"model": {"arch": "virus"}}).encode()}),
        "lambda": lambda m: m.update({"model.keras": lambda_model_bytes(tmp_path)}),
        "corrupt": lambda m: m.update({"model.keras": b"garbage" * 100}),
    }
    if case == "notzip":
        bad = tmp_path / "bundle.zip"
        bad.write_bytes(b"this is text, not a zip")
    else:
        bad = rewrite(archive, tmp_path, f"{case}.zip", changes[case])
    with pytest.raises(PlaygroundError, match=message):
        run_store.import_bundle(bad)
    assert list(run_store.list_runs()["name"]) == ["first"]  # nothing half-imported


def test_oversized_bundle_is_refused(saved_run, tmp_path, monkeypatch):
    archive = run_store.export_bundle("first", tmp_path)
    monkeypatch.setattr(run_store, "MAX_BUNDLE_BYTES", 1000)
    with pytest.raises(PlaygroundError, match=r"^The bundle is over the 0 MB limit\.$"):
        run_store.import_bundle(archive)
