"""Browser test: a student opens the app and sees why temperature works.

The Next-token view is the first thing on the Generate tab: the bars reshape as the temperature
slider moves, Draw one appends a token to the prompt, Back takes it away again. In the grid, each
column has its own temperature slider; moving one changes that column only.
Screenshots on request (``make screenshots``): ``docs/next-token.png``, ``docs/grid-sliders.png``.
"""

from __future__ import annotations

import pytest

from browser_support import (ACTION_MS, GENERATE_MS, STARTUP_MS, assert_no_error_toast, open_tab,
                             save_screenshot, screenshot_on_failure, set_slider)

BARS = "probability of being drawn"
GRID = (0.2, 0.5, 0.7, 1.0, 1.2, 1.5)


@pytest.fixture(scope="module")
def app_url(pretrained_app_url):
    return pretrained_app_url



def bar_heights(page) -> list[float]:
    return page.evaluate("""(name) => {
            const plot = document.querySelector('#next-token-chart .js-plotly-plot');
            const trace = plot && plot.data && plot.data.find(t => t.name === name);
            return trace ? Array.from(trace.y).map(Number) : [];
        }""", BARS)


def prompt_value(page) -> str:
    return page.locator("#prompt textarea, #prompt input").first.input_value()


def card_texts(page) -> list[str]:
    return page.locator("#temperature-grid .pg-card .pg-text").all_inner_texts()


@pytest.mark.timeout(600)
def test_temperature_slider_reshapes_the_bars_and_draws_step_through(page):
    with screenshot_on_failure(page, "next-token"):
        page.wait_for_function("(n) => document.querySelector('#next-token-chart .js-plotly-plot') !== null",
                               arg=None, timeout=STARTUP_MS)
        before = bar_heights(page)
        assert len(before) == 20 and abs(sum(before) - 1) < 0.2, before  # the default view: T = 1, 20 bars
        set_slider(page, "Temperature T (0 = greedy)", 0.3)
        page.wait_for_function("([name, old]) => {"
            " const p = document.querySelector('#next-token-chart .js-plotly-plot');"
            " const t = p && p.data && p.data.find(t => t.name === name);"
            " return !!t && Math.max(...t.y) > old + 1e-6; }", arg=[BARS, max(before)], timeout=ACTION_MS)
        after = bar_heights(page)
        assert max(after) > max(before)  # a lower temperature: the favourite gains
        assert "0.3" in page.locator("#next-token-stats").inner_text()
        save_screenshot(page, "next-token")

        start = prompt_value(page)
        page.locator("#draw-one").click()
        page.wait_for_function("(n) => document.querySelectorAll('#drawn-path .pg-token').length === 1",
                               arg=None, timeout=ACTION_MS)
        grown = prompt_value(page)
        assert grown.startswith(start) and len(grown) == len(start) + 1, (start, grown)
        page.locator("#step-back").click()
        page.wait_for_function("() => document.querySelectorAll('#drawn-path .pg-token').length === 0",
                               timeout=ACTION_MS)
        assert prompt_value(page) == start

        # Clicking the second bar appends the second most likely token.
        page.locator("#next-token-chart").scroll_into_view_if_needed()
        second = page.locator("#next-token-chart .xtick text").nth(1).text_content()
        second = second.replace("·", " ").replace("↵", "\n")
        tick = page.locator("#next-token-chart .xtick text").nth(1).bounding_box()
        x, y = tick["x"] + tick["width"] / 2, tick["y"] - 30  # in the plot, just above the label
        for attempt in range(5):  # plotly clicks the bar it hovers: point at it first, as a hand does
            page.mouse.move(x, y - 5 - attempt)
            page.mouse.move(x, y, steps=3)
            page.wait_for_timeout(300)
            page.mouse.click(x, y)
            try:
                page.wait_for_function("() => document.querySelectorAll('#drawn-path .pg-token').length === 1",
                                       timeout=5_000)
                break
            except Exception:
                if attempt == 4:
                    raise
        assert prompt_value(page) == start + second
        assert_no_error_toast(page)


@pytest.mark.timeout(600)
def test_each_grid_column_has_its_own_temperature_slider(page):
    with screenshot_on_failure(page, "grid-sliders"):
        open_tab(page, "Temperature grid")
        # Drawn when the app started: no click needed.
        page.wait_for_function("(n) => document.querySelectorAll('#temperature-grid .pg-card').length === n",
                               arg=len(GRID), timeout=ACTION_MS)
        heads = page.locator("#temperature-grid .pg-card-head").all_inner_texts()
        assert [h.split(" · ")[0] for h in heads] == [f"T = {t:g}" for t in GRID]
        assert page.locator(".grid-temperature").count() >= len(GRID)
        before = card_texts(page)
        set_slider(page, "Column 3", 1.4)
        page.wait_for_function("() => document.querySelectorAll('#temperature-grid .pg-card-head')[2]"
                               ".innerText.startsWith('T = 1.4')", timeout=GENERATE_MS)
        after = card_texts(page)
        changed = [i for i, (old, new) in enumerate(zip(before, after)) if old != new]
        assert changed == [2], changed
        save_screenshot(page, "grid-sliders")
        assert_no_error_toast(page)

        # A card's "inspect" link opens the Next-token view at that card's temperature.
        page.locator("#temperature-grid .pg-card").first.locator("a.pg-inspect").click()
        page.wait_for_function("() => document.querySelector('#next-token-stats').innerText.includes('0.2')",
                               timeout=ACTION_MS)
        assert page.get_by_role("tab", name="Next token", exact=True).get_attribute("aria-selected") == "true"
