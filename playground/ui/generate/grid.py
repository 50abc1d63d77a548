"""The Temperature grid sub-tab: the same prompt and random numbers at several temperatures, one
column each, for one model or several side by side."""

import dataclasses
from collections.abc import Callable

import gradio as gr
import pandas as pd

from playground.generation.sampling import GenerationSettings, parse_temperatures
from playground.generation.text_model import Sample, TextModel
from playground.lab import temperatures as temperature_lab
from playground.lab.temperatures import GRID_COLUMNS, GRID_START, GRID_START_COLUMNS, GRID_TEMPERATURES, PROMPT_START
from playground.runs.model_ref import ModelRef
from playground.ui.common import (AppContext, bind, control, declared_slider, escape, gated, number, session_of,
                                  text_box, whole)
from playground.ui.generate import model_list
from playground.ui.generate.form import DECLARED, FILTERS, START_TEMPERATURES, Shared, prompt_of, settings_from
from playground.ui.generate.views import unknown_note
from playground.ui.model_line import model_line

HELP = ("One slider per column (0 = greedy). Releasing a slider redraws the grid with the same prompt and "
        "random numbers, so only that column changes.")
MAX_COLUMNS = len(GRID_TEMPERATURES)
EMPTY = ("<p class='pg-muted'>No model to draw from yet. Train one (Train tab) or load a saved run (Runs tab), "
         "then press <b>Compare temperatures</b>: one card per temperature appears here.</p>")
TABLE_EMPTY = pd.DataFrame(columns=["model", "temperature", "text", "distinct_2", "repetition_rate",
                                    "copied_share", "mean_logprob"])
# The web API's arguments, in the inputs' order: the temperatures as one comma-separated string
# (the sliders write it), then the models to put side by side (empty: the model in use).
FORM = ("prompt", "length", "temperatures", "seed", *FILTERS, "models")


def compare_temperatures(context: AppContext, form: dict, request: gr.Request = None):
    """The same prompt and seed at several temperatures, in one batched call per model (``form``: :data:`FORM`).

    Returns (HTML grid, table with one row per model and temperature and its metrics, model line).
    """
    temperatures, settings = parse_temperatures(form["temperatures"]), settings_from(form)
    session, models = session_of(context, request), form.get("models")
    chosen = session.resolve_all([ModelRef.parse(label) for label in models], context.catalog) if models \
        else {"": session.current_model()}
    return temperature_grid(context, chosen, prompt_of(form), temperatures, settings)


def temperature_grid(context: AppContext, chosen: dict[str, TextModel], prompt: str, temperatures: list[float],
                     settings: GenerationSettings):
    """The grid's cards (a heading per named model) and its table, for models by name ("": the one in use)."""
    sections, rows_by_model = [], {}
    for name, model in chosen.items():
        with context.store.activity.generating():
            samples, rows = temperature_lab.grid(model, prompt, temperatures, settings.length, settings.seed,
                                                 settings)
        cards = [sample_card(prompt, sample, row, model) for sample, row in zip(samples, rows)]
        heading = f"<h3>{escape(name)}</h3>" if name else ""
        sections.append(f"{heading}<div class='pg-grid' style='--pg-columns: {len(temperatures)}'>"
                        f"{''.join(cards)}</div>")
        rows_by_model[name or model.name] = rows
    table = temperature_lab.grid_table(rows_by_model)
    grid = f"<div id='temperature-grid'>{''.join(sections)}</div>"
    if len(chosen) == 1:
        only = next(iter(chosen.values()))
        return grid, table, model_line(only) + unknown_note(only, prompt)
    # Several models: say so, rather than describe one of them as "the" model in use.
    names = ", ".join(f"**{escape(model.name)}**" for model in chosen.values())
    notes = "".join(unknown_note(model, prompt) for model in chosen.values())
    return grid, table, f"Side by side: {names} (each with its own tokens and loss scale).{notes}"


def slider_temperatures(columns: float, *values: float) -> str:
    """The grid's temperature sliders as the comma-separated list the API takes (the first ``columns``)."""
    count = whole(columns, "Columns")
    chosen = temperature_lab.grid_temperatures(count, [number(value, "Temperature") for value in values[:count]])
    return ", ".join(f"{value:g}" for value in chosen)


def show_columns(columns: float) -> list:
    count = whole(columns, "Columns")
    return [gr.Slider(visible=i < count) for i in range(MAX_COLUMNS)]


def sample_card(prompt: str, sample: Sample, row: dict, model: TextModel) -> str:
    copied = f" · copied {row['copied_share']:.0%}" if row["copied_share"] is not None else ""
    return (f"<div class='pg-card'><div class='pg-card-head'>T = {sample.temperature:g} · "
            f"{temperature_lab.character_of(sample.temperature)}</div>"
            + text_box(f"<b>{escape(prompt)}</b>{escape(model.join(prompt, sample.text)[len(prompt):])}") +
            f"<div class='pg-card-foot'>distinct-2 {row['distinct_2']:.2f} · "
            f"repeated 4-grams {row['repetition_rate']:.0%}{copied} · mean log-prob {row['mean_logprob']:.2f}"
            f" · <a href='#' class='pg-inspect' data-temperature='{sample.temperature:g}' "
            "title='See the bars this column drew its first token from'>inspect the next token</a>"
            "</div></div>")


def first_grid(context: AppContext):
    """The default model's grid at the tab's first settings, drawn once when the app starts."""
    model = context.store.default_model
    if model is None:
        return EMPTY, TABLE_EMPTY
    grid, table, _ = temperature_grid(context, {"": model}, PROMPT_START, list(GRID_START), GenerationSettings())
    return grid, table


@dataclasses.dataclass
class GridControls:
    """What the rest of the tab wires to: the columns and their sliders (a set-up link sets them), and
    ``redraw``, which redraws the grid after an event."""

    columns: gr.Slider
    sliders: list
    redraw: Callable


def temperature_sliders() -> list[gr.Slider]:
    """One slider per column, each starting at its column's temperature; the first columns shown."""
    return [control(DECLARED["temperature"], t, label=f"Column {i + 1}", elem_classes=["grid-temperature"],
                    elem_id=f"grid-temperature-{i + 1}", visible=i < GRID_START_COLUMNS, min_width=110)
            for i, t in enumerate(GRID_TEMPERATURES)]


def render(context: AppContext, shared: Shared) -> GridControls:
    gr.Markdown(HELP)
    with gr.Row():
        sliders = temperature_sliders()
    with gr.Row():
        columns = declared_slider(GRID_COLUMNS, GRID_START_COLUMNS, elem_id="grid-columns", scale=1)
        models = gr.Dropdown(model_list.names(context), multiselect=True,
                             label="Models side by side (empty: the model above)",
                             info="Pick several models to see them at the same temperatures.",
                             elem_id="grid-models", scale=3)
    # The API takes the temperatures as one comma-separated string; the sliders write it.
    temperatures = gr.Textbox(START_TEMPERATURES, visible=False, elem_id="temperatures")
    button = gr.Button("Compare temperatures", variant="primary", elem_id="compare")
    shown, table_shown = first_grid(context)
    grid = gr.HTML(shown, elem_id="grid")
    table = gr.Dataframe(table_shown, label="Each sample measured", interactive=False, wrap=True,
                         elem_id="grid-table")

    inputs = shared.inputs(FORM, temperatures=temperatures, models=models)
    outputs = [grid, table, shared.model_info]
    sync = dict(fn=slider_temperatures, inputs=[columns, *sliders], outputs=temperatures, api_visibility="private")
    compare = bind(context, compare_temperatures, FORM)
    button.click(**sync).then(compare, inputs, outputs, api_name="compare_temperatures")
    for slider in sliders:
        slider.release(**sync).then(compare, inputs, outputs, api_visibility="private")
    columns.release(show_columns, columns, sliders, api_visibility="private").then(**sync).then(
        compare, inputs, outputs, api_visibility="private")

    def redraw(event, when):
        """Chain a redraw of the grid (at the sliders' temperatures) after ``event``, if ``when``'s value is true."""
        return event.then(**sync).then(gated(compare, len(outputs)), [when, *inputs], outputs,
                                       api_visibility="private")

    return GridControls(columns, sliders, redraw)
