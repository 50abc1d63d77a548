"""Measuring what temperature does: per-sample metrics and the quality–diversity curve.

Two questions a student can answer with numbers here:

* *Where does my model start repeating itself?* Distinct-n and the repetition rate fall as
  the temperature drops; the copied share rises when the model parrots its corpus.
* *Where does it start making things up?* BLEU against held-out text (quality) falls as
  the temperature rises, while self-BLEU (how alike the samples are to each other) falls
  too: more diversity. Plotting one against the other for a sweep of temperatures gives
  the quality–diversity curve of Caccia et al., "Language GANs Falling Short" (2020): a
  model is better only if its curve lies above another's at the same diversity.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
import pandas as pd

from playground.text import metrics
from playground.errors import PlaygroundError
from playground.generation.text_model import Sample, TextModel
from playground.generation.sampling import MAX_ROWS, SEED, SamplingSettings, check_temperatures
from playground.settings import Setting, check, require, setting
from playground.text.tokenizers import WordTokenizer

QD_TEMPERATURES = (0.2, 0.3, 0.5, 0.7, 0.85, 1.0, 1.2, 1.5)
CHAR_NGRAM, WORD_NGRAM = metrics.CHAR_NGRAM, metrics.WORD_NGRAM
memorisation_index = metrics.memorisation_index

# The temperature grid: one column per temperature, the same random numbers in every column.
GRID_TEMPERATURES = (0.2, 0.5, 0.7, 1.0, 1.2, 1.5, 1.8, 2.0)  # the columns' first temperatures
GRID_START_COLUMNS = 6  # columns shown before a student adds any
GRID_START = GRID_TEMPERATURES[:GRID_START_COLUMNS]
PROMPT_START = "The "  # what the Generate tab starts with
GRID_COLUMNS = Setting("Columns", 1, len(GRID_TEMPERATURES), page=(1, len(GRID_TEMPERATURES), 1),
                       rule="The grid has {low} to {high} columns (got {value}).")
MEASURE_SAMPLES = Setting("Samples per temperature", 1, 64, page=(1, 64, 1),
                          rule="Use between {low} and {high} samples per temperature (got {value}).")
MEASURE_START_SAMPLES = 16

# What a temperature does to the draws, from the coldest up: (highest temperature, character).
CHARACTERS = (
    (0.35, "careful: the favourite token almost every time"),
    (0.85, "balanced: mostly likely tokens, some variety"),
    (1.15, "adventurous: trusts the model's own odds"),
    (float("inf"), "wild: long shots get real chances"),
)


def character_of(temperature: float) -> str:
    """What sampling at ``temperature`` is like, in a few words."""
    if temperature == 0:
        return "greedy: always the single most likely token"
    return next(text for limit, text in CHARACTERS if temperature <= limit)


def grid_temperatures(columns: int, temperatures: Sequence[float]) -> list[float]:
    """The temperatures of the grid's first ``columns`` columns."""
    require("columns", columns, GRID_COLUMNS, int)
    return [float(t) for t in temperatures[:columns]]


def grid(model: TextModel, prompt: str, temperatures: Sequence[float], length: int, seed: int,
         settings: SamplingSettings = SamplingSettings()) -> tuple[list[Sample], list[dict]]:
    """One sample per temperature, all from the same random numbers, and each sample measured."""
    samples = model.generate(prompt, temperatures, length, seed, settings)
    index = model.memorisation_index()
    return samples, [sample_row(sample, model.level, index) for sample in samples]


def grid_table(rows_by_model: dict[str, list[dict]]) -> pd.DataFrame:
    """One row per model and temperature with its measures, the model first."""
    tables = [pd.DataFrame(rows).drop(columns=["sample"]).assign(model=name) for name, rows in rows_by_model.items()]
    table = pd.concat(tables, ignore_index=True)
    return table[["model", *[c for c in table.columns if c != "model"]]]


def measured_tokens(sample: Sample, level: str):
    """What the metrics count: characters of the text (for subword models too), or words."""
    return sample.tokens if level == "word" else sample.text


def sample_row(sample: Sample, level: str, index: metrics.NgramIndex | None) -> dict:
    scores = metrics.sample_metrics(measured_tokens(sample, level), index, sample.token_logprob)
    return {"temperature": sample.temperature, "sample": sample.sample_index, "text": sample.text,
            **{key: (None if value is None else round(float(value), 4)) for key, value in scores.items()}}


def measure_temperatures(model: TextModel, prompt: str, temperatures: Sequence[float], length: int, seed: int,
                         samples_per_temperature: int = 1, settings: SamplingSettings = SamplingSettings(),
                         index: metrics.NgramIndex | None = None) -> pd.DataFrame:
    """One row per sample with its metrics; all samples in one batched call."""
    require("samples_per_temperature", samples_per_temperature, MEASURE_SAMPLES, int)
    samples = model.generate(prompt, temperatures, length, seed, settings, samples_per_temperature)
    return pd.DataFrame([sample_row(s, model.level, index) for s in samples])


def summary_by_temperature(rows: pd.DataFrame) -> pd.DataFrame:
    """Mean of each metric per temperature."""
    numeric = rows.drop(columns=["sample", "text"]).apply(pd.to_numeric, errors="coerce")
    return numeric.groupby("temperature", as_index=False).mean().round(4)


@dataclasses.dataclass(frozen=True)
class QualityDiversitySettings:
    temperatures: tuple[float, ...] = QD_TEMPERATURES
    samples: int = setting(64, "Samples per temperature", 2, 256, page=(2, 128, 1),
                           rule="Use between {low} and {high} samples per temperature (got {value}).")
    references: int = setting(64, "Held-out references", 1, 512, page=(1, 256, 1),
                              rule="Use between {low} and {high} references (got {value}).")
    length: int = setting(200, "Sample length (tokens)", 20, 1000, page=(20, 500, 10),
                          rule="Sample length must be between {low} and {high} tokens (got {value}).")
    seed: int = setting(0, dataclasses.replace(SEED, page=None))  # the Generate tab's seed, above the sub-tabs

    def __post_init__(self) -> None:
        check_temperatures(self.temperatures)
        check(self)
        if len(self.temperatures) * self.samples > MAX_ROWS:
            raise PlaygroundError(f"{len(self.temperatures)} temperatures x {self.samples} samples is over "
                                  f"{MAX_ROWS} samples; use fewer.")


def bleu_words(text: str) -> list[str]:
    """The words BLEU counts: the word tokenizer's (lower-cased words, punctuation marks and line
    breaks apart), for samples of character and word models alike, so both land on one scale."""
    return WordTokenizer.split(text)


def reference_windows(held_out: str, level: str, count: int, length: int, seed: int) -> list[list[str]]:
    """``count`` stretches of held-out text as word lists, about as long as the samples (``length``
    characters or words), split into words as :func:`bleu_words` splits the samples."""
    if level != "word":
        if len(held_out) < length + 1:
            raise PlaygroundError(f"The held-out text ({len(held_out)} characters) is shorter than one sample "
                                  f"({length}); use a longer corpus or shorter samples.")
        starts = np.random.default_rng(seed).integers(0, len(held_out) - length, size=count)
        return [bleu_words(held_out[s:s + length]) for s in starts]
    words = bleu_words(held_out)
    if len(words) < length + 1:
        raise PlaygroundError(f"The held-out text has {len(words)} words, fewer than one sample ({length}).")
    starts = np.random.default_rng(seed).integers(0, len(words) - length, size=count)
    return [words[s:s + length] for s in starts]


def quality_diversity(models: dict[str, TextModel], held_out: str,
                      settings: QualityDiversitySettings = QualityDiversitySettings()) -> pd.DataFrame:
    """BLEU-4 (quality) and self-BLEU-4 (diversity) per model and temperature.

    Both are computed on words, whatever the model's tokens, so character and word models
    land on the same axes. Samples start from an empty prompt; each temperature's samples
    are compared with the same ``settings.references`` stretches of held-out text.
    """
    if not models:
        raise PlaygroundError("Choose at least one model to measure.")
    rows = []
    for name, model in models.items():
        references = reference_windows(held_out, model.level, settings.references, settings.length, settings.seed)
        samples = model.generate("", settings.temperatures, settings.length, settings.seed,
                                 samples_per_temperature=settings.samples)
        for temperature in settings.temperatures:
            texts = [bleu_words(s.text) for s in samples if s.temperature == float(temperature)]
            rows.append({"model": name, "temperature": float(temperature),
                         "bleu": round(metrics.mean_sentence_bleu(texts, references), 4),
                         "self_bleu": round(metrics.self_bleu(texts), 4),
                         "samples": len(texts), "references": len(references)})
    return pd.DataFrame(rows)


def compare_models(models: dict[str, TextModel],
                   settings: QualityDiversitySettings = QualityDiversitySettings()) -> pd.DataFrame:
    """Quality–diversity of models that learned from the same text, against its held-out part.

    The held-out text must be the same for all of them (same corpus, same split), or one
    model's references would be another's training text.
    """
    if not models:
        raise PlaygroundError("Choose at least one model to measure.")
    held_out = None
    for name, model in models.items():
        split = model.corpus_split()
        if split is None:
            raise PlaygroundError(f"{name} was saved without its corpus, so there is no held-out text to measure.")
        if held_out is not None and split[1] != held_out:
            raise PlaygroundError("These models learned from different texts (or split them differently); "
                                  "compare models trained on the same corpus.")
        held_out = split[1]
    return quality_diversity(models, held_out, settings)


def copying_note(index: metrics.NgramIndex | None) -> str:
    """What the copying measures count for a model with this index of its training text."""
    if index is None:
        return "The training text of this model is unknown, so copying cannot be measured."
    unit = "character" if index.is_character_level else "word"
    return (f"**copied**: share of {index.n}-{unit} n-grams found in the training text; "
            "**longest_copied**: longest verbatim stretch, in tokens.")


def token_probabilities(model: TextModel, sample: Sample) -> list[dict]:
    """Each generated token with its probability and the top alternatives, for the per-token view."""
    return [{"token": token, "probability": round(float(p), 4),
             "alternatives": [{"token": model.tokenizer.decode([int(i)]), "probability": round(float(q), 4)}
                              for i, q in zip(top_ids, top_p)]}
            for token, p, top_ids, top_p in zip(sample.tokens, sample.token_probability, sample.top_ids,
                                                 sample.top_probabilities)]
