"""Browser test: a student's trained runs are theirs. A reload keeps them (the browser's stored identity);
a fresh browser context, another student, sees none of them and cannot load them by name."""

from __future__ import annotations

import re

import pytest

from browser_support import (ACTION_MS, STOP_MS, TRAIN_START_MS, fresh_page, open_tab, screenshot_on_failure,
                             wait_for_text)

RUN = r"lstm-\d{8}-\d{6}-\d{3}"  # how a run trained in the page is named: its architecture and start time


@pytest.fixture(scope="module")
def app_url(empty_app_url):
    return empty_app_url


def train_and_stop(page) -> None:
    """The page's own model and settings on the corpus it loads by itself, stopped at its first steps.
    Nothing is set first: a setting typed while the page still fills in its defaults could be undone."""
    wait_for_text(page, "#corpus-summary", "Loaded python-docs", ACTION_MS)
    open_tab(page, "3 · Train")
    page.locator("#train").click()
    wait_for_text(page, "#train-status", r"Step \d+", TRAIN_START_MS)
    page.locator("#stop").click()
    wait_for_text(page, "#train-status", "(Stopped|Finished) after", STOP_MS)


def runs_listed(page) -> set[str]:
    """The runs in the Runs tab's table, after asking for the list again."""
    open_tab(page, "6 · Runs")
    page.locator("#refresh-runs").click()
    return set(re.findall(RUN, wait_for_text(page, "#runs-table", RUN, ACTION_MS)))


def refusal_to_load(page, name: str) -> str:
    """What the page says when its student asks to load the run ``name`` (an error's sentence)."""
    open_tab(page, "6 · Runs")
    page.locator("#run-name textarea, #run-name input").first.fill(name)
    page.locator("#load-run").click()
    refusal = page.locator(".toast-body.error").last
    refusal.wait_for(timeout=ACTION_MS)
    return refusal.inner_text().strip().splitlines()[-1]  # under the toast's title and close button


@pytest.mark.timeout(900)
def test_a_reload_keeps_a_students_runs_and_another_student_sees_none(browser, app_url):
    errors: list[str] = []
    with fresh_page(browser, app_url, errors) as ada, screenshot_on_failure(ada, "browser-private-ada"):
        train_and_stop(ada)
        (mine,) = runs_listed(ada)
        ada.reload()
        ada.get_by_role("tab", name="1 · Corpus").wait_for()
        open_tab(ada, "6 · Runs")
        wait_for_text(ada, "#runs-table", mine, ACTION_MS)  # the same student, by the identity the browser kept

        with fresh_page(browser, app_url, errors) as ben, screenshot_on_failure(ben, "browser-private-ben"):
            assert refusal_to_load(ben, mine) == f"There is no saved run called '{mine}'."
            # Ben trains a run of his own: his list, fetched for him, has it and not Ada's.
            train_and_stop(ben)
            (his,) = runs_listed(ben)
            assert his != mine
        assert refusal_to_load(ada, his) == f"There is no saved run called '{his}'."
    assert errors == []
