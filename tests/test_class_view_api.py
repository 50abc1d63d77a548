"""The class view through the API, as a teacher's script sees it: two students train while the
teacher watches both live and a third waits in the queue, then finds both runs ranked on the
leaderboard; a student is refused.
Then the page's own handlers, called without a browser."""

import html
import shutil
import time
import types
from pathlib import Path

import gradio as gr
import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError

from conftest import TINY_MODEL, make_text, running_app, train_kwargs
from playground import classroom
from playground.runs import store as run_store
from playground.runs.catalog import Catalog
from playground.session import SessionStore
from playground.training import events
from playground.training.monitor import TrainingMonitor
from playground.ui import class_tab
from playground.ui.common import AppContext

WAIT = 300  # seconds any one wait may take; far more than it needs
USERS = {"tina": "t-pass", "ada": "a-pass", "ben": "b-pass", "cat": "c-pass"}


def wait_for(ask, ready, what: str):
    """Ask until the answer is ready; the last answer when it is."""
    deadline = time.monotonic() + WAIT
    while True:
        answer = ask()
        if ready(answer):
            return answer
        assert time.monotonic() < deadline, f"{what} within {WAIT} s; the last answer: {answer}"
        time.sleep(0.5)


@pytest.mark.presses("/class_view", "/load_corpus", "/train", "/stop")
def test_a_teacher_watches_two_students_train_and_then_ranks_them():
    text = make_text(20_000, seed=3)
    with running_app(PLAYGROUND_PRETRAINED="/nonexistent", PLAYGROUND_TEACHERS="tina", PLAYGROUND_MAX_TRAININGS=2,
                     PLAYGROUND_AUTH=",".join(f"{name}:{word}" for name, word in USERS.items())) as (url, _):
        tina, ada, ben, cat = (Client(url, auth=(name, USERS[name]), verbose=False) for name in USERS)
        with pytest.raises(AppError, match=r"^The class view is for teachers"):
            ada.predict(False, api_name="/class_view")
        assert tina.predict(False, api_name="/class_view")["live"] == []
        def train(student, units: int):
            student.predict("paste", [], text, "python-docs", "char", 0.1, 10_000, api_name="/load_corpus")
            # A thousand epochs (the most the form takes): a quiet machine needs minutes, the teacher's first
            # look comes within seconds, and the Stop below ends whatever is left.
            return student.submit(**train_kwargs({**TINY_MODEL, "units": units}, 1000, 0, 16, 32, 0.01, "adam", 0),
                                  api_name="/train")

        jobs = [train(ada, 32), train(ben, 16)]
        try:
            seen = wait_for(lambda: tina.predict(False, api_name="/class_view"),
                            lambda view: sorted(row["student"] for row in view["live"]
                                                if row["bits_per_character"] is not None) == ["ada", "ben"],
                            "both students training, each measured on held-out text")
            jobs.append(train(cat, 16))  # two slots, both taken: Cat waits her turn
            waits = wait_for(lambda: tina.predict(False, api_name="/class_view"), lambda view: view["queue"],
                             "a third student in the queue")
            assert [(row["student"], row["place"], row["arch"]) for row in waits["queue"]] == [("cat", 1, "lstm")]
            assert sorted(row["student"] for row in waits["live"]) == ["ada", "ben"]
        finally:
            for student in (cat, ada, ben):  # the waiting one first: it must not take a freed slot
                student.predict(api_name="/stop")
        for row in seen["live"]:
            assert (row["arch"], row["level"], row["state"]) == ("lstm", "char", "training")
            assert row["step"] > 0 and row["curve"]["steps"] and row["validation"]["steps"]
            assert [b["label"] for b in row["baselines"]] == ["uniform", "unigram", "bigram", "5-gram"]
        for job in jobs:
            job.result(timeout=WAIT)

        board = wait_for(lambda: tina.predict(False, api_name="/class_view"),
                         lambda view: not view["live"] and [len(t["runs"]) for t in view["leaderboard"]] == [2]
                         and all(run["sample"] is not None for run in view["leaderboard"][0]["runs"]),
                         "both runs on the leaderboard with their samples")
        table = board["leaderboard"][0]
        assert (table["level"], table["validation_share"], len(table["corpus_sha256"])) == ("char", 0.1, 64)
        runs = table["runs"]
        assert sorted(run["student"] for run in runs) == ["ada", "ben"]
        assert [run["rank"] for run in runs] == [1, 2]
        assert runs[0]["bits_per_character"] <= runs[1]["bits_per_character"]
        assert all(run["status"] == "stopped" and run["parameters"] > 0 for run in runs)
        assert all(run["sample"] and not run["sample"].startswith("(no sample") for run in runs)
        # The same sample on the next look: written once, not again at every refresh.
        again = tina.predict(True, api_name="/class_view")["leaderboard"][0]["runs"]
        assert [run["sample"] for run in again] == [run["sample"] for run in runs]
        assert sorted(run["student"] for run in again) == ["A", "B"]  # names hidden for a projector
        with pytest.raises(AppError, match=r"^" + classroom.REFUSAL.replace(".", r"\.") + "$"):
            ben.predict(False, api_name="/class_view")


# The page's handlers, called as the page calls them (no browser, no server).

PRETRAINED = Path(__file__).resolve().parent.parent / "pretrained"


def request(key: str, username: str):
    return types.SimpleNamespace(session_hash=key, username=username)


@pytest.fixture
def context(monkeypatch):
    monkeypatch.setenv("PLAYGROUND_TEACHERS", "tina")
    monkeypatch.delenv(classroom.OPEN_VARIABLE, raising=False)
    return AppContext(SessionStore(None, login=True), Catalog(PRETRAINED))


def test_the_page_redraws_only_when_something_changed(context):
    student = context.store.get("ada-tab", "ada")
    student.monitor = TrainingMonitor()  # as a training in progress fills it
    student.monitor.describe("lstm-1", "char", "lstm", "ada")
    student.monitor.publish(events.Started("lstm-1", 100, 10, None, 64))
    student.monitor.publish(events.BatchEnd(1, 0.1, 0.5, 3.0, 1000.0, None))
    teacher = request("tina-tab", "tina")
    summary, chart, caption, queue, board, shown = class_tab.class_page(context, False, False, "", teacher)
    assert "<b>1</b> training" in summary and "ada (lstm, char): step 1" in caption
    assert [a["text"].split(" · ")[0] for a in chart.layout.annotations] == ["<b>ada</b>"]
    assert "Nobody is waiting" in queue and "No finished runs yet" in board
    assert class_tab.class_page(context, False, False, shown, teacher) == (gr.skip(),) * 6
    student.monitor.publish(events.BatchEnd(2, 0.2, 1.0, 2.9, 1000.0, None))
    assert "step 2" in class_tab.class_page(context, False, False, shown, teacher)[2]
    assert class_tab.class_page(context, False, True, shown, teacher)[5] != shown  # large text: drawn again


def test_a_students_page_says_why_it_shows_nothing(context):
    summary, *_ = class_tab.class_page(context, False, False, "", request("ben-tab", "ben"))
    assert classroom.REFUSAL in html.unescape(summary)
    tab, now_training = class_tab.tab_shown(context, request("ben-tab", "ben"))
    assert (tab.visible, now_training.visible) == (False, False)
    tab, now_training = class_tab.tab_shown(context, request("tina-tab", "tina"))
    assert (tab.visible, now_training.visible) == (True, True)


def test_a_leaderboard_row_opens_its_run_beside_the_shipped_models(context):
    shutil.copytree(PRETRAINED / "gru", run_store.runs_dir() / "mine")
    run_store.publish("mine", False)
    tabs, timer, names, by_step, by_time, table = class_tab.open_in_compare(
        context, gr.SelectData(None, {"index": 0, "value": "mine"}), request("tina-tab", "tina"))
    assert (tabs.selected, timer.active) == ("compare", False)
    assert names.value == ["mine", "pretrained/lstm", "pretrained/gru", "pretrained/transformer", "pretrained/gan"]
    assert table["run"].tolist() == names.value
