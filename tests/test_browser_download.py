"""Browser test: "Download as .zip" in the Runs tab gives a real bundle with the workspace where a
user's normally is, under the home folder (Gradio serves files only from places it is told of)."""

from __future__ import annotations

import zipfile

import pytest

from browser_support import (ACTION_MS, assert_no_error_toast, chromium_browser, fresh_page, open_tab,
                             require_chromium, screenshot_on_failure, wait_for_text)
from conftest import make_text, running_app


@pytest.mark.timeout(600)
def test_download_gives_a_real_bundle_from_a_workspace_under_home(home_workspace, tmp_path):
    require_chromium()
    from playground.text import corpus
    from playground.runs.training_run import TrainingRun
    from playground.training.config import TrainConfig

    # A command-line run: on a server without a login it is the (single) user's own.
    TrainingRun(corpus.from_text(make_text(4000)), "lstm", {"units": 16, "layers": 1, "embedding_dim": 8},
                TrainConfig(epochs=0.1, batch_size=16, window=32), run_dir=home_workspace / "runs" / "tiny"
                ).execute(final_evaluation=False)
    errors: list[str] = []
    with running_app(PLAYGROUND_PRETRAINED=tmp_path / "none") as (url, _), chromium_browser() as browser, \
            fresh_page(browser, url, errors) as page, screenshot_on_failure(page, "browser-download-failure"):
        open_tab(page, "6 · Runs")
        wait_for_text(page, "#runs-table", r"\btiny\b", ACTION_MS)
        page.locator("#run-name textarea, #run-name input").first.fill("tiny")
        page.locator("#export-run").click()
        link = page.locator("#run-download a").first
        link.wait_for(timeout=ACTION_MS)
        with page.expect_download(timeout=ACTION_MS) as download_info:
            link.click()
        saved = tmp_path / "downloaded.zip"
        download_info.value.save_as(saved)
        with zipfile.ZipFile(saved) as bundle:
            assert {"config.json", "tokenizer.json", "model.keras", "history.csv"} <= set(bundle.namelist())
            assert bundle.testzip() is None
        assert_no_error_toast(page)
    assert not errors, errors
