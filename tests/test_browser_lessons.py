"""Browser tests for teachers: a set-up link fills the tabs and draws the grid at its temperatures;
Share gives the link back; a lesson step sets itself up."""

import re

import pytest

from browser_support import (ACTION_MS, GENERATE_MS, assert_no_error_toast, fresh_page, open_tab, save_screenshot,
                             screenshot_on_failure, wait_for_text)


@pytest.fixture(scope="module")
def app_url(pretrained_app_url):
    return pretrained_app_url


def card_heads(page) -> list[str]:
    return page.eval_on_selector_all("#grid #temperature-grid .pg-card .pg-card-head",
                                     "heads => heads.map(h => h.innerText)")


def wait_for_grid(page, temperatures: list[str]) -> None:
    page.wait_for_function(
        "(wanted) => { const heads = [...document.querySelectorAll('#grid #temperature-grid .pg-card .pg-card-head')]"
        ".map(h => h.innerText); return heads.length === wanted.length && "
        "wanted.every((t, i) => heads[i].startsWith('T = ' + t)); }", arg=temperatures, timeout=GENERATE_MS)


@pytest.mark.timeout(600)
@pytest.mark.presses("#share-setup")
def test_a_link_fills_the_tabs_and_share_gives_it_back(browser, app_url):
    errors: list[str] = []
    link = (f"{app_url}?tab=generate&model=gru&prompt=KING&temperatures=0.3,1.4&seed=4&arch=transformer&layers=3"
            "&epochs=7&bogus=1")
    with fresh_page(browser, link, errors) as page, screenshot_on_failure(page, "browser-link-failure"):
        assert page.get_by_role("tab", name="4 · Generate", exact=True).get_attribute("aria-selected") == "true"
        note = wait_for_text(page, "#setup-note", "ignored", ACTION_MS)
        assert "unknown setting 'bogus'" in note
        open_tab(page, "Temperature grid")
        wait_for_grid(page, ["0.3", "1.4"])
        assert page.locator("#grid #temperature-grid .pg-text").first.inner_text().startswith("KING")
        wait_for_text(page, "#model-info", "pretrained/gru", ACTION_MS)
        open_tab(page, "2 · Model")
        assert page.locator("#arch input").input_value().startswith("Transformer")
        assert page.get_by_label("number input for Layers", exact=True).input_value() == "3"
        open_tab(page, "3 · Train")
        assert page.get_by_label("Epochs (0 = no limit)").input_value() == "7"
        page.locator("#share-setup").click()
        page.wait_for_function("() => (document.querySelector('#share-link textarea, #share-link input')"
                               ".value || '').includes('?')", timeout=ACTION_MS)
        shared = page.locator("#share-link textarea, #share-link input").first.input_value()
        assert shared.startswith(app_url.rstrip("/")), shared
        for part in ("model=gru", "prompt=KING", "temperatures=0.3%2C1.4", "seed=4", "arch=transformer",
                     "layers=3", "epochs=7"):
            assert part in shared, (part, shared)
        assert "bogus" not in shared and "units" not in shared  # a transformer has no units
        assert_no_error_toast(page)
    assert not errors, errors


@pytest.mark.timeout(600)
@pytest.mark.presses("#lesson-next", "#lesson-setup-button")
def test_a_lesson_step_sets_itself_up(browser, app_url):
    errors: list[str] = []
    with fresh_page(browser, app_url, errors) as page, screenshot_on_failure(page, "browser-lesson-failure"):
        open_tab(page, "7 · Lessons")
        wait_for_text(page, "#lesson-step", "step 1 of 3", ACTION_MS)
        page.locator("#lesson-next").click()
        step = wait_for_text(page, "#lesson-step", "step 2 of 3", ACTION_MS)
        assert "Three temperatures side by side" in step and "Think about it" in step
        save_screenshot(page, "lessons")
        page.locator("#lesson-setup-button").click()
        page.get_by_role("tab", name="4 · Generate", exact=True).wait_for(timeout=ACTION_MS)
        page.wait_for_function("() => document.querySelector('button[role=tab][aria-selected=true]')"
                               " && [...document.querySelectorAll('button[role=tab][aria-selected=true]')]"
                               ".some(t => t.innerText.includes('4 · Generate'))", timeout=ACTION_MS)
        open_tab(page, "Temperature grid")
        wait_for_grid(page, ["0.2", "1", "1.5"])
        assert re.match(r"ROMEO:\s", page.locator("#grid #temperature-grid .pg-text").first.inner_text())
        assert_no_error_toast(page)
    assert not errors, errors
