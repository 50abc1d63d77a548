"""Shared fixtures: a private workspace, tiny corpora the tests make themselves, tiny models."""

import os
import random
import tempfile
from pathlib import Path

# Before anything imports the playground: nothing phones home, nothing lands in $HOME.
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
os.environ.setdefault("PLAYGROUND_HOME", tempfile.mkdtemp(prefix="playground-home-"))

import collections
import contextlib
import math
import shutil
import socket
import uuid

import pytest

# pressing: each test is held to the endpoints and buttons it declares it presses (@pytest.mark.presses);
# pytester: tests/test_coverage_of_actions.py runs small test files to show that check at work.
pytest_plugins = ("pressing", "pytester")

WORDS = ("the cat sat on a mat and the dog ran to the old red barn while a small bird sang "
         "in the green tree near the quiet river").split()


# The API tests' model: an LSTM small enough to train in seconds.
TINY_MODEL = {"arch": "lstm", "units": 32, "layers": 1, "embedding_dim": 16, "dropout": 0.0}


def train_kwargs(model: dict, epochs, minutes, batch_size, window, learning_rate, optimizer, seed) -> dict:
    """Keyword arguments of the /train endpoint: the Model tab's fields, then the Train tab's."""
    return {**model, "epochs": epochs, "minutes": minutes, "batch_size": batch_size, "window": window,
            "learning_rate": learning_rate, "optimizer": optimizer, "seed": seed}


def make_text(characters: int = 20_000, seed: int = 0) -> str:
    """English-like sentences from a small word list: learnable, and made here."""
    rng = random.Random(seed)
    lines, size = [], 0
    while size < characters:
        words = [rng.choice(WORDS) for _ in range(rng.randint(4, 10))]
        line = " ".join(words).capitalize() + "."
        lines.append(line)
        size += len(line) + 1
    return "\n".join(lines) + "\n"


def unigram_entropy(text: str) -> float:
    """Nats per character for a model that knows only how often each character occurs in ``text``.

    A model that has learned anything about order beats it; an untrained one (about ln V) or one that
    learned only letter frequencies does not.
    """
    counts = collections.Counter(text)
    return -sum(n / len(text) * math.log(n / len(text)) for n in counts.values())


@pytest.fixture
def home_workspace(monkeypatch):
    """A workspace under ``$HOME`` (as ``~/.text-playground`` is), outside the current and the temporary
    folders, where a download really comes from; removed afterwards."""
    folder = Path.home() / f".text-playground-test-{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("PLAYGROUND_HOME", str(folder))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def catalog():
    """The shipped models, as the app lists them (each loaded once per module)."""
    from playground.runs.catalog import Catalog

    return Catalog(Path(__file__).resolve().parent.parent / "pretrained")


@pytest.fixture
def context(catalog):
    """A fresh set of sessions each test (the shipped models stay loaded), generating with the LSTM:
    what a tab's handlers get from the app, without a browser or a server."""
    from playground.session import SessionStore
    from playground.ui.common import AppContext

    return AppContext(SessionStore(catalog.get("lstm")), catalog)


@pytest.fixture
def small_text() -> str:
    return make_text()


@pytest.fixture
def corpus_file(tmp_path, small_text):
    path = tmp_path / "corpus.txt"
    path.write_text(small_text, encoding="utf-8")
    return path


@pytest.fixture(autouse=True)
def private_home(tmp_path, monkeypatch):
    monkeypatch.setenv("PLAYGROUND_HOME", str(tmp_path / "home"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def running_app(**environment):
    """The real app served in-process on a free port of 127.0.0.1, created with ``environment`` set.

    Yields (url, context); the variables are restored when the app closes.
    """
    saved = {key: os.environ.get(key) for key in environment}
    os.environ.update({key: str(value) for key, value in environment.items()})
    from playground.ui.app import create_app, launch_options

    from pressing import watch

    demo, context = create_app()
    watch(demo)
    port = free_port()
    demo.queue().launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True,
                        **launch_options())
    try:
        yield f"http://127.0.0.1:{port}/", context
    finally:
        demo.close()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.fixture(scope="module")
def tiny_server(tmp_path_factory):
    """(url, context, folder) of the real app whose only "pretrained" model is a tiny LSTM trained here
    (folder/pretrained/lstm), so it opens ready to generate, as it does with the shipped ones."""
    from playground.runs.training_run import TrainingRun
    from playground.text import corpus
    from playground.training.config import TrainConfig

    folder = tmp_path_factory.mktemp("tiny")
    TrainingRun(corpus.from_text(make_text(seed=1)), "lstm", {"units": 32, "layers": 1, "embedding_dim": 16},
                TrainConfig(epochs=0.2, batch_size=16, window=32), run_dir=folder / "pretrained" / "lstm"
                ).execute(final_evaluation=False)
    with running_app(PLAYGROUND_PRETRAINED=folder / "pretrained") as (url, context):
        yield url, context, folder


@pytest.fixture(scope="module")
def pretrained_server(tmp_path_factory):
    """(url, context) of the real app with the shipped pretrained models and an empty workspace."""
    with running_app(PLAYGROUND_HOME=tmp_path_factory.mktemp("home"),
                     PLAYGROUND_PRETRAINED=Path(__file__).resolve().parent.parent / "pretrained") as served:
        yield served


# Browser tests: each module says which app it drives (an ``app_url`` fixture); the browser is shared.
@pytest.fixture(scope="module")
def pretrained_app_url(pretrained_server):
    from browser_support import require_chromium

    require_chromium()
    return pretrained_server[0]


@pytest.fixture(scope="module")
def empty_app_url(tmp_path_factory):
    """The real app with its own empty workspace and no pretrained models: a student starting from nothing."""
    from browser_support import require_chromium

    require_chromium()
    with running_app(PLAYGROUND_HOME=tmp_path_factory.mktemp("playground-home"),
                     PLAYGROUND_PRETRAINED=tmp_path_factory.mktemp("no-pretrained")) as (url, _):
        yield url


@pytest.fixture(scope="module")
def browser(app_url):
    """Debian's Chromium for one test module, started once the module's app is up."""
    from browser_support import chromium_browser

    with chromium_browser() as chromium:
        yield chromium


@pytest.fixture
def viewport():
    """The browser window a module's pages open in (None: browser_support's default)."""
    return None


@pytest.fixture
def page(browser, app_url, viewport):
    """A fresh page for each test; no uncaught JavaScript error may happen on it."""
    from browser_support import fresh_page

    errors: list[str] = []
    with fresh_page(browser, app_url, errors, viewport) as page:
        yield page
    assert errors == []
