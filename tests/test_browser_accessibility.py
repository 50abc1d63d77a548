"""Browser tests: every student can use the page.

* axe-core (the engine behind Lighthouse's and many browsers' accessibility checks, run here by
  axe-playwright-python) checks every tab and sub-tab the page has, once it has drawn, at 1280 and
  420 px wide, with and without *Large text*; any serious or critical violation fails. The tabs are
  read from the page itself, so a new tab is checked without a line here. Every chart on them must
  also carry its text alternative (playground/ui/page.js puts it under the chart).
* A student using only the keyboard (Tab, Shift+Tab, Enter, Space, the arrow keys; no mouse) loads a
  built-in corpus, starts and stops a training, moves the next-token temperature with the arrow keys,
  draws a token and reads the temperature grid; every control the focus lands on shows it.

One app and one browser for the module: the checks loop over tabs and modes rather than start pages.
``pytest -s`` prints what axe found on each tab, moderate and minor findings included.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from axe_support import AXE_SCRIPT, check, report, wait_until_drawn
from browser_support import (ACTION_MS, GENERATE_MS, STOP_MS, TRAIN_START_MS, fresh_page, open_tab,
                             screenshot_on_failure, wait_for_text)

WIDE, PHONE = {"width": 1280, "height": 1000}, {"width": 420, "height": 860}
# The tab rows visible now, outermost first, each as its tabs' names.
TAB_ROWS = """() => [...document.querySelectorAll('[role=tablist]')].filter(row => row.offsetParent !== null)
    .map(row => [...row.querySelectorAll('[role=tab]')].filter(tab => tab.offsetParent !== null)
    .map(tab => tab.innerText.trim()))"""


@pytest.fixture(scope="module")
def app_url(pretrained_app_url):
    return pretrained_app_url


def every_tab(page):
    """Open each tab and each sub-tab in turn, yielding its name ("4 · Generate / Next token")."""
    for tab in page.evaluate(TAB_ROWS)[0]:
        open_tab(page, tab)
        rows = page.evaluate(TAB_ROWS)
        if len(rows) < 2:
            yield tab
            continue
        for sub_tab in rows[1]:
            open_tab(page, sub_tab)
            yield f"{tab} / {sub_tab}"


def large_text(page, on: bool) -> None:
    """The Generate tab's *Large text* switch, as a teacher sets it for a projector."""
    open_tab(page, "4 · Generate")
    box = page.locator("#large-text input[type=checkbox]")
    box.set_checked(on)
    page.wait_for_function("(on) => document.body.classList.contains('pg-large') === on", arg=on)


@pytest.mark.timeout(1500)
def test_axe_finds_nothing_serious_on_any_tab_at_either_width_in_either_text_size(browser, app_url):
    failures, seen = [], {}
    for viewport in (WIDE, PHONE):
        errors: list[str] = []
        with fresh_page(browser, app_url, errors, viewport) as page, \
                screenshot_on_failure(page, f"accessibility-{viewport['width']}"):
            page.evaluate(AXE_SCRIPT)
            for mode in ("default", "large text"):
                large_text(page, mode == "large text")
                for tab in every_tab(page):
                    check(page, f"{viewport['width']} px, {mode}, {tab}", seen, failures)
        assert errors == []
    report(seen, failures)


def coloured_tokens(page, button: str, view: str, where: str, seen: dict, failures: list) -> list[str]:
    """Press ``button``, wait for the coloured tokens of ``view``, check the page as ``where``, and
    return each token's title (what it says in words)."""
    page.locator(button).click()
    page.locator(f"{view} .pg-token").first.wait_for(timeout=GENERATE_MS)
    check(page, where, seen, failures)
    return page.locator(f"{view} .pg-token").evaluate_all("spans => spans.map(s => s.title)")


@pytest.mark.timeout(900)
@pytest.mark.presses("#look-inside", "#generate", "#draw-one")
def test_the_coloured_text_views_pass_axe_and_say_each_value_in_words(page):
    """The views that colour text by a value (a unit's value, the probability a token was drawn with)
    are drawn only on request: draw them, check them, and find the value in each token's title."""
    failures, seen = [], {}
    page.evaluate(AXE_SCRIPT)
    with screenshot_on_failure(page, "accessibility-coloured-text"):
        open_tab(page, "4b · Inside")
        titles = coloured_tokens(page, "#look-inside", "#inside-neuron", "Inside, a recurrent unit", seen, failures)
        assert titles and all(re.match(r"unit \d+: [+-]\d\.\d\d · expected next: ", t) for t in titles), titles[:3]

        open_tab(page, "4 · Generate")
        open_tab(page, "One sample")
        titles = coloured_tokens(page, "#generate", "#token-view", "Generate / One sample, each token's probability",
                                 seen, failures)
        assert titles and all(re.match(r"p = \d\.\d{3} · top 5: ", t) for t in titles), titles[:3]

        open_tab(page, "Next token")
        coloured_tokens(page, "#draw-one", "#drawn-path", "Generate / Next token, the tokens drawn", seen, failures)
    report(seen, failures)


# Keyboard only ------------------------------------------------------------------------------------

FOCUSED = """() => {
    const el = document.activeElement;
    if (!el || el === document.body) return null;
    const style = getComputedStyle(el), box = el.getBoundingClientRect();
    const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2;
    const ring = style.boxShadow && style.boxShadow !== 'none';
    let opacity = 1;  // a control that fades in under the mouse must show for the keyboard too
    for (let e = el; e; e = e.parentElement) opacity *= parseFloat(getComputedStyle(e).opacity);
    const block = el.closest('[id]');
    return {name: `${el.tagName.toLowerCase()} ${el.getAttribute('role') || el.type || ''} ` +
                  `"${(el.getAttribute('aria-label') || el.innerText || el.value || '').trim().slice(0, 40)}"` +
                  ` in #${block ? block.id : '?'}`,
            visible: el.matches(':focus-visible') && (outline || ring) && opacity > 0.5 && box.width > 0
                     && box.height > 0};
}"""
FOCUS_SHOWN = f"() => ({FOCUSED})()?.visible"


# Whether the first shown element matching a selector comes after the focus in the page.
AHEAD = """(selector) => { const target = [...document.querySelectorAll(selector)].find(el => el.offsetParent);
    const after = Node.DOCUMENT_POSITION_FOLLOWING;
    return !!target && !!(document.activeElement.compareDocumentPosition(target) & after); }"""
TOP_ROW, INNER_ROW = "[role=tablist]:not([role=tabpanel] *)", "[role=tabpanel] [role=tablist]"


class Keyboard:
    """A student with a keyboard only: every key press is checked to leave the focus visible."""

    def __init__(self, page):
        self.page, self.path = page, []

    def press(self, key: str) -> dict:
        self.page.keyboard.press(key)
        focused = self.page.evaluate(FOCUSED)
        assert focused is not None, f"after {key} the focus is lost (on the page's body); path: {self.path[-5:]}"
        self.path.append(focused["name"])
        if not focused["visible"]:  # it may still be fading in
            try:
                self.page.wait_for_function(FOCUS_SHOWN, timeout=ACTION_MS)
            except PlaywrightTimeout:
                raise AssertionError(f"after {key} the focus on {focused['name']} is not visible") from None
        return focused

    def to(self, selector: str, limit: int = 250) -> None:
        """Press Tab (Shift+Tab where the element is above the focus) until the focus is on an element
        matching ``selector``."""
        key = "Tab" if self.page.evaluate(AHEAD, selector) else "Shift+Tab"
        for _ in range(limit):
            self.press(key)
            if self.page.evaluate("(selector) => document.activeElement.matches(selector)", selector):
                return
        raise AssertionError(f"{limit} presses of {key} never reached {selector}; last: {self.path[-5:]}")

    def open_tab(self, name: str, row: str = TOP_ROW) -> None:
        """Go to the selected tab of a row of tabs, then along the row with the arrow keys to ``name``."""
        self.to(f"{row} [role=tab][aria-selected=true]")
        for _ in range(12):
            if self.page.evaluate("() => document.activeElement.innerText.trim()") == name:
                break
            self.press("ArrowRight")
        assert self.page.evaluate("() => document.activeElement.getAttribute('aria-selected')") == "true", name


@pytest.mark.timeout(900)
@pytest.mark.presses("#load-corpus", "#train", "#stop", "#draw-one")
def test_a_student_with_only_a_keyboard_trains_draws_and_reads(page):
    keys = Keyboard(page)
    with screenshot_on_failure(page, "keyboard-only"):
        wait_until_drawn(page)  # what the page loads at start has arrived, so nothing redraws under the focus
        page.bring_to_front()  # this window has the keyboard
        keys.press("Tab")  # into the page

        # A built-in corpus: the Corpus tab opens on the built-in list; Enter on the button loads it.
        keys.open_tab("1 · Corpus")
        keys.to("#load-corpus")
        keys.press("Enter")
        wait_for_text(page, "#corpus-summary", r"Loaded", ACTION_MS)

        # Train, and stop as soon as the first steps are counted; Space presses a button too.
        keys.open_tab("3 · Train")
        keys.to("#train")
        keys.press("Enter")
        wait_for_text(page, "#train-status", r"Step \d+", TRAIN_START_MS)
        keys.to("#stop")
        keys.press("Space")
        wait_for_text(page, "#train-status", r"Stopped after", STOP_MS)

        # The next-token temperature moves with the arrow keys, and the bars (and their words) follow.
        keys.open_tab("4 · Generate")
        keys.to("#next-temperature input[type=range]")
        before = float(page.locator("#next-temperature input[type=range]").input_value())
        for _ in range(3):
            keys.press("ArrowRight")
        after = float(page.locator("#next-temperature input[type=range]").input_value())
        assert after > before, (before, after)
        chart = page.locator("#next-token-chart .js-plotly-plot")
        expect(chart).to_have_accessible_description(re.compile(rf"T = {after:g}, .*\d+ %"), timeout=ACTION_MS)
        expect(chart).to_have_accessible_name(re.compile(rf"T = {after:g}"))

        # Draw one token: it is appended to the prompt and listed with the probability it had, and the
        # bars are redrawn for the longer prompt (a new chart; wait for it before moving past the chart).
        keys.to("#draw-one")
        page.evaluate("() => { document.querySelector('#next-token-chart .js-plotly-plot').pgBefore = true; }")
        keys.press("Enter")
        wait_for_text(page, "#drawn-path", r"Drawn so far \(1\)", ACTION_MS)
        page.wait_for_function("() => { const p = document.querySelector('#next-token-chart .js-plotly-plot');"
                               " return !!p && !p.pgBefore && p.hasAttribute('aria-describedby'); }", timeout=ACTION_MS)
        assert page.locator("#drawn-path .pg-token").first.get_attribute("title").startswith("p = ")

        # The temperature grid: its sub-tab by the arrow keys, then each card's text, one Tab each.
        keys.open_tab("Temperature grid", INNER_ROW)
        read = "() => [document.activeElement.closest('.pg-card').querySelector('.pg-card-head').innerText," \
               " document.activeElement.innerText]"
        keys.to("#grid .pg-card:nth-child(1) .pg-text")
        first_head, first = page.evaluate(read)
        keys.press("Tab")  # its "inspect the next token" link
        keys.press("Tab")
        second_head, second = page.evaluate(read)
        assert first_head.startswith("T = 0.2") and second_head.startswith("T = 0.5"), (first_head, second_head)
        assert len(first) > 20 and len(second) > 20  # the prompt and what the model wrote after it
