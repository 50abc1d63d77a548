"""The Read tab's handlers called as the page calls them, and its endpoints through the running app."""

import types
from pathlib import Path

import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError

from playground.errors import PlaygroundError
from playground.lab import reading
from playground.session import SessionStore
from playground.ui import read_tab
from playground.ui.common import AppContext

PRETRAINED = Path(__file__).resolve().parent.parent / "pretrained"


def browser(key: str = "tab"):
    return types.SimpleNamespace(session_hash=key, username=None)


def last(updates):
    return list(updates)[-1]


@pytest.mark.presses("#read-button")
def test_reading_a_pasted_text_shows_the_summary_the_colours_and_the_hardest_places(context):
    result, summary, tokens, part, line, difference, hardest = last(
        read_tab.score_text(context, read_tab.DEFAULT_TEXT, "text", "surprisal", request=browser()))
    assert isinstance(result, reading.Reading) and len(result.tokens) == len(read_tab.DEFAULT_TEXT)
    assert "**pretrained/lstm read your text**" in summary and "bits per character" in summary
    assert f"**{result.bits_per_character():.3f}**" in summary and "counting: 5-gram" in summary
    assert "**Ranks**: the favourite:" in summary
    assert tokens.count("role='img'") == len(result.tokens) and " bits, rank " in tokens
    assert part.visible is False  # the whole text fits in one view
    assert "less surprised than the 5-gram" in line and "read-difference" in difference
    assert list(hardest.columns) == read_tab.HARDEST_COLUMNS and len(hardest) == reading.HARDEST
    assert hardest["bits"].is_monotonic_decreasing and all("⟦" in cell for cell in hardest["passage"])


def test_held_out_text_shows_its_beginning_first_then_the_whole(context):
    updates = list(read_tab.score_text(context, "", "held-out", "rank", request=browser()))
    assert len(updates) == 2
    first, whole = updates
    assert "the rest is being read" in first[1] and len(first[0].tokens) == read_tab.FIRST_SCREEN
    assert "read the held-out text" in whole[1] and "being read" not in whole[1]
    assert len(whole[0].tokens) > 100_000 and whole[3].visible is True
    assert "the favourite" in whole[2] and "Tokens 1–4,000 of" in whole[2]
    # Another stretch, coloured by surprisal this time, without reading again.
    tokens, difference = read_tab.recolour(context, whole[0], "surprisal", 50_000, request=browser())
    assert "Tokens 50,001–54,000" in tokens and "1 bit: as surprising" in tokens
    assert difference.count("role='img'") == 4_000


@pytest.mark.parametrize("text, source, colour_by, message", [
    ("", "text", "surprisal", "There is no text to read"),
    ("x" * (reading.MAX_CHARACTERS + 1), "text", "surprisal", "reads at most 200,000 at once"),
    ("the cat", "elsewhere", "surprisal", "Read 'text'"),
    ("the cat", "text", "colour", "by 'surprisal' or by 'rank'"),
    ("你好，世界。" * 20, "text", "surprisal", "symbols the model never saw"),
])
def test_bad_input_gets_a_sentence(context, text, source, colour_by, message):
    with pytest.raises(PlaygroundError, match=message):
        last(read_tab.score_text(context, text, source, colour_by, request=browser()))


def test_without_a_model_or_with_the_naive_gan_the_tab_says_why(catalog):
    with pytest.raises(PlaygroundError, match="There is no model yet"):
        last(read_tab.score_text(AppContext(SessionStore(None), catalog), "the cat", request=browser()))
    from test_reading import tiny

    naive = AppContext(SessionStore(tiny("gan-naive", 16, None, units=8, noise_dim=4)), catalog)
    with pytest.raises(PlaygroundError, match="ignores any text"):
        last(read_tab.score_text(naive, "the cat", request=browser()))


@pytest.mark.presses("#read-writers")
def test_a_person_and_the_model_at_two_temperatures(context):
    figure, explanation, table = read_tab.compare_writers(context, request=browser())
    assert [trace.name for trace in figure.data] == list(table["text"])
    assert list(table["text"]) == ["held-out text (a person)", "the model at T = 0.3", "the model at T = 1.5"]
    favourites = [int(share.rstrip("%")) for share in table["the favourite"]]
    assert favourites[1] > favourites[0] and favourites[1] > favourites[2]
    assert "low temperature" in explanation


@pytest.mark.presses("#read-worst")
def test_the_hardest_held_out_passages_of_a_chosen_run(context):
    line, table = read_tab.worst_passages(context, "pretrained/transformer", request=browser())
    assert line.startswith("**pretrained/transformer**: held-out loss") and "windows of 128 tokens" in line
    assert len(table) == 10 and table["bits per token"].is_monotonic_decreasing
    with pytest.raises(PlaygroundError, match="No pretrained model called"):
        read_tab.worst_passages(context, "pretrained/nothing", request=browser())


def test_the_tab_names_the_model_in_use_and_the_runs_to_choose(context):
    line, runs = read_tab.opened(context, request=browser())
    assert "pretrained/lstm" in line
    assert runs.choices[0][0] == read_tab.IN_USE and ("pretrained/gru", "pretrained/gru") in runs.choices


# Through the running app --------------------------------------------------------------------------
@pytest.mark.presses("/score_text", "/worst_passages", "/compare_writers")
def test_score_text_through_the_api(tiny_server):
    app = Client(tiny_server[0], verbose=False)
    text = "The cat sat on the mat.\nThe dog ran to the old red barn.\n"
    summary, tokens, part, line, difference, hardest = app.predict(text, "text", "surprisal", api_name="/score_text")
    model = tiny_server[1].catalog.get("lstm")
    expected = reading.read(model, text)
    assert f"**{expected.bits_per_character():.3f}**" in summary and "counting: bigram" in summary
    assert tokens.count("role='img'") == len(text)
    assert "title='" in tokens and f"{expected.bits[1]:.2f} bits, rank {expected.rank[1]}" in tokens
    assert [row[2] for row in hardest["data"]] == [round(p.bits, 2) for p in expected.hardest()]
    with pytest.raises(AppError, match="There is no text to read"):
        app.predict("", "text", "surprisal", api_name="/score_text")
    line, table = app.predict("", api_name="/worst_passages")
    assert "pretrained/lstm" in line and len(table["data"]) == 10
    figure, explanation, writers = app.predict(api_name="/compare_writers")
    assert [row[0] for row in writers["data"]] == ["held-out text (a person)", "the model at T = 0.3",
                                                   "the model at T = 1.5"]
    assert "low temperature" in explanation
