"""A set-up in a link: the corpus, the model, its training and the Generate settings, as the query
string of the page's address.

A teacher prepares a link ("this text, this network, these temperatures"), students open it and
start from exactly there. :func:`parse` turns a query into checked values and one readable line
per problem (an unknown name or a value out of range is reported and otherwise ignored);
:func:`to_query` writes values back, leaving out whatever equals the default so links stay short.
Round trip: ``parse(to_query(values)) == (values, [])`` for valid values.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any
from collections.abc import Mapping
from urllib.parse import parse_qsl, urlencode

from playground.text import builtin
from playground.text.corpus import CorpusSettings
from playground.models import ARCHITECTURES, architecture, page_settings
from playground.generation.sampling import TEMPERATURE, GenerationSettings, SamplingSettings
from playground.settings import Declared, Setting, declared, on_page, truth
from playground.lab.temperatures import GRID_COLUMNS, GRID_START, PROMPT_START
from playground.training.config import TrainConfig, page_start

TABS = ("corpus", "model", "train", "generate", "inside", "read", "compare", "runs", "lessons")
MAX_TEXT = 2000  # characters of a prompt in a link


def linked(name: str, items: list[Declared]) -> Declared:
    """A declared setting as a link reads it, under the link's ``name``: a number within the range
    the page offers (for a model setting, over every architecture that declares it), or within the
    valid one where the page has no slider or box with bounds."""
    item = items[0]
    s = item.setting
    pages = [i.setting.page for i in items if i.setting.page and len(i.setting.page) >= 2]
    if item.kind in (int, float) and pages:
        s = dataclasses.replace(s, low=min(p[0] for p in pages), high=max(p[1] for p in pages), open_low=False,
                                open_high=False)
    return Declared(name, item.default, item.kind, s)


def text(name: str, default: str | None = None, choices: tuple = ()) -> Declared:
    """A link setting that is a text (a choice, where ``choices`` are given): the tab, the model, the prompt."""
    return Declared(name, default, str, Setting(name, choices=choices))


# A link names a training setting by its key, except where the Generate tab's settings use the name.
TRAIN_LINK_NAMES = {"seed": "train_seed"}
# A link names the corpus settings by these names (the rest by their keys).
CORPUS_LINK_NAMES = {"validation_share": "validation"}
TRAIN_PAGE = on_page(TrainConfig)
GENERATE = {item.key: item for item in declared(GenerationSettings)}
GRID = Declared("temperatures", GRID_START, tuple, TEMPERATURE)  # one to GRID_COLUMNS.high temperatures


def _fields() -> dict[str, Declared]:
    corpus = {item.key: item for item in declared(CorpusSettings)}
    rows = [
        text("tab", choices=TABS),
        text("builtin", "python-docs", tuple(builtin.BUILTIN)),
        linked("level", [corpus["level"]]),
        linked(CORPUS_LINK_NAMES["validation_share"], [corpus["validation_share"]]),
        text("arch", "lstm", tuple(ARCHITECTURES)),
        *(linked(name, list(by_arch.values())) for name, by_arch in page_settings().items()),
        *(linked(TRAIN_LINK_NAMES.get(item.key, item.key), [item]) for item in TRAIN_PAGE),
        text("model"), text("prompt", PROMPT_START),
        *(linked(key, [GENERATE[key]]) for key in ("seed", "length", "temperature")), GRID,
        *(linked(item.key, [item]) for item in declared(SamplingSettings)),
    ]
    return {item.name: item for item in rows}


FIELDS = _fields()
MODEL_FIELDS = tuple(page_settings())
# Link name -> the Train tab's setting key.
TRAIN_FIELDS = {TRAIN_LINK_NAMES.get(item.key, item.key): item.key for item in TRAIN_PAGE}
GENERAL_DEFAULTS = {name: item.default for name, item in FIELDS.items()
                    if name not in MODEL_FIELDS and name not in TRAIN_FIELDS and item.default is not None}


def defaults(arch: str = "lstm") -> dict[str, Any]:
    """What the page starts with for this architecture: the values a link need not name."""
    config = dataclasses.asdict(architecture(arch).default_config(2))
    train = page_start(arch)
    return {**GENERAL_DEFAULTS, **{k: config[k] for k in MODEL_FIELDS if k in config},
            **{name: train[key] for name, key in TRAIN_FIELDS.items()}}


def _temperatures(item: Declared, given: str) -> tuple[float, ...]:
    low, high = item.setting.page[:2]
    try:
        values = tuple(float(part) for part in given.split(",") if part.strip())
    except ValueError:
        raise ValueError(f"{item.name}={given!r} is not a comma-separated list of numbers") from None
    most = GRID_COLUMNS.high
    if not 1 <= len(values) <= most or not all(low <= v <= high for v in values):
        raise ValueError(f"{item.name}={given!r}: give 1 to {most} grid temperatures from {low:g} to {high:g}")
    return values


def _value(item: Declared, given: str):
    """``given`` (a link's text) as the setting's value; raises ValueError with a readable reason."""
    s = item.setting
    if item is GRID:
        return _temperatures(item, given)
    if item.kind is bool:
        if truth(given) is None:
            raise ValueError(f"{item.name}={given!r} is not true or false")
        return truth(given)
    if s.choices:
        if given not in s.choices:
            raise ValueError(f"{item.name}={given!r} is not one of {', '.join(map(str, s.choices))}")
        return given
    if item.kind is str:
        if len(given) > MAX_TEXT:
            raise ValueError(f"{item.name} is longer than {MAX_TEXT:,} characters")
        return given
    try:
        number = float(given)
    except ValueError:
        raise ValueError(f"{item.name}={given!r} is not a number") from None
    above = number > s.low if s.open_low else number >= s.low
    below = number < s.high if s.open_high else number <= s.high
    if not math.isfinite(number) or not above or not below:
        raise ValueError(f"{item.name}={given!r} is outside {s.low:g} to {s.high:g}")
    if item.kind is int:
        if number != int(number):
            raise ValueError(f"{item.name}={given!r} is not a whole number")
        return int(number)
    return number


def parse(query: Mapping[str, str] | str) -> tuple[dict[str, Any], list[str]]:
    """The checked values of a query (a mapping or a query string) and one line per problem."""
    pairs = parse_qsl(query.lstrip("?"), keep_blank_values=True) if isinstance(query, str) else list(query.items())
    values, problems = {}, []
    for name, given in pairs:
        item = FIELDS.get(name)
        if item is None:
            if not name.startswith("__"):  # Gradio's own parameters
                problems.append(f"unknown setting {name!r}")
            continue
        try:
            values[name] = _value(item, str(given))
        except ValueError as reason:
            problems.append(str(reason))
    return values, problems


def _text(item: Declared, value) -> str:
    if item is GRID:
        return ",".join(f"{v:g}" for v in value)
    if item.kind is bool:
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def to_query(values: Mapping[str, Any]) -> str:
    """The query string for ``values``, without what equals the page's defaults (for their architecture)."""
    base = defaults(values.get("arch", "lstm"))
    kept = {}
    for name, item in FIELDS.items():
        if name not in values or values[name] is None:
            continue
        value = values[name]
        default = base.get(name)
        if item is GRID:
            value = tuple(float(v) for v in value)
        same = (value == default) if not isinstance(value, float) or default is None \
            else math.isclose(value, float(default), rel_tol=1e-9, abs_tol=1e-12)
        if not same:
            kept[name] = _text(item, value)
    return urlencode(kept)


def describe(problems: list[str]) -> str:
    """One line for the page: what in the link was ignored, and why."""
    if not problems:
        return ""
    return "Some settings in this link were ignored: " + "; ".join(problems) + "."
