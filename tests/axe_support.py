"""axe-core in the browser tests: run it on the page as it is and fail on serious or critical findings.

Used by the accessibility tests of every tab and by the tests of views that only some users see
(the teachers' Class view), so each is checked where it is drawn.
"""

from __future__ import annotations

import collections

from axe_playwright_python.base import AXE_SCRIPT
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from browser_support import ACTION_MS, STARTUP_MS

__all__ = ["AXE_SCRIPT", "check", "report", "wait_until_drawn"]

FAILING = ("serious", "critical")
# Findings inside Gradio's own components that the app cannot reach: (rule, the element's selector, why).
EXCLUDED = (
    ("scrollable-region-focusable", ".no-rows .virtual-table-viewport",
     "An empty Gradio Dataframe (no rows yet) scrolls its header sideways on a phone; its viewport takes no "
     "tabindex from the app, and once rows arrive each cell can be focused."),
)
# Drawn: nothing is pending, and every chart shown is drawn and described (page.js links its words).
DRAWN = """() => {
    const shown = (el) => el.offsetParent !== null;
    const busy = [...document.querySelectorAll('[data-testid=status-tracker]')]
        .some(el => shown(el) && /\\b(pending|generating)\\b/.test(el.className));
    const charts = [...document.querySelectorAll('.js-plotly-plot')].filter(shown);
    return !busy && charts.every(plot => plot.querySelector('.main-svg') && plot.getAttribute('aria-describedby'));
}"""
AXE = """async ([excluded]) => {
    const results = await axe.run(document, {resultTypes: ['violations']});
    return results.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.filter(node => {
        const el = document.querySelector(node.target[0]);
        return !excluded.some(([rule, selector]) => rule === v.id && el && el.closest(selector));
    }).map(node => ({target: node.target.join(' '), summary: node.failureSummary}))}))
        .filter(v => v.nodes.length);
}"""
# Every chart shown is a figure named by its title and described by its words (under it, or the tab's own).
CHARTS_UNSAID = """() => [...document.querySelectorAll('.js-plotly-plot')].filter(plot => plot.offsetParent !== null)
    .filter(plot => { const said = document.getElementById(plot.getAttribute('aria-describedby') || '');
        return plot.getAttribute('role') !== 'figure' || !plot.getAttribute('aria-label')
            || !said || said.innerText.trim().length < 20; })
    .map(plot => (plot.closest('.block') || plot).id || 'a chart')"""



def wait_until_drawn(page) -> None:
    page.wait_for_function(DRAWN, timeout=STARTUP_MS)
    page.wait_for_timeout(300)  # the last update's layout settles


def charts_unsaid(page) -> list[str]:
    """The charts on screen that stay without their words. Gradio draws a new plot on every update (the
    Class view's every two seconds) and page.js names each within 300 ms, so one look can land on a
    plot drawn a moment ago: a chart counts only if no moment comes when every chart is described."""
    try:
        page.wait_for_function(f"() => ({CHARTS_UNSAID})().length === 0", timeout=ACTION_MS)
        return []
    except PlaywrightTimeoutError:
        return page.evaluate(CHARTS_UNSAID)


def check(page, where: str, seen: dict, failures: list) -> None:
    """Run axe on the page as it is now: count what it finds under ``where`` in ``seen`` and add
    each serious or critical finding, and each chart without its words, to ``failures``."""
    wait_until_drawn(page)
    found = seen.setdefault(where, collections.Counter())  # left empty: axe found nothing
    unsaid = charts_unsaid(page)
    if unsaid:
        failures.append(f"{where}: charts without a text alternative: {unsaid}")
    for violation in page.evaluate(AXE, [[[rule, selector] for rule, selector, _ in EXCLUDED]]):
        found[f"{violation['id']} ({violation['impact']})"] += len(violation["nodes"])
        if violation["impact"] in FAILING:
            failures += [f"{where}: {violation['id']} ({violation['impact']}): {violation['help']}"
                         f"\n    {node['target']}\n    {node['summary']}" for node in violation["nodes"]]


def report(seen: dict, failures: list) -> None:
    for where, found in seen.items():
        print(f"{where}: {dict(found) or 'nothing'}")
    assert not failures, f"{len(failures)} accessibility failures:\n" + "\n".join(failures)
