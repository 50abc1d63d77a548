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
from typing import Sequence

import numpy as np
import pandas as pd

from playground import metrics
from playground.errors import PlaygroundError
from playground.runs import Sample, TextModel
from playground.sampling import SamplingSettings, check_temperatures
from playground.tokenizers import WordTokenizer

QD_TEMPERATURES = (0.2, 0.3, 0.5, 0.7, 0.85, 1.0, 1.2, 1.5)
CHAR_NGRAM, WORD_NGRAM = metrics.CHAR_NGRAM, metrics.WORD_NGRAM
memorisation_index = metrics.memorisation_index


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
    samples = model.generate(prompt, temperatures, length, seed, settings, samples_per_temperature)
    return pd.DataFrame([sample_row(s, model.level, index) for s in samples])


def summary_by_temperature(rows: pd.DataFrame) -> pd.DataFrame:
    """Mean of each metric per temperature."""
    numeric = rows.drop(columns=["sample", "text"]).apply(pd.to_numeric, errors="coerce")
    return numeric.groupby("temperature", as_index=False).mean().round(4)


@dataclasses.dataclass(frozen=True)
class QualityDiversitySettings:
    temperatures: tuple[float, ...] = QD_TEMPERATURES
    samples: int = 64
    references: int = 64
    length: int = 200
    seed: int = 0

    def __post_init__(self) -> None:
        check_temperatures(self.temperatures)
        if not 2 <= self.samples <= 256:
            raise PlaygroundError(f"Use between 2 and 256 samples per temperature (got {self.samples}).")
        if not 1 <= self.references <= 512:
            raise PlaygroundError(f"Use between 1 and 512 references (got {self.references}).")
        if not 20 <= self.length <= 1000:
            raise PlaygroundError(f"Sample length must be between 20 and 1000 tokens (got {self.length}).")
        if len(self.temperatures) * self.samples > 512:
            raise PlaygroundError(
                f"{len(self.temperatures)} temperatures x {self.samples} samples is over 512 samples; use fewer.")


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


def token_probabilities(model: TextModel, sample: Sample) -> list[dict]:
    """Each generated token with its probability and the top alternatives, for the per-token view."""
    return [{"token": token, "probability": round(float(p), 4),
             "alternatives": [{"token": model.tokenizer.decode([int(i)]), "probability": round(float(q), 4)}
                              for i, q in zip(top_ids, top_p)]}
            for token, p, top_ids, top_p in zip(sample.tokens, sample.token_probability, sample.top_ids,
                                                 sample.top_probabilities)]
