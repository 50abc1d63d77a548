"""Shared fixtures: a private workspace, tiny corpora the tests make themselves, tiny models."""

import os
import random
import tempfile

# Before anything imports the playground: nothing phones home, nothing lands in $HOME.
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
os.environ.setdefault("PLAYGROUND_HOME", tempfile.mkdtemp(prefix="playground-home-"))

import pytest  # noqa: E402

WORDS = ("the cat sat on a mat and the dog ran to the old red barn while a small bird sang "
         "in the green tree near the quiet river").split()


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
