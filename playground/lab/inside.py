"""Inside the model: what a prompt does to the network's insides.

Three views, each read from the model itself rather than recomputed by a copy:

* **attention** (transformers): every layer's and head's weights ``[T][T]`` as the model's own
  ``read`` returns them, the very path ``call`` takes; row ``i`` says how much token ``i`` took
  from each token ``j`` (causal: zero above the diagonal, each row sums to 1);
* **activations** (recurrent models): the last recurrent layer's hidden state at every token
  ``[T][units]``, as that layer output it, with the units ranked by how closely they follow simple
  named features of the text (inside quotes, position in the line, ...), after Karpathy's
  char-RNN neurons;
* **embeddings**: the token embedding matrix (or, without one, the output layer's weights, one
  row per token) projected onto its two main directions by PCA, computed here in NumPy.
"""

from __future__ import annotations

import dataclasses
import string

import numpy as np
import tensorflow as tf

from playground.errors import PlaygroundError

SHOWN = 400  # tokens a view shows at most: a recurrent model reads longer prompts, but a page cannot show them
TOP_EXPECTED = 5  # next tokens listed under each token
OFFERED_UNITS = 12
FREQUENT_WORDS = 300  # word models: the embeddings scatter shows the most frequent words only
KINDS = ("lower-case letter", "upper-case letter", "digit", "punctuation", "space", "word", "other")
QUOTES = '"'
OPENING, CLOSING = "([{", ")]}"


# Embeddings ----------------------------------------------------------------------------
def pca_2d(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The rows of ``matrix`` (N, D) on its two main directions: coordinates (N, 2) and the share
    of the spread (variance) each direction holds (2,).

    Each direction is turned so that the row furthest along it lies on its positive side, so the
    picture does not flip between runs of the same model.
    """
    matrix = np.asarray(matrix, dtype=np.float64)
    centred = matrix - matrix.mean(axis=0)  # (N, D)
    _, singular, directions = np.linalg.svd(centred, full_matrices=False)  # directions: (min(N, D), D)
    coordinates = np.zeros((len(matrix), 2))
    shares = np.zeros(2)
    count = min(2, len(singular))
    coordinates[:, :count] = centred @ directions[:count].T  # (N, count)
    total = float(np.sum(singular**2))
    if total > 0:
        shares[:count] = singular[:count] ** 2 / total
    for column in range(count):
        furthest = int(np.argmax(np.abs(coordinates[:, column])))
        if coordinates[furthest, column] < 0:
            coordinates[:, column] *= -1
    return coordinates, shares


def embedding_matrix(network) -> tuple[np.ndarray, str]:
    """One row per vocabulary token (V, D) of ``network`` and where it comes from, in words."""
    embedding = getattr(network, "token_embedding", None)
    if embedding is None:
        embedding = getattr(network, "encode", None)
    if embedding is not None:
        return np.asarray(embedding.embeddings), "the input embedding (one learned vector per token)"
    head = getattr(network, "head", None)
    if head is None:
        raise PlaygroundError("This model has neither an input embedding nor an output layer to picture.")
    # One-hot input: the output layer's column for a token is the direction that makes it likely.
    return np.asarray(head.kernel).T, "the output layer's weights (this model reads one-hot input, no embedding)"


def kind_of(token: str) -> str:
    """What sort of token this is, for colouring the embeddings scatter."""
    if not token or token == "<unk>":
        return "other"
    if token.isspace():
        return "space"
    if len(token) == 1:
        if token.isalpha() and token.isascii():
            return "lower-case letter" if token.islower() else "upper-case letter"
        if token.isdigit():
            return "digit"
        if token in string.punctuation:
            return "punctuation"
        return "other"
    if token.isalpha() or ("'" in token and token.replace("'", "").isalpha()):
        return "word"
    if token.isdigit():
        return "digit"
    return "other"


# Recurrent units -----------------------------------------------------------------------
def text_features(tokens: list[str]) -> dict[str, np.ndarray]:
    """Simple named features of the text, one value per token (after reading it), to hold a unit against."""
    inside_quotes, inside_brackets, column, after_newline, letter, punctuation, word_start = ([] for _ in range(7))
    quoted, depth, position, previous = False, 0, 0, "\n"
    for token in tokens:
        if token in QUOTES:
            quoted = not quoted
        depth = depth + (token in OPENING) - (token in CLOSING and depth > 0)
        is_letter = bool(token) and token[0].isalpha()
        after_newline.append(float(previous == "\n"))
        word_start.append(float(is_letter and not previous[-1:].isalpha()))
        position = 0 if token == "\n" else position + 1
        inside_quotes.append(float(quoted))
        inside_brackets.append(float(depth > 0))
        column.append(float(position))
        letter.append(float(is_letter))
        punctuation.append(float(bool(token) and all(c in string.punctuation for c in token)))
        previous = token
    return {"inside quotes": np.array(inside_quotes), "inside brackets": np.array(inside_brackets),
            "position in the line": np.array(column), "just after a newline": np.array(after_newline),
            "a letter": np.array(letter), "punctuation": np.array(punctuation),
            "start of a word": np.array(word_start)}


@dataclasses.dataclass(frozen=True)
class UnitMatch:
    unit: int
    feature: str
    r: float  # Pearson correlation over the tokens: +1 rises with the feature, -1 falls with it

    def describe(self) -> str:
        return f"unit {self.unit} follows: {self.feature}, r = {self.r:.2f}"

    def to_json(self) -> dict:
        return {"unit": self.unit, "feature": self.feature, "r": round(self.r, 4)}


def correlations(activations: np.ndarray, features: dict[str, np.ndarray]) -> np.ndarray:
    """Pearson r of every feature with every unit (F, U); 0 where either never changes."""
    values = np.asarray(activations, dtype=np.float64)  # (T, U)
    table = np.stack([np.asarray(f, dtype=np.float64) for f in features.values()])  # (F, T)
    values = values - values.mean(axis=0)
    table = table - table.mean(axis=1, keepdims=True)
    spread = np.sqrt((table**2).sum(axis=1))[:, None] * np.sqrt((values**2).sum(axis=0))[None, :]  # (F, U)
    products = table @ values  # (F, U)
    r = np.divide(products, spread, out=np.zeros_like(products), where=spread > 1e-12)
    return np.clip(r, -1.0, 1.0)  # rounding can leave a perfect match a hair above 1


def rank_units(activations: np.ndarray, features: dict[str, np.ndarray], count: int = OFFERED_UNITS) -> list[UnitMatch]:
    """The units that follow a named feature most closely: first the best unit for each feature
    (strongest first), then the next strongest units, ``count`` in all."""
    r = correlations(activations, features)  # (F, U)
    names = list(features)
    if r.size == 0:
        return []
    best_feature = np.argmax(np.abs(r), axis=0)  # (U,) each unit's closest feature
    strength = np.abs(r[best_feature, np.arange(r.shape[1])])  # (U,)
    chosen: list[int] = []
    for f in np.argsort(-np.max(np.abs(r), axis=1), kind="stable"):
        unit = int(np.argmax(np.abs(r[f])))
        if abs(r[f, unit]) > 0 and unit not in chosen and best_feature[unit] == f:
            chosen.append(unit)
    for unit in np.argsort(-strength, kind="stable"):
        if len(chosen) >= count:
            break
        if int(unit) not in chosen and strength[unit] > 0:
            chosen.append(int(unit))
    chosen = sorted(chosen[:count], key=lambda u: -strength[u])
    return [UnitMatch(u, names[best_feature[u]], float(r[best_feature[u], u])) for u in chosen]


# The whole look inside -----------------------------------------------------------------
def held_out_passage(text_model, characters: int = 300) -> str:
    """About ``characters`` of the text the model was checked on but never trained on, from a
    paragraph start and ending at a line break: a fair prompt to look inside with."""
    split = text_model.corpus_split()
    if split is None or not split[1].strip():
        raise PlaygroundError("This model was saved without its training text, so there is no held-out text to "
                              "show; type a prompt instead.")
    text = split[1]
    paragraph = text.find("\n\n", 0, 5_000)
    start = paragraph + 2 if paragraph >= 0 else 0
    piece = text[start:start + characters]
    end = piece.rfind("\n")
    return piece[:end + 1] if end > characters // 2 else piece


def inspect(text_model, prompt: str) -> dict:
    """Everything the Inside tab shows for ``prompt`` on ``text_model`` (a
    :class:`playground.generation.text_model.TextModel`), as plain JSON values: ``tokens``, ``embedding_2d``,
    ``attention`` (transformers, else None), ``activations`` and ``units`` (recurrent models, else None),
    ``expected`` (the top next tokens after each token, with their probabilities) and a ``note`` on what was
    shown."""
    if text_model.ignores_prompt:
        raise PlaygroundError("The naive GAN writes from noise and ignores the prompt, so there is nothing inside "
                              "it to show for your text. Pick another model (an LSTM, GRU or transformer).")
    if not prompt or not len(text_model.tokenizer.encode(prompt)):
        raise PlaygroundError("Type a prompt first: the views show what the model does with its tokens.")
    network = text_model.network
    if not hasattr(network, "read"):
        raise PlaygroundError(f"The {text_model.arch} architecture has no inside view yet.")
    ids = text_model.start_ids(prompt)
    notes = [text_model.prompt_note(prompt)]
    unknown = text_model.unknown_in(prompt)
    if unknown:
        shown_unknown = ", ".join(repr(symbol) for symbol in unknown[:10])
        notes.append(f"The model never saw {shown_unknown} in training; it reads them as the unknown token <unk>.")
    logits, inner = network.read(tf.constant([ids], tf.int32))  # (1, T, V), per-architecture insides
    shown = min(len(ids), SHOWN)
    if shown < len(ids):
        notes.append(f"The model read {len(ids):,} tokens; the views show the last {shown}.")
    tokens = text_model.tokenizer.token_texts(ids[-shown:])
    attention = activations = units = None
    if isinstance(inner, (list, tuple)):  # a transformer: attention weights per layer
        attention = np.stack([np.asarray(w)[0] for w in inner])[:, :, -shown:, -shown:]  # (L, H, T, T)
    else:  # a recurrent model: the last layer's hidden state
        activations = np.asarray(inner)[0, -shown:]  # (T, units)
        units = [match.to_json() for match in rank_units(activations, text_features(tokens))]
    matrix, source = embedding_matrix(network)
    coordinates, shares = pca_2d(matrix)
    return {
        "model": text_model.name, "arch": text_model.arch, "level": text_model.level,
        "tokens": tokens,
        "expected": expected_next(np.asarray(logits)[0, -shown:], text_model.tokenizer),
        "attention": None if attention is None else attention.tolist(),
        "activations": None if activations is None else activations.tolist(),
        "units": units,
        "embedding_2d": coordinates.tolist(),
        "embedding_source": source,
        "embedding_variance": shares.tolist(),
        "vocabulary": list(text_model.tokenizer.vocabulary),  # id 0 is "<unk>"
        "note": " ".join(note for note in notes if note),
    }


def expected_next(logits: np.ndarray, tokenizer, top: int = TOP_EXPECTED) -> list[list]:
    """After each token, the ``top`` tokens the model expected next, as ``[token, probability]`` pairs."""
    logits = np.asarray(logits, dtype=np.float64)  # (T, V)
    probabilities = np.exp(logits - logits.max(axis=-1, keepdims=True))
    probabilities /= probabilities.sum(axis=-1, keepdims=True)
    best = np.argsort(-probabilities, axis=-1, kind="stable")[:, :top]  # (T, top)
    return [[[tokenizer.token_texts([int(i)])[0], round(float(row[i]), 4)] for i in ids]
            for row, ids in zip(probabilities, best)]
