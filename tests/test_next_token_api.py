"""The next-token lab through the API and the Generate tab's handlers, with the shipped models."""

import types
from pathlib import Path

import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError


@pytest.fixture(scope="module")
def server(pretrained_server):
    return pretrained_server


@pytest.mark.presses("/next_token_distribution")
def test_the_distribution_through_the_api(server):
    client = Client(server[0], verbose=False)
    result = client.predict("ROMEO:\nWhat ", 0.7, 0, 0.9, 0.0, api_name="/next_token_distribution")
    assert len(result["tokens"]) == 20 and result["temperature"] == 0.7
    logits = [row["logit"] for row in result["tokens"]]
    assert logits == sorted(logits, reverse=True)
    assert all(row["probability"] == 0 for row in result["tokens"] if not row["kept"])
    assert result["effective_choices"] == pytest.approx(2 ** result["entropy_bits"], rel=1e-4)
    five = client.predict("ROMEO:\nWhat ", 0.7, 0, 0.9, 0.0, 5, api_name="/next_token_distribution")
    assert five["tokens"] == result["tokens"][:5]


def test_greedy_generation_starts_with_the_top_bar(server):
    client = Client(server[0], verbose=False)
    top = client.predict("KING", 0.0, 0, 1.0, 0.0, api_name="/next_token_distribution")["tokens"][0]
    assert top["probability"] == 1.0
    text, _, _ = client.predict("KING", 10, 0.0, 0, 0, 1.0, 0.0, api_name="/generate")
    assert text[len("KING")] == top["token"]


def test_an_empty_prompt_starts_where_text_starts(server):
    result = Client(server[0], verbose=False).predict("", 1.0, 0, 1.0, 0.0, api_name="/next_token_distribution")
    assert sum(row["probability_t1"] for row in result["tokens"]) > 0.5


@pytest.mark.parametrize("args, message", [
    (("The", 2.5, 0, 1.0, 0.0), "Temperature must be a number from 0 (greedy) to 2 (got 2.5)."),
    (("The", 1.0, 0, 1.5, 0.0), "top-p must be in (0, 1], 1 for off (got 1.5)."),
    (("The", 1.0, 0, 1.0, 0.0, 0), "Show between 1 and 66 tokens, the size of this model's vocabulary (got 0)."),
])
def test_bad_settings_get_clear_messages(server, args, message):
    with pytest.raises(AppError) as error:
        Client(server[0], verbose=False).predict(*args, api_name="/next_token_distribution")
    assert message in str(error.value)


def handlers_session(context, key):
    from playground.ui.common import session_of

    return session_of(context, types.SimpleNamespace(session_hash=key))


@pytest.mark.presses("#draw-one")
def test_step_through_draws_picks_and_goes_back(server):
    from playground.ui.generate import next_token as next_token_tab

    context = server[1]
    request = types.SimpleNamespace(session_hash="step-through")
    draw = {"prompt": "ROMEO:", "temperature": 0.8, "seed": 3, "top_k": 0, "top_p": 1.0, "min_p": 0.0, "path": []}
    prompt, path, _ = next_token_tab.draw_one(context, draw, request=request)
    assert prompt.startswith("ROMEO:") and len(prompt) == len("ROMEO:") + 1
    assert path[0]["prompt"] == "ROMEO:" and 0 < path[0]["probability"] <= 1
    # The same seed and step draw the same token: generation at that seed writes it first.
    again, _, _ = next_token_tab.draw_one(context, draw, request=request)
    assert again == prompt
    model = context.catalog.get("lstm")
    first = model.generate("ROMEO:", [0.8], 1, seed=3)[0].text
    assert prompt == "ROMEO:" + first
    newline = model.tokenizer.encode("\n")[0]
    pick = {"prompt": prompt, "temperature": 0.8, "top_k": 0, "top_p": 1.0, "min_p": 0.0, "token_id": int(newline),
            "path": path}
    picked, path, view = next_token_tab.pick_token(context, pick, request=request)
    assert picked == prompt + "\n" and len(path) == 2 and "↵" in view
    back, path, _ = next_token_tab.step_back(context, picked, path, request=request)
    assert back == prompt and len(path) == 1


def test_the_model_list_names_the_model_in_use(server):
    from playground.runs.model_ref import LATEST
    from playground.ui.generate import model_list

    context = server[1]
    request = types.SimpleNamespace(session_hash="model-in-use")
    session = handlers_session(context, "model-in-use")
    dropdown, line = model_list.model_in_use(context, request=request)
    assert dropdown.value == "lstm" and "pretrained/lstm" in line
    # A finished run of this session's own becomes the model in use.
    gru = context.catalog.get("gru")
    session.run = types.SimpleNamespace(text_model=gru, run_dir=Path("gru-20261202"))
    session.model = gru
    dropdown, _ = model_list.model_in_use(context, request=request)
    assert dropdown.value == LATEST
    # A run loaded in the Runs tab is named and offered.
    session.run, session.model = None, types.SimpleNamespace(name="my-run", arch="lstm")
    assert session.model_choice(context.catalog.names()) == "run: my-run"
    assert session.model_choices(context.catalog.names())[-1] == "run: my-run"
