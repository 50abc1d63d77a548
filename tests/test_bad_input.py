"""Every kind of bad input gets a clear message, through the API and through the CLI, and nothing breaks."""

import json
import zipfile

import keras
import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError

from conftest import TINY_MODEL, running_app, train_kwargs
from playground import cli
from playground.text import corpus
from playground.runs import store as run_store
from playground.errors import PlaygroundError
from playground.runs.training_run import TrainingRun
from playground.training.config import TrainConfig



@pytest.fixture(scope="module")
def api():
    with running_app(PLAYGROUND_PRETRAINED="/nonexistent") as (url, _):
        yield url


CORPUS_CASES = {
    "empty": (b"", "empty"),
    "whitespace": (b"  \n\n\t  \n", "empty"),
    "binary": (bytes(range(256)) * 20, "binary"),
    "undecodable": (b"caf\xe9 au lait " * 50, "not valid UTF-8"),
    "repeated": (b"z" * 5000, "one character repeated"),
    "huge": (b"All work and no play. " * 100_000, "The files add up to more than the 1.0 MB limit"),
}


@pytest.mark.parametrize("case", sorted(CORPUS_CASES))
def test_bad_corpus_files(case, api, tmp_path, monkeypatch, capsys):
    data, message = CORPUS_CASES[case]
    path = tmp_path / f"{case}.txt"
    path.write_bytes(data)
    monkeypatch.setenv("PLAYGROUND_MAX_CORPUS_MB", "1")
    with pytest.raises(AppError, match=message):
        Client(api, verbose=False).predict("upload", [handle_file(str(path))], "", "python-docs", "char", 0.1, 10_000,
                                           api_name="/load_corpus")
    assert cli.main(["train", "--corpus", str(path), "--arch", "lstm", "--epochs", "1"]) == 2
    assert message in capsys.readouterr().err


def test_corpus_shorter_than_the_context(api, tmp_path, capsys):
    from conftest import make_text

    path = tmp_path / "short.txt"
    path.write_text(make_text(2_000))
    client = Client(api, verbose=False)
    client.predict("upload", [handle_file(str(path))], "", "python-docs", "char", 0.1, 10_000,
                   api_name="/load_corpus")
    with pytest.raises(AppError, match="fewer than the context length 512"):
        client.predict(**train_kwargs(TINY_MODEL, 1, 0, 16, 512, 0.01, "adam", 0), api_name="/train")
    assert cli.main(["train", "--corpus", str(path), "--window", "512", "--epochs", "1"]) == 2
    assert "fewer than the context length 512" in capsys.readouterr().err


def test_validation_share_outside_its_range(api, capsys):
    client = Client(api, verbose=False)
    # The slider's own range (0.05 to 0.3) answers first in the app.
    with pytest.raises(AppError, match=r"0\.7 is greater than maximum value 0\.3"):
        client.predict("builtin", [], "", "markov-babble", "char", 0.7, 10_000, api_name="/load_corpus")
    assert cli.main(["train", "--builtin", "markov-babble", "--validation-share", "0.7"]) == 2
    assert "validation share must be between 0 and 0.5 (got 0.7)" in capsys.readouterr().err
    with pytest.raises(PlaygroundError, match=r"^The validation share must be between 0 and 0\.5 \(got nan\)\.$"):
        TrainConfig(validation_share=float("nan"))


@pytest.mark.parametrize("model, train, message", [
    ({**TINY_MODEL, "units": 0}, [1, 0, 16, 32, 0.01, "adam", 0], "Units per layer|less than minimum"),
    (TINY_MODEL, [-3, 0, 16, 32, 0.01, "adam", 0], "cannot be negative|less than minimum"),
    (TINY_MODEL, [1, 0, 16, 32, 0, "adam", 0], "Learning rate"),
    ({**TINY_MODEL, "dropout": 0.9}, [1, 0, 16, 32, 0.01, "adam", 0], "Dropout|greater than maximum"),
    ({"arch": "transformer", "embedding_dim": 30, "heads": 4, "layers": 1, "context_length": 32},
     [1, 0, 16, 32, 0.01, "adam", 0], "divisible by 4 heads"),
])
def test_absurd_hyperparameters_through_the_api(api, model, train, message):
    client = Client(api, verbose=False)
    client.predict("builtin", [], "", "markov-babble", "char", 0.1, 10_000, api_name="/load_corpus")
    with pytest.raises(AppError, match=message):
        client.predict(**train_kwargs(model, *train), api_name="/train")


@pytest.mark.parametrize("args, message", [
    (["--units", "-5"], "Units per layer"), (["--lr", "-1"], "Learning rate"), (["--epochs", "-1"], "Epochs"),
    (["--dropout", "1.5"], "Dropout"), (["--batch-size", "0"], "Batch size"), (["--layers", "99"], "recurrent layers"),
    (["--arch", "transformer", "--embedding", "30", "--heads", "4"], "divisible by 4 heads"),
])
def test_absurd_hyperparameters_through_the_cli(args, message, capsys):
    assert cli.main(["train", "--builtin", "markov-babble", *args]) == 2
    assert message in capsys.readouterr().err


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    from conftest import make_text

    folder = tmp_path_factory.mktemp("saved")
    run = TrainingRun(corpus.from_text(make_text()), "lstm", {"units": 16, "layers": 1, "embedding_dim": 8},
                      TrainConfig(epochs=0.2, batch_size=16, window=32), run_dir=folder / "run")
    run.execute(final_evaluation=False)
    return folder / "run"


@pytest.mark.parametrize("temperatures, top_p, message", [
    ("0", 1.0, None), ("-0.5", 1.0, "Temperature must be"), ("nan", 1.0, "Temperature must be"),
    ("1.0", 1.5, "top-p"), ("1.0", 0.0, "top-p"),
])
def test_bad_sampling_settings_through_the_cli(saved, temperatures, top_p, message, capsys):
    code = cli.main(["generate", "--model", str(saved), "--temperatures", temperatures, "--top-p", str(top_p),
                     "--length", "5", "--json"])
    captured = capsys.readouterr()
    if message is None:  # temperature 0 is greedy, not an error
        assert code == 0 and len(json.loads(captured.out.splitlines()[-1])["samples"][0]["text"]) == 5
    else:
        assert code == 2 and message in captured.err


def test_bad_sampling_settings_through_the_api(api):
    client = Client(api, verbose=False)
    for temperatures, top_p, message in (("-0.5", 1.0, "Temperature must be"), ("nan", 1.0, "Temperature must be"),
                                         ("1.0", 1.5, "greater than maximum")):
        with pytest.raises(AppError, match=message):
            client.predict("x", 10, temperatures, 0, 0, top_p, 0.0, api_name="/compare_temperatures")


def test_prompt_outside_the_vocabulary_is_reported_not_a_crash(api, saved, capsys):
    assert cli.main(["generate", "--model", str(saved), "--prompt", "日本語 ☃", "--length", "5", "--json"]) == 0
    captured = capsys.readouterr()
    assert "never seen" in captured.err and "<unk>" in captured.err
    client = Client(api, verbose=False)
    client.predict("builtin", [], "", "markov-babble", "char", 0.1, 10_000, api_name="/load_corpus")
    client.predict(**train_kwargs(TINY_MODEL, 0.02, 0, 16, 32, 0.01, "adam", 0), api_name="/train")
    text, _, info = client.predict("日本語 ☃", 10, 0.8, 0, 0, 1.0, 0.0, api_name="/generate")
    assert text.startswith("日本語 ☃") and "never seen" in info


def bad_bundle(saved, tmp_path, kind) -> str:
    archive = tmp_path / "source.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for member in ("config.json", "tokenizer.json", "model.keras", "history.csv"):
            zipped.write(saved / member, member)
    members = {m: zipfile.ZipFile(archive).read(m) for m in zipfile.ZipFile(archive).namelist()}
    if kind == "corrupt":
        members["model.keras"] = b"not a keras file at all"
    elif kind == "dotdot":
        members["../../outside.txt"] = b"escape"
    elif kind == "absolute":
        members["/tmp/absolute.txt"] = b"escape"
    elif kind == "lambda":
        inputs = keras.Input((3,))
        path = tmp_path / "lambda.keras"
        keras.Model(inputs, keras.layers.Lambda(lambda x: x + 1)(inputs)).save(path)
        members["model.keras"] = path.read_bytes()
    path = tmp_path / f"{kind}.zip"
    with zipfile.ZipFile(path, "w") as zipped:
        for member, data in members.items():
            zipped.writestr(member, data)
    return str(path)


@pytest.mark.parametrize("kind, message", [
    ("corrupt", "could not be loaded"), ("dotdot", "unsafe path"), ("absolute", "unsafe path"),
    ("lambda", "could not be loaded safely"), ("oversized", "The bundle is over the 0 MB limit."),
])
def test_bad_bundles_through_the_api_and_the_cli(api, saved, tmp_path, monkeypatch, kind, message, capsys):
    if kind == "oversized":
        monkeypatch.setattr(run_store, "MAX_BUNDLE_BYTES", 100)
        path = bad_bundle(saved, tmp_path, "plain")
    else:
        path = bad_bundle(saved, tmp_path, kind)
    with pytest.raises(AppError, match=message):
        Client(api, verbose=False).predict(handle_file(path), "", api_name="/import_run")
    assert cli.main(["import", "--bundle", path]) == 2
    assert message in capsys.readouterr().err
    assert run_store.list_runs().empty
