"""Browser test: a student reads a pasted text with the shipped LSTM's eyes.

On the Read tab the pasted text comes back one coloured span per character, each saying its bits and
rank when hovered, under a summary of bits per character against the counting models; switching to
rank colours redraws it without reading again; on a phone nothing is wider than the screen.
Screenshots on request (``make screenshots``): ``docs/read.png``, ``docs/read-ranks.png``,
``docs/read-writers.png``.
"""

from __future__ import annotations

import pytest

from browser_support import (DOCS, GENERATE_MS, assert_no_error_toast, flag, open_tab, save_screenshot,
                             screenshot_on_failure, wait_for_text)

TEXT = ("Shall I compare thee to a summer's day?\nThou art more lovely and more temperate:\n"
        "Rough winds do shake the darling buds of May,\n")


def picture(page, selector: str, name: str) -> None:
    """One section as a README picture, written only when screenshots were asked for."""
    if flag("PLAYGROUND_SCREENSHOTS"):
        DOCS.mkdir(exist_ok=True)
        page.locator(selector).screenshot(path=str(DOCS / f"{name}.png"))


@pytest.fixture(scope="module")
def app_url(pretrained_app_url):
    return pretrained_app_url


@pytest.mark.timeout(600)
def test_a_pasted_text_comes_back_coloured_with_its_summary(page):
    with screenshot_on_failure(page, "read"):
        open_tab(page, "4c · Read")
        assert "pretrained/lstm" in page.locator("#read-model").inner_text()
        page.locator("#read-text textarea").fill(TEXT)
        page.locator("#read-button").click()
        summary = wait_for_text(page, "#read-summary", r"bits per character", GENERATE_MS)
        assert "pretrained/lstm read your text" in summary and "counting: 5-gram" in summary
        assert "Ranks" in summary and "the favourite" in summary
        spans = page.locator("#read-tokens .pg-token")
        assert spans.count() == len(TEXT)
        title = spans.nth(1).get_attribute("title")
        assert title.startswith("h: ") and " bits, rank " in title and "expected:" in title
        colours = page.evaluate("() => new Set([...document.querySelectorAll('#read-tokens .pg-token')]"
                                ".map(s => s.style.backgroundColor)).size")
        assert colours > 4  # surprise varies along the text
        assert page.locator("#read-difference .pg-token").count() == len(TEXT)
        hardest = page.locator("#read-hardest").inner_text()
        assert "⟦" in hardest and "the model expected" in hardest
        assert_no_error_toast(page)
        save_screenshot(page, "read")

        # Rank colours: the same reading, redrawn; the legend names GLTR's buckets.
        page.get_by_label("rank (as GLTR)").check()
        page.wait_for_function("() => /where the token stood/.test("
                               "document.querySelector('#read-tokens-box').innerText)", timeout=GENERATE_MS)
        assert page.locator("#read-tokens .pg-token").count() == len(TEXT)
        save_screenshot(page, "read-ranks")

        # A person against the model's own samples: three groups of bars and the reason they differ.
        page.locator("#read-writers").click()
        wait_for_text(page, "#read-writers-table", r"T = 1\.5", GENERATE_MS)
        page.wait_for_function("() => { const p = document.querySelector('#read-writers-chart .js-plotly-plot');"
                               " return p && p.data && p.data.length === 3; }", timeout=GENERATE_MS)
        assert "low temperature" in page.locator("#read-writers-explanation").inner_text()
        picture(page, "#read-writers-section", "read-writers")


@pytest.mark.timeout(600)
def test_the_read_tab_fits_a_phone(browser, app_url):
    from browser_support import fresh_page

    errors: list[str] = []
    with fresh_page(browser, app_url, errors, {"width": 420, "height": 900}) as page, \
            screenshot_on_failure(page, "read-phone"):
        open_tab(page, "4c · Read")
        page.locator("#read-button").click()
        wait_for_text(page, "#read-summary", r"bits per character", GENERATE_MS)
        page.wait_for_timeout(500)
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 421, f"the page is {width} px wide on a 420 px screen"
    assert errors == []
