"""Browser test: a run stopped halfway is resumed from the Runs tab and trains to its end, counting on
from the step it was saved at (the Resume button once raised NameError and no test had pressed it)."""

from __future__ import annotations

import re

import pytest

from browser_support import (ACTION_MS, STOP_MS, TRAIN_START_MS, assert_no_error_toast, open_tab,
                             screenshot_on_failure, set_slider, start_small_training, wait_for_text)

# What is left of twenty epochs of the built-in corpus after the Stop, and a full validation pass at the end.
FINISH_MS = 600_000


@pytest.fixture(scope="module")
def app_url(empty_app_url):
    return empty_app_url


def step_of(status: str, pattern: str) -> int:
    return int(re.search(pattern, status).group(1))


@pytest.mark.timeout(1200)
@pytest.mark.presses("#load-corpus", "#train", "#stop", "#refresh-runs", "#resume-run")
def test_a_stopped_run_resumes_from_its_saved_step_and_finishes(page):
    with screenshot_on_failure(page, "browser-resume-failure"):
        # A built-in corpus and a tiny LSTM.
        open_tab(page, "1 · Corpus")
        wait_for_text(page, "#corpus-summary", "Loaded python-docs", ACTION_MS)  # what a new page loads itself
        page.locator("#builtin-name input").click()
        page.get_by_role("option", name=re.compile(r"^Markov babble")).click()
        page.locator("#load-corpus").click()
        wait_for_text(page, "#corpus-summary", "Loaded markov-babble", ACTION_MS)
        open_tab(page, "2 · Model")
        set_slider(page, "Units per layer", 32)
        set_slider(page, "Layers", 1)
        set_slider(page, "Embedding size", 16)

        # Twenty epochs, stopped as soon as the first step shows: most of the run is still to do. (Two
        # epochs of this tiny model took 10 s on one core: the whole run ended before the Stop landed.)
        start_small_training(page, epochs=20)
        page.locator("#stop").click()
        stopped = wait_for_text(page, "#train-status", r"Stopped after \d+ steps", STOP_MS)
        saved_step = step_of(stopped, r"Stopped after (\d+) steps")

        # The Runs tab lists the stopped run; select it and resume it.
        open_tab(page, "6 · Runs")
        page.locator("#refresh-runs").click()
        wait_for_text(page, "#runs-table", r"\blstm-", ACTION_MS)
        page.locator("#runs-table [role=gridcell]", has_text="lstm-").first.click()
        run_name = page.locator("#run-name textarea, #run-name input").first
        page.wait_for_function("(box) => box.value.startsWith('lstm-')", arg=run_name.element_handle(),
                               timeout=ACTION_MS)
        page.locator("#resume-run").click()

        # The Train tab shows the resumed run: its steps count on from the saved one, to the end of the budget.
        open_tab(page, "3 · Train")
        training = wait_for_text(page, "#train-status", r"Step \d+", TRAIN_START_MS)
        resumed_step = step_of(training, r"Step (\d+)")
        assert resumed_step > saved_step, (saved_step, training)
        finished = wait_for_text(page, "#train-status", r"Finished after \d+ steps", FINISH_MS)
        final_step = step_of(finished, r"Finished after (\d+) steps")
        assert final_step >= resumed_step, (resumed_step, finished)
        assert "The model is ready in the Generate tab." in finished
        assert_no_error_toast(page)
    print(f"\nresume: stopped after step {saved_step}, went on at step {resumed_step}, finished after {final_step}")
