"""A model bundle: one directory that rebuilds a trained model anywhere.

    config.json     architecture and sizes, training settings, results, corpus name
    tokenizer.json  the vocabulary, so ids mean the same thing after loading
    model.keras     weights (Keras 3 format, loaded with safe_mode: no code runs)
    history.csv     step, epoch, seconds, train_loss, val_loss
    corpus.txt.gz   (optional) the text it was trained on; its held-out tail is what the
                    quality-diversity curve compares with, its head what "copied" means

Every file is written to a temporary name and renamed into place, so a crash or a full
disk never leaves a half-written file under the real name.
"""

from __future__ import annotations

import dataclasses
import gzip
import json
import os
import tempfile
import zipfile
import zlib
from pathlib import Path
from typing import Any

import keras

from playground.models import limits
from playground.text import tokenizers
from playground.errors import PlaygroundError
from playground.generation.text_model import TextModel
from playground.models import config_from_dict
from playground.models.base import LanguageModel
from playground.text.tokenizers import Tokenizer
from playground.training.history import History

MEMBERS = ("config.json", "tokenizer.json", "model.keras", "history.csv")
CORPUS = "corpus.txt.gz"


def write_atomic(path: Path, data: bytes | str) -> None:
    path = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(payload)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


@dataclasses.dataclass
class Bundle:
    model: LanguageModel
    tokenizer: Tokenizer
    info: dict[str, Any]  # everything in config.json
    history: History
    path: Path | None = None

    @property
    def arch(self) -> str:
        return self.info["model"]["arch"]


def save(directory: str | os.PathLike, model: LanguageModel, tokenizer: Tokenizer, info: dict[str, Any],
         history: History, corpus_text: str | None = None) -> Path:
    directory = Path(directory)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        info = {**info, "model": model.model_config.to_dict(), "level": tokenizer.level}
        # Keras insists on the .keras suffix, so the temporary file keeps it.
        temporary = directory / ".model.tmp.keras"
        try:
            model.save(temporary)
            os.replace(temporary, directory / "model.keras")
        finally:
            temporary.unlink(missing_ok=True)
        write_atomic(directory / "tokenizer.json", tokenizer.to_json())
        write_atomic(directory / "history.csv", history.to_csv())
        if corpus_text is not None:
            write_corpus(directory, corpus_text)
        # config.json last: its presence marks a complete bundle.
        write_atomic(directory / "config.json", json.dumps(info, indent=2, ensure_ascii=False))
    except OSError as error:
        raise PlaygroundError(f"Could not save the model to {directory}: {error.strerror or error}.") from None
    return directory


def write_corpus(directory: Path, text: str) -> None:
    """The training text as ``corpus.txt.gz``: the same bytes for the same text (no time stamp inside)."""
    write_atomic(Path(directory) / CORPUS, gzip.compress(text.encode("utf-8"), mtime=0))


def load(directory: str | os.PathLike, label: str | None = None) -> Bundle:
    """Load a bundle, with a clear error for anything missing, corrupt or unsafe. ``label``: how
    messages name it (the folder's name unless given, e.g. an uploaded file's name)."""
    directory = Path(directory)
    label = label or directory.name
    if not directory.is_dir():
        raise PlaygroundError(f"{directory} is not a model directory.")
    missing = [name for name in MEMBERS[:3] if not (directory / name).is_file()]
    if missing:
        raise PlaygroundError(f"{label} is not a complete model bundle: {', '.join(missing)} missing.")
    for name, limit in limits.MAX_MEMBER_BYTES.items():
        path = directory / name
        if path.is_file() and path.stat().st_size > limit:
            raise PlaygroundError(f"{label}/{name} is over its {limit // 2**20} MB limit; it was not read.")
    try:
        info = json.loads((directory / "config.json").read_text("utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise PlaygroundError(f"{label}/config.json is not valid JSON.") from None
    if not isinstance(info, dict) or not isinstance(info.get("model"), dict):
        raise PlaygroundError(f"{label}/config.json has no 'model' section.")
    expected = config_from_dict(info["model"])
    limits.check_model(expected)
    # model.keras is itself a zip with its own config: read that (a few KB) before Keras builds
    # anything, so a file claiming a different or larger model is refused without building it.
    if saved_config(directory / "model.keras", label) != expected:
        raise PlaygroundError(f"{label}/model.keras does not match its config.json.")
    try:
        tokenizer = tokenizers.from_json((directory / "tokenizer.json").read_text("utf-8"))
    except UnicodeDecodeError:
        raise PlaygroundError(f"{label}/tokenizer.json is not UTF-8 text.") from None
    if len(tokenizer) != expected.vocab_size:
        raise PlaygroundError(
            f"{label}: the tokenizer has {len(tokenizer)} tokens but the model expects {expected.vocab_size}."
        )
    try:
        model = keras.models.load_model(directory / "model.keras", safe_mode=True, compile=False)
    except Exception as error:  # Keras raises many kinds for a damaged or unsafe file
        raise PlaygroundError(f"{label}/model.keras could not be loaded safely: {_reason(error)}") from None
    if not isinstance(model, LanguageModel) or model.model_config != expected:
        raise PlaygroundError(f"{label}/model.keras does not match its config.json.")
    history_path = directory / "history.csv"
    try:
        history = History.from_csv(history_path.read_text("utf-8")) if history_path.is_file() else History()
    except (ValueError, KeyError, UnicodeDecodeError):
        raise PlaygroundError(f"{label}/history.csv is damaged.") from None
    return Bundle(model, tokenizer, info, history, directory)


def saved_config(path: Path, label: str):
    """The model config stored inside a ``.keras`` file, read without building the model."""
    try:
        with zipfile.ZipFile(path) as archive:
            member = archive.getinfo("config.json")
            if member.file_size > limits.MAX_MEMBER_BYTES["config.json"]:
                raise PlaygroundError(f"{label}/model.keras has an oversized config; it was not read.")
            stored = json.loads(archive.read(member).decode("utf-8"))
    except PlaygroundError:  # a ValueError too: it must not become the "not a Keras model file" below
        raise
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, UnicodeDecodeError, RuntimeError, EOFError,
            zlib.error):
        raise PlaygroundError(f"{label}/model.keras could not be loaded safely: it is not a Keras model file.") \
            from None
    inner = stored.get("config") if isinstance(stored, dict) else None
    inner = inner.get("config") if isinstance(inner, dict) else None
    if not isinstance(inner, dict) or "arch" not in inner:
        raise PlaygroundError(f"{label}/model.keras could not be loaded safely: it is not a model the playground made.")
    try:
        return config_from_dict(inner)
    except PlaygroundError:
        raise PlaygroundError(f"{label}/model.keras does not match its config.json.") from None


def read_corpus(directory: str | os.PathLike, label: str | None = None) -> str | None:
    """The bundle's training corpus, or None if it was saved without one. Inflated piece by piece
    and refused past the corpus size limit, so a small file cannot expand into a huge text."""
    from playground.text.corpus import max_corpus_bytes

    path = Path(directory) / CORPUS
    if not path.is_file():
        return None
    limit = max_corpus_bytes()
    pieces, size = [], 0
    try:
        with gzip.open(path, "rb") as stream:
            while piece := stream.read(1 << 20):
                size += len(piece)
                if size > limit:
                    raise PlaygroundError(
                        f"{label or Path(directory).name}/{CORPUS} inflates to more than the {limit / 1e6:.0f} MB "
                        "corpus limit; "
                        "it was not read.")
                pieces.append(piece)
        return b"".join(pieces).decode("utf-8")
    except (OSError, EOFError, UnicodeDecodeError, zlib.error):
        raise PlaygroundError(f"{label or Path(directory).name}/{CORPUS} is damaged.") from None


def _reason(error: Exception) -> str:
    """Why Keras would not load a model file, in a sentence. Safe mode's refusal of code in the file (a
    ``Lambda`` layer's Python function) ends by telling how to turn safe mode off, which a student
    cannot and should not do: they read what was refused instead."""
    text = _first_line(error)
    if "safe_mode" in str(error):
        return f"it holds Python code, which Keras's safe mode refuses to run ({text.split('. ')[0].rstrip('.')})."
    return text


def _first_line(error: Exception) -> str:
    text = str(error).strip().splitlines()
    return text[0][:300] if text else type(error).__name__


def load_text_model(directory: str | os.PathLike) -> TextModel:
    """A saved run (or a shipped model) ready to generate; its corpus is read when first needed."""
    directory = Path(directory)
    loaded = load(directory)
    return TextModel(loaded.model, loaded.tokenizer, loaded.info, name=directory.name, path=directory,
                     read_corpus=lambda: read_corpus(directory))
