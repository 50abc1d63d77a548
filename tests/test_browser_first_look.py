"""Browser test: what a newcomer sees before clicking anything, on a laptop, a projector and a phone.

Saves ``docs/first-look-*.png`` (with ``make screenshots``): the Compare and Model tabs at 1024 × 768
(a classroom projector) and the page at 420 px wide.
"""

import re

import pytest


from browser_support import (ACTION_MS, STARTUP_MS, fresh_page, open_tab, save_screenshot, screenshot_on_failure,
                             set_number, set_slider)

TABS = ["1 · Corpus", "2 · Model", "3 · Train", "4 · Generate", "5 · Compare", "6 · Runs"]
PROJECTOR = {"width": 1024, "height": 768}
PHONE = {"width": 420, "height": 860}


@pytest.fixture(scope="module")
def app_url(pretrained_app_url):
    return pretrained_app_url


def traces(page, selector: str) -> list[str]:
    """Names of the traces drawn in a plotly chart (empty until it is drawn)."""
    return page.evaluate(
        "(selector) => { const p = document.querySelector(selector + ' .js-plotly-plot');"
        " return p && p.data ? p.data.map(t => t.name) : []; }", selector)


def wait_for_traces(page, selector: str, count: int) -> list[str]:
    page.wait_for_function(
        "([selector, count]) => { const p = document.querySelector(selector + ' .js-plotly-plot');"
        " return !!p && !!p.data && p.data.length >= count; }", arg=[selector, count], timeout=STARTUP_MS)
    return traces(page, selector)


def visible_table_headers(page) -> list[str]:
    return page.evaluate(
        "() => [...document.querySelectorAll('table th')]"
        ".filter(th => th.offsetParent !== null).map(th => th.innerText.trim())")


@pytest.mark.timeout(600)
def test_compare_shows_the_shipped_curves_without_a_click(browser, app_url):
    errors: list[str] = []
    with fresh_page(browser, app_url, errors, PROJECTOR) as page, screenshot_on_failure(page, "first-look-compare"):
        open_tab(page, "5 · Compare")
        shipped = ["lstm", "gru", "transformer", "gan"]  # the character models; "words" is on another scale
        for chart in ("#compare-steps", "#compare-seconds"):
            names = wait_for_traces(page, chart, 2 * len(shipped))
            assert names == [f"pretrained/{name} ({curve})" for name in shipped
                             for curve in ("validation", "training")], names
        quality = wait_for_traces(page, "#compare-qd", len(shipped))
        assert quality[:len(shipped)] == [f"pretrained/{name}" for name in shipped], quality
        table = page.locator("#compare-table").inner_text()
        assert all(f"pretrained/{name}" in table for name in shipped)
        assert "measured when the shipped models were trained" in page.locator("#compare-qd-note").inner_text()
        save_screenshot(page, "first-look-1024-compare")
    assert errors == []


@pytest.mark.timeout(600)
def test_no_table_shows_numeric_placeholder_headers(browser, app_url):
    errors: list[str] = []
    with fresh_page(browser, app_url, errors) as page, screenshot_on_failure(page, "first-look-headers"):
        seen = {}
        for tab in TABS:
            open_tab(page, tab)
            page.wait_for_timeout(1_500)  # what the page loads at start has arrived
            headers = visible_table_headers(page)
            seen[tab] = headers
            numeric = [h for h in headers if re.fullmatch(r"\d+", h)]
            assert not numeric, f"{tab}: placeholder headers {numeric} among {headers}"
        assert "statistic" in seen["1 · Corpus"] and "status" in seen["6 · Runs"], seen
        # The Runs tab lists the shipped models beside the (still empty) list of the user's runs.
        open_tab(page, "6 · Runs")
        runs = page.locator("#runs-table").inner_text()
        assert "pretrained/lstm" in runs and "shipped (read-only)" in runs
    assert errors == []


@pytest.mark.timeout(600)
def test_model_picture_redraws_when_the_layer_count_changes(browser, app_url):
    errors: list[str] = []
    with fresh_page(browser, app_url, errors, PROJECTOR) as page, screenshot_on_failure(page, "first-look-model"):
        open_tab(page, "2 · Model")
        picture = page.locator("#model-picture")
        page.wait_for_function("() => (document.querySelector('#model-picture') || {}).textContent"
                               "?.split('LSTM layer').length === 3", timeout=ACTION_MS)  # two layers at start
        before = picture.inner_html()
        set_slider(page, "Layers", 3)
        page.wait_for_function("() => document.querySelector('#model-picture').textContent"
                               ".split('LSTM layer').length === 4", timeout=ACTION_MS)
        assert picture.inner_html() != before
        save_screenshot(page, "first-look-1024-model")

        # The GAN is drawn as its two networks side by side.
        page.locator("#arch input").click()
        page.get_by_role("option", name="Text GAN (RelGAN-style)").click()
        page.wait_for_function("() => /Discriminator:/.test(document.querySelector('#model-picture').textContent)",
                               timeout=ACTION_MS)
        assert "Generator:" in picture.inner_text()
        page.locator("#model-picture").scroll_into_view_if_needed()
        save_screenshot(page, "first-look-1024-gan")
    assert errors == []


@pytest.mark.timeout(600)
def test_picking_an_architecture_sets_its_training_settings_in_the_page(browser, app_url):
    errors: list[str] = []
    with fresh_page(browser, app_url, errors, PROJECTOR) as page, screenshot_on_failure(page, "first-look-suggest"):
        open_tab(page, "2 · Model")
        # A server too busy to answer: no event the page sends gets a reply from here on.
        page.route("**/queue/data*", lambda route: None)
        page.locator("#arch input").click()
        page.get_by_role("option", name="Transformer decoder (mini-GPT)").click()
        open_tab(page, "3 · Train")
        rate = page.get_by_label("Learning rate", exact=True)
        # Set by the page itself: the transformer's measured rate and optimizer, at once.
        assert rate.input_value() == "0.005"
        assert page.get_by_label("Optimizer", exact=True).input_value() == "adamw"
        # What the student types next stays.
        set_number(page, "Learning rate", 0.002)
        page.wait_for_timeout(1_000)
        assert rate.input_value() == "0.002"
    assert errors == []


@pytest.mark.timeout(600)
@pytest.mark.parametrize("viewport, name", [(PROJECTOR, "first-look-1024"), (PHONE, "first-look-420")])
def test_every_tab_is_reachable_on_a_projector_and_a_phone(browser, app_url, viewport, name):
    errors: list[str] = []
    with fresh_page(browser, app_url, errors, viewport) as page, screenshot_on_failure(page, name):
        # No tab hides in an overflow menu: each one is on screen and opens with one click.
        for tab in TABS:
            button = page.get_by_role("tab", name=tab, exact=True)
            box = button.bounding_box()
            assert box is not None and box["width"] > 0 and box["x"] + box["width"] <= viewport["width"] + 1, tab
        for tab in TABS:
            open_tab(page, tab)
        # Nothing is wider than the screen, so no page needs sideways scrolling.
        open_tab(page, "4 · Generate")
        page.wait_for_timeout(2_000)
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= viewport["width"] + 1, f"the page is {width} px wide on a {viewport['width']} px screen"
        save_screenshot(page, name)
        if viewport is PHONE:
            open_tab(page, "5 · Compare")
            wait_for_traces(page, "#compare-qd", 4)
            save_screenshot(page, f"{name}-compare")
            open_tab(page, "2 · Model")
            save_screenshot(page, f"{name}-model")
    assert errors == []
