"""The app through its API, as a script would use it: gradio_client against the launched app."""

import re
import time
import zipfile

import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError

from conftest import TINY_MODEL, make_text, train_kwargs

WAIT = 300  # seconds any one wait may take before the test fails; far more than it needs


def client(url) -> Client:
    return Client(url, verbose=False)


def test_every_action_has_an_api_name(tiny_server):
    endpoints = set(client(tiny_server[0]).view_api(return_format="dict", print_info=False)["named_endpoints"])
    assert {"/load_corpus", "/train", "/stop", "/generate", "/compare_temperatures", "/choose_model",
            "/describe_model", "/measure_temperatures", "/quality_diversity", "/token_probabilities"} <= endpoints


@pytest.mark.presses("/generate")
def test_generate_works_on_the_first_call_with_the_pretrained_model(tiny_server):
    text, tokens, info = client(tiny_server[0]).predict("The", 30, 0.7, 1, 0, 1.0, 0.0, api_name="/generate")
    assert text.startswith("The") and len(text) == 33
    assert "pretrained/lstm" in info
    assert "pg-token" in tokens


@pytest.mark.presses("/load_corpus", "/train", "/stop", "/compare_temperatures", "/measure_temperatures",
                     "/quality_diversity", "/token_probabilities")
def test_upload_train_stop_and_compare(tiny_server, tmp_path):
    url, context, _ = tiny_server
    path = tmp_path / "story.txt"
    path.write_text(make_text(30_000, seed=4), encoding="utf-8")
    api = client(url)
    summary, stats, chart, preview = api.predict("upload", [handle_file(str(path))], "", "python-docs", "char",
                                                 0.1, 10_000, api_name="/load_corpus")
    assert "Loaded story.txt" in summary
    assert preview.startswith(path.read_text()[:100])

    # A thousand epochs and no minutes: only the Stop can end this run.
    job = api.submit(**train_kwargs(TINY_MODEL, 1000, 0, 16, 32, 0.01, "adam", 0), api_name="/train")
    try:
        deadline = time.monotonic() + WAIT
        while not any("Step" in update[0] for update in job.outputs()):
            assert time.monotonic() < deadline, f"no training step was reported within {WAIT} s: {job.status()}"
            assert not job.done(), f"training ended before its first step: {job.outputs()[-1:]}"
            time.sleep(0.2)
    finally:
        stopping = api.predict(api_name="/stop")  # also when the wait failed
    assert "Stopping" in stopping
    job.result(timeout=WAIT)  # the stream ends once the run has stopped
    assert len(job.outputs()) >= 2
    assert "Stopped after" in job.outputs()[-1][0]
    figure = job.outputs()[-1][1]
    assert figure is not None

    grid, table, info = api.predict("The", 50, "0.2, 0.5, 0.7, 1.0, 1.2, 1.5", 7, 0, 1.0, 0.0,
                                    api_name="/compare_temperatures")
    assert grid.count("pg-card'") == 6
    assert [row[1] for row in table["data"]] == [0.2, 0.5, 0.7, 1.0, 1.2, 1.5]
    assert all(len(row[2]) == 50 for row in table["data"])
    assert "lstm-" in info  # the session now generates with the model it trained
    again = api.predict("The", 50, "0.2, 0.5, 0.7, 1.0, 1.2, 1.5", 7, 0, 1.0, 0.0, api_name="/compare_temperatures")
    assert again[1]["data"] == table["data"]  # same seed, same text

    chart, means, note = api.predict("The", 40, "0.3, 1.2", 0, 4, 0, 1.0, 0.0, api_name="/measure_temperatures")
    assert [row[0] for row in means["data"]] == [0.3, 1.2]
    assert "copied" in note  # the session's model knows its training text
    chart, table = api.predict(["your latest trained model"], 8, 8, 40, "0.5, 1.0", 0, api_name="/quality_diversity")
    assert [row[1] for row in table["data"]] == [0.5, 1.0]
    tokens = api.predict("The", 10, 0.8, 0, 0, 1.0, 0.0, api_name="/token_probabilities")
    assert len(tokens) == 10 and len(tokens[0]["alternatives"]) == 5


@pytest.mark.presses("/choose_model", "/generate")
def test_the_chosen_model_is_named_and_generates(tiny_server):
    api = client(tiny_server[0])
    with pytest.raises(AppError, match=r"You have no finished model of your own yet: train one first\."):
        api.predict("your latest trained model", api_name="/choose_model")
    line = api.predict("lstm", api_name="/choose_model")
    assert re.fullmatch(r"Using \*\*pretrained/lstm\*\* \(lstm, [\d,]+ parameters, char level, "
                        r"validation loss \d+\.\d{3} nats/char\)\.", line), line
    _, _, info = api.predict("The", 10, 0.7, 1, 0, 1.0, 0.0, api_name="/generate")
    assert info == line


@pytest.mark.presses("/draw_model", "/describe_model")
def test_the_network_is_drawn_for_the_corpus_loaded(tiny_server):
    api = client(tiny_server[0])
    api.predict("builtin", [], "", "markov-babble", "char", 0.1, 10_000, api_name="/load_corpus")
    _, size = api.predict(**TINY_MODEL, api_name="/describe_model")
    count, vocabulary = re.search(r"\*\*([\d,]+) parameters\*\* for your corpus's (\d+) tokens", size).groups()
    picture = api.predict(**TINY_MODEL, api_name="/draw_model")
    assert picture.startswith("<div class='pg-network-box'><svg")
    # The drawing and the count agree: the same network, for the same vocabulary.
    assert f"Language model: {count} parameters" in picture
    assert "Embedding: a learned vector of 16 per token" in picture and "LSTM layer 1: 32 units" in picture
    assert f"Dense (output): a score for each of the {vocabulary} tokens" in picture


@pytest.mark.presses("/import_run", "/publish_run", "/unpublish_run", "/list_runs")
def test_publishing_a_run_and_taking_it_back(tiny_server, tmp_path):
    url, _, folder = tiny_server
    bundle_path = tmp_path / "mine.zip"
    with zipfile.ZipFile(bundle_path, "w") as zipped:
        for member in ("config.json", "tokenizer.json", "model.keras", "history.csv", "corpus.txt.gz"):
            zipped.write(folder / "pretrained" / "lstm" / member, member)
    api = client(url)
    api.predict(handle_file(str(bundle_path)), "shared-lstm", api_name="/import_run")

    def published(table) -> bool:
        row = next(row for row in table["data"] if row[table["headers"].index("name")] == "shared-lstm")
        return row[table["headers"].index("published")]

    assert published(api.predict(api_name="/list_runs")) is False
    message, table = api.predict("shared-lstm", api_name="/publish_run")
    assert message == "**shared-lstm** is published: the whole class can load and compare it."
    assert published(table) is True
    message, table = api.predict("shared-lstm", api_name="/unpublish_run")
    assert message == "**shared-lstm** is private again." and published(table) is False
    assert published(api.predict(api_name="/list_runs")) is False


def test_several_models_side_by_side_in_one_grid(tiny_server):
    grid, table, _ = client(tiny_server[0]).predict("The", 30, "0.5, 1.0", 0, 0, 1.0, 0.0, ["lstm", "lstm"],
                                               api_name="/compare_temperatures")
    assert grid.count("pg-card'") == 2  # one model named twice is one model
    assert [row[0] for row in table["data"]] == ["pretrained/lstm", "pretrained/lstm"]


def test_clients_are_isolated_sessions(tiny_server):
    url = tiny_server[0]
    first, second = client(url), client(url)
    first.predict("builtin", [], "", "markov-babble", "char", 0.1, 10_000, api_name="/load_corpus")
    with pytest.raises(AppError, match="Load a corpus first"):
        second.predict(**train_kwargs(TINY_MODEL, 0.01, 0, 16, 32, 0.01, "adam", 0), api_name="/train")


@pytest.mark.parametrize("content, message", [
    (b"", "empty"), (b"\x00\x01\x02binary" * 100, "binary"), (b"\xff\xfe\xfa bad" * 100, "not valid UTF-8"),
])
@pytest.mark.presses("/describe_model")
def test_bad_uploads_get_clear_messages_and_keep_the_corpus(tiny_server, tmp_path, content, message):
    api = client(tiny_server[0])
    api.predict("builtin", [], "", "markov-babble", "char", 0.1, 10_000, api_name="/load_corpus")
    bad = tmp_path / "bad.txt"
    bad.write_bytes(content)
    with pytest.raises(AppError, match=message):
        api.predict("upload", [handle_file(str(bad))], "", "python-docs", "char", 0.1, 10_000, api_name="/load_corpus")
    # The earlier corpus is still there: the model description still uses it.
    _, size = api.predict(**TINY_MODEL, api_name="/describe_model")
    assert "for your corpus" in size


@pytest.mark.parametrize("args, message", [
    (("x", 20, "0.2, hot", 0, 0, 1.0, 0.0), "numbers separated by commas"),
    (("x", 20, "-1", 0, 0, 1.0, 0.0), "Temperature must be"),
    (("x", 20, "1.0", 0, 0, 0.0, 0.0), "less than minimum value 0.05"),  # Gradio checks slider bounds
    (("x", 20, "1.0", 0, -3, 1.0, 0.0), "top-k must be|less than minimum"),
])
def test_bad_generation_settings(tiny_server, args, message):
    with pytest.raises(AppError, match=message):
        client(tiny_server[0]).predict(*args, api_name="/compare_temperatures")


def test_nonsense_training_settings(tiny_server):
    api = client(tiny_server[0])
    api.predict("builtin", [], "", "markov-babble", "char", 0.1, 10_000, api_name="/load_corpus")
    with pytest.raises(AppError, match="Set a number of epochs or of minutes"):
        api.predict(**train_kwargs(TINY_MODEL, 0, 0, 16, 32, 0.01, "adam", 0), api_name="/train")
    with pytest.raises(AppError, match="Learning rate"):
        api.predict(**train_kwargs(TINY_MODEL, 1, 0, 16, 32, 0, "adam", 0), api_name="/train")
    with pytest.raises(AppError, match="less than minimum value 16"):  # Gradio checks slider bounds
        api.predict(**train_kwargs(TINY_MODEL, 1, 0, 16, 4, 0.01, "adam", 0), api_name="/train")


@pytest.mark.presses("/list_runs", "/rename_run", "/load_run", "/compare_runs", "/compare_quality", "/export_run",
                     "/import_run", "/delete_run")
def test_runs_and_compare_through_the_api(tiny_server, tmp_path):
    url, _, _ = tiny_server
    api = client(url)
    api.predict("builtin", [], "", "markov-babble", "char", 0.1, 10_000, api_name="/load_corpus")
    api.predict(**train_kwargs(TINY_MODEL, 0.05, 0, 16, 32, 0.01, "adam", 0), api_name="/train")
    runs = api.predict(api_name="/list_runs")
    names = [row[0] for row in runs["data"]]
    mine = names[0]
    assert runs["data"][0][runs["headers"].index("status")] == "completed"
    message, new_name, _ = api.predict(mine, "my-babble", api_name="/rename_run")
    assert new_name == "my-babble" and "Renamed" in message
    assert "Loaded" in api.predict("my-babble", api_name="/load_run")
    steps, seconds, table = api.predict(["my-babble", "pretrained/lstm"], api_name="/compare_runs")
    assert [row[0] for row in table["data"]] == ["my-babble", "pretrained/lstm"]
    with pytest.raises(AppError, match="learned from different texts"):
        api.predict(["my-babble", "pretrained/lstm"], 4, 4, 40, "0.5, 1.0", api_name="/compare_quality")
    chart, quality = api.predict(["my-babble"], 4, 4, 40, "0.5, 1.0", api_name="/compare_quality")
    assert [row[1] for row in quality["data"]] == [0.5, 1.0]
    bundle_file = api.predict("my-babble", api_name="/export_run")
    message, imported, _ = api.predict(handle_file(bundle_file), "from-a-colleague", api_name="/import_run")
    assert imported == "from-a-colleague"
    with pytest.raises(AppError, match="type its name again"):
        api.predict("my-babble", "wrong", api_name="/delete_run")
    message, _, runs = api.predict("my-babble", "my-babble", api_name="/delete_run")
    assert "Deleted" in message and "my-babble" not in [row[0] for row in runs["data"]]


def test_a_gan_trains_through_the_api_with_its_diagnostics(tiny_server):
    api = client(tiny_server[0])
    api.predict("builtin", [], "", "markov-babble", "char", 0.1, 10_000, api_name="/load_corpus")
    model = {"arch": "gan", "units": 32, "embedding_dim": 16, "pretrain_share": 0.5, "d_steps": 1}
    status, chart, samples, diagnostics = api.predict(**train_kwargs(model, 0.3, 0, 16, 32, 0.01, "adam", 0),
                                                      api_name="/train")
    assert "Finished after" in status and "Reading:" in status
    assert diagnostics is not None  # the GAN's own chart appears beside the loss chart
    grid, table, info = api.predict("The", 20, "0.7, 1.0", 0, 0, 1.0, 0.0, api_name="/compare_temperatures")
    assert "gan" in info and len(table["data"]) == 2
