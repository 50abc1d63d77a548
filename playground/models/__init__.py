"""The architecture registry. Adding an architecture is one file here and one line below."""

from __future__ import annotations

from playground.errors import PlaygroundError
from playground.models import gan, gan_naive, gru, lstm, transformer
from playground.models.base import Architecture, LanguageModel, ModelConfig
from playground.settings import Declared, on_page


def register(*entries: Architecture) -> dict[str, Architecture]:
    """The registry: each architecture by its name, once each, and only one that counts its own
    parameters (the limits check that count before a model is built; without it any size would pass)."""
    registry: dict[str, Architecture] = {}
    for entry in entries:
        if entry.name in registry:
            raise PlaygroundError(f"Two architectures are called {entry.name!r}; each needs a name of its own.")
        entry.parameter_count(entry.default_config(vocab_size=2))  # refuses one with nothing to count
        registry[entry.name] = entry
    return registry


ARCHITECTURES: dict[str, Architecture] = register(
    *(module.ARCHITECTURE for module in (lstm, gru, transformer, gan, gan_naive)))


def architecture(name: str) -> Architecture:
    if name not in ARCHITECTURES:
        raise PlaygroundError(f"Unknown architecture {name!r}; choose one of {', '.join(ARCHITECTURES)}.")
    return ARCHITECTURES[name]


def config_from_dict(data: dict) -> ModelConfig:
    """Rebuild a model config from its JSON form, with a clear error for anything odd."""
    if not isinstance(data, dict) or "arch" not in data:
        raise PlaygroundError("config.json has no 'arch' field.")
    spec = architecture(data["arch"])
    fields = {k: v for k, v in data.items() if k != "arch"}
    try:
        return spec.config_class(**fields)
    except TypeError as error:
        raise PlaygroundError(f"config.json does not fit the {spec.name} architecture: {error}.") from None


def page_settings() -> dict[str, dict[str, Declared]]:
    """Every model setting some architecture shows on the page, by field name, in page order (the
    registry's, then each config's field order), with each architecture's own declaration."""
    shown: dict[str, dict[str, Declared]] = {}
    for name, spec in ARCHITECTURES.items():
        for item in on_page(spec.config_class):
            shown.setdefault(item.name, {})[name] = item
    return shown


__all__ = ["ARCHITECTURES", "Architecture", "LanguageModel", "ModelConfig", "architecture", "config_from_dict",
           "page_settings", "register"]
