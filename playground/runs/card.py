"""Model cards: a short Markdown page saying what a shipped model is and how good it is."""

from __future__ import annotations

import json
import math
import os
import platform
from pathlib import Path

from playground.text import baselines
from playground.runs import bundle
from playground.errors import PlaygroundError
from playground.generation.evaluation import bits


def hardware() -> str:
    cpu = platform.processor() or platform.machine()
    return f"{os.cpu_count()} CPU cores ({cpu}), no GPU"


def write_card(directory: str | os.PathLike, command: str) -> Path:
    """Write ``MODEL_CARD.md`` from the bundle's own ``config.json``, so the numbers cannot drift."""
    directory = Path(directory)
    loaded = bundle.load(directory)
    info, result = loaded.info, loaded.info.get("result", {})
    if not isinstance(result.get("val_loss"), (int, float)):
        raise PlaygroundError(f"{directory.name} has no finished result to describe; train it to the end first.")
    loss = float(result["val_loss"])
    unit = "char" if loaded.tokenizer.level == "char" else "token"
    share = info.get("train", {}).get("validation_share", 0.1)
    lines = [
        f"# {directory.name}: {loaded.model.model_config.arch} trained on {info.get('corpus', 'unknown corpus')}",
        "",
        f"- **Validation loss**: {loss:.4f} nats/{unit} = {bits(loss):.4f} bits/{unit}, over the last "
        f"{share:.0%} of the corpus (held out: never trained on), every token scored once.",
        *scale_lines(result, loaded.tokenizer.level, unit),
        f"- **Parameters**: {int(result.get('params', loaded.model.count_params())):,}",
        f"- **Training**: {result.get('steps')} steps in {float(result.get('seconds', 0)) / 60:.1f} minutes "
        f"on {info.get('hardware', hardware())}; stopped by: {result.get('reason')}.",
        *kept_lines(result),
        f"- **Corpus**: {info.get('corpus')} (first {1 - share:.0%} for training), {loaded.tokenizer.level} level, "
        f"{len(loaded.tokenizer)} tokens in the vocabulary.",
        "",
        "## Command",
        "```bash",
        command,
        "```",
        "",
        *reproduce_lines(directory.name, info),
        "",
        "## Model configuration",
        "```json",
        json.dumps(info["model"], indent=2),
        "```",
        "",
        "## Training configuration",
        "```json",
        json.dumps(info.get("train", {}), indent=2),
        "```",
        "",
    ]
    path = directory / "MODEL_CARD.md"
    bundle.write_atomic(path, "\n".join(lines))
    return path


def scale_lines(result: dict, level: str, unit: str) -> list[str]:
    """Bits per character and the counting baselines, when the run measured them."""
    lines = []
    per_character = result.get("bits_per_character")
    if isinstance(per_character, (int, float)) and math.isfinite(per_character):
        lines.append(f"- **Bits per character**: {per_character:.4f}, the scale every tokenizer shares.")
    counted = baselines.from_json(result.get("baselines"), level)
    if counted is not None:
        listed = ", ".join(f"{label} {nats:.3f}" for label, nats, _ in counted.lines())
        lines.append(f"- **Counting baselines** on the same split (nats/{unit}): {listed}.")
    return lines


def kept_lines(result: dict) -> list[str]:
    """Which weights the bundle holds, when the run said: its best validation evaluation's or its last step's."""
    kept, step = result.get("kept"), result.get("kept_step")
    if kept == "best":
        return [f"- **Weights kept**: those of the best validation evaluation, at step {step} of "
                f"{result.get('steps')} (the run kept its best weights, not the last step's)."]
    if kept == "last":
        return [f"- **Weights kept**: the last step's (step {step})."]
    return []


def reproduce_lines(name: str, info: dict) -> list[str]:
    """What retraining this run needs, in Markdown: the text's fingerprint, the seed, the libraries and
    the command (same machine, seed and corpus: the same validation loss)."""
    train = info.get("train") if isinstance(info.get("train"), dict) else {}
    versions = info.get("versions") if isinstance(info.get("versions"), dict) else {}
    digest = info.get("corpus_sha256")
    libraries = ", ".join(f"{key} {value}" for key, value in versions.items()) or "not recorded"
    return [
        "## Reproduce",
        f"- **Corpus SHA-256**: `{digest}`" if isinstance(digest, str) else "- **Corpus SHA-256**: not recorded",
        f"- **Seed**: {train.get('seed', 0)}; **libraries**: {libraries}",
        "- **Command** (refused if the corpus is not the same text, unless `--force`):",
        "",
        "```bash",
        f"python -m playground train --like {name} --corpus YOUR_CORPUS.txt",
        "```",
    ]
