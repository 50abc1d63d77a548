"""Each setting declared once: its name, type, range, default, label and help, beside the field.

A config dataclass declares a field with :func:`setting`; everything else is read from that
declaration: the check that refuses a bad value with a sentence a student can act on
(:func:`check`), the command-line flags (``playground.cli``), the Model and Train tabs'
controls and the web API's keyword arguments (``playground.ui``), the set-up links
(``playground.lab.links``)::

    @dataclasses.dataclass(frozen=True)
    class RecurrentConfig(ModelConfig):
        units: int = setting(256, "Units per layer", 1, 4096, page=(16, 1024, 16),
                             help="Size of the memory vector: more units remember more, train slower.")

        def __post_init__(self) -> None:
            check(self)  # every declared field: its type, then its range or choices

Rules that join two fields (the heads must divide the embedding size) stay in the config's
``__post_init__``, after :func:`check`.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from typing import Any
from collections.abc import Iterator

from playground.errors import PlaygroundError


@dataclasses.dataclass(frozen=True)
class Setting:
    """What a field is, for the people who set it.

    ``low``/``high`` bound a number (``open_low``/``open_high``: the bound itself is refused);
    ``choices`` list a text's allowed values. ``rule`` is the refusal, formatted with ``label``,
    ``name``, ``low``, ``high``, ``choices``, ``value`` (the value given, as a student would
    write it) and ``raw`` (as Python writes it); left empty, it is written from the label and
    the range. ``page`` puts a control on the web page: ``(low, high, step)`` for a slider over a
    part of the valid range, ``(low, high)`` for a number box with those bounds, ``()`` for a
    box, a choice or a checkbox; ``None`` keeps the setting off the page (command line and
    saved files only). ``flag`` is the command-line flag (default ``--field-name``; ``None``: none).
    ``key`` names the setting in the web API and in links when its field name is taken there;
    ``start`` is the page's first value when it is not the field's default.
    """

    label: str
    low: float | None = None
    high: float | None = None
    choices: tuple = ()
    help: str = ""
    rule: str = ""
    open_low: bool = False
    open_high: bool = False
    page: tuple | None = None
    flag: str | None = ""
    key: str = ""
    kind: type | None = None  # the value's type when the default (None) does not say it
    start: Any = None  # what the page starts with, when not the field's default


def setting(default: Any, label: str | Setting, low: float | None = None, high: float | None = None,
            **details) -> Any:
    """A dataclass field declared with its :class:`Setting` (or one declared elsewhere and shared);
    a ``default`` of ``dataclasses.MISSING`` makes the field one every config must be given."""
    declared_ = label if isinstance(label, Setting) else Setting(label, low, high, **details)
    if default is dataclasses.MISSING:
        return dataclasses.field(metadata={"setting": declared_})
    return dataclasses.field(default=default, metadata={"setting": declared_})


@dataclasses.dataclass(frozen=True)
class Declared:
    """One declared field of a config class: its name, default, type and setting."""

    name: str
    default: Any
    kind: type
    setting: Setting

    @property
    def key(self) -> str:
        return self.setting.key or self.name

    @property
    def flag(self) -> str | None:
        flag = self.setting.flag
        return None if flag is None else flag or "--" + self.name.replace("_", "-")

    @property
    def help(self) -> str:
        return self.setting.help or self.setting.label

    @property
    def start(self) -> Any:
        """The value the page starts with."""
        return self.default if self.setting.start is None else self.setting.start


def declared(config_class: type) -> Iterator[Declared]:
    """The declared settings of a config dataclass, in field order."""
    for field in dataclasses.fields(config_class):
        setting_ = field.metadata.get("setting")
        if setting_ is not None:
            kind = setting_.kind or type(field.default)
            yield Declared(field.name, field.default, kind, setting_)


def on_page(config_class: type) -> tuple[Declared, ...]:
    """The declared settings of a config dataclass that the web page shows, in field order."""
    return tuple(item for item in declared(config_class) if item.setting.page is not None)


def shown(value: Any) -> str:
    """A value as the refusal quotes it: numbers plainly, anything else as Python writes it."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return repr(value)
    return str(value) if isinstance(value, numbers.Integral) else f"{value:g}"


def _bound(value: float | None) -> str:
    return "" if value is None else shown(value)


def refusal(item: Declared, value: Any) -> PlaygroundError:
    s = item.setting
    if s.rule:
        rule = s.rule
    elif item.kind is bool:
        rule = "{name} must be true or false (got {value})."
    elif s.choices:
        rule = "{label} must be one of {choices} (got {value})."
    elif s.low is not None and s.high is not None:
        rule = "{label} must be between {low} and {high} (got {value})."
    elif s.low is not None:
        rule = "{label} must be at least {low} (got {value})."
    else:
        rule = "{label} must be a number (got {value})."
    return PlaygroundError(rule.format(label=s.label, name=item.name, low=_bound(s.low), high=_bound(s.high),
                                       choices=", ".join(map(str, s.choices)), value=shown(value), raw=value))


def fits(item: Declared, value: Any) -> bool:
    """Whether ``value`` is a valid value of the setting (type, then range or choices)."""
    s = item.setting
    if value is None:
        return item.default is None
    if item.kind is bool:
        return isinstance(value, bool)
    if item.kind is str:
        return isinstance(value, str) and (not s.choices or value in s.choices)
    if item.kind in (int, float):
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
            return False
        if item.kind is int and value != int(value):
            return False
        above = s.low is None or (value > s.low if s.open_low else value >= s.low)
        below = s.high is None or (value < s.high if s.open_high else value <= s.high)
        return above and below
    return True  # other kinds (tuples) are checked by their config


def require(name: str, value: Any, setting_: Setting, kind: type = float) -> None:
    """Refuse ``value`` unless it fits ``setting_`` (for a setting checked outside its dataclass)."""
    item = Declared(name, value, kind, setting_)
    if value is None or not fits(item, value):
        raise refusal(item, value)


def check(config: Any) -> None:
    """Refuse the first declared field of ``config`` that does not fit its setting; a whole
    float given for a whole-number field (64.0 units) is stored as the int."""
    for item in declared(type(config)):
        value = getattr(config, item.name)
        if not fits(item, value):
            raise refusal(item, value)
        if item.kind is int and not isinstance(value, int):
            object.__setattr__(config, item.name, int(value))


def number(value: Any, label: str, default: float | None = None) -> float:
    """A number from a form field, a link or an API argument, or a clear error (a cleared box sends None)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if default is not None:
            return default
        raise PlaygroundError(f"{label} must be a number; the field is empty.")
    try:
        result = float(value)
    except (TypeError, ValueError):
        raise PlaygroundError(f"{label} must be a number (got {value!r}).") from None
    if not math.isfinite(result):
        raise PlaygroundError(f"{label} must be a finite number (got {value!r}).")
    return result


TRUE_WORDS = {"true": True, "1": True, "yes": True, "on": True, "false": False, "0": False, "no": False,
              "off": False}


def truth(value: Any) -> bool | None:
    """A yes or no from a form, a link or an API caller (True, "true", "on", "1", ...); None when
    ``value`` says neither."""
    if isinstance(value, bool):
        return value
    return TRUE_WORDS.get(str(value).strip().lower())


def convert(item: Declared, value: Any, by_label: bool = False) -> Any:
    """A form's or API caller's value as the setting's type (the range is :func:`check`'s job); a
    refusal names the setting by its field name, or ``by_label``."""
    called = item.setting.label if by_label else item.name
    if item.kind is bool:
        if truth(value) is None:
            raise PlaygroundError(f"{called} must be true or false (got {value!r}).")
        return truth(value)
    if item.kind is str:
        return str(value)
    result = number(value, called)
    if item.kind is int:
        if result != int(result):
            raise PlaygroundError(f"{called} must be a whole number (got {value!r}).")
        return int(result)
    return result


def from_form(config_class: type, values: dict[str, Any], by_label: bool = False) -> dict[str, Any]:
    """Keyword arguments for ``config_class`` from form or API values keyed by setting key: only
    the settings it declares, converted to their types; ``None`` or an empty box (not given) is
    left out. ``by_label``: a refusal names a setting by its label (the page's words) rather than
    by its name (the API's)."""
    options = {}
    for item in declared(config_class):
        value = values.get(item.key)
        if value is not None and not (isinstance(value, str) and not value.strip()):
            options[item.name] = convert(item, value, by_label)
    return options
