"""What the browser tests share: Debian's Chromium, a fresh page per test, and small page helpers.

Playwright never downloads a browser here: it drives ``/usr/bin/chromium`` (``make chromium``).
Without it a browser test is skipped, except under CI, where it fails.

Screenshots for the README (``docs/*.png``) are written only on request (``make screenshots``, which
sets ``PLAYGROUND_SCREENSHOTS=1``), so a plain test run never changes tracked files. A failing step
always keeps a picture of the page in ``test-artifacts/`` (git-ignored).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
ARTIFACTS = ROOT / "test-artifacts"
VIEWPORT = {"width": 1280, "height": 1000}

# Generous: the machine may be slow, and the first step of anything compiles TensorFlow graphs.
STARTUP_MS = 120_000
ACTION_MS = 60_000
TRAIN_START_MS = 180_000
STOP_MS = 60_000
GENERATE_MS = 180_000


def flag(name: str) -> bool:
    return os.environ.get(name, "").lower() not in ("", "0", "false", "no")


def require_chromium() -> None:
    if CHROMIUM.exists():
        return
    reason = f"{CHROMIUM} is missing: install Debian's chromium (`make chromium`) to run the browser test"
    if flag("CI"):
        pytest.fail(reason + " (CI is set, so this is a failure, not a skip)")
    pytest.skip(reason)


@contextlib.contextmanager
def chromium_browser():
    """Debian's Chromium under Playwright, closed afterwards."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextlib.contextmanager
def fresh_page(browser, url: str, errors: list[str], viewport: dict | None = None):
    """A new browser context and page at ``url``; uncaught JavaScript errors go to ``errors``."""
    context = browser.new_context(viewport=viewport or VIEWPORT)
    context.set_default_timeout(ACTION_MS)
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(url, timeout=STARTUP_MS)
        page.get_by_role("tab", name="1 · Corpus").wait_for(timeout=STARTUP_MS)
        yield page
    finally:
        context.close()


def save_screenshot(page, name: str, **options) -> None:
    """A README picture, written to ``docs/NAME.png`` only when screenshots were asked for."""
    if flag("PLAYGROUND_SCREENSHOTS"):
        DOCS.mkdir(exist_ok=True)
        page.screenshot(path=str(DOCS / f"{name}.png"), full_page=True, **options)


@contextlib.contextmanager
def screenshot_on_failure(page, name: str):
    """Keep what the page showed when a step failed, for whoever reads the failure."""
    try:
        yield
    except BaseException:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        try:
            page.screenshot(path=str(path), full_page=True)
            print(f"\nthe page at the failure: {path}")
        except Exception as error:  # the page itself may be gone
            print(f"\nno screenshot of the failure: {error}")
        raise


def open_tab(page, name: str) -> None:
    tab = page.get_by_role("tab", name=name, exact=True)
    tab.click()
    page.wait_for_function("(tab) => tab.getAttribute('aria-selected') === 'true'", arg=tab.element_handle())


def wait_until_settled(page) -> None:
    """Until no update the page asked for is still pending."""
    page.wait_for_function(
        "() => ![...document.querySelectorAll('[data-testid=status-tracker]')]"
        ".some(el => el.offsetParent !== null && /\\b(pending|generating)\\b/.test(el.className))",
        timeout=ACTION_MS)


def set_slider(page, label: str, value: float) -> None:
    """Type into a slider's number box, as a student can, and check the slider followed."""
    box = page.get_by_label(f"number input for {label}", exact=True)
    box.fill(str(value))
    box.press("Enter")
    box.blur()
    range_input = page.get_by_label(f"range slider for {label}", exact=True)
    page.wait_for_function("([el, v]) => Number(el.value) === v", arg=[range_input.element_handle(), value])


def set_number(page, label: str, value: float) -> None:
    box = page.get_by_label(label, exact=True)
    box.fill(str(value))
    box.press("Tab")


def text_of(page, selector: str) -> str:
    return page.locator(selector).inner_text()


def wait_for_text(page, selector: str, pattern: str, timeout_ms: int) -> str:
    """Wait until the element's text matches a regex; return that text."""
    page.wait_for_function(
        "([selector, pattern]) => { const el = document.querySelector(selector);"
        " return !!el && new RegExp(pattern).test(el.innerText); }",
        arg=[selector, pattern], timeout=timeout_ms)
    return text_of(page, selector)


def assert_no_error_toast(page) -> None:
    toasts = page.locator(".toast-body.error")
    assert toasts.count() == 0, f"an error toast is showing: {toasts.first.inner_text()!r}"


def start_small_training(page, epochs: float, minutes: float = 0) -> None:
    """On the Train tab: this budget, batches of 16 windows of 32 tokens, press Train and wait for
    the first step. With ``minutes`` 0 only the epochs (or a Stop) end the run, however slow the machine."""
    open_tab(page, "3 · Train")
    # The Model tab's last change resets the Train tab's settings to that architecture's defaults; on a
    # slow machine that update can land after a value is typed. Type once the page has settled, as a
    # student does.
    wait_until_settled(page)
    set_number(page, "Epochs (0 = no limit)", epochs)
    set_number(page, "Minutes (0 = no limit)", minutes)
    page.get_by_text("More settings", exact=True).click()
    set_slider(page, "Batch size", 16)
    set_slider(page, "Context length", 32)
    page.locator("#train").click()
    wait_for_text(page, "#train-status", r"Step \d+", TRAIN_START_MS)
