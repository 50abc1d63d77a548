"""The class view's data, worked out in the core: each training at a glance, the queue, the
leaderboard grouped by held-out text and ranked, names as initials, and the small-multiples chart."""

import json
import math
import threading

import plotly.graph_objects as go
import pytest

from playground import classroom
from playground.errors import PlaygroundError
from playground.figures import class_charts
from playground.runs import leaderboard
from playground.runs.owners import Viewer
from playground.training import events
from playground.training.monitor import GLANCE_POINTS, TrainingMonitor, downsample

LN2 = math.log(2)
# (label, nats per token, sentence), worst first, as TrainingRun measures them
BASELINES = (("uniform", 3.0, ""), ("unigram", 2.5, ""), ("bigram", 2.0, ""), ("5-gram", 1.5, ""))
TEACHER = Viewer("tina", teacher=True, single_user=False)


@pytest.fixture(autouse=True)
def tina_teaches(monkeypatch):
    monkeypatch.setenv("PLAYGROUND_TEACHERS", "tina")
    monkeypatch.delenv(classroom.OPEN_VARIABLE, raising=False)


def training(owner: str, arch: str = "lstm", level: str = "char", steps: int = 0, val_loss: float | None = None,
             characters_per_token: float = 1.0) -> TrainingMonitor:
    """A monitor fed the events a training publishes: baselines, start, ``steps`` batches, one evaluation."""
    monitor = TrainingMonitor()
    monitor.describe(f"{arch}-run", level, arch, owner)
    monitor.publish(events.BaselinesMeasured(BASELINES, "", characters_per_token))
    monitor.publish(events.Started(f"{arch}-run", 1234, 10, None, 64))
    for step in range(1, steps + 1):
        monitor.publish(events.BatchEnd(step, step / 10, step / 5, 3.0 - step / 1000, 1000.0, None))
    if val_loss is not None:
        monitor.publish(events.Evaluated(steps, steps / 10, steps / 5, val_loss))
    return monitor


# Each training at a glance ---------------------------------------------------------------------

def test_a_glance_says_who_what_how_far_and_the_baseline_beaten_in_bits_per_character():
    monitor = training("ada", "gru", "word", steps=40, val_loss=1.8, characters_per_token=2.0)
    glance = monitor.glance()
    assert (glance.owner, glance.arch, glance.level, glance.state, glance.step, glance.params) == \
        ("ada", "gru", "word", "training", 40, 1234)
    # nats per token / ln 2 / characters per token
    assert glance.bits_per_character == pytest.approx(1.8 / LN2 / 2)
    assert dict(glance.baselines)["bigram"] == pytest.approx(2.0 / LN2 / 2)
    # 1.8 nats is below the bigram's 2.0 but not the 5-gram's 1.5: the bigram is the best beaten.
    assert glance.beaten == ("bigram", pytest.approx(2.0 / LN2 / 2))
    assert glance.curve[0] == pytest.approx((3.0 - 0.001) / LN2 / 2)
    assert glance.live


def test_a_glance_is_worked_out_again_only_after_an_event():
    monitor = training("ada", steps=3)
    first = monitor.glance()
    assert monitor.glance() is first
    monitor.publish(events.BatchEnd(4, 0.4, 0.8, 2.0, 1000.0, None))
    assert monitor.glance() is not first and monitor.glance().step == 4


def test_before_any_measurement_nothing_is_beaten():
    glance = training("ada", steps=5).glance()
    assert glance.bits_per_character is None and glance.beaten is None
    assert training("ben", steps=5, val_loss=3.5).glance().beaten is None  # worse than every baseline


def test_a_long_run_is_drawn_with_at_most_a_hundred_points_each_the_mean_of_its_stretch():
    steps = list(range(1, 10_001))
    values = [float(s % 2) for s in steps]  # 0, 1, 0, 1, ...: every even stretch averages 0.5
    kept_steps, kept = downsample(steps, values)
    assert len(kept) <= GLANCE_POINTS
    assert kept == [pytest.approx(0.5)] * len(kept)
    assert kept_steps[-1] == 10_000 and kept_steps == sorted(kept_steps)
    assert downsample([1, 2, 3], [1.0, float("nan"), 3.0]) == ([1, 3], [1.0, 3.0])


def test_a_queued_training_knows_its_place_until_it_starts():
    monitor = TrainingMonitor()
    monitor.describe("lstm-cat", "char", "lstm", "cat")
    monitor.queued(2)
    assert (monitor.glance().state, monitor.glance().queue_position) == ("queued", 2)
    monitor.publish(events.Started("lstm-cat", 10, 1, None, 64))
    assert (monitor.glance().state, monitor.glance().queue_position) == ("training", None)


# Who sees what ---------------------------------------------------------------------------------

def finished(owner: str) -> TrainingMonitor:
    monitor = training(owner, steps=2)
    monitor.publish(events.Finished("completed", 2, 1.0, 1.9))
    return monitor


def waiting(owner: str, place: int) -> TrainingMonitor:
    monitor = TrainingMonitor()
    monitor.describe(f"gru-{owner}", "char", "gru", owner)
    monitor.queued(place)
    return monitor


def view(*monitors, sampler=lambda path: f"sample of {path.name}") -> classroom.ClassView:
    return classroom.ClassView(lambda: list(monitors), leaderboard.Leaderboard(sampler))


def test_a_teacher_sees_live_trainings_by_name_and_the_queue_by_place():
    class_view = view(training("zoe", steps=3), finished("old"), waiting("cat", 2), training("ada", steps=1),
                      waiting("dan", 1))
    data = class_view.data(TEACHER)
    assert data.audience == "teacher"
    assert [data.name(g.owner) for g in data.live] == ["ada", "zoe"]  # the finished one is gone
    assert [(data.name(g.owner), g.queue_position) for g in data.queue] == [("dan", 1), ("cat", 2)]
    plain = data.as_json()
    assert [row["student"] for row in plain["live"]] == ["ada", "zoe"]
    assert plain["queue"] == [{"student": "dan", "place": 1, "run": "gru-dan", "arch": "gru", "level": "char"},
                              {"student": "cat", "place": 2, "run": "gru-cat", "arch": "gru", "level": "char"}]
    json.dumps(plain, allow_nan=False)  # strict JSON


def test_a_student_is_refused_unless_the_teacher_opens_the_view(monkeypatch):
    class_view = view(training("ada", steps=2))
    with pytest.raises(PlaygroundError, match=r"^The class view is for teachers"):
        class_view.data(Viewer.logged_in("ben"))
    assert classroom.audience(Viewer.logged_in("ben")) is None
    monkeypatch.setenv(classroom.OPEN_VARIABLE, "open")
    data = class_view.data(Viewer.logged_in("ben"))
    assert (data.audience, data.live, data.queue) == ("class", (), ())  # trainings stay the teacher's
    assert data.note == classroom.TEACHERS_ONLY


def test_hidden_names_are_initials_and_never_the_login():
    class_view = view(training("ada_lovelace", steps=1), training("alan.lee", steps=1), training("bob", steps=1))
    plain = class_view.data(TEACHER, hide_names=True).as_json()
    assert sorted(row["student"] for row in plain["live"]) == ["AL1", "AL2", "B"]
    assert "ada_lovelace" not in json.dumps(plain) and "bob" not in json.dumps(plain)


def test_initials():
    assert classroom.initials(["ada_lovelace", "Ada Lovelace", "bob", "Chen Wei-Lin"]) == \
        {"Ada Lovelace": "AL1", "ada_lovelace": "AL2", "bob": "B", "Chen Wei-Lin": "CWL"}
    assert classroom.display_name("browser-0123456789ab") == "browser 0123"
    assert classroom.display_name("guest-abcdef123456") == "guest abcd"
    assert classroom.display_name("local") == "this computer"
    # Without a login a name is already anonymous, and stays readable.
    assert classroom.initials(["browser 0123", "this computer"]) == {"browser 0123": "browser 0123",
                                                                     "this computer": "this computer"}


# The leaderboard ---------------------------------------------------------------------------------

def saved_run(name: str, owner: str, bits: float, sha: str = "a" * 64, level: str = "char", share: float = 0.1,
              status: str = "completed", seconds: float = 60.0, published: bool = False, corpus: str = "story.txt"):
    """A run folder as far as the leaderboard reads it: config.json and a model.keras to date the sample by."""
    from playground.runs import store as run_store

    folder = run_store.runs_dir() / name
    folder.mkdir(parents=True)
    info = {"corpus": corpus, "corpus_sha256": sha, "level": level, "owner": owner, "published": published,
            "status": status, "train": {"validation_share": share}, "model": {"arch": "lstm"},
            "result": {"bits_per_character": bits, "val_loss": bits * LN2, "seconds": seconds, "params": 5000,
                       "level": level}}
    (folder / "config.json").write_text(json.dumps(info))
    (folder / "model.keras").write_bytes(b"")
    return folder


def test_runs_share_a_table_only_on_the_same_held_out_text_and_rank_by_bits_per_character():
    saved_run("slow", "ada", 2.10, seconds=300)
    saved_run("fast", "ben", 2.10, seconds=30)
    saved_run("best", "cat", 1.90)
    saved_run("words", "dan", 1.50, level="word")  # other tokens: other text once decoded
    saved_run("other-split", "eve", 1.00, share=0.2)  # another held-out tail
    saved_run("other-text", "fay", 1.20, sha="b" * 64)
    saved_run("early", "gus", 2.00, status="stopped")
    saved_run("still-training", "hal", 0.50, status="running")
    saved_run("crashed", "ian", 0.50, status="failed")
    tables = leaderboard.Leaderboard(lambda path: "").tables(TEACHER.can_see)
    first = tables[0]
    assert (first.corpus_sha256, first.level, first.validation_share) == ("a" * 64, "char", 0.1)
    # Equal bits share a rank (the shorter training listed first); a stopped run is ranked and says so.
    assert [(e.run, e.rank) for e in first.entries] == [("best", 1), ("early", 2), ("fast", 3), ("slow", 3)]
    assert [e.whole_text for e in first.entries] == [True, False, True, True]
    assert sorted((t.entries[0].run, len(t.entries)) for t in tables[1:]) == \
        [("other-split", 1), ("other-text", 1), ("words", 1)]
    assert "still-training" not in str(tables) and "crashed" not in str(tables)


def test_the_class_sees_published_runs_only_by_their_owners_names(monkeypatch):
    saved_run("mine", "browser-0123456789ab", 2.0)
    saved_run("shared", "ben", 2.2, published=True)
    monkeypatch.setenv(classroom.OPEN_VARIABLE, "open")
    plain = view().data(Viewer.logged_in("carl")).as_json()
    shown = [[(r["run"], r["student"]) for r in table["runs"]] for table in plain["leaderboard"]]
    assert shown == [[("shared", "ben")]]
    everything = view().data(TEACHER).as_json()
    assert sorted(r["student"] for t in everything["leaderboard"] for r in t["runs"]) == ["ben", "browser 0123"]


def test_samples_are_written_once_in_the_background_and_kept():
    saved_run("one", "ada", 2.0)
    calls, release = [], threading.Event()

    def sampler(path):
        release.wait(30)
        calls.append(path.name)
        return "To be, or not"

    board = leaderboard.Leaderboard(sampler)
    assert board.tables(TEACHER.can_see)[0].entries[0].sample is None  # the page does not wait for it
    release.set()
    for _ in range(300):
        if board.tables(TEACHER.can_see)[0].entries[0].sample is not None:
            break
        threading.Event().wait(0.05)
    for _ in range(5):
        assert board.tables(TEACHER.can_see)[0].entries[0].sample == "To be, or not"
    assert calls == ["one"]


def test_a_sample_is_one_line_cut_at_a_word():
    assert leaderboard.one_line("To be,\n\nor not to be") == "To be, / or not to be"
    long = leaderboard.one_line("word " * 60, limit=30)
    assert long.endswith("…") and len(long) <= 31 and not long[:-1].endswith(" ")


# The small multiples -----------------------------------------------------------------------------

def test_one_small_chart_per_training_on_a_shared_axis_with_faint_baselines():
    trainings = [(name, training(name, steps=30, val_loss=1.7).glance())
                 for name in ("ada", "ben", "cat", "dan", "eve")]
    figure = class_charts.live_figure_dict(trainings)
    go.Figure(figure)  # every property valid (the page builds it without plotly's checks)
    layout = figure["layout"]
    y_axes = [key for key in layout if key.startswith("yaxis")]
    assert len(y_axes) == 5
    assert len({tuple(layout[axis]["range"]) for axis in y_axes}) == 1  # one shared scale
    assert [axis for axis in y_axes if layout[axis]["showticklabels"]] == ["yaxis", "yaxis5"]  # 4 per row
    titles = [a["text"] for a in layout["annotations"]]
    assert titles[0].startswith("<b>ada</b> · lstm · char") and "beats bigram" in titles[0]
    baselines = [trace for trace in figure["data"] if trace["name"] == "counting baselines"]
    assert len(baselines) == 5 and all("0.45" in trace["line"]["color"] for trace in baselines)
    # Large text: fewer, taller charts with bigger letters.
    large = class_charts.live_figure_dict(trainings, large=True)["layout"]
    assert large["font"]["size"] > layout["font"]["size"] and large["height"] > layout["height"]
    assert [axis for axis in y_axes if large[axis]["showticklabels"]] == ["yaxis", "yaxis4"]


def test_the_charts_text_alternative_says_each_last_loss_and_baseline_beaten():
    lines = class_charts.live_caption([("ada", training("ada", steps=30, val_loss=1.7).glance()),
                                       ("ben", training("ben", steps=2).glance())])
    assert lines[0] == (f"ada (lstm, char): step 30, last held-out loss {1.7 / LN2:.2f} bits per character "
                        f"(training text {(3.0 - 0.0155) / LN2:.2f}); beats the bigram counting model "
                        f"({2.0 / LN2:.2f}).")
    assert lines[1].startswith("ben (lstm, char): step 2, no held-out measurement yet")
    assert class_charts.live_caption([]) == [class_charts.EMPTY]
    assert "<b>&lt;i&gt;</b>" in class_charts.headline("<i>", training("x", steps=1).glance())
