"""What every sub-tab of the Generate tab reads: the controls above the sub-tabs (the model, the
prompt, the length, the seed and the filters), and how a form's values become settings.

A handler takes the form as one dictionary, keyed by the names the web API shows, and reads the
declared settings from it with :func:`settings_from`; the forms list those names once per
endpoint (``FILTERS`` stands for every declared sampling filter), so a new filter reaches every
handler, control, endpoint and link from its declaration.
"""

import dataclasses
import inspect

import gradio as gr

from playground.generation.sampling import GenerationSettings, SamplingSettings, filter_names
from playground.lab.temperatures import GRID_START
from playground.settings import declared, from_form
from playground.ui.common import control

DECLARED = {item.key: item for item in declared(GenerationSettings)}
FILTERS = tuple(item.key for item in declared(SamplingSettings))  # the filters' names, in declaration order
START_TEMPERATURES = ", ".join(f"{t:.1f}" for t in GRID_START)  # the grid's and the measuring's first list


@dataclasses.dataclass
class Shared:
    """The controls above the sub-tabs."""

    chosen: gr.Dropdown  # the Model list
    model_info: gr.Markdown  # the line naming the model in use
    prompt: gr.Textbox
    length: gr.Slider
    seed: gr.Number
    filters: list  # one control per declared filter, in FILTERS' order

    def settings(self) -> dict:
        """The declared settings' controls above the sub-tabs, by name."""
        return {"length": self.length, "seed": self.seed, **dict(zip(FILTERS, self.filters))}

    def inputs(self, form, **own) -> list:
        """The components for a form's names, in its order: the prompt and the controls above the
        sub-tabs by name, and a sub-tab's ``own`` (its temperature, its models, ...)."""
        components = {"prompt": self.prompt, **self.settings(), **own}
        return [components[getattr(name, "name", name)] for name in form]


def settings_from(values: dict) -> GenerationSettings:
    """The declared settings in a form's values, checked (an empty box or a missing one: the default)."""
    return GenerationSettings(**from_form(GenerationSettings, values, by_label=True))


def prompt_of(values: dict) -> str:
    return values.get("prompt") or ""


def filter_controls() -> list:
    """One control per declared filter, as its declaration says."""
    return [control(DECLARED[key]) for key in FILTERS]


def filters_label() -> str:
    return "Filters: " + ", ".join(filter_names())


def parameters(*names: str, **starts) -> list[inspect.Parameter]:
    """Typed parameters for a ``gr.api`` endpoint, which reads their types and defaults: the prompt
    (a string, empty by default), the declared settings (their type; their default, or the
    endpoint's own in ``starts``) and the others in ``starts`` (typed by their default)."""
    positional = inspect.Parameter.POSITIONAL_OR_KEYWORD
    made = []
    for name in names:
        if name == "prompt":
            kind, default = str, starts.get(name, "")
        elif name in DECLARED:
            kind, default = DECLARED[name].kind, starts.get(name, DECLARED[name].default)
        else:
            kind, default = type(starts[name]), starts[name]
        made.append(inspect.Parameter(name, positional, default=default, annotation=kind))
    return made
