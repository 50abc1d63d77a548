"""Set-up links in the page: fill the tabs from the address (or a lesson step), and share the
current set-up as a link. The rules live in :mod:`playground.lab.links`; this wires them to the
tabs' components."""

from __future__ import annotations

import dataclasses
from typing import Any

import gradio as gr

from playground.lab import links as setup_link
from playground.errors import PlaygroundError
from playground.runs.catalog import PREFIX
from playground.session import LATEST
from playground.ui import model_tab, train_tab
from playground.ui.common import AppContext, session_of

TRAIN_NAMES = setup_link.TRAIN_FIELDS  # link name -> the Train tab's setting key


@dataclasses.dataclass
class SetupTargets:
    """The components a set-up fills, in one fixed order."""

    tabs: gr.Tabs
    corpus: dict  # builtin, level, validation
    model: Any  # model_tab.ModelControls
    train: Any  # train_tab.TrainControls
    generate: Any  # playground.ui.generate.GenerateControls
    note: gr.Markdown
    applied: gr.Checkbox  # true when the set-up changed anything, so the grid and bars are redrawn

    def share_inputs(self) -> list:
        """What a link is written from: the corpus, model, training and Generate settings."""
        return [*self.corpus.values(), self.model.arch, *self.model.fields.values(),
                *(self.train.fields[key] for key in TRAIN_NAMES.values()),
                *self.generate.settings.values(), *self.generate.sliders]

    def outputs(self) -> list:
        """What a set-up fills: the tab shown, those settings, the line of problems and the flag."""
        return [self.tabs, *self.share_inputs(), self.note, self.applied]


def apply(context: AppContext, targets: SetupTargets, query: str | dict, request=None) -> list:
    """Updates for ``targets.outputs()`` from a query; what was wrong in it goes to the note."""
    values, problems = setup_link.parse(query or "")
    arch = values.get("arch", "lstm")
    if "model" in values:
        name = values["model"].removeprefix(PREFIX)
        try:
            session_of(context, request).use_model(name, context.catalog)
            values["model"] = name
        except PlaygroundError as error:
            problems.append(f"model {values.pop('model')!r}: {error}")
    for name in setup_link.MODEL_FIELDS:
        if name in values and name not in model_tab.field_names(arch):
            problems.append(f"{name} is not a setting of the {arch} architecture")
            values.pop(name)
    updates = [gr.Tabs(selected=values["tab"]) if "tab" in values else gr.update()]
    updates += [gr.update(value=values[name]) if name in values else gr.update() for name in targets.corpus]
    if "arch" in values:
        updates.append(gr.update(value=arch))
        shown = model_tab.show_controls(context, arch)
        train_start = dict(zip(train_tab.FOLLOWS_ARCHITECTURE, train_tab.suggest_settings(context, arch)))
    else:
        updates.append(gr.update())
        shown, train_start = [gr.update() for _ in model_tab.CONTROLS], {}
    for control, update in zip(model_tab.CONTROLS, shown):
        if control.field in values:
            update = {**update, "value": values[control.field]}
        updates.append(update)
    for name, component_name in TRAIN_NAMES.items():
        value = values.get(name, train_start.get(component_name))
        updates.append(gr.update(value=value) if value is not None else gr.update())
    for name in targets.generate.settings:
        if name == "columns" and "temperatures" in values:
            updates.append(gr.update(value=len(values["temperatures"])))
        else:
            updates.append(gr.update(value=values[name]) if name in values else gr.update())
    temperatures = values.get("temperatures")
    for i in range(len(targets.generate.sliders)):
        if temperatures is None:
            updates.append(gr.update())
        else:
            updates.append(gr.update(value=temperatures[i], visible=True) if i < len(temperatures)
                           else gr.update(visible=False))
    updates.append(setup_link.describe(problems))
    updates.append(bool(values))
    return updates


def share(context: AppContext, targets: SetupTargets, page: str, *values, request=None) -> str:
    """The link for the current set-up (``page``: the page's address, from the browser)."""
    names = [*targets.corpus, "arch", *(c.field for c in model_tab.CONTROLS), *TRAIN_NAMES,
             *targets.generate.settings, *(f"column {i}" for i in range(len(targets.generate.sliders)))]
    given = dict(zip(names, values))
    arch = given.get("arch") or "lstm"
    fields = model_tab.field_names(arch)
    # Only the settings this architecture has; the grid's temperatures from its visible columns.
    chosen = {name: given[name] for name in setup_link.FIELDS if given.get(name) is not None
              and (name not in setup_link.MODEL_FIELDS or name in fields)}
    columns = int(given.get("columns") or len(targets.generate.sliders))
    chosen["temperatures"] = tuple(float(given[f"column {i}"]) for i in range(columns))
    if chosen.get("model") == LATEST:
        chosen.pop("model")  # a student's own model cannot travel in a link
    query = setup_link.to_query(_typed(chosen))
    address = (page or "").split("?")[0]
    return f"{address}?{query}" if query else address


def _typed(values: dict) -> dict:
    """The components' values as the link's types (a Number gives floats, a Slider ints or floats)."""
    typed = {}
    for name, value in values.items():
        field = setup_link.FIELDS[name]
        if field.kind == "int":
            typed[name] = round(float(value))
        elif field.kind == "float":
            typed[name] = float(value)
        elif field.kind == "bool":
            typed[name] = bool(value)
        else:
            typed[name] = value
    return typed
