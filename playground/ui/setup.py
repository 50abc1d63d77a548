"""Set-up links in the page: fill the tabs from the address (or a lesson step), and share the
current set-up as a link. The rules live in :mod:`playground.lab.links`; this wires them to the
tabs' components."""

from __future__ import annotations

import dataclasses
from typing import Any

import gradio as gr

from playground.lab import links as setup_link
from playground.errors import PlaygroundError
from playground.runs.model_ref import LATEST, ModelRef
from playground.ui import model_tab, train_tab
from playground.ui.common import AppContext, session_of

TRAIN_NAMES = setup_link.TRAIN_FIELDS  # link name -> the Train tab's setting key


@dataclasses.dataclass
class SetupTargets:
    """The components a set-up fills."""

    tabs: gr.Tabs
    corpus: dict  # link name -> component: builtin, level, validation
    model: Any  # model_tab.ModelControls
    train: Any  # train_tab.TrainControls
    generate: Any  # playground.ui.generate.GenerateControls
    note: gr.Markdown
    applied: gr.Checkbox  # true when the set-up changed anything, so the grid and bars are redrawn

    def fields(self) -> dict:
        """Every component a set-up fills and a link is written from, by its name in a link (the
        grid's temperature sliders as "column 0", "column 1", ...), in one fixed order."""
        return {**self.corpus, "arch": self.model.arch, **self.model.fields,
                **{name: self.train.fields[key] for name, key in TRAIN_NAMES.items()},
                **self.generate.settings, **{f"column {i}": slider for i, slider in enumerate(self.generate.sliders)}}

    def share_inputs(self) -> list:
        """What a link is written from: the corpus, model, training and Generate settings."""
        return list(self.fields().values())

    def outputs(self) -> list:
        """What a set-up fills: the tab shown, those settings, the line of problems and the flag."""
        return [self.tabs, *self.share_inputs(), self.note, self.applied]


def apply(context: AppContext, targets: SetupTargets, query: str | dict, request=None) -> list:
    """Updates for ``targets.outputs()`` from a query; what was wrong in it goes to the note."""
    values, problems = setup_link.parse(query or "")
    arch = values.get("arch", "lstm")
    if "model" in values:
        try:
            ref = ModelRef.from_link(values["model"])
            session_of(context, request).use_model(ref, context.catalog)
            values["model"] = ref.label
        except PlaygroundError as error:
            problems.append(f"model {values.pop('model')!r}: {error}")
    for name in setup_link.MODEL_FIELDS:
        if name in values and name not in model_tab.field_names(arch):
            problems.append(f"{name} is not a setting of the {arch} architecture")
            values.pop(name)
    updates = {name: gr.update(value=values[name]) for name in targets.fields() if name in values}
    if "arch" in values:
        # The architecture's own controls and the training settings measured for it; the link's values win.
        for control, shown in zip(model_tab.CONTROLS, model_tab.show_controls(context, arch)):
            updates[control.field] = {**shown, **updates.get(control.field, {})}
        start = dict(zip(train_tab.FOLLOWS_ARCHITECTURE, train_tab.suggest_settings(context, arch)))
        for name, key in TRAIN_NAMES.items():
            if name not in values and start.get(key) is not None:
                updates[name] = gr.update(value=start[key])
    temperatures = values.get("temperatures")
    if temperatures is not None:
        updates["columns"] = gr.update(value=len(temperatures))
        for i in range(len(targets.generate.sliders)):
            updates[f"column {i}"] = gr.update(value=temperatures[i], visible=True) if i < len(temperatures) \
                else gr.update(visible=False)
    tab = gr.Tabs(selected=values["tab"]) if "tab" in values else gr.update()
    note = setup_link.describe(problems)
    # Hidden while empty: an empty block on the page would still take the keyboard's first Tab.
    return [tab, *(updates.get(name, gr.update()) for name in targets.fields()),
            gr.update(value=note, visible=bool(note)), bool(values)]


def share(context: AppContext, targets: SetupTargets, page: str, *values, request=None) -> str:
    """The link for the current set-up (``page``: the page's address, from the browser; ``values``:
    the components of ``targets.share_inputs()``)."""
    given = dict(zip(targets.fields(), values))
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
        kind = setup_link.FIELDS[name].kind
        if kind is int:
            typed[name] = round(float(value))
        elif kind in (float, bool):
            typed[name] = kind(value)
        else:
            typed[name] = value
    return typed
