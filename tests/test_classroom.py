"""A classroom server: each student's runs are their own, publishing shares them, teachers see all,
hostile bundles are refused before anything large is built or read, and every request's work is
bounded by arithmetic on the server."""

import io
import json
import math
import zipfile

import numpy as np
import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError

from conftest import make_text, running_app
from playground import cli
from playground.runs import bundle
from playground.text import corpus
from playground.models import limits
from playground.runs import store as run_store
from playground.errors import PlaygroundError
from playground.models import architecture
from playground.runs.owners import Viewer
from playground.runs.catalog import Catalog
from playground.runs.training_run import TrainingRun
from playground.generation.sampling import GenerationLoop
from playground.training.config import TrainConfig
from playground.ui.model_tab import model_options

MEMBERS = ("config.json", "tokenizer.json", "model.keras", "history.csv", "corpus.txt.gz")


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    folder = tmp_path_factory.mktemp("classroom")
    run = TrainingRun(corpus.from_text(make_text(4000)), "lstm", {"units": 16, "layers": 1, "embedding_dim": 8},
                      TrainConfig(epochs=0.1, batch_size=16, window=32), run_dir=folder / "run")
    run.execute(final_evaluation=False)
    return folder / "run"


def members_of(saved) -> dict[str, bytes]:
    return {name: (saved / name).read_bytes() for name in MEMBERS if (saved / name).is_file()}


def zip_of(members: dict[str, bytes], path) -> str:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zipped:
        for name, data in members.items():
            zipped.writestr(name, data)
    return str(path)


def names(table) -> list[str]:
    return [row[table["headers"].index("name")] for row in table["data"]]


def column(table, name: str, header: str):
    row = next(row for row in table["data"] if row[table["headers"].index("name")] == name)
    return row[table["headers"].index(header)]


# Owners, publishing and teachers, through the API as scripts and browsers use it.

def test_a_students_runs_are_their_own_until_published(saved, tmp_path):
    bundle_path = zip_of(members_of(saved), tmp_path / "mine.zip")
    with running_app(PLAYGROUND_PRETRAINED="/nonexistent") as (url, _):
        ada, ben = Client(url, verbose=False), Client(url, verbose=False)
        ada.predict(handle_file(bundle_path), "mine", api_name="/import_run")
        assert "mine" in names(ada.predict(api_name="/list_runs"))
        assert "mine" not in names(ben.predict(api_name="/list_runs"))
        # Ben cannot see it, so for him it does not exist.
        for endpoint, arguments in (("/load_run", ("mine",)), ("/delete_run", ("mine", "mine")),
                                    ("/rename_run", ("mine", "stolen")), ("/export_run", ("mine",)),
                                    ("/publish_run", ("mine",))):
            with pytest.raises(AppError, match=r"There is no saved run called 'mine'\."):
                ben.predict(*arguments, api_name=endpoint)

        message, table = ada.predict("mine", api_name="/publish_run")
        assert "published" in message and column(table, "mine", "published") is True
        # Published: Ben lists, loads and compares it, and still cannot change it.
        assert "mine" in names(ben.predict(api_name="/list_runs"))
        assert "Loaded **mine**" in ben.predict("mine", api_name="/load_run")
        for endpoint, arguments in (("/delete_run", ("mine", "mine")), ("/rename_run", ("mine", "stolen")),
                                    ("/unpublish_run", ("mine",)), ("/export_run", ("mine",))):
            refusal = r"mine belongs to guest-[\w-]+: only its owner or a teacher can change it"
            with pytest.raises(AppError, match=refusal):
                ben.predict(*arguments, api_name=endpoint)

        # Ada's download goes, with the run, when she deletes it.
        exported = ada.predict("mine", api_name="/export_run")
        assert zipfile.ZipFile(exported).namelist()
        assert run_store.export_path("mine").is_file()
        ada.predict("mine", "mine", api_name="/delete_run")
        assert not run_store.export_path("mine").exists()
        assert "mine" not in names(ben.predict(api_name="/list_runs"))


def test_a_teacher_sees_and_manages_every_run(saved, tmp_path):
    bundle_path = zip_of(members_of(saved), tmp_path / "homework.zip")
    with running_app(PLAYGROUND_PRETRAINED="/nonexistent", PLAYGROUND_AUTH="alice:a-pass,bob:b-pass,carol:c-pass",
                     PLAYGROUND_TEACHERS="alice") as (url, _):
        bob = Client(url, auth=("bob", "b-pass"), verbose=False)
        carol = Client(url, auth=("carol", "c-pass"), verbose=False)
        alice = Client(url, auth=("alice", "a-pass"), verbose=False)
        bob.predict(handle_file(bundle_path), "homework", api_name="/import_run")
        assert column(bob.predict(api_name="/list_runs"), "homework", "owner") == "bob"
        assert "homework" not in names(carol.predict(api_name="/list_runs"))
        assert "homework" in names(alice.predict(api_name="/list_runs"))
        message, new_name, table = alice.predict("homework", "homework-checked", api_name="/rename_run")
        assert new_name == "homework-checked" and column(table, "homework-checked", "owner") == "bob"
        alice.predict("homework-checked", "homework-checked", api_name="/delete_run")
        assert "homework-checked" not in names(bob.predict(api_name="/list_runs"))


def test_command_line_runs_are_the_single_users_and_nobody_elses():
    local = {"owner": "local"}
    assert Viewer("browser-1234", single_user=True).owns(local)
    assert not Viewer.logged_in("carol").can_see(local)
    assert Viewer("carol", single_user=False).can_see({"owner": "local", "published": True})
    assert not Viewer("carol", single_user=False).can_change({"owner": "local", "published": True})


# Hostile bundles: refused by arithmetic on a few bytes, before anything is built or inflated.

def rewrite_keras(data: bytes, change) -> bytes:
    """A .keras file (a zip) whose inner config.json went through ``change``."""
    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for member in source.namelist():
            payload = source.read(member)
            if member == "config.json":
                stored = json.loads(payload)
                change(stored["config"]["config"])
                payload = json.dumps(stored).encode()
            target.writestr(member, payload)
    return out.getvalue()


def hostile(saved, kind: str) -> dict[str, bytes]:
    members = members_of(saved)
    info = json.loads(members["config.json"])
    if kind in ("vocabulary bomb", "disagreeing model"):
        members["model.keras"] = rewrite_keras(members["model.keras"], lambda c: c.update(vocab_size=1_000_000))
    if kind == "vocabulary bomb":  # both files claim it, as a careful attacker would write them
        info["model"]["vocab_size"] = 1_000_000
    if kind == "gzip bomb":  # 2 MB of text in about 2 KB, against a 1 MB corpus limit
        import gzip

        members["corpus.txt.gz"] = gzip.compress(b"a" * 2_000_000)
    if kind == "huge json":
        members["tokenizer.json"] = members["tokenizer.json"] + b" " * (9 * 2**20)
    members["config.json"] = json.dumps(info).encode()
    return members


HOSTILE = {
    "vocabulary bomb": r"The vocabulary has 1,000,000 tokens, over the limit of 50,000\.",
    "disagreeing model": r"model\.keras does not match its config\.json\.",
    "gzip bomb": r"corpus\.txt\.gz inflates to more than the 1 MB corpus limit; it was not read\.",
    "huge json": r"The bundle's tokenizer\.json is over its 8 MB limit; it was refused\.",
}


@pytest.fixture(scope="module")
def api():
    with running_app(PLAYGROUND_PRETRAINED="/nonexistent") as (url, _):
        yield url


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_hostile_bundles_are_refused_with_a_clear_message(api, saved, tmp_path, monkeypatch, kind, capsys):
    monkeypatch.setenv("PLAYGROUND_MAX_CORPUS_MB", "1")
    path = zip_of(hostile(saved, kind), tmp_path / "hostile.zip")
    with pytest.raises(AppError, match=HOSTILE[kind]):
        Client(api, verbose=False).predict(handle_file(path), "", api_name="/import_run")
    with pytest.raises(PlaygroundError, match=HOSTILE[kind]):
        run_store.import_bundle(path)
    assert cli.main(["import", "--bundle", path]) == 2
    assert "error:" in capsys.readouterr().err
    # Nothing was added, and nothing was left half-unpacked.
    assert run_store.list_runs().empty
    assert not list(run_store.runs_dir().glob(".import-*"))


def test_a_bad_result_in_one_bundle_leaves_everyones_list_working(api, saved, tmp_path):
    members = members_of(saved)
    info = json.loads(members["config.json"])
    info.update(result="nonsense", budget=[1, 2], created=12, corpus={"name": None})
    members["config.json"] = json.dumps(info).encode()
    Client(api, verbose=False).predict(handle_file(zip_of(members, tmp_path / "odd.zip")), "odd",
                                       api_name="/import_run")
    table = Client(api, verbose=False).predict(api_name="/list_runs")  # another student's list
    assert "odd" not in names(table)  # not theirs and not published
    row = run_store.list_runs().set_index("name").loc["odd"]
    assert row["architecture"] == "lstm"
    loss = row["validation loss"]
    assert loss is None or math.isnan(loss)


# Bounded work per request.

def test_every_row_reads_the_prompt_once():
    config = architecture("lstm").default_config(12, units=8, layers=1, embedding_dim=4)
    model = architecture("lstm").build(config)
    batches = []
    original = model.prefill

    def recording(ids):
        batches.append(ids.shape[0])
        return original(ids)

    model.prefill = recording
    batch = GenerationLoop(model).generate(list(range(1, 12)) * 900, [0.5, 1.0], 4, samples_per_temperature=32)
    assert batch.token_ids.shape == (64, 4)
    assert batches == [1]  # traced once, for one row, whatever the number of rows


def test_a_prompt_longer_than_the_context_is_cut_and_the_student_told():
    text = make_text(4000)
    run = TrainingRun(corpus.from_text(text), "transformer",
                      {"layers": 1, "embedding_dim": 16, "heads": 2, "context": 16},
                      TrainConfig(epochs=0.01, batch_size=4, window=16))
    model = run.text_model
    prompt = text[:40]
    assert model.prompt_note(prompt) == \
        "The prompt is 40 tokens; the model reads only the last 16 (its context length)."
    assert model.prompt_note(prompt[-16:]) == ""
    whole = model.generate(prompt, [0.8], 12, seed=3)[0]
    tail = model.generate(prompt[-16:], [0.8], 12, seed=3)[0]
    assert whole.token_ids.tolist() == tail.token_ids.tolist()
    np.testing.assert_array_equal(model.next_logits(prompt), model.next_logits(prompt[-16:]))


def test_batch_and_attention_are_checked_by_arithmetic():
    lstm = architecture("lstm").default_config(65)
    with pytest.raises(PlaygroundError, match=r"^Batch size × context length is 4,096 × 4,096 = 16,777,216 tokens "
                                              r"per step, over the limit of 262,144\."):
        limits.check_batch(lstm, 4096, 4096)
    gpt = architecture("transformer").default_config(65, context=2048, heads=16, layers=12, embedding_dim=512)
    with pytest.raises(PlaygroundError, match=r"^Attention over 2,048 tokens for a batch of 64 with 16 heads in 12 "
                                              r"layers needs about 384\.0 GB"):
        limits.check_batch(gpt, 64, 2048)
    # The same checks refuse a run before its model is built.
    with pytest.raises(PlaygroundError, match="Attention over 2,048 tokens"):
        TrainingRun(corpus.from_text(make_text(20_000)), "transformer",
                    {"context": 2048, "heads": 16, "layers": 12, "embedding_dim": 512},
                    TrainConfig(epochs=1, batch_size=64, window=2048))
    # By hand: embedding 65·64; first layer 4·(64·4096 + 4096² + 4096); seven more 4·(2·4096² + 4096);
    # head 4096·65 + 65.
    with pytest.raises(PlaygroundError, match=r"^This model has 1,008,083,073 parameters, over the limit of "
                                              r"50,000,000\."):
        limits.check_model(architecture("lstm").default_config(65, units=4096, layers=8, embedding_dim=64))
    assert limits.check_model(lstm) == limits.parameter_count(lstm)


def test_a_bundles_own_model_file_is_read_before_building(saved):
    assert bundle.saved_config(saved / "model.keras", "run") == bundle.load(saved).model.model_config


# Small defects, each with its test.

def test_a_negative_seed_is_refused_clearly(capsys):
    refusal = r"^The seed must be a whole number from 0 to 2,147,483,647 \(got -1\)\.$"
    with pytest.raises(PlaygroundError, match=refusal):
        TrainConfig(seed=-1)
    assert cli.main(["train", "--builtin", "markov-babble", "--seed", "-1"]) == 2
    assert "The seed must be a whole number" in capsys.readouterr().err


def test_model_options_read_text_and_refuse_nonsense():
    assert model_options("gan", straight_through="false", units=64.0)["straight_through"] is False
    assert model_options("gan", straight_through="true")["straight_through"] is True
    assert model_options("lstm", units="64")["units"] == 64
    with pytest.raises(PlaygroundError, match=r"^units must be a finite number \(got nan\)\.$"):
        model_options("lstm", units=float("nan"))
    with pytest.raises(PlaygroundError, match=r"^layers must be a whole number \(got 1\.5\)\.$"):
        model_options("lstm", layers=1.5)
    with pytest.raises(PlaygroundError, match=r"^straight_through must be true or false \(got 'maybe'\)\.$"):
        model_options("gan", straight_through="maybe")


def test_json_output_is_strict_json():
    value = {"loss": float("nan"), "bits": np.float32(1.5), "rows": [np.int64(3), float("inf")], "ok": True}
    assert cli.plain_json(value) == {"loss": None, "bits": 1.5, "rows": [3, None], "ok": True}
    json.dumps(cli.plain_json(value), allow_nan=False)


def test_a_model_card_is_read_only_from_a_shipped_models_folder(tmp_path):
    (tmp_path / "secret.txt").write_text("not for students")
    catalog = Catalog(tmp_path / "pretrained")
    assert catalog.card("../secret.txt") == "No model card for ../secret.txt."


def test_start_up_sweeps_leftovers_and_keeps_runs(saved):
    runs = run_store.runs_dir()
    runs.mkdir(parents=True, exist_ok=True)
    (runs / ".import-abc123").mkdir()
    (runs / "crashed-empty").mkdir()
    (runs / "crashed-empty" / ".model.tmp.keras").write_bytes(b"")
    (runs / "starting-now").mkdir()
    (runs / "starting-now" / "history.csv").write_text("step\n")
    run_store.import_bundle(zip_of(members_of(saved), runs.parent / "kept.zip"), "kept")
    assert sorted(run_store.sweep()) == [".import-abc123", "crashed-empty"]
    assert sorted(p.name for p in runs.iterdir()) == ["kept", "starting-now"]


def test_rename_takes_the_old_download_away(saved, tmp_path):
    run_store.import_bundle(zip_of(members_of(saved), tmp_path / "a.zip"), "first")
    run_store.export_bundle("first")
    assert run_store.export_path("first").is_file()
    run_store.rename("first", "second")
    assert not run_store.export_path("first").exists()


def test_the_layer_slider_reaches_what_each_architecture_allows():
    from playground.ui.model_tab import CONTROLS, show_controls

    layers = [c.field for c in CONTROLS].index("layers")
    maxima = {arch: show_controls(None, arch)[layers]["maximum"] for arch in ("lstm", "gru", "transformer", "gan")}
    assert maxima == {"lstm": 8, "gru": 8, "transformer": 12, "gan": 4}
    with pytest.raises(PlaygroundError, match="Use between 1 and 8 recurrent layers"):
        architecture("lstm").default_config(65, layers=9)
