"""Hostile bundles are refused before anything is built: with Keras's model loading and the
architecture's build replaced by stand-ins that record any call, each refusal happens, with its
sentence, and neither stand-in was called. A model that carries code is stopped by Keras's safe mode."""

import gzip
import io
import json
import os
import zipfile

import keras
import pytest

from conftest import make_text
from playground.text import corpus
from playground.runs import store as run_store
from playground.errors import PlaygroundError
from playground.models.base import Architecture
from playground.training.config import TrainConfig
from playground.runs.training_run import TrainingRun

MEMBERS = ("config.json", "tokenizer.json", "model.keras", "history.csv", "corpus.txt.gz")


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A tiny trained LSTM's bundle (with its corpus), the honest file every hostile one starts from."""
    folder = tmp_path_factory.mktemp("hostile") / "run"
    TrainingRun(corpus.from_text(make_text(4000)), "lstm", {"units": 16, "layers": 1, "embedding_dim": 8},
                TrainConfig(epochs=0.1, batch_size=16, window=32), run_dir=folder).execute(final_evaluation=False)
    return folder


@pytest.fixture
def nothing_built(monkeypatch):
    """Keras's model loading and the architecture's build, replaced by stand-ins that record each call and
    fail; the list of calls is returned, since a caller may turn the failure into a refusal of its own."""
    calls = []

    def stand_in(what):
        def called(*args, **kwargs):
            calls.append(what)
            raise AssertionError(f"{what} was called")
        return called

    monkeypatch.setattr(keras.models, "load_model", stand_in("keras.models.load_model"))
    monkeypatch.setattr(keras.saving, "load_model", stand_in("keras.saving.load_model"))
    monkeypatch.setattr(Architecture, "build", stand_in("Architecture.build"))
    return calls


def members_of(folder) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes() for name in MEMBERS}


def zip_of(members: dict[str, bytes], path) -> str:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zipped:
        for name, data in members.items():
            zipped.writestr(name, data)
    return str(path)


def rewrite_keras(data: bytes, change) -> bytes:
    """A .keras file (itself a zip) whose own config.json went through ``change`` (the parsed JSON ->
    the bytes to store)."""
    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for member in source.namelist():
            payload = source.read(member)
            target.writestr(member, change(json.loads(payload)) if member == "config.json" else payload)
    return out.getvalue()


def claiming(**sizes):
    """A change for :func:`rewrite_keras`: the model file claims these sizes."""
    def change(stored):
        stored["config"]["config"].update(sizes)
        return json.dumps(stored).encode()
    return change


def hostile(saved, kind: str) -> dict[str, bytes]:
    members = members_of(saved)
    info = json.loads(members["config.json"])
    if kind == "vocabulary bomb":  # both files claim it, as a careful attacker would write them
        info["model"]["vocab_size"] = 1_000_000
        members["model.keras"] = rewrite_keras(members["model.keras"], claiming(vocab_size=1_000_000))
    if kind == "model disagrees with its config":  # config.json says 16 units, the model file 4096
        members["model.keras"] = rewrite_keras(members["model.keras"], claiming(units=4096))
    if kind == "oversized model config":  # the model file's own config.json, padded past 1 MB
        members["model.keras"] = rewrite_keras(members["model.keras"],
                                               lambda stored: json.dumps(stored).encode() + b" " * 2**21)
    if kind == "gzip bomb":  # 2 MB of text in about 2 KB, against a 1 MB corpus limit
        members["corpus.txt.gz"] = gzip.compress(b"a" * 2_000_000)
    members["config.json"] = json.dumps(info).encode()
    if kind.startswith("oversized "):
        name = kind.removeprefix("oversized ")
        if name in members:  # padded with white space: still valid JSON (or CSV) once read
            members[name] += b" " * ({"config.json": 1, "tokenizer.json": 8, "history.csv": 32}[name] * 2**20 + 1)
    return members


REFUSALS = {
    "vocabulary bomb": r"^The vocabulary has 1,000,000 tokens, over the limit of 50,000\. Use word level with a "
                       r"vocabulary cap, or a cleaner corpus\.$",
    "model disagrees with its config": r"^hostile\.zip/model\.keras does not match its config\.json\.$",
    "oversized config.json": r"^The bundle's config\.json is over its 1 MB limit; it was refused\.$",
    "oversized tokenizer.json": r"^The bundle's tokenizer\.json is over its 8 MB limit; it was refused\.$",
    "oversized history.csv": r"^The bundle's history\.csv is over its 32 MB limit; it was refused\.$",
    "oversized model config": r"^hostile\.zip/model\.keras has an oversized config; it was not read\.$",
    "gzip bomb": r"^hostile\.zip/corpus\.txt\.gz inflates to more than the 1 MB corpus limit; it was not read\.$",
}


@pytest.mark.parametrize("kind", sorted(REFUSALS))
def test_a_hostile_bundle_is_refused_before_anything_is_built(saved, tmp_path, monkeypatch, nothing_built, kind):
    monkeypatch.setenv("PLAYGROUND_MAX_CORPUS_MB", "1")
    path = zip_of(hostile(saved, kind), tmp_path / "hostile.zip")
    with pytest.raises(PlaygroundError, match=REFUSALS[kind]):
        run_store.import_bundle(path)
    assert nothing_built == []
    assert run_store.list_runs().empty
    assert not list(run_store.runs_dir().glob(".import-*"))  # nothing left half-unpacked


def test_the_stand_ins_would_notice_a_build(saved, tmp_path, nothing_built):
    """The honest bundle gets as far as loading the model, which is where the stand-in fails: the
    refusals above came before it."""
    with pytest.raises(PlaygroundError, match=r"could not be loaded safely: keras\.models\.load_model was called"):
        run_store.import_bundle(zip_of(members_of(saved), tmp_path / "honest.zip"))
    assert nothing_built == ["keras.models.load_model"]


def lambda_model(saved, tmp_path) -> bytes:
    """A model.keras shaped exactly like the saved run's (its own config names the same architecture and
    sizes), whose network holds a ``Lambda`` layer: Python code that runs when the model is rebuilt."""
    model_config = json.loads((saved / "config.json").read_text())["model"]
    vocabulary = model_config["vocab_size"]
    ids = keras.Input((None,), dtype="int32")
    x = keras.layers.Embedding(vocabulary, 8)(ids)
    x = keras.layers.Lambda(lambda t: (__import__("os").environ.__setitem__("PLAYGROUND_LAMBDA_RAN", "yes"), t)[1])(x)
    x = keras.layers.LSTM(16, return_sequences=True)(x)
    path = tmp_path / "network.keras"
    keras.Model(ids, keras.layers.Dense(vocabulary)(x), name="lstm").save(path)

    def like_a_playground_model(stored):
        stored["config"]["config"] = model_config
        return json.dumps(stored).encode()

    return rewrite_keras(path.read_bytes(), like_a_playground_model)


def test_a_model_holding_code_is_stopped_by_kerass_safe_mode(saved, tmp_path, monkeypatch):
    members = {**members_of(saved), "model.keras": lambda_model(saved, tmp_path)}
    monkeypatch.delenv("PLAYGROUND_LAMBDA_RAN", raising=False)  # building the network here ran it once
    path = zip_of(members, tmp_path / "lambda.zip")
    refusal = (r"^lambda\.zip/model\.keras could not be loaded safely: it holds Python code, which Keras's safe "
               r"mode refuses to run \(Requested the deserialization of a `Lambda` layer whose `function` is a "
               r"Python lambda\)\.$")
    with pytest.raises(PlaygroundError, match=refusal):
        run_store.import_bundle(path)
    assert "PLAYGROUND_LAMBDA_RAN" not in os.environ and run_store.list_runs().empty
    # Every other check passed: without safe mode the very same file runs its code as Keras rebuilds it.
    (tmp_path / "unsafe.keras").write_bytes(members["model.keras"])
    keras.models.load_model(tmp_path / "unsafe.keras", safe_mode=False, compile=False)
    assert os.environ["PLAYGROUND_LAMBDA_RAN"] == "yes"
