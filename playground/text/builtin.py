"""Built-in corpora that work offline and are made by the project itself.

* ``python-docs``: the Python language reference text that ships inside every Python
  install (``pydoc_data.topics``), about 0.45 MB of English prose and grammar.
* ``markov-babble``: sentences from a word-level Markov chain with a fixed seed. Its true
  distribution is known, so its entropy rate, the lowest loss any model can reach, is
  computed exactly and shown next to the model's validation loss.
* ``tiny-shakespeare`` (optional): the classic corpus, downloaded once when the machine is
  online and cached under the workspace; never needed at start.
"""

from __future__ import annotations

import dataclasses
import urllib.request
from pathlib import Path
from collections.abc import Callable

import numpy as np

from playground.text.corpus import Corpus, check_text
from playground.errors import PlaygroundError

BABBLE_WORDS = (
    "the a one every small old quiet bright river cat king ship garden storm lamp child "
    "sings sleeps waits runs falls watches finds keeps under over near beside and but "
    "slowly again tonight . ,"
).split()

TINY_SHAKESPEARE_URL = (
    "https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt"
)


@dataclasses.dataclass(frozen=True)
class MarkovBabble:
    """A first-order Markov chain over words, rendered as text.

    Each word is followed by a space, except ``.`` which is followed by a newline, so the
    word sequence can be read back from the characters. That makes the characters carry
    exactly the information of the words: the entropy per character is the chain's
    entropy rate per word divided by the mean number of characters per word.
    """

    words: tuple[str, ...]
    transitions: np.ndarray  # (W, W), rows sum to one

    @classmethod
    def make(cls, seed: int = 7, successors: int = 4) -> MarkovBabble:
        rng = np.random.default_rng(seed)
        count = len(BABBLE_WORDS)
        transitions = np.zeros((count, count))
        for row in range(count):
            # A ring edge keeps the chain irreducible; a few random edges make it interesting.
            targets = {(row + 1) % count, *rng.choice(count, size=successors - 1, replace=False)}
            weights = rng.dirichlet(np.ones(len(targets)))
            transitions[row, sorted(targets)] = weights
        return cls(tuple(BABBLE_WORDS), transitions)

    def rendered(self, index: int) -> str:
        word = self.words[index]
        return word + ("\n" if word == "." else " ")

    def stationary(self) -> np.ndarray:
        values, vectors = np.linalg.eig(self.transitions.T)
        vector = np.real(vectors[:, np.argmin(np.abs(values - 1.0))])
        return vector / vector.sum()

    def entropy_per_character(self) -> float:
        """The entropy rate in nats per character: the best loss any model can reach."""
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = np.where(self.transitions > 0, -self.transitions * np.log(self.transitions), 0.0)
        per_word = terms.sum(axis=1)  # (W,) entropy of the next word given this one
        pi = self.stationary()
        lengths = np.array([len(self.rendered(i)) for i in range(len(self.words))])
        # The characters of the *next* word carry its information; weight by where we are.
        next_length = self.transitions @ lengths  # (W,)
        return float(pi @ per_word / (pi @ next_length))

    def sample(self, characters: int, seed: int = 0) -> str:
        rng = np.random.default_rng(seed)
        cumulative = np.cumsum(self.transitions, axis=1)
        state, pieces, size = 0, [], 0
        while size < characters:
            state = min(int(np.searchsorted(cumulative[state], rng.random())), len(self.words) - 1)
            piece = self.rendered(state)
            pieces.append(piece)
            size += len(piece)
        return "".join(pieces)


def python_docs() -> Corpus:
    import pydoc_data.topics as topics

    text = "\n\n".join(topics.topics[name].strip() for name in sorted(topics.topics)) + "\n"
    return Corpus("python-docs", check_text(text, "python-docs"))


def markov_babble(characters: int = 300_000) -> Corpus:
    return Corpus("markov-babble", check_text(MarkovBabble.make().sample(characters), "markov-babble"))


def tiny_shakespeare(cache_dir: Path, timeout: float = 20.0) -> Corpus:
    """Tiny Shakespeare from the cache, downloading it first if needed (needs the network)."""
    path = Path(cache_dir) / "tinyshakespeare.txt"
    if not path.exists():
        try:
            with urllib.request.urlopen(TINY_SHAKESPEARE_URL, timeout=timeout) as response:
                data = response.read()
        except OSError as error:
            raise PlaygroundError(
                f"Tiny Shakespeare is not cached and could not be downloaded ({error}). "
                "Use a built-in corpus or upload a file instead."
            ) from None
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".part")
        temporary.write_bytes(data)
        temporary.replace(path)
    return Corpus("tiny-shakespeare", check_text(path.read_text("utf-8"), "tiny-shakespeare"))


def cached_tiny_shakespeare() -> Corpus:
    from playground.paths import workspace

    return tiny_shakespeare(workspace() / "corpora")


BUILTIN: dict[str, tuple[str, Callable[[], Corpus]]] = {
    "python-docs": ("Python language reference (ships with Python, ~0.45 MB)", python_docs),
    "markov-babble": ("Markov babble: known entropy floor (~0.3 MB)", markov_babble),
    "tiny-shakespeare": ("Tiny Shakespeare (downloaded once when online, then cached; ~1.1 MB)",
                         cached_tiny_shakespeare),
}


def entropy_floor(name: str) -> float | None:
    """The true entropy in nats/char of a built-in corpus, where it is known."""
    return MarkovBabble.make().entropy_per_character() if name == "markov-babble" else None


def load_builtin(name: str) -> Corpus:
    if name not in BUILTIN:
        raise PlaygroundError(f"Unknown built-in corpus {name!r}; choose one of {', '.join(BUILTIN)}.")
    return BUILTIN[name][1]()
