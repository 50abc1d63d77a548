"""One model, two spellings: the Model list's labels and the Runs table's names read back to the same
reference, and a label that names nothing is refused with a message that says what the list offers."""

import pytest

from playground.errors import PlaygroundError
from playground.runs.model_ref import ModelRef, offered

LATEST = ModelRef("latest")
LSTM = ModelRef("shipped", "lstm")
MY_RUN = ModelRef("run", "my-run")
MODEL_LIST = ("the Model list offers 'your latest trained model', the shipped models by name (such as 'lstm') "
              "and the runs loaded in the Runs tab ('run: ' and the run's name)")


@pytest.mark.parametrize("ref, label", [(LATEST, "your latest trained model"), (LSTM, "lstm"), (MY_RUN, "run: my-run"),
                                        (ModelRef("run", "gru-20261202"), "run: gru-20261202")])
def test_a_model_list_label_reads_back_to_its_model(ref, label):
    assert ref.label == label
    assert ModelRef.parse(label) == ref


@pytest.mark.parametrize("ref, listed", [(LSTM, "pretrained/lstm"), (MY_RUN, "my-run"),
                                         (ModelRef("shipped", "words"), "pretrained/words")])
def test_a_runs_table_name_reads_back_to_its_model(ref, listed):
    assert ref.listed == listed
    assert ModelRef.parse_listed(listed) == ref


def test_the_two_spellings_of_one_model():
    assert ModelRef.parse_listed("pretrained/gru").label == "gru"
    assert ModelRef.parse("gru").listed == "pretrained/gru"
    assert ModelRef.parse_listed("my-run").label == "run: my-run"
    assert ModelRef.parse("run: my-run").listed == "my-run"


def test_a_link_names_a_shipped_model_either_way():
    assert ModelRef.from_link("lstm") == ModelRef.from_link("pretrained/lstm") == LSTM
    assert ModelRef.from_link("run: my-run") == MY_RUN
    assert ModelRef.from_link("your latest trained model") == LATEST


def test_the_model_list_offers_the_latest_then_the_shipped_models():
    assert [ref.label for ref in offered(["lstm", "gru"])] == ["your latest trained model", "lstm", "gru"]
    assert offered([]) == [LATEST]


@pytest.mark.parametrize("label, message", [
    ("", f"Choose a model: {MODEL_LIST}."),
    ("   ", f"Choose a model: {MODEL_LIST}."),
    (None, f"Choose a model: {MODEL_LIST}."),
    ("run: ", "'run: ' names no run: write 'run: ' and the run's name (such as 'run: my-run')."),
    ("pretrained/lstm",
     "'pretrained/lstm' is how the Runs table names a shipped model; the Model list names it 'lstm'."),
])
def test_a_bad_model_list_label_is_refused(label, message):
    with pytest.raises(PlaygroundError) as refused:
        ModelRef.parse(label)
    assert str(refused.value) == message


@pytest.mark.parametrize("name, message", [
    ("", "Choose a run or a shipped model first (by its name in the Runs table)."),
    ("pretrained/",
     "'pretrained/' names no shipped model: write 'pretrained/' and its name (such as 'pretrained/lstm')."),
    ("pretrained/a/b", "'a/b' is not a shipped model's name: it is a folder of pretrained/ (such as 'lstm')."),
])
def test_a_bad_runs_table_name_is_refused(name, message):
    with pytest.raises(PlaygroundError) as refused:
        ModelRef.parse_listed(name)
    assert str(refused.value) == message


@pytest.mark.parametrize("kind, name, message", [
    ("best", "lstm", "A model is your latest trained one, a shipped one or a run (got 'best')."),
    ("latest", "lstm", "Your latest trained model has no name of its own (got 'lstm')."),
    ("shipped", "", "A shipped model needs its name."),
    ("run", "", "A run needs its name."),
])
def test_a_reference_that_names_nothing_is_refused(kind, name, message):
    with pytest.raises(PlaygroundError) as refused:
        ModelRef(kind, name)
    assert str(refused.value) == message


def test_the_latest_model_has_no_name_in_the_runs_table():
    with pytest.raises(PlaygroundError) as refused:
        _ = LATEST.listed
    assert str(refused.value) == "Your latest trained model is in the Runs table under its run's name."
