"""Browser test: a teacher opens the app and finds the shipped models' grid drawn; one click redraws it.

Saves the README's main screenshot (``docs/screenshot.png``: the temperature grid of a pretrained
model) and ``docs/quality.png`` (the quality–diversity curve of two pretrained models).
"""

import pytest

from browser_support import (ACTION_MS, GENERATE_MS, ROOT, STARTUP_MS, assert_no_error_toast, open_tab,
                             save_screenshot, screenshot_on_failure, set_slider, wait_for_text)


@pytest.fixture(scope="module")
def app_url(pretrained_app_url):
    return pretrained_app_url



@pytest.mark.timeout(600)
def test_the_grid_of_a_pretrained_model_is_there_without_a_click(page):
    with screenshot_on_failure(page, "pretrained-grid"):
        # The app opens on the Generate tab with a pretrained model ready.
        generate = page.get_by_role("tab", name="4 · Generate", exact=True)
        generate.wait_for(timeout=STARTUP_MS)
        assert generate.get_attribute("aria-selected") == "true"
        assert "pretrained model is already loaded" in page.inner_text("body")
        open_tab(page, "Temperature grid")
        # The grid was drawn when the app started: six cards before any click.
        page.wait_for_function("document.querySelectorAll('#temperature-grid .pg-card').length === 6",
                               timeout=ACTION_MS)
        first = page.locator("#temperature-grid .pg-card .pg-text").first.inner_text()
        page.locator("#prompt textarea, #prompt input").first.fill("ROMEO:")
        page.locator("#compare").click()
        page.wait_for_function("() => document.querySelector('#temperature-grid .pg-card .pg-text')"
                               ".innerText.startsWith('ROMEO:')", timeout=GENERATE_MS)
        assert page.locator("#temperature-grid .pg-card .pg-text").first.inner_text() != first
        info = wait_for_text(page, "#model-info", r"pretrained/lstm", ACTION_MS)
        assert "lstm" in info
        cards = page.locator("#temperature-grid .pg-card")
        texts = [cards.nth(i).inner_text() for i in range(6)]
        assert all(len(text) > 250 for text in texts)
        assert_no_error_toast(page)

        # All the shipped models side by side, at the same temperatures and random numbers.
        shipped = sorted(p.name for p in (ROOT / "pretrained").iterdir() if (p / "config.json").is_file())
        page.locator("#grid-models input").first.click()
        for name in shipped:
            page.get_by_role("option", name=name, exact=True).click()
        page.keyboard.press("Escape")
        page.locator("#compare").click()
        page.wait_for_function(f"document.querySelectorAll('#temperature-grid .pg-card').length === {6 * len(shipped)}",
                               timeout=GENERATE_MS)
        headings = page.locator("#temperature-grid h3").all_inner_texts()
        assert sorted(headings) == sorted(f"pretrained/{name}" for name in shipped)
        info = wait_for_text(page, "#model-info", "Side by side", ACTION_MS)
        assert all(f"pretrained/{name}" in info for name in shipped), info
        assert_no_error_toast(page)
        save_screenshot(page, "screenshot")


@pytest.mark.timeout(600)
def test_quality_diversity_of_two_pretrained_models(page):
    with screenshot_on_failure(page, "pretrained-quality"):
        open_tab(page, "Quality vs diversity")
        models = page.locator("#qd-models input").first
        models.click()
        page.get_by_role("option", name="gru").click()
        page.keyboard.press("Escape")
        set_slider(page, "Samples per temperature", 16)
        set_slider(page, "Held-out references", 16)
        set_slider(page, "Sample length (tokens)", 100)
        page.locator("#qd").click()
        page.wait_for_function("() => { const p = document.querySelector('#qd-chart .js-plotly-plot');"
            " return !!p && p.data && p.data.length === 2; }", timeout=GENERATE_MS)
        names = page.evaluate("() => document.querySelector('#qd-chart .js-plotly-plot').data.map(t => t.name)")
        assert names == ["pretrained/lstm", "pretrained/gru"]
        assert_no_error_toast(page)
        page.locator("#qd-chart").scroll_into_view_if_needed()
        save_screenshot(page, "quality")
