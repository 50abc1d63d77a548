"""Every named API endpoint and every button of the page is pressed by a test, and this is enforced.

A test declares what it presses, ``@pytest.mark.presses("/unpublish_run", "#unpublish-run")``, and
the ``pressing`` plugin (tests/pressing.py) fails that test unless, while it ran, a script called
each endpoint through a running app and got an answer, and each button was clicked in a browser or
its handler was called and answered. Here: every endpoint the running app offers and every button
its page shows is declared by some test (one test each, parametrized from the app itself, so an
endpoint or a button added without a test that presses it fails by name), and every declared name
is on the page.

A Resume button that raised ``NameError`` while 622 tests passed is what this prevents.
"""

from pathlib import Path

import pytest
from gradio_client import Client

import pressing

TESTS = Path(__file__).resolve().parent
PAGE = pressing.built_page()
DECLARED = pressing.declared_in(TESTS)

def nobody_presses(name: str) -> str:
    return (f"no test declares @pytest.mark.presses({name!r}): write one that presses it "
            "(an API test for an endpoint; a browser test, or a handler test in tests/test_ui_handlers.py, "
            "for a button)")


def test_the_running_app_offers_the_endpoints_of_its_page(pretrained_server):
    named = Client(pretrained_server[0], verbose=False).view_api(return_format="dict", print_info=False)
    assert sorted(named["named_endpoints"]) == sorted(PAGE.endpoints)


@pytest.mark.parametrize("endpoint", list(PAGE.endpoints))
def test_every_endpoint_is_called_by_an_api_test(endpoint):
    assert DECLARED.get(endpoint), nobody_presses(endpoint)


@pytest.mark.parametrize("button", list(PAGE.buttons))
def test_every_button_is_clicked_in_a_browser_or_its_handler_called(button):
    assert DECLARED.get(button), nobody_presses(button)


def test_every_declared_press_is_on_the_page():
    strangers = {name: tests for name, tests in DECLARED.items() if not PAGE.knows(name)}
    assert strangers == {}, "these tests declare presses of what the app does not have"


def test_a_button_or_endpoint_added_without_a_test_is_missed():
    import gradio as gr

    with gr.Blocks() as blocks:
        shout = gr.Button("Shout", elem_id="shout")
        shout.click(lambda: "HELLO", None, gr.Textbox(), api_name="shout")
        gr.Button("Whisper").click(lambda: "hello", None, None, api_visibility="private")
    page = pressing.Page.of(blocks)
    assert page.endpoints == ("/shout",) and list(page.buttons) == ["#shout", "Whisper"]
    assert [name for name in (*page.endpoints, *page.buttons) if not DECLARED.get(name)] == \
        ["/shout", "#shout", "Whisper"]


def test_two_buttons_of_one_name_are_refused():
    import gradio as gr

    with gr.Blocks() as blocks:
        gr.Button("Go")
        gr.Button("Go")
    with pytest.raises(ValueError, match="two buttons are called 'Go'"):
        pressing.Page.of(blocks)


CLAIMS = '''
import pytest

from playground.errors import PlaygroundError
from playground.ui import lessons_tab, runs_tab
from playground.ui.common import AppContext


@pytest.mark.presses("#refresh-runs")
def test_calls_the_handler(context):
    assert runs_tab.list_runs(context).empty


@pytest.mark.presses("#refresh-runs")
def test_only_says_so(context):
    assert True


@pytest.mark.presses("/list_runs")
def test_calls_the_handler_for_an_endpoint(context):
    assert runs_tab.list_runs(context).empty


@pytest.mark.presses("#load-run")
def test_refused(context):
    with pytest.raises(PlaygroundError):
        runs_tab.load_run(context, "nothing")


@pytest.mark.presses("#lesson-setup-button")
def test_a_button_only_a_browser_can_press(context):
    lessons_tab.step_view(context, "", 0)


@pytest.mark.presses("#no-such-button")
def test_names_what_is_not_there(context):
    assert True


@pytest.fixture
def context(tmp_path):
    from playground.runs.catalog import Catalog
    from playground.session import SessionStore

    return AppContext(SessionStore(None), Catalog(tmp_path / "none"))
'''


def test_a_test_that_does_not_press_what_it_declares_fails(pytester):
    pytester.makepyfile(test_claims=CLAIMS)
    # The plugin is already imported (by this run), so the inner run cannot rewrite its asserts: no matter.
    result = pytester.runpytest_inprocess("-p", "pressing", "-p", "no:cacheprovider",
                                          "-W", "ignore::pytest.PytestAssertRewriteWarning")
    result.assert_outcomes(passed=1, failed=5)
    result.stdout.fnmatch_lines([
        "*test_only_says_so declares presses it did not make:",
        "*'#refresh-runs': no page clicked this button and playground.ui.runs_tab.list_runs was not called, "
        "or did not answer",
        "*'/list_runs': no script called this endpoint of a running app, or no call succeeded",
        "*'#load-run': no page clicked this button and playground.ui.runs_tab.load_run was not called, "
        "or did not answer",
        "*'#lesson-setup-button': no page clicked this button (a browser test must: its click calls no tab function)",
        "*'#no-such-button' is neither a named endpoint of the app nor a button of its page",
    ], consecutive=False)
