"""The Class view in a browser, on a projector's 1024 × 768: a teacher watches two students train live,
then finds their runs on the leaderboard and opens one in Compare; a student has no Class view until
the teacher opens it to the class, and then sees published runs only."""

import contextlib
import re
from pathlib import Path

import pytest
from gradio_client import Client

from axe_support import AXE_SCRIPT, check, report
from browser_support import (ACTION_MS, ARTIFACTS, STARTUP_MS, TRAIN_START_MS, assert_no_error_toast, open_tab,
                             require_chromium, save_screenshot, screenshot_on_failure, wait_for_text)
from conftest import TINY_MODEL, make_text, running_app, train_kwargs
from playground import classroom
from playground.ui.class_tab import LABEL

USERS = {"tina": "t-pass", "ada": "a-pass", "ben": "b-pass"}
PROJECTOR = {"width": 1024, "height": 768}
PRETRAINED = Path(__file__).resolve().parent.parent / "pretrained"
# Trainings are stopped by the test; measured on held-out text every few seconds.
MEASURED_MS = 240_000


@pytest.fixture(scope="module")
def class_server(tmp_path_factory):
    require_chromium()
    with running_app(PLAYGROUND_HOME=tmp_path_factory.mktemp("class-home"), PLAYGROUND_PRETRAINED=PRETRAINED,
                     PLAYGROUND_TEACHERS="tina", PLAYGROUND_MAX_TRAININGS=2,
                     PLAYGROUND_AUTH=",".join(f"{name}:{word}" for name, word in USERS.items())) as served:
        yield served


@pytest.fixture(scope="module")
def app_url(class_server):
    return class_server[0]


@contextlib.contextmanager
def logged_in(browser, url: str, name: str, errors: list):
    """A page at ``url`` after logging in as ``name``, on a projector-sized window."""
    context = browser.new_context(viewport=PROJECTOR)
    context.set_default_timeout(ACTION_MS)
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(url, timeout=STARTUP_MS)
        page.get_by_label("username").fill(name)
        page.get_by_label("password").fill(USERS[name])
        page.get_by_role("button", name="Login").click()
        page.get_by_role("tab", name="1 · Corpus").wait_for(timeout=STARTUP_MS)
        yield page
    finally:
        context.close()


def student(url: str, name: str) -> Client:
    return Client(url, auth=(name, USERS[name]), verbose=False)


def start_training(client: Client, text: str, units: int):
    client.predict("paste", [], text, "python-docs", "char", 0.1, 10_000, api_name="/load_corpus")
    # A thousand epochs: only the Stop ends the run, however slow the machine.
    return client.submit(**train_kwargs({**TINY_MODEL, "units": units}, 1000, 0, 16, 32, 0.01, "adam", 0),
                         api_name="/train")


def live_titles(page) -> list[str]:
    return page.eval_on_selector_all("#class-live .annotation-text", "notes => notes.map(n => n.textContent)")


@pytest.mark.timeout(900)
def test_a_teacher_watches_the_class_train_then_reads_the_leaderboard(browser, app_url):
    errors: list[str] = []
    text = make_text(20_000, seed=3)
    ada, ben = student(app_url, "ada"), student(app_url, "ben")
    with logged_in(browser, app_url, "tina", errors) as page, screenshot_on_failure(page, "class-view-failure"):
        open_tab(page, LABEL)
        wait_for_text(page, "#class-live-caption", "Nobody is training right now", ACTION_MS)
        jobs = [start_training(ada, text, 32), start_training(ben, text, 16)]
        try:
            # Both charts, each with a held-out measurement: the page refreshed itself, nobody clicked.
            caption = wait_for_text(page, "#class-live-caption",
                                    r"ada \(lstm, char\): step [\d,]+, last held-out loss [\s\S]*"
                                    r"ben \(lstm, char\): step [\d,]+, last held-out loss", MEASURED_MS)
            assert "bits per character" in caption
            titles = live_titles(page)
            assert [t.split(" · ")[0] for t in titles] == ["ada", "ben"], titles
            assert all("bits/char" in t for t in titles), titles
            assert "2 training" in page.locator("#class-summary").inner_text()
            # Initials for a projector.
            page.get_by_label("Hide names (initials, for a projector)").check()
            wait_for_text(page, "#class-live-caption", r"^A \(lstm[\s\S]*\nB \(lstm", ACTION_MS)
            page.get_by_label("Hide names (initials, for a projector)").uncheck()
            wait_for_text(page, "#class-live-caption", r"^ada \(lstm", ACTION_MS)
        finally:
            ada.predict(api_name="/stop")
            ben.predict(api_name="/stop")
        for job in jobs:
            job.result(timeout=TRAIN_START_MS)

        # The leaderboard: both runs on one text, ranked, each with its sample at T = 0.7.
        board = wait_for_text(page, "#class-leaderboard", r"(ada|ben)[\s\S]*(ada|ben)", ACTION_MS)
        page.wait_for_function("() => !document.querySelector('#class-leaderboard').innerText.includes('writing…')",
                               timeout=TRAIN_START_MS)
        rows = page.locator("#class-leaderboard tbody tr")
        assert rows.count() == 2, board
        assert [rows.nth(i).locator("td").first.inner_text() for i in range(2)] == ["1", "2"]
        assert "Nobody is training right now" in page.locator("#class-live-caption").inner_text()

        # One student trains again: the projector shows the live chart above the leaderboard.
        again = start_training(ada, text, 32)
        try:
            wait_for_text(page, "#class-live-caption", r"ada \(lstm, char\): step [\d,]+, last held-out",
                          MEASURED_MS)
            save_screenshot(page, "class-view")
            # axe on the view as the projector shows it: a live chart above the leaderboard, both text sizes.
            failures, seen = [], {}
            page.evaluate(AXE_SCRIPT)
            check(page, "Class view", seen, failures)
            # Gradio draws a new plot on every update and the page names each one within 300 ms: wait
            # until the plot on screen has both names, then read them from that same plot.
            named = page.wait_for_function(
                "() => { const plot = document.querySelector('#class-live .js-plotly-plot');"
                " const names = plot && [plot.getAttribute('aria-describedby'), plot.getAttribute('aria-label')];"
                " return names && names.every(Boolean) && names; }",
                timeout=ACTION_MS).json_value()
            assert named == ["class-live-caption", "The class's trainings in progress"]
            page.locator("#class-large-text input").check()
            page.wait_for_function("() => document.body.classList.contains('pg-large')")
            page.wait_for_function("() => [...document.querySelectorAll('#class-live .annotation-text')]"
                                   ".some(n => parseFloat(getComputedStyle(n).fontSize) >= 16)", timeout=ACTION_MS)
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "class-view-large.png"), full_page=True)
            check(page, "Class view, large text", seen, failures)
            report(seen, failures)
            page.locator("#class-large-text input").uncheck()
        finally:
            ada.predict(api_name="/stop")
        again.result(timeout=TRAIN_START_MS)

        # A row's Compare button opens that run beside the shipped models. The page redraws the board when
        # the third run arrives and again when its sample is written: wait for both, then press the button
        # of the run read, wherever the redraw put it.
        page.wait_for_function("() => { const board = document.querySelector('#class-leaderboard');"
                               " return board.querySelectorAll('tbody tr').length === 3"
                               " && !board.innerText.includes('writing…'); }", timeout=TRAIN_START_MS)
        run = rows.first.locator("button.pg-open").get_attribute("data-run")
        page.locator(f"#class-leaderboard button.pg-open[data-run='{run}']").click()
        compare = page.get_by_role("tab", name="5 · Compare", exact=True)
        page.wait_for_function("(tab) => tab.getAttribute('aria-selected') === 'true'", arg=compare.element_handle())
        table = wait_for_text(page, "#compare-table", re.escape(run), ACTION_MS)
        assert "pretrained/lstm" in table
        assert_no_error_toast(page)
    assert not errors, errors


@pytest.mark.timeout(600)
def test_a_student_has_no_class_view_until_it_is_opened_and_then_sees_published_runs(browser, app_url,
                                                                                      monkeypatch):
    from playground.runs import store as run_store
    from playground.runs.training_run import TrainingRun
    from playground.text import corpus
    from playground.training.config import TrainConfig

    for name, owner, published in (("shared-by-ada", "ada", True), ("kept-by-carl", "carl", False)):
        TrainingRun(corpus.from_text(make_text(6000)), "lstm", {"units": 16, "layers": 1, "embedding_dim": 8},
                    TrainConfig(epochs=0.1, batch_size=16, window=32), run_dir=run_store.runs_dir() / name,
                    owner=owner).execute(final_evaluation=False)
        run_store.publish(name, published)
    errors: list[str] = []
    with logged_in(browser, app_url, "ben", errors) as page, screenshot_on_failure(page, "class-view-student"):
        assert page.get_by_role("tab", name="7 · Lessons", exact=True).is_visible()
        assert page.get_by_role("tab", name=LABEL, exact=True).count() == 0
    monkeypatch.setenv(classroom.OPEN_VARIABLE, "open")
    with logged_in(browser, app_url, "ben", errors) as page, screenshot_on_failure(page, "class-view-open"):
        open_tab(page, LABEL)
        board = wait_for_text(page, "#class-leaderboard", "ada", ACTION_MS)
        assert "carl" not in board and "ben" not in board  # published runs only
        assert page.locator("#class-leaderboard tbody tr").count() == 1
        assert not page.locator("#class-live").is_visible()  # trainings in progress are the teacher's
        assert classroom.TEACHERS_ONLY in page.locator("#class-summary").inner_text()
        assert_no_error_toast(page)
    assert not errors, errors
