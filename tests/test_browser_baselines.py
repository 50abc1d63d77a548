"""Browser test: 'Is my loss good?' on the live loss chart.

A student uploads a text, trains a tiny LSTM until it finishes, and the loss chart holds the
validation loss against the counting baselines measured on the same split (uniform, unigram,
bigram, 5-gram), each a labelled dashed line; the status line says which one the model beats.
With ``PLAYGROUND_SCREENSHOTS=1`` it saves ``docs/baselines.png`` for the README.
"""

from __future__ import annotations

import pytest

from browser_support import (ACTION_MS, assert_no_error_toast, fresh_page, open_tab,
                             save_screenshot, screenshot_on_failure, set_number, set_slider,
                             start_small_training, wait_for_text)
from test_browser import corpus_text

BASELINES = ["uniform baseline", "unigram counting model", "bigram counting model", "5-gram counting model"]


@pytest.fixture(scope="module")
def app_url(empty_app_url):
    return empty_app_url


@pytest.mark.timeout(900)
def test_the_loss_chart_holds_the_model_against_counting_baselines(app_url, browser, tmp_path):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text(corpus_text(), encoding="utf-8")
    errors: list[str] = []
    with fresh_page(browser, app_url, errors) as page, screenshot_on_failure(page, "browser-baselines-failure"):
        open_tab(page, "1 · Corpus")
        wait_for_text(page, "#corpus-summary", "Loaded python-docs", ACTION_MS)
        page.get_by_role("tab", name="Upload files", exact=True).click()
        page.locator("#corpus-files input[type=file]").set_input_files(str(corpus))
        wait_for_text(page, "#corpus-files", r"corpus\.txt", ACTION_MS)
        set_number(page, "Subword vocabulary (subword level)", 256)  # this small text supports 323
        page.locator("#load-corpus").click()
        wait_for_text(page, "#corpus-summary", "Loaded corpus.txt", ACTION_MS)
        # Before training: one sentence at each level, with how many tokens each level makes (this
        # text has 49 characters, so 50 kinds with <unk>).
        split = wait_for_text(page, "#corpus-tokens", "1,000 tokens per 1,000 characters, 50 kinds", ACTION_MS)
        assert "characters (chosen)" in split and "256 kinds" in split and "words: " in split, split

        open_tab(page, "2 · Model")
        set_slider(page, "Units per layer", 64)
        set_slider(page, "Layers", 1)
        set_slider(page, "Embedding size", 16)

        # A fixed number of epochs and no time limit: the run ends by itself, however slow the machine.
        start_small_training(page, epochs=24)
        status = wait_for_text(page, "#train-status", r"Finished after", 600_000)
        assert_no_error_toast(page)
        assert "Validation: better than a" in status and "counting model" in status, status

        lines = page.evaluate(
            """() => document.querySelector('#loss-chart .js-plotly-plot').data
                 .filter(t => t.name && t.name.includes('(') && t.line && t.line.dash === 'dash')
                 .map(t => [t.name, t.y[0], t.y[1], t.hovertemplate])""")
        assert [name.rsplit(" (", 1)[0] for name, *_ in lines] == BASELINES
        values = [low for _, low, high, _ in lines]
        assert values == sorted(values, reverse=True)  # uniform > unigram > bigram > 5-gram
        assert all(low == high for _, low, high, _ in lines)  # horizontal
        assert "counting" in lines[3][3] and "Kneser" in lines[3][3]  # the hover explains the line
        status_box, chart_box = page.locator("#train-status").bounding_box(), page.locator("#loss-chart").bounding_box()
        top = status_box["y"] - 8  # page coordinates: nothing has scrolled
        save_screenshot(page, "baselines", clip={"x": chart_box["x"] - 8, "y": top, "width": chart_box["width"] + 16,
                                                 "height": chart_box["y"] + chart_box["height"] - top + 8})
        assert not errors, errors
