"""The tabs' handlers called directly, as the page calls them: no browser, no server.

Each handler parses its form values, calls the core once and formats the answer; these tests
give it the values a page would send and assert what the page would show, or the sentence a
student reads for a bad value. A test that calls what a button runs says so
(``@pytest.mark.presses("#elem-id")``, checked by tests/pressing.py). One section per tab. The
shipped models in ``pretrained/`` are small and loaded once for the module; every test has its own
empty workspace (conftest).
"""

import shutil
import types
from pathlib import Path

import pandas as pd
import pytest
from conftest import make_text

from playground.lab import lessons as lesson_book
from playground.runs import store as run_store
from playground.errors import PlaygroundError
from playground.runs.model_ref import LATEST, SHIPPED_PREFIX
from playground.session import SessionStore
from playground.ui import compare_tab, corpus_tab, inside_tab, lessons_tab, model_line, runs_tab
from playground.ui.generate import grid as grid_tab
from playground.ui.generate import measure as measure_tab
from playground.ui.generate import model_list
from playground.ui.generate import next_token as next_token_tab
from playground.ui.generate import quality as quality_tab
from playground.ui.generate import single as single_tab
from playground.ui.common import AppContext, session_of

PRETRAINED = Path(__file__).resolve().parent.parent / "pretrained"
SHIPPED = ["lstm", "gru", "transformer", "gan", "words"]


@pytest.fixture
def empty_context(catalog):
    """Sessions with no model in use: nothing trained, nothing picked."""
    return AppContext(SessionStore(None), catalog)


def browser(key: str = "tab"):
    """What Gradio passes as the request of one browser tab."""
    return types.SimpleNamespace(session_hash=key, username=None)


def refused(call, *args, **kwargs) -> str:
    with pytest.raises(PlaygroundError) as error:
        call(*args, **kwargs)
    return str(error.value)


OFF = {"top_k": 0, "top_p": 1.0, "min_p": 0.0}  # the Generate tab's filters as it starts: all off


def corpus_form(*values) -> dict:
    """The Corpus tab's form from its values in the page's order (the web API's)."""
    return dict(zip(corpus_tab.FORM, values))


def copy_shipped(name: str, as_run: str) -> Path:
    """A shipped bundle copied into the workspace as a run of one's own (no owner: the local user's)."""
    target = run_store.runs_dir() / as_run
    shutil.copytree(PRETRAINED / name, target)
    return target


# Generate tab ---------------------------------------------------------------------------------------
@pytest.mark.presses("#compare")
def test_the_grid_draws_one_card_per_temperature_from_the_model_in_use(context):
    model = context.catalog.get("lstm")
    grid, table, line = grid_tab.compare_temperatures(
        context, {"prompt": "ROMEO:", "length": 20, "temperatures": "0.5, 1.0", "seed": 0, **OFF}, request=browser())
    expected = model.generate("ROMEO:", [0.5, 1.0], 20, 0)
    assert grid.count("class='pg-card'") == 2 and "<h3>" not in grid
    assert "T = 0.5 · balanced: mostly likely tokens, some variety" in grid
    assert "T = 1 · adventurous: trusts the model's own odds" in grid
    assert list(table.columns)[:3] == ["model", "temperature", "text"] and "sample" not in table.columns
    assert {"distinct_2", "repetition_rate", "copied_share", "mean_logprob"} <= set(table.columns)
    assert table["model"].tolist() == ["pretrained/lstm"] * 2 and table["temperature"].tolist() == [0.5, 1.0]
    assert table["text"].tolist() == [sample.text for sample in expected]
    assert line.startswith(f"Using **pretrained/lstm** (lstm, {model.network.count_params():,} parameters, char level, "
                           f"validation loss {model.validation_loss:.3f} nats/char).")


def test_the_grid_puts_chosen_models_side_by_side(context):
    grid, table, line = grid_tab.compare_temperatures(
        context, {"prompt": "The ", "length": 10, "temperatures": "0.7", "seed": 0, **OFF, "models": ["lstm", "gru"]},
        request=browser())
    assert grid.count("<h3>") == 2 and grid.index("<h3>pretrained/lstm</h3>") < grid.index("<h3>pretrained/gru</h3>")
    assert table["model"].tolist() == ["pretrained/lstm", "pretrained/gru"]
    assert line == "Side by side: **pretrained/lstm**, **pretrained/gru** (each with its own tokens and loss scale)."


def test_the_grid_sliders_give_the_first_columns_temperatures():
    sliders = (0.2, 0.5, 0.7, 1.0, 1.2, 1.5, 1.8, 2.0)
    assert grid_tab.slider_temperatures(3, *sliders) == "0.2, 0.5, 0.7"
    assert grid_tab.slider_temperatures(8.0, *sliders) == "0.2, 0.5, 0.7, 1, 1.2, 1.5, 1.8, 2"
    assert refused(grid_tab.slider_temperatures, 9, *sliders) == "The grid has 1 to 8 columns (got 9)."
    assert refused(grid_tab.slider_temperatures, 0, *sliders) == "The grid has 1 to 8 columns (got 0)."
    assert refused(grid_tab.slider_temperatures, 2.5, *sliders) == "Columns must be a whole number (got 2.5)."
    assert [s.visible for s in grid_tab.show_columns(2)] == [True, True] + [False] * 6


@pytest.mark.presses("#measure")
def test_measuring_temperatures_averages_the_samples_and_keeps_the_limit(context):
    measure = {"prompt": "The ", "length": 20, "temperatures": "0.5, 1.5", "seed": 0, "samples": 2, **OFF}
    chart, summary, note = measure_tab.measure_temperatures(context, measure, request=browser())
    assert summary["temperature"].tolist() == [0.5, 1.5]
    assert note.startswith("Means over 2 samples of 20 tokens per temperature.")
    assert "**copied**: share of 8-character n-grams found in the training text" in note
    assert refused(measure_tab.measure_temperatures, context, {**measure, "temperatures": "1.0", "samples": 65},
                   request=browser()) == "Use between 1 and 64 samples per temperature (got 65)."
    assert refused(measure_tab.measure_temperatures, context, {**measure, "temperatures": "1.0", "samples": 0},
                   request=browser()) == "Use between 1 and 64 samples per temperature (got 0)."


def test_quality_against_diversity_refuses_what_it_cannot_measure(context):
    def form(models, samples, references, length):
        return {"models": models, "samples": samples, "references": references, "length": length,
                "temperatures": "1.0", "seed": 0}

    assert refused(quality_tab.quality_diversity, context, form(["lstm"], 1, 16, 50),
                   request=browser()) == "Use between 2 and 256 samples per temperature (got 1)."
    assert refused(quality_tab.quality_diversity, context, form(["lstm"], 4, 600, 50),
                   request=browser()) == "Use between 1 and 512 references (got 600)."
    assert refused(quality_tab.quality_diversity, context, form(["lstm"], 4, 4, 10),
                   request=browser()) == "Sample length must be between 20 and 1000 tokens (got 10)."
    assert refused(quality_tab.quality_diversity, context, form([], 4, 4, 50),
                   request=browser()) == "Choose at least one model to measure."
    assert refused(quality_tab.quality_diversity, context, form([LATEST], 4, 4, 50),
                   request=browser()) == "You have no finished model of your own yet: train one first."


@pytest.mark.presses("#qd")
def test_quality_against_diversity_measures_each_model_at_each_temperature(context):
    chart, table = quality_tab.quality_diversity(
        context, {"models": ["lstm", "gru"], "samples": 2, "references": 2, "length": 20,
                  "temperatures": "0.5, 1.0", "seed": 0}, request=browser())
    assert table[["model", "temperature"]].values.tolist() == [
        ["pretrained/lstm", 0.5], ["pretrained/lstm", 1.0], ["pretrained/gru", 0.5], ["pretrained/gru", 1.0]]
    assert table["samples"].tolist() == [2] * 4 and table["references"].tolist() == [2] * 4
    assert table["bleu"].between(0, 1).all() and table["self_bleu"].between(0, 1).all()
    assert [trace.name for trace in chart.data] == ["pretrained/lstm", "pretrained/gru"]


def test_without_a_model_every_view_says_how_to_get_one(empty_context):
    no_model = "There is no model yet: train one (Train tab) or pick a pretrained model."
    assert refused(single_tab.generate, empty_context,
                   {"prompt": "The ", "length": 10, "temperature": 1.0, "seed": 0, **OFF},
                   request=browser()) == no_model
    assert refused(grid_tab.compare_temperatures, empty_context,
                   {"prompt": "The ", "length": 10, "temperatures": "1.0", "seed": 0, **OFF},
                   request=browser()) == no_model
    assert refused(next_token_tab.next_token_view, empty_context,
                   {"prompt": "The ", "temperature": 1.0, **OFF, "stage": "final", "top": 20},
                   request=browser()) == no_model
    dropdown, line = model_list.model_in_use(empty_context, request=browser())
    assert dropdown.value == LATEST and line == model_line.NO_MODEL


@pytest.mark.presses("#generate")
def test_one_sample_writes_after_the_prompt(context):
    model = context.catalog.get("lstm")
    text, tokens, line = single_tab.generate(
        context, {"prompt": "ROMEO:", "length": 15, "temperature": 0.8, "seed": 3, **OFF}, request=browser())
    assert text == "ROMEO:" + model.generate("ROMEO:", [0.8], 15, 3)[0].text
    assert tokens.count("class='pg-token'") == 15 and line.startswith("Using **pretrained/lstm**")
    one = {"prompt": "The ", "length": 10, "temperature": 1.0, "seed": 0, **OFF}
    assert refused(single_tab.generate, context, {**one, "temperature": "hot"},
                   request=browser()) == "Temperature must be a number (got 'hot')."
    assert refused(single_tab.generate, context, {**one, "top_p": 0.0},
                   request=browser()) == "top-p must be in (0, 1], 1 for off (got 0.0)."
    probabilities = single_tab.token_probabilities(
        context, {"prompt": "ROMEO:", "length": 6, "temperature": 0.8, "seed": 3}, request=browser())
    assert [p["token"] for p in probabilities] == model.generate("ROMEO:", [0.8], 6, 3)[0].tokens


def test_choosing_a_model_changes_the_model_in_use(context):
    assert model_list.choose_model(context, "gru", request=browser()).startswith("Using **pretrained/gru** (gru, ")
    dropdown, line = model_list.model_in_use(context, request=browser())
    assert dropdown.value == "gru" and dropdown.choices[0] == (LATEST, LATEST) and "pretrained/gru" in line
    assert refused(model_list.choose_model, context, "nope", request=browser()) == \
        "No pretrained model called 'nope'."


def test_the_next_token_view_offers_the_bars_it_shows(context):
    bars = {"prompt": "ROMEO:", "temperature": 1.0, **OFF, "stage": "final", "top": 5}
    figure, stats, picks, note = next_token_tab.next_token_view(context, bars, request=browser())
    view = context.catalog.get("lstm").next_token("ROMEO:", 1.0)
    assert [value for _, value in picks.choices] == [int(i) for i in view.token_ids[:5]]
    assert picks.choices[0][0].endswith(f"{view.probability[0]:.0%}") and note == ""
    assert stats.startswith(f"**Entropy** {view.entropy_bits:.2f} bits")
    vocabulary = context.catalog.get("lstm").network.model_config.vocab_size
    assert refused(next_token_tab.next_token_view, context, {**bars, "top": vocabulary + 1},
                   request=browser()) == (f"Show between 1 and {vocabulary} tokens, the size of this model's "
                                          f"vocabulary (got {vocabulary + 1}).")
    distribution = next_token_tab.next_token_distribution(context, {"prompt": "ROMEO:", "temperature": 1.0, "top": 3},
                                                          request=browser())
    assert [t["token"] for t in distribution["tokens"]] == view.tokens[:3]


@pytest.mark.presses("#step-back")
def test_a_picked_token_must_be_one_the_model_writes(context):
    pick = {"prompt": "ROMEO:", "temperature": 1.0, **OFF, "path": []}
    assert refused(next_token_tab.pick_token, context, {**pick, "token_id": None},
                   request=browser()) == "Pick a token to append."
    # <unk> (id 0) is never generated, so it is not among the bars.
    assert refused(next_token_tab.pick_token, context, {**pick, "token_id": 0},
                   request=browser()) == "That token is not one this model can write; pick another."
    back, path, view = next_token_tab.step_back(context, "ROMEO:", [], request=browser())
    assert (back, path) == ("ROMEO:", []) and "Nothing drawn yet" in view


@pytest.mark.presses("#draw-100")
def test_a_hundred_draws_are_counted_over_the_bars(context):
    from playground.generation import next_token

    hundred = {"prompt": "ROMEO:\nWhat ", "temperature": 1.0, "seed": 3, **OFF, "stage": "final", "top": 5,
               "path": []}
    figure, note = next_token_tab.draw_hundred(context, hundred, request=browser())
    # The same draws generation would make at this seed: the next token's first hundred.
    view = context.catalog.get("lstm").next_token("ROMEO:\nWhat ", 1.0)
    counts = next_token.draw_many(view, 3, 0)
    assert counts.sum() == 100 and note == next_token.draws_note(view, counts)
    assert note.startswith("**100 draws:** `")
    assert note.endswith("Sampling follows the bars; more draws, a closer match.")
    assert "share of 100 draws" in [trace.name for trace in figure.data]
    assert refused(next_token_tab.draw_hundred, context, {**hundred, "prompt": "ROMEO:", "seed": "x"},
                   request=browser()) == "Random seed must be a number (got 'x')."


def test_the_model_line_says_what_a_model_is():
    naive = types.SimpleNamespace(name="<noise>", arch="gan-naive", level="char", validation_loss=None,
                                  ignores_prompt=True, network=types.SimpleNamespace(count_params=lambda: 1234))
    assert model_line.model_line(naive) == (
        "Using **&lt;noise&gt;** (gan-naive, 1,234 parameters, char level). "
        "It writes from noise and ignores the prompt: that is part of why it fails.")
    words = types.SimpleNamespace(name="w", arch="lstm", level="word", validation_loss=4.25, ignores_prompt=False,
                                  network=types.SimpleNamespace(count_params=lambda: 10))
    assert model_line.model_line(words) == \
        "Using **w** (lstm, 10 parameters, word level, validation loss 4.250 nats/word)."
    assert model_line.in_use_line(None) == model_line.NO_MODEL


def test_a_link_chooses_a_model_by_either_of_its_names(context):
    from playground.ui import setup

    train = {key: f"train {key}" for key in setup.TRAIN_NAMES.values()}
    targets = setup.SetupTargets(None, {}, types.SimpleNamespace(arch="arch", fields={}),
                                 types.SimpleNamespace(fields=train),
                                 types.SimpleNamespace(settings={"model": "model"}, sliders=[]), None, None)
    model_at = list(targets.fields()).index("model") + 1  # after the tab shown
    for link in ("model=pretrained/gru", "model=gru"):
        updates = setup.apply(context, targets, link, request=browser(link))
        assert updates[model_at]["value"] == "gru" and updates[-2] == {"__type__": "update", "value": "",
                                                                       "visible": False}
        assert model_list.model_in_use(context, request=browser(link))[0].value == "gru"
    updates = setup.apply(context, targets, "model=pretrained/nope", request=browser())
    note = setup.setup_link.describe(["model 'pretrained/nope': No pretrained model called 'nope'."])
    assert updates[-2] == {"__type__": "update", "value": note, "visible": True} and note


# Runs tab ---------------------------------------------------------------------------------------------
@pytest.mark.presses("#refresh-runs")
def test_the_runs_table_lists_your_runs_then_the_shipped_models(context):
    table = runs_tab.list_runs(context, request=browser())
    assert table["name"].tolist() == [SHIPPED_PREFIX + name for name in SHIPPED]
    assert set(table["status"]) == {"shipped (read-only)"} and list(table.columns) == run_store.RUN_COLUMNS
    copy_shipped("gan", "my-gan")
    table = runs_tab.list_runs(context, request=browser())
    assert table["name"].tolist() == ["my-gan", *(SHIPPED_PREFIX + name for name in SHIPPED)]
    mine, shipped = table.iloc[0], table.set_index("name").loc["pretrained/gan"]
    # the shipped GAN trained for 10 minutes: its run ended on the time limit, and the copy says so
    assert mine["status"] == "time limit" and mine["owner"] == "local" and not mine["published"]
    # The same bundle gives the same row, wherever it is listed.
    for column in ("architecture", "parameters", "minutes", "validation loss", "bits/token", "bits/character"):
        assert mine[column] == shipped[column], column


@pytest.mark.presses("#rename-run", "#delete-run")
def test_renaming_and_deleting_a_run(context):
    copy_shipped("gan", "my-gan")
    message, name, table = runs_tab.rename_run(context, "my-gan", "renamed-gan", request=browser())
    assert (message, name) == ("Renamed **my-gan** to **renamed-gan**.", "renamed-gan")
    assert table["name"].tolist()[0] == "renamed-gan" and "my-gan" not in table["name"].tolist()
    assert refused(runs_tab.rename_run, context, "renamed-gan", "bad/name", request=browser()) == (
        "'bad/name' is not a usable run name: use letters, digits, '.', '_' or '-' (up to 80), "
        "starting with a letter or digit.")
    assert refused(runs_tab.delete_run, context, "renamed-gan", "renamed", request=browser()) == \
        "To delete 'renamed-gan', type its name again to confirm."
    message, name, table = runs_tab.delete_run(context, "renamed-gan", "renamed-gan", request=browser())
    assert (message, name) == ("Deleted **renamed-gan**.", "")
    assert table["name"].tolist() == [SHIPPED_PREFIX + name for name in SHIPPED]
    assert refused(runs_tab.delete_run, context, "renamed-gan", "renamed-gan", request=browser()) == \
        "There is no saved run called 'renamed-gan'."


def test_shipped_and_training_runs_cannot_be_changed(context, monkeypatch):
    assert refused(runs_tab.rename_run, context, "pretrained/lstm", "mine", request=browser()) == (
        "pretrained/lstm is shipped with the playground: it cannot be renamed. "
        "Load it for generating, or compare your runs with it.")
    assert refused(runs_tab.export_run, context, "pretrained/lstm", request=browser()).startswith(
        "pretrained/lstm is shipped with the playground: it cannot be downloaded here")
    path = copy_shipped("gan", "busy-gan")
    monkeypatch.setattr(context.store, "active_runs", lambda: [path])
    assert refused(runs_tab.delete_run, context, "busy-gan", "busy-gan", request=browser()) == \
        "busy-gan is training right now; stop it first."
    assert refused(runs_tab.rename_run, context, "busy-gan", "other", request=browser()) == \
        "busy-gan is training right now; stop it first."
    assert runs_tab.list_runs(context, request=browser()).iloc[0]["status"] == "time limit"  # as saved


def test_someone_elses_run_is_theirs(context):
    copy_shipped("gan", "their-gan")
    student = types.SimpleNamespace(session_hash="student", username="ada")
    session_of(context, student)  # a login: runs without an owner are no longer this person's
    assert refused(runs_tab.rename_run, context, "their-gan", "mine", request=student) == \
        "There is no saved run called 'their-gan'."
    assert "their-gan" not in runs_tab.list_runs(context, request=student)["name"].tolist()


@pytest.mark.presses("#load-run")
def test_loading_a_run_makes_it_the_model_in_use(context):
    copy_shipped("gan", "my-gan")
    assert runs_tab.load_run(context, "my-gan", request=browser()) == \
        "Loaded **my-gan** (gan): the Generate tab now uses it."
    dropdown, line = model_list.model_in_use(context, request=browser())
    assert dropdown.value == "run: my-gan" and line.startswith("Using **my-gan** (gan, ")
    assert runs_tab.load_run(context, "pretrained/gru", request=browser()) == \
        "Loaded **pretrained/gru** (gru): the Generate tab now uses it."
    assert model_list.model_in_use(context, request=browser())[0].value == "gru"
    assert refused(runs_tab.load_run, context, "nothing", request=browser()) == \
        "There is no saved run called 'nothing'."


@pytest.mark.presses("#publish-run", "#unpublish-run")
def test_run_details_publishing_and_uploads(context):
    copy_shipped("gan", "my-gan")
    assert runs_tab.run_details(context, "pretrained/gan", request=browser()) == ""
    assert runs_tab.run_details(context, "missing", request=browser()) == ""
    assert runs_tab.run_details(context, "my-gan", request=browser()).startswith("### Reproduce this run")
    message, table = runs_tab.publish_run(context, "my-gan", request=browser())
    assert message == "**my-gan** is published: the whole class can load and compare it."
    assert bool(table.iloc[0]["published"]) is True
    message, table = runs_tab.unpublish_run(context, "my-gan", request=browser())
    assert message == "**my-gan** is private again." and bool(table.iloc[0]["published"]) is False
    assert refused(runs_tab.import_run, context, None, request=browser()) == \
        "Choose a bundle file (.zip) to upload first."
    assert runs_tab.show_card(context, "gan", request=browser()) == (PRETRAINED / "gan" / "MODEL_CARD.md").read_text()
    assert runs_tab.select_run(context, pd.DataFrame({"name": ["a", "b"]}),
                               types.SimpleNamespace(index=[1, 0])) == "b"


@pytest.mark.presses("#export-run", "#import-run")
def test_a_run_downloaded_as_a_zip_comes_back_as_a_run_of_its_own(context):
    import zipfile

    copy_shipped("gan", "my-gan")
    bundle_file = runs_tab.export_run(context, "my-gan", request=browser())
    assert {"config.json", "model.keras", "tokenizer.json"} <= set(zipfile.ZipFile(bundle_file).namelist())
    message, name, table = runs_tab.import_run(context, bundle_file, " from-a-friend ", request=browser())
    assert (message, name) == ("Imported **from-a-friend**.", "from-a-friend")
    rows = table.set_index("name")
    for column in ("architecture", "parameters", "validation loss", "bits/character"):
        assert rows.loc["from-a-friend", column] == rows.loc["my-gan", column], column
    assert runs_tab.load_run(context, "from-a-friend", request=browser()) == \
        "Loaded **from-a-friend** (gan): the Generate tab now uses it."


# Compare tab ------------------------------------------------------------------------------------------
@pytest.mark.presses("#compare-runs-button")
def test_comparing_runs_ranks_them_on_bits_per_character(context):
    names = ["pretrained/lstm", "pretrained/gru", "pretrained/words"]
    by_step, by_time, table = compare_tab.compare_runs(context, names, request=browser())
    assert table["run"].tolist() == names and list(table.columns) == compare_tab.RUN_COLUMNS
    assert table["architecture"].tolist() == ["lstm", "gru", "transformer"]
    assert table["tokens"].tolist() == ["char", "char", "word"]
    runs = context.catalog.runs().set_index("name")
    for _, row in table.iterrows():  # one summary row: the Compare table agrees with the Runs table
        for column in ("parameters", "minutes", "validation loss", "bits/token", "bits/character"):
            shown, listed = row[column], runs.loc[row["run"], column]
            assert shown == listed or (pd.isna(shown) and pd.isna(listed)), (row["run"], column)
    # The shipped word model predates bits per character: it is left unranked.
    lstm, gru = table["bits/character"].iloc[:2]
    assert table["rank"].iloc[:2].tolist() == ([1, 2] if lstm <= gru else [2, 1]) and pd.isna(table["rank"].iloc[2])
    assert {f"{name} (validation)" for name in names} <= {trace.name for trace in by_step.data}
    assert len(by_time.data) == len(by_step.data)


def test_comparing_nothing_or_an_unknown_run_is_refused(context):
    assert refused(compare_tab.compare_runs, context, [], request=browser()) == "Choose at least one run to compare."
    assert refused(compare_tab.compare_runs, context, ["pretrained/nope"], request=browser()) == \
        "No pretrained model called 'nope'."
    assert refused(compare_tab.compare_quality, context, ["pretrained/lstm"], 300, 16, 50, "1.0",
                   request=browser()) == "Use between 2 and 256 samples per temperature (got 300)."
    assert refused(compare_tab.compare_quality, context, [], 2, 2, 20, "1.0", request=browser()) == \
        "Choose at least one model to measure."


@pytest.mark.presses("#compare-quality")
def test_comparing_quality_measures_each_run_at_each_temperature(context):
    chart, table = compare_tab.compare_quality(context, ["pretrained/lstm", "pretrained/gru"], 2, 2, 20, "0.5, 1.0",
                                               request=browser())
    assert list(table.columns) == compare_tab.QUALITY_COLUMNS
    assert table[["model", "temperature"]].values.tolist() == [
        ["pretrained/lstm", 0.5], ["pretrained/lstm", 1.0], ["pretrained/gru", 0.5], ["pretrained/gru", 1.0]]
    assert table["bleu"].between(0, 1).all() and table["self_bleu"].between(0, 1).all()
    assert [trace.name for trace in chart.data] == ["pretrained/lstm", "pretrained/gru"]


@pytest.mark.presses("#refresh-compare")
def test_the_compare_list_offers_the_shipped_models_then_your_runs(context):
    shipped = [SHIPPED_PREFIX + name for name in SHIPPED]
    assert compare_tab.refresh_choices(context, request=browser()).choices == [(n, n) for n in shipped]
    copy_shipped("gru", "my-gru")
    assert [value for _, value in compare_tab.refresh_choices(context, request=browser()).choices] == \
        [*shipped, "my-gru"]
    assert compare_tab.choices(context) == shipped  # before we know who it is: no one's runs


# Model tab --------------------------------------------------------------------------------------------
def model_form(arch: str, **chosen) -> dict:
    """The Model tab's form as the page sends it: every control, each at the value it starts with
    (for the LSTM, as the page opens), then ``chosen``."""
    from playground.ui import model_tab

    values = {c.key: c.first().start for c in model_tab.CONTROLS}
    return {**values, "arch": arch, **chosen}


def test_the_model_tab_counts_and_draws_the_chosen_network(context):
    from playground.models import architecture
    from playground.models.sizes import parameter_count
    from playground.ui import model_tab

    explanation, size = model_tab.describe_model(context, model_form("gru", units=64, layers=1), request=browser())
    expected = parameter_count(architecture("gru").default_config(65, units=64, layers=1, embedding_dim=64))
    assert explanation.startswith("### GRU (gated recurrent unit)\n")
    assert size == (f"**{expected:,} parameters** for a 65-character vocabulary (load a corpus for yours): about "
                    f"{expected * 4 / 1e6:.1f} MB of weights.")
    assert model_tab.draw_model(context, model_form("gru", units=64, layers=1), request=browser()).startswith(
        "<div class='pg-network-box'><svg")
    # A loaded corpus recounts it for its own vocabulary.
    corpus_tab.load_corpus(context, corpus_form("paste", None, make_text(3000), "", "char", 0.1, 10_000),
                           request=browser())
    _, size = model_tab.describe_model(context, model_form("gru", units=64, layers=1), request=browser())
    assert "for your corpus's " in size


def test_the_model_tab_refuses_nonsense_and_warns_past_the_servers_limit(context):
    from playground.ui import model_tab

    assert refused(model_tab.describe_model, context, model_form("transformer", embedding_dim=30, heads=4),
                   request=browser()) == \
        "Embedding size 30 must be divisible by 4 heads (30 / 4 is not a whole number)."
    assert refused(model_tab.describe_model, context, model_form("lstm", layers=9), request=browser()) == \
        "Use between 1 and 8 recurrent layers (got 9)."
    assert refused(model_tab.describe_model, context, model_form("lstm", units="many"), request=browser()) == \
        "units must be a number (got 'many')."
    _, size = model_tab.describe_model(context, model_form("lstm", units=4096, layers=8), request=browser())
    assert size.endswith("That is over this server's limit of 50,000,000: make it smaller to train it.")


def test_the_model_tab_shows_each_architecture_its_own_controls():
    from playground.ui import model_tab

    shown = dict(zip((c.field for c in model_tab.CONTROLS), model_tab.show_controls(None, "gan")))
    assert shown["heads"] == {"__type__": "update", "visible": False}
    assert (shown["units"]["label"], shown["units"]["value"], shown["layers"]["maximum"]) == ("Generator units", 256, 4)
    assert shown["cell"]["value"] == "lstm" and shown["straight_through"]["value"] is False


# Train tab --------------------------------------------------------------------------------------------
def train_form(arch: str = "lstm", **chosen) -> dict:
    """The Model and Train tabs' forms together, as the Train button sends them: a tiny model."""
    from playground.training.config import page_start

    return {**model_form(arch, units=16, layers=1, embedding_dim=8), **page_start(arch), **chosen}


def run_training(context, values: dict) -> list:
    import asyncio

    from playground.ui import train_tab

    async def collect():
        return [update async for update in train_tab.train(context, values, request=browser())]

    return asyncio.run(collect())


@pytest.mark.presses("#train", "#stop")
def test_the_train_tab_trains_and_streams_what_the_page_shows(context):
    from playground.ui import train_tab

    corpus_tab.load_corpus(context, corpus_form("paste", None, make_text(6000), "", "char", 0.1, 10_000),
                           request=browser())
    updates = run_training(context, train_form(epochs=1, minutes=0, batch_size=8, window=16, seed=3))
    status, chart, samples, diagnostics = updates[-1]
    assert status.startswith("**Finished after") and "Samples after epoch" in samples
    assert [trace.name for trace in chart.data][:3] == ["training (each step)", "training (smoothed)",
                                                        "validation (held-out text)"]
    assert diagnostics.visible is False  # no GAN, no diagnostics
    config = session_of(context, browser()).model.info["train"]
    assert (config["epochs"], config["minutes"], config["batch_size"], config["window"], config["seed"]) == \
        (1.0, None, 8, 16, 3)
    assert train_tab.stop(context, request=browser()) == "**Nothing is training.**"


def test_the_train_tab_shows_where_a_training_runs_when_not_where_asked():
    from playground.training.monitor import TrainingMonitor
    from playground.ui import train_tab

    monitor = TrainingMonitor()
    monitor.note("The Ray cluster at 10.0.0.5:6379 cannot be reached (connection refused). Trainings run on "
                 "the app's own computer until the app restarts.")
    status = train_tab.view(monitor.snapshot())[0]
    assert status == ("*The Ray cluster at 10.0.0.5:6379 cannot be reached (connection refused). Trainings run on "
                      "the app&#x27;s own computer until the app restarts.*  \n**Preparing the model (the first step "
                      "compiles it, a few seconds)…**")


def test_the_train_tab_refuses_before_anything_starts(context):
    assert refused(run_training, context, train_form(epochs=1)) == \
        "Load a corpus first (Corpus tab)."
    corpus_tab.load_corpus(context, corpus_form("paste", None, make_text(3000), "", "char", 0.1, 10_000),
                           request=browser())
    assert refused(run_training, context, train_form(epochs=0, minutes=0)) == \
        "Set a number of epochs or of minutes (or both: whichever comes first)."
    assert refused(run_training, context, train_form(learning_rate=2)).startswith("Learning rate must be in (0, 1]")
    assert session_of(context, browser()).training is False


def test_the_train_tab_starts_where_the_architecture_was_measured_best():
    from playground.models import architecture
    from playground.ui import train_tab

    measured = architecture("transformer").train_defaults
    assert train_tab.FOLLOWS_ARCHITECTURE == ("learning_rate", "optimizer", "batch_size", "window")
    assert train_tab.suggest_settings(None, "transformer") == [measured[key] for key in train_tab.FOLLOWS_ARCHITECTURE]


# Corpus tab -------------------------------------------------------------------------------------------
@pytest.mark.presses("#load-corpus")
def test_loading_pasted_text_describes_it(context):
    text = make_text(3000)
    summary, table, chart, preview = corpus_tab.load_corpus(
        context, corpus_form("paste", None, text, "", "char", 0.1, 10_000), request=browser())
    held_out = len(text) - int(len(text) * 0.9)
    assert summary.startswith(f"**Loaded pasted text**: {len(text):,} characters, {len(set(text))} distinct "
                              f"characters, {len(text.split()):,} words. Tokens: **characters**.")
    rows = dict(zip(table["statistic"], table["value"]))
    assert rows["characters"] == f"{len(text):,}"
    assert rows["training characters"] == f"{len(text) - held_out:,}"
    assert rows["validation characters (held out)"] == f"{held_out:,}"
    assert preview == text[:corpus_tab.PREVIEW_CHARS]
    assert "characters (chosen)" in corpus_tab.show_tokens(context, request=browser())


def test_the_corpus_form_takes_defaults_and_refuses_bad_values(context):
    text = make_text(3000)
    # A cleared box sends None: the defaults stand in.
    corpus_tab.load_corpus(context, corpus_form("paste", None, text, "", "word", None, None, None), request=browser())
    choice = session_of(context, browser()).choice
    assert (choice.validation_share, choice.max_words, choice.subword_vocab) == (0.1, 10_000, 512)
    assert refused(corpus_tab.load_corpus, context, corpus_form("paste", None, text, "", "char", 0.6, 10_000),
                   request=browser()) == "The validation share must be between 0 and 0.5 (got 0.6)."
    assert refused(corpus_tab.load_corpus, context, corpus_form("paste", None, text, "", "char", 0.1, 2.5),
                   request=browser()) == "Word vocabulary cap must be a whole number (got 2.5)."
    assert refused(corpus_tab.load_corpus, context, corpus_form("email", None, text, "", "char", 0.1, 10_000),
                   request=browser()) == "Corpus source must be upload, paste or builtin (got 'email')."
    assert session_of(context, browser()).choice is choice  # a refused load keeps the corpus


def test_a_known_random_text_names_its_floor(context):
    summary, _, _, _ = corpus_tab.load_corpus(
        context, corpus_form("builtin", None, "", "markov-babble", "char", 0.1, 10_000), request=browser())
    assert "no model can get below" in summary and "nats/char" in summary


# Inside tab -------------------------------------------------------------------------------------------
@pytest.mark.presses("#look-inside")
def test_looking_inside_the_model_in_use(context):
    views = inside_tab.look_inside(context, "KING:\nNow", request=browser())
    result, note = views[0], views[1]
    assert result["tokens"] == list("KING:\nNow") and note.startswith("Using **pretrained/lstm**")
    assert views[2].visible is False and views[8].visible is True  # units, not attention
    assert inside_tab.lines_view(context, None, 0, 0, 0, request=browser()) == ""
    assert inside_tab.neuron_view(context, result, None, request=browser()) == ""
    assert refused(inside_tab.inspect_model, context, "", request=browser()) == \
        "Type a prompt first: the views show what the model does with its tokens."


def test_the_inside_tab_names_the_model_and_shows_the_discriminator_for_a_gan(context, empty_context):
    line, section = inside_tab.model_in_use(empty_context, request=browser())
    assert line == model_line.NO_MODEL and section.visible is False
    assert refused(inside_tab.look_inside, empty_context, "The", request=browser()) == \
        "There is no model yet: train one (Train tab) or pick a pretrained model."
    model_list.choose_model(context, "gan", request=browser())
    line, section = inside_tab.model_in_use(context, request=browser())
    assert line.startswith("Using **pretrained/gan** (gan, ") and section.visible is True


@pytest.mark.presses("#held-out")
def test_held_out_text_becomes_the_prompt(context):
    passage = inside_tab.held_out(context, request=browser())
    _, held_out = context.catalog.get("lstm").corpus_split()
    assert passage in held_out and passage.endswith("\n") and 150 < len(passage) <= 300


@pytest.mark.presses("#discriminator-score")
def test_the_discriminator_scores_held_out_text_and_samples(context):
    from playground.lab import critic

    assert refused(inside_tab.discriminator_scores, context, request=browser()) == \
        "Only a GAN has a discriminator: choose the GAN (or a GAN run) in the Generate tab."
    model_list.choose_model(context, "gan", request=browser())
    verdict, table = inside_tab.discriminator_scores(context, request=browser())
    # The shipped GAN kept no discriminator: a fresh one is trained, and the sentence says so.
    assert verdict.startswith(f"A fresh discriminator of the GAN's design, trained {critic.FRESH_STEPS} steps here "
                              "(this run saved none) gives held-out text a mean realness of ")
    assert list(table.columns) == ["text", "realness", "sample"]
    assert table["text"].tolist() == ["held-out"] * 4 + [f"T = {t:g}" for t in critic.DEFAULT_TEMPERATURES
                                                         for _ in range(4)]
    assert table["realness"].between(0, 1).all() and all(table["sample"].str.len() > 0)


# Lessons tab ------------------------------------------------------------------------------------------
def test_a_lesson_step_by_step(context):
    lesson = lesson_book.load_all()[0][0]
    count = len(lesson.steps)
    view, setup, index = lessons_tab.step_view(context, lesson.name, 0, request=None)
    assert index == 0 and setup == lesson.steps[0].setup
    assert view.startswith(f"### {lesson.title}: step 1 of {count}, {lesson.steps[0].title}")
    # Past either end, the step stays within the lesson.
    assert lessons_tab.step_view(context, lesson.name, 99, request=None)[2] == count - 1
    assert lessons_tab.move(context, lesson.name, 0, -1, request=None)[2] == 0
    assert lessons_tab.move(context, lesson.name, 0, 1, request=None)[2] == min(1, count - 1)
    assert lessons_tab.step_view(context, "", 3, request=None) == ("Choose a lesson above.", "", 0)
    assert refused(lessons_tab.step_view, context, "nope", 0, request=None) == "There is no lesson called 'nope'."


@pytest.mark.presses("#lesson-next", "#lesson-back")
def test_the_lesson_buttons_step_forward_and_back(context):
    lesson = lesson_book.load_all()[0][0]
    view, setup, index = lessons_tab.next_step(context, lesson.name, 0, request=None)
    assert index == 1 and setup == lesson.steps[1].setup
    assert view.startswith(f"### {lesson.title}: step 2 of {len(lesson.steps)}, {lesson.steps[1].title}")
    assert lessons_tab.previous_step(context, lesson.name, 1, request=None) == \
        lessons_tab.step_view(context, lesson.name, 0, request=None)
    assert lessons_tab.previous_step(context, lesson.name, 0, request=None)[2] == 0  # the first step stays first
