"""Browser test: a student looks inside the shipped models.

On the Inside tab the shipped LSTM colours the prompt by one of its units, ranked by the feature it
follows, and places its characters on the embeddings scatter; after choosing the shipped transformer
in Generate, the same tab shows its attention, one layer and head at a time.
Screenshots on request (``make screenshots``): ``docs/inside-neurons.png``, ``docs/inside-embeddings.png``,
``docs/inside-attention.png``.
"""

from __future__ import annotations

import pytest

from browser_support import (ACTION_MS, DOCS, GENERATE_MS, assert_no_error_toast, flag, open_tab,
                             screenshot_on_failure, wait_for_text)

VIEWPORT = {"width": 1280, "height": 1100}


@pytest.fixture(scope="module")
def app_url(pretrained_app_url):
    return pretrained_app_url


@pytest.fixture
def viewport():
    return VIEWPORT


def picture(page, selector: str, name: str) -> None:
    """One view as a README picture, written only when screenshots were asked for."""
    if flag("PLAYGROUND_SCREENSHOTS"):
        DOCS.mkdir(exist_ok=True)
        page.locator(selector).screenshot(path=str(DOCS / f"{name}.png"))


def choose(page, dropdown: str, option: str) -> None:
    page.locator(f"{dropdown} input").first.click()
    page.get_by_role("option", name=option, exact=True).click()


def heatmap(page) -> list[list[float]]:
    return page.evaluate("() => { const p = document.querySelector('#inside-attention .js-plotly-plot');"
                         " return p && p.data && p.data.length ? p.data[0].z : null; }")


@pytest.mark.timeout(600)
def test_neurons_embeddings_and_attention_of_the_shipped_models(page):
    with screenshot_on_failure(page, "inside"):
        open_tab(page, "4b · Inside")
        assert "pretrained/lstm" in page.locator("#inside-model").inner_text()
        page.locator("#held-out").click()  # a passage the model never trained on becomes the prompt
        # The LSTM: the prompt coloured by the best-ranked unit, one span per character.
        page.wait_for_function("() => document.querySelectorAll('#inside-neuron .pg-token').length > 20",
                               timeout=GENERATE_MS)
        first = page.locator("#inside-neuron").inner_html()
        ranked = page.locator("#inside-unit input").first.input_value()
        assert ranked.startswith("unit ") and " follows: " in ranked and ", r = " in ranked, ranked
        assert not page.locator("#inside-attention").is_visible()
        page.wait_for_function("() => { const p = document.querySelector('#inside-embedding .js-plotly-plot');"
                               " return !!p && !!p.data && p.data.some(t => t.name === 'upper-case letter'); }",
                               timeout=ACTION_MS)
        assert page.locator("#inside-prompt textarea").input_value().count("\n") >= 4
        picture(page, "#inside-neurons-view", "inside-neurons")
        picture(page, "#inside-embedding", "inside-embeddings")
        # Any unit by number recolours the text.
        box = page.locator("#inside-any-unit input")
        box.fill("7")
        box.press("Enter")
        page.wait_for_function("() => document.querySelector('#inside-neuron .pg-token').title.startsWith('unit 7:')",
                               timeout=ACTION_MS)
        assert page.locator("#inside-neuron").inner_html() != first

        # The transformer, chosen where every model is chosen: in Generate.
        open_tab(page, "4 · Generate")
        choose(page, "#model-choice", "transformer")
        wait_for_text(page, "#model-info", "pretrained/transformer", ACTION_MS)
        open_tab(page, "4b · Inside")
        wait_for_text(page, "#inside-model", "pretrained/transformer", ACTION_MS)
        page.locator("#inside-prompt textarea").fill("ROMEO:\nWhat say you, my lord? Speak!\n\nJULIET:\nI say ")
        page.locator("#look-inside").click()
        page.wait_for_function("() => { const p = document.querySelector('#inside-attention .js-plotly-plot');"
                               " return !!p && !!p.data && p.data.length > 0; }", timeout=GENERATE_MS)
        weights = heatmap(page)
        assert len(weights) == len("ROMEO:\nWhat say you, my lord? Speak!\n\nJULIET:\nI say ")
        assert all(abs(sum(row) - 1) < 1e-4 for row in weights)
        assert all(weights[i][j] == 0 for i in range(len(weights)) for j in range(i + 1, len(weights)))
        assert not page.locator("#inside-neuron-box").is_visible()
        choose(page, "#inside-head", "head 3")
        wait_for_text(page, "#inside-attention", "Layer 1, head 3", ACTION_MS)
        assert heatmap(page) != weights
        assert page.locator("#inside-lines .pg-token").count() == len(weights)
        assert_no_error_toast(page)
        picture(page, "#inside-attention", "inside-attention")
