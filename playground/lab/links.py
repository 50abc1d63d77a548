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
from playground.text.corpus import DEFAULT_VALIDATION_SHARE
from playground.models import ARCHITECTURES, architecture, page_settings
from playground.generation.next_token import MAX_TEMPERATURE
from playground.generation.sampling import SamplingSettings
from playground.settings import Declared, declared, on_page, truth
from playground.lab.temperatures import GRID_COLUMNS, GRID_START, LENGTH_START, PROMPT_START
from playground.training.config import TrainConfig, page_start

TABS = ("corpus", "model", "train", "generate", "inside", "read", "compare", "runs", "lessons")
MAX_TEXT = 2000  # characters of a prompt in a link


@dataclasses.dataclass(frozen=True)
class Field:
    name: str
    kind: str  # int, float, bool, choice, text, temperatures
    low: float = 0
    high: float = 0
    choices: tuple = ()
    label: str = ""
    open_low: bool = False  # the low bound itself is refused (a learning rate of 0)


# A link names a training setting by its key, except where the Generate tab's settings use the name.
TRAIN_LINK_NAMES = {"seed": "train_seed"}


def _declared_field(name: str, items: list[Declared]) -> Field:
    """A link field for a declared setting (for a model setting, every architecture's declaration):
    the range the page offers, or the valid one where the page has no slider."""
    item = items[0]
    s = item.setting
    if item.kind is bool:
        return Field(name, "bool", label=s.label.lower())
    if s.choices:
        return Field(name, "choice", choices=s.choices, label=s.label.lower())
    pages = [i.setting.page for i in items if i.setting.page and len(i.setting.page) >= 2]
    if pages:
        low, high, open_low = min(p[0] for p in pages), max(p[1] for p in pages), False
    else:
        low, high, open_low = s.low, s.high, s.open_low
    return Field(name, "int" if item.kind is int else "float", low, high, label=s.label.lower(), open_low=open_low)


def _fields() -> dict[str, Field]:
    model = [_declared_field(name, list(by_arch.values())) for name, by_arch in page_settings().items()]
    train = [_declared_field(TRAIN_LINK_NAMES.get(item.key, item.key), [item]) for item in TRAIN_PAGE]
    rows = [
        Field("tab", "choice", choices=TABS, label="the tab to open"),
        Field("builtin", "choice", choices=tuple(builtin.BUILTIN), label="built-in corpus"),
        Field("level", "choice", choices=("char", "subword", "word"), label="tokens"),
        Field("validation", "float", 0.05, 0.3, label="validation share"),  # the Corpus tab's slider
        Field("arch", "choice", choices=tuple(ARCHITECTURES), label="architecture"),
        *model, *train,
        Field("model", "text", label="model to generate with"),
        Field("prompt", "text"), Field("seed", "int", 0, 2**31 - 1), Field("length", "int", 10, 1000),
        Field("temperature", "float", 0.0, MAX_TEMPERATURE, label="next-token temperature"),
        Field("temperatures", "temperatures", 0.0, MAX_TEMPERATURE, label="grid temperatures"),
        *(_declared_field(item.name, [item]) for item in declared(SamplingSettings)),
    ]
    return {field.name: field for field in rows}


TRAIN_PAGE = on_page(TrainConfig)
FIELDS = _fields()
MODEL_FIELDS = tuple(page_settings())
# Link name -> the Train tab's setting key.
TRAIN_FIELDS = {TRAIN_LINK_NAMES.get(item.key, item.key): item.key for item in TRAIN_PAGE}
GENERAL_DEFAULTS = {"builtin": "python-docs", "level": "char", "validation": DEFAULT_VALIDATION_SHARE,
                    "arch": "lstm", "prompt": PROMPT_START, "seed": 0, "length": LENGTH_START, "temperature": 1.0,
                    "temperatures": GRID_START,
                    **{item.name: item.default for item in declared(SamplingSettings)}}


def defaults(arch: str = "lstm") -> dict[str, Any]:
    """What the page starts with for this architecture: the values a link need not name."""
    config = dataclasses.asdict(architecture(arch).default_config(2))
    train = page_start(arch)
    return {**GENERAL_DEFAULTS, **{k: config[k] for k in MODEL_FIELDS if k in config},
            **{name: train[key] for name, key in TRAIN_FIELDS.items()}}


def _value(field: Field, text: str):
    """``text`` as the field's value; raises ValueError with a readable reason."""
    label = field.label or field.name.replace("_", " ")
    if field.kind == "bool":
        if truth(text) is None:
            raise ValueError(f"{field.name}={text!r} is not true or false")
        return truth(text)
    if field.kind == "choice":
        if text not in field.choices:
            raise ValueError(f"{field.name}={text!r} is not one of {', '.join(map(str, field.choices))}")
        return text
    if field.kind == "text":
        if len(text) > MAX_TEXT:
            raise ValueError(f"{field.name} is longer than {MAX_TEXT:,} characters")
        return text
    if field.kind == "temperatures":
        try:
            values = tuple(float(part) for part in text.split(",") if part.strip())
        except ValueError:
            raise ValueError(f"{field.name}={text!r} is not a comma-separated list of numbers") from None
        most = GRID_COLUMNS.high
        if not 1 <= len(values) <= most or not all(field.low <= v <= field.high for v in values):
            raise ValueError(f"{field.name}={text!r}: give 1 to {most} {label} from {field.low:g} to {field.high:g}")
        return values
    try:
        number = float(text)
    except ValueError:
        raise ValueError(f"{field.name}={text!r} is not a number") from None
    above = number > field.low if field.open_low else number >= field.low
    if not math.isfinite(number) or not above or not number <= field.high:
        raise ValueError(f"{field.name}={text!r} is outside {field.low:g} to {field.high:g}")
    if field.kind == "int":
        if number != int(number):
            raise ValueError(f"{field.name}={text!r} is not a whole number")
        return int(number)
    return number


def parse(query: Mapping[str, str] | str) -> tuple[dict[str, Any], list[str]]:
    """The checked values of a query (a mapping or a query string) and one line per problem."""
    pairs = parse_qsl(query.lstrip("?"), keep_blank_values=True) if isinstance(query, str) else list(query.items())
    values, problems = {}, []
    for name, text in pairs:
        field = FIELDS.get(name)
        if field is None:
            if not name.startswith("__"):  # Gradio's own parameters
                problems.append(f"unknown setting {name!r}")
            continue
        try:
            values[name] = _value(field, str(text))
        except ValueError as reason:
            problems.append(str(reason))
    return values, problems


def _text(field: Field, value) -> str:
    if field.kind == "temperatures":
        return ",".join(f"{v:g}" for v in value)
    if field.kind == "bool":
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def to_query(values: Mapping[str, Any]) -> str:
    """The query string for ``values``, without what equals the page's defaults (for their architecture)."""
    base = defaults(values.get("arch", "lstm"))
    kept = {}
    for name, field in FIELDS.items():
        if name not in values or values[name] is None:
            continue
        value = values[name]
        default = base.get(name)
        if name == "temperatures":
            value = tuple(float(v) for v in value)
        same = (value == default) if not isinstance(value, float) or default is None \
            else math.isclose(value, float(default), rel_tol=1e-9, abs_tol=1e-12)
        if not same:
            kept[name] = _text(field, value)
    return urlencode(kept)


def describe(problems: list[str]) -> str:
    """One line for the page: what in the link was ignored, and why."""
    if not problems:
        return ""
    return "Some settings in this link were ignored: " + "; ".join(problems) + "."
