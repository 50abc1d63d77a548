"""Browser test: a student's whole path through the real app, in Debian's Chromium.

Upload a corpus, pick a tiny model, train it for a moment while the loss chart grows, stop,
then compare temperatures with the model just trained. Along the way it saves the README's
screenshots to ``docs/`` (``docs/own-model-grid.png``: the Generate tab; ``docs/train.png``: the
Train tab after stopping).

Playwright never downloads a browser here: it drives ``/usr/bin/chromium`` (``make chromium``).
Without it the test is skipped, except under CI, where it fails.
"""

from __future__ import annotations

import random
import re
import time

import pytest

from browser_support import (ACTION_MS, GENERATE_MS, STOP_MS, TRAIN_START_MS, assert_no_error_toast, fresh_page,
                             open_tab, save_screenshot, screenshot_on_failure, set_number,
                             set_slider, start_small_training, wait_for_text)

TEMPERATURES = (0.2, 0.5, 0.7, 1.0, 1.2, 1.5)  # the Generate tab's default grid
TRAINING_TRACE = "training (each step)"

WORDS = ("the cat dog bird fish tree house river stone little big old young red green blue quick slow "
         "happy quiet runs sees finds likes eats sleeps walks sings jumps near under over with and but "
         "a one every small warm cold bright dark morning night garden road hill boat friend").split()


def corpus_text(size: int = 30_000, seed: int = 7) -> str:
    """About ``size`` characters of simple English-like sentences, the same every run."""
    rng = random.Random(seed)
    sentences, length = [], 0
    while length < size:
        words = [rng.choice(WORDS) for _ in range(rng.randint(4, 11))]
        sentence = " ".join(words).capitalize() + rng.choice([".", ".", ".", "!", "?"])
        sentences.append(sentence)
        length += len(sentence) + 1
    lines = [" ".join(sentences[i:i + 5]) for i in range(0, len(sentences), 5)]
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def app_url(empty_app_url):
    return empty_app_url


@pytest.fixture
def js_errors() -> list[str]:
    """Uncaught JavaScript errors of the page, filled by the ``page`` fixture."""
    return []


@pytest.fixture
def page(browser, app_url, js_errors):
    """A fresh page for each test: nothing one test typed can help or hinder the next."""
    with fresh_page(browser, app_url, js_errors) as page:
        yield page


def training_points(page) -> int:
    """The last step the loss chart's raw training trace shows (0 before the first step is drawn). Not
    its number of points: a long run's curve is thinned to a few thousand points, so that can fall."""
    return page.evaluate(
        """(name) => {
            const plot = document.querySelector('#loss-chart .js-plotly-plot');
            if (!plot || !plot.data) return 0;
            const trace = plot.data.find(t => t.name === name);
            return trace && trace.x && trace.x.length ? Math.max(...trace.x) : 0;
        }""",
        TRAINING_TRACE,
    )


def parameter_count(text: str) -> int:
    return int(re.search(r"([\d,]+) parameters", text).group(1).replace(",", ""))


def tiny_lstm_parameters(vocabulary: int) -> int:
    """Parameters of the tiny model the test asks for: embedding 16, one LSTM layer of 32, dense head."""
    embedding, units = 16, 32
    return vocabulary * embedding + 4 * (units * (embedding + units) + units) + (units + 1) * vocabulary


@pytest.mark.timeout(600)
def test_student_trains_stops_and_compares_temperatures(page, js_errors, tmp_path):
    started = time.monotonic()
    corpus = tmp_path / "corpus.txt"
    corpus.write_text(corpus_text(), encoding="utf-8")
    with screenshot_on_failure(page, "browser-failure"):
        # 1 · Corpus: upload the file and use it.
        open_tab(page, "1 · Corpus")
        # A new page loads the default built-in corpus by itself; wait for that before replacing it.
        wait_for_text(page, "#corpus-summary", "Loaded python-docs", ACTION_MS)
        page.get_by_role("tab", name="Upload files", exact=True).click()
        page.locator("#corpus-files input[type=file]").set_input_files(str(corpus))
        wait_for_text(page, "#corpus-files", r"corpus\.txt", ACTION_MS)  # the upload has arrived
        page.locator("#load-corpus").click()
        summary = wait_for_text(page, "#corpus-summary", "Loaded corpus", ACTION_MS)
        assert "Loaded corpus.txt" in summary, summary  # the uploaded file, not the default built-in corpus
        assert_no_error_toast(page)

        # 2 · Model: a tiny LSTM, so that it trains fast.
        open_tab(page, "2 · Model")
        set_slider(page, "Units per layer", 32)
        set_slider(page, "Layers", 1)
        set_slider(page, "Embedding size", 16)
        # Each change recounts the parameters. Wait for the count with all three changes made: the LSTM
        # layer's fixed weights plus a whole number of tokens' worth (embedding row, head column, bias).
        fixed, per_token = tiny_lstm_parameters(0), tiny_lstm_parameters(1) - tiny_lstm_parameters(0)
        page.wait_for_function(
            """([fixed, perToken]) => {
                const m = /([\\d,]+) parameters/.exec(document.querySelector('#model-size').innerText);
                const rest = m ? Number(m[1].replace(/,/g, '')) - fixed : -1;
                return rest > 0 && rest % perToken === 0;
            }""", arg=[fixed, per_token], timeout=ACTION_MS)
        tiny = parameter_count(page.locator("#model-size").inner_text())
        vocabulary = (tiny - fixed) // per_token
        assert 20 <= vocabulary <= 100, (tiny, vocabulary)  # the corpus has about 50 distinct characters

        # 3 · Train: small batches and windows, and a thousand epochs with no time limit, so that only
        # the Stop below ends the run, however slow the machine.
        start_small_training(page, epochs=1000)
        assert_no_error_toast(page)

        page.wait_for_function(
            "(name) => { const p = document.querySelector('#loss-chart .js-plotly-plot');"
            " const t = p && p.data && p.data.find(t => t.name === name); return !!t && t.x.length > 0; }",
            arg=TRAINING_TRACE, timeout=ACTION_MS)
        first = training_points(page)
        page.wait_for_timeout(2_000)
        second = training_points(page)
        deadline = time.monotonic() + 30  # an end-of-epoch sample can pause the chart for a moment
        while second <= first and time.monotonic() < deadline:
            page.wait_for_timeout(1_000)
            second = training_points(page)
        assert second > first, f"the loss chart did not move on while training (step {first} → {second})"

        page.locator("#stop").click()
        stop_pressed = time.monotonic()
        status = wait_for_text(page, "#train-status", r"Stopped after", STOP_MS)
        stop_seconds = time.monotonic() - stop_pressed
        assert "Generate tab" in status, status
        assert training_points(page) >= second
        save_screenshot(page, "train")

        # 4 · Generate: the model just trained writes at six temperatures. With no pretrained models
        # (the fixture's empty PLAYGROUND_PRETRAINED) the only choice is already the latest trained one.
        open_tab(page, "4 · Generate")
        assert page.locator("#model-choice input").input_value() == "your latest trained model"
        open_tab(page, "Temperature grid")
        sliders = page.locator(".grid-temperature input[type=number]")
        assert [float(sliders.nth(i).input_value()) for i in range(len(TEMPERATURES))] == list(TEMPERATURES)
        page.locator("#compare").click()
        page.wait_for_function(
            "(n) => document.querySelectorAll('#grid #temperature-grid .pg-card').length === n",
            arg=len(TEMPERATURES), timeout=GENERATE_MS)
        cards = page.locator("#grid #temperature-grid .pg-card")
        assert cards.count() == len(TEMPERATURES)
        written = []
        for i, temperature in enumerate(TEMPERATURES):
            card = cards.nth(i)
            head = card.locator(".pg-card-head").inner_text()
            assert head.startswith(f"T = {temperature:g}"), head
            # The card shows the prompt in bold, then what the model wrote.
            text = card.locator(".pg-text").evaluate(
                "pre => pre.innerText.slice((pre.querySelector('b')?.innerText ?? '').length)")
            assert text.strip(), f"the card for T = {temperature:g} has no generated text"
            written.append(text)
        assert len(set(written)) > 1, "every temperature wrote the same text"
        info = wait_for_text(page, "#model-info", "lstm-", ACTION_MS)
        assert parameter_count(info) == tiny, info  # the model just trained, not another one
        assert_no_error_toast(page)
        save_screenshot(page, "own-model-grid")

    assert not js_errors, js_errors
    print(f"\nbrowser test: {time.monotonic() - started:.1f} s; corpus {corpus.stat().st_size:,} bytes; "
          f"tiny model {tiny:,} parameters; training trace {first} → {second} points; "
          f"stopped {stop_seconds:.1f} s after pressing Stop")


@pytest.mark.timeout(1200)
def test_student_trains_a_word_level_model(page, js_errors):
    from test_word_level import SENTENCES, phrase_text

    with screenshot_on_failure(page, "browser-word-failure"):
        open_tab(page, "1 · Corpus")
        wait_for_text(page, "#corpus-summary", "Loaded python-docs", ACTION_MS)
        page.get_by_role("tab", name="Paste text", exact=True).click()
        page.locator("#corpus-paste textarea").fill(phrase_text(600))
        page.get_by_label("words", exact=True).check()
        page.locator("#load-corpus").click()
        summary = wait_for_text(page, "#corpus-summary", "Loaded pasted", ACTION_MS)
        assert "words" in summary and "cannot be compared" in summary, summary
        assert_no_error_toast(page)

        # The default LSTM, long enough for these few sentences: a fixed amount of work and no time
        # limit, so a slow machine takes longer but trains the same model.
        open_tab(page, "3 · Train")
        set_number(page, "Epochs (0 = no limit)", 200)
        set_number(page, "Minutes (0 = no limit)", 0)
        page.locator("#train").click()
        status = wait_for_text(page, "#train-status", r"Finished after", TRAIN_START_MS + 720_000)
        assert "nats/word" in status, status

        open_tab(page, "4 · Generate")
        open_tab(page, "Temperature grid")
        page.locator("#compare").click()
        page.wait_for_function(
            "(n) => document.querySelectorAll('#grid #temperature-grid .pg-card').length === n",
            arg=len(TEMPERATURES), timeout=GENERATE_MS)
        coolest = page.locator("#grid #temperature-grid .pg-card").first.locator(".pg-text").inner_text()
        # At the lowest temperature the model repeats its sentences, read back with capitals.
        assert any(sentence.capitalize() in coolest for sentence in SENTENCES), coolest
        assert "<unk>" not in coolest
        info = wait_for_text(page, "#model-info", "word level", ACTION_MS)
        assert "nats/word" in info, info
        assert_no_error_toast(page)
        save_screenshot(page, "word-level")
    assert not js_errors, js_errors
