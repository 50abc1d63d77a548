"""What a test presses: a pytest plugin that holds each test to the endpoints and buttons it says it presses.

A test declares what it presses with a marker, written as string literals::

    @pytest.mark.presses("/unpublish_run", "#unpublish-run")

* ``"/name"``, a named API endpoint: while the test ran, the app served that endpoint to a script
  (gradio_client, whose calls say ``x-gradio-user: api``) and the call succeeded.
* ``"#elem-id"`` (or the label of a button that has no elem_id), a button of the page: while the test
  ran, the app served the button's click to a page (a browser clicked it), or the test called the
  button's handler and got its answer (the tab function the click runs, called as
  tests/test_ui_handlers.py calls them).

The marker is a claim checked after the test: a test that declares a press it did not make fails,
whatever its own assertions found. tests/test_coverage_of_actions.py checks that every endpoint and
every button of the app is declared by some test, so an endpoint or button added without a test
that presses it fails the suite.

``conftest.running_app`` has every app it serves report here (``watch``); a handler is watched by
putting a reporting copy in its module for the length of the test.
"""

from __future__ import annotations

import ast
import contextlib
import dataclasses
import functools
import inspect
import sys
import tempfile
import threading
from pathlib import Path

import pytest

MARKER = "presses"


@dataclasses.dataclass
class Pressed:
    """What one test pressed: endpoints ("/name") called by a script, buttons clicked or handled."""

    names: set[str] = dataclasses.field(default_factory=set)


class Recorder:
    """The presses of the test running now. The apps answer in their own server threads, so they
    report here rather than to the test; a report with no test watching is dropped."""

    def __init__(self):
        self._lock = threading.Lock()
        self._current: Pressed | None = None

    @contextlib.contextmanager
    def watching(self):
        pressed = Pressed()
        with self._lock:
            outer, self._current = self._current, pressed
        try:
            yield pressed
        finally:
            with self._lock:
                self._current = outer

    def report(self, name: str) -> None:
        with self._lock:
            if self._current is not None:
                self._current.names.add(name)


# One per test process: the apps' server threads and the running test meet here.
RECORDER = Recorder()


def button_name(button) -> str:
    return f"#{button.elem_id}" if button.elem_id else str(button.value)


def clicks(blocks, button) -> list:
    """The events a button's click starts (usually one)."""
    return [fn for fn in blocks.fns.values() if any(tuple(t) == (button._id, "click") for t in fn.targets)]


def handler_of(blocks, button):
    """The tab function a button's click runs: the first function of its click and the steps chained
    after it (``.then``) that ``bind`` gave the app context. (Compare temperatures first turns its
    sliders into a list of temperatures, then calls ``compare_temperatures``.) None for a click that
    runs no such function."""
    waiting = clicks(blocks, button)
    while waiting:
        fn = waiting.pop(0)
        handler = getattr(fn.fn, "__wrapped__", None)
        if handler is not None:
            return handler
        waiting += [after for after in blocks.fns.values() if after.trigger_after == fn._id]
    return None


@dataclasses.dataclass(frozen=True)
class Page:
    """The named API endpoints and the buttons of a built app."""

    endpoints: tuple[str, ...]
    buttons: dict[str, object]  # name -> the button's handler (None: it can only be clicked)

    @classmethod
    def of(cls, blocks) -> Page:
        import gradio as gr

        endpoints = tuple(f"/{name.lstrip('/')}" for name in blocks.get_api_info()["named_endpoints"])
        buttons: dict[str, object] = {}
        for block in blocks.blocks.values():
            if isinstance(block, gr.Button):
                name = button_name(block)
                if name in buttons:
                    raise ValueError(f"two buttons are called {name!r}: give each an elem_id of its own")
                buttons[name] = handler_of(blocks, block)
        return cls(endpoints, buttons)

    def knows(self, name: str) -> bool:
        return name in self.endpoints or name in self.buttons


def built_page() -> Page:
    """The playground's page, built (not served) on an empty catalog: what it shows and calls."""
    from playground.runs.catalog import Catalog
    from playground.session import SessionStore
    from playground.ui.app import build_demo
    from playground.ui.common import AppContext

    catalog = Catalog(Path(tempfile.mkdtemp(prefix="no-pretrained-")))
    return Page.of(build_demo(AppContext(SessionStore(None), catalog)))


def watch(demo) -> None:
    """Have ``demo`` report what it serves to the test running now: a named endpoint that a script
    called, a button whose click a page sent. Only answers given without an error count."""
    import gradio as gr

    process_api = demo.process_api

    async def reporting(*args, **kwargs):
        output = await process_api(*args, **kwargs)
        block_fn = kwargs["block_fn"] if "block_fn" in kwargs else args[0]
        if isinstance(block_fn, int):
            block_fn = demo.fns[block_fn]
        request = kwargs.get("request")
        request = request[0] if isinstance(request, list) else request
        headers = getattr(request, "headers", None) or {}
        if headers.get("x-gradio-user") == "api":
            if block_fn.api_visibility == "public" and block_fn.api_name:
                RECORDER.report(f"/{block_fn.api_name}")
        else:
            for target, event in block_fn.targets:
                if event == "click" and isinstance(demo.blocks.get(target), gr.Button):
                    RECORDER.report(button_name(demo.blocks[target]))
        return output

    demo.process_api = reporting


def reporting_copy(handler, name: str):
    """``handler``, reporting ``name`` each time it answers (returns, or yields a value)."""
    if inspect.isasyncgenfunction(handler):
        @functools.wraps(handler)
        async def copy(*args, **kwargs):
            async for value in handler(*args, **kwargs):
                RECORDER.report(name)
                yield value
    elif inspect.isgeneratorfunction(handler):
        @functools.wraps(handler)
        def copy(*args, **kwargs):
            for value in handler(*args, **kwargs):
                RECORDER.report(name)
                yield value
    elif inspect.iscoroutinefunction(handler):
        @functools.wraps(handler)
        async def copy(*args, **kwargs):
            value = await handler(*args, **kwargs)
            RECORDER.report(name)
            return value
    else:
        @functools.wraps(handler)
        def copy(*args, **kwargs):
            value = handler(*args, **kwargs)
            RECORDER.report(name)
            return value
    return copy


def reachable(handler) -> bool:
    """Whether a test can call ``handler`` as its module's attribute (not a closure or a lambda)."""
    module = sys.modules.get(getattr(handler, "__module__", ""), None)
    return module is not None and getattr(module, handler.__name__, None) is handler


@contextlib.contextmanager
def handlers_watched(page: Page | None, names):
    """While the test runs, the handlers of the buttons it names report when they answer."""
    with pytest.MonkeyPatch.context() as patch:
        for name in names if page is not None else ():
            handler = page.buttons.get(name)
            if handler is not None and reachable(handler):
                patch.setattr(sys.modules[handler.__module__], handler.__name__, reporting_copy(handler, name))
        yield


def declared(item) -> list[str]:
    return [name for marker in item.iter_markers(MARKER) for name in marker.args]


PAGE = pytest.StashKey[Page]()


def page_of(config) -> Page:
    if PAGE not in config.stash:
        config.stash[PAGE] = built_page()
    return config.stash[PAGE]


def unmade(page: Page, name: str) -> str:
    """Why a declared press counts as not made."""
    if not page.knows(name):
        return f"{name!r} is neither a named endpoint of the app nor a button of its page"
    if name in page.endpoints:
        return f"{name!r}: no script called this endpoint of a running app, or no call succeeded"
    handler = page.buttons[name]
    if handler is None or not reachable(handler):
        return f"{name!r}: no page clicked this button (a browser test must: its click calls no tab function)"
    return (f"{name!r}: no page clicked this button and {handler.__module__}.{handler.__name__} "
            "was not called, or did not answer")


def pytest_configure(config):
    config.addinivalue_line("markers", f"{MARKER}(*names): the endpoints (\"/name\") and buttons (\"#elem-id\") "
                                       "this test presses; checked while it runs (tests/pressing.py)")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    names = declared(item)
    if not names:
        return (yield)
    buttons = [name for name in names if not name.startswith("/")]
    with RECORDER.watching() as pressed, handlers_watched(page_of(item.config) if buttons else None, buttons):
        result = yield
    missing = [name for name in names if name not in pressed.names]
    if missing:
        page = page_of(item.config)
        pytest.fail(f"{item.name} declares presses it did not make:\n"
                    + "\n".join(f"  {unmade(page, name)}" for name in missing), pytrace=False)
    return result


def declared_in(folder: Path) -> dict[str, list[str]]:
    """{name: the tests that declare they press it}, read from the ``@pytest.mark.presses`` decorators
    of the test files in ``folder`` (without importing them)."""
    found: dict[str, list[str]] = {}
    for path in sorted(folder.glob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) or not node.name.startswith("test"):
                continue
            for decorator in node.decorator_list:
                if isinstance(decorator, ast.Call) and ast.unparse(decorator.func) == f"pytest.mark.{MARKER}":
                    for argument in decorator.args:
                        if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                            found.setdefault(argument.value, []).append(f"{path.name}::{node.name}")
    return found
