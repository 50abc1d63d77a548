"""Compare tab: runs side by side, by their loss curves and by quality against diversity."""

import math

import gradio as gr
import pandas as pd

from playground import charts, temperature_lab, workspace
from playground.errors import PlaygroundError
from playground.runs import TextModel
from playground.sampling import parse_temperatures
from playground.ui.common import AppContext, bind, whole

INTRO = """
### 5 · Compare: which model is better, and at what cost?
Pick saved runs and pretrained models. Loss against **steps** shows which learns more per update;
against **seconds** shows which learns more per minute of your laptop. Models with different tokens
(characters vs words) have losses on different scales: compare like with like. The
quality–diversity curve compares samples, not losses, so it can place any models side by side,
GANs included.
"""

PRETRAINED = "pretrained/"


def choices(context: AppContext) -> list[str]:
    runs = workspace.list_runs()
    names = list(runs["name"]) if len(runs) else []
    return [PRETRAINED + name for name in context.catalog.names()] + names


def refresh_choices(context: AppContext, request: gr.Request = None):
    return gr.Dropdown(choices=choices(context))


def bundle_dir(context: AppContext, name: str):
    if name.startswith(PRETRAINED):
        if name[len(PRETRAINED):] not in context.catalog.names():
            raise PlaygroundError(f"No pretrained model called {name!r}.")
        return context.catalog.directory / name[len(PRETRAINED):]
    return workspace.run_path(name)


def text_model(context: AppContext, name: str) -> TextModel:
    if name.startswith(PRETRAINED):
        return context.catalog.get(name[len(PRETRAINED):])
    return TextModel.load(workspace.run_path(name))


def compare_runs(context: AppContext, names: list, request: gr.Request = None):
    """Loss curves against steps and against seconds, and a summary table, for the chosen runs."""
    if not names:
        raise PlaygroundError("Choose at least one run to compare.")
    histories, rows = {}, []
    for name in names:
        path = bundle_dir(context, name)
        histories[name] = workspace.history_frame(path)
        info = workspace.read_info(path) or {}
        result = info.get("result", {})
        loss = result.get("val_loss")
        known = isinstance(loss, (int, float)) and math.isfinite(loss)
        rows.append({"run": name, "architecture": info.get("model", {}).get("arch"),
                     "tokens": info.get("level", "char"), "parameters": result.get("params"),
                     "minutes": round(float(result.get("seconds", 0)) / 60, 2),
                     "validation loss": round(loss, 4) if known else None,
                     "bits/token": round(loss / math.log(2), 4) if known else None})
    return (charts.compare_figure(histories, "step"), charts.compare_figure(histories, "seconds"),
            pd.DataFrame(rows))


def compare_quality(context: AppContext, names: list, samples: float, references: float, length: float,
                    temperatures: str, request: gr.Request = None):
    """Quality–diversity curves of the chosen runs, against the held-out text of the first one's corpus."""
    settings = temperature_lab.QualityDiversitySettings(
        tuple(parse_temperatures(temperatures)), whole(samples, "Samples per temperature"),
        whole(references, "Held-out references"), whole(length, "Sample length"))
    table = temperature_lab.compare_models({name: text_model(context, name) for name in names or []}, settings)
    return charts.quality_diversity_figure(table), table


def render(context: AppContext, demo: gr.Blocks) -> None:
    gr.Markdown(INTRO)
    with gr.Row():
        # Runs come and go while the app runs; the handlers check every name they are given.
        names = gr.Dropdown(choices(context), multiselect=True, label="Runs to compare", elem_id="compare-runs",
                            scale=4, allow_custom_value=True)
        refresh = gr.Button("Refresh", scale=1)
    compare_button = gr.Button("Compare loss curves", variant="primary", elem_id="compare-runs-button")
    with gr.Row():
        by_step = gr.Plot(elem_id="compare-steps")
        by_time = gr.Plot(elem_id="compare-seconds")
    table = gr.Dataframe(label="Runs", interactive=False, elem_id="compare-table")
    with gr.Accordion("Quality vs diversity", open=True):
        with gr.Row():
            temperatures = gr.Textbox(", ".join(f"{t:g}" for t in temperature_lab.QD_TEMPERATURES),
                                      label="Temperatures")
            samples = gr.Slider(2, 128, value=64, step=1, label="Samples per temperature")
            references = gr.Slider(1, 256, value=64, step=1, label="Held-out references")
            length = gr.Slider(20, 500, value=200, step=10, label="Sample length (tokens)")
        quality_button = gr.Button("Measure quality and diversity", elem_id="compare-quality")
        quality_chart = gr.Plot(elem_id="compare-qd")
        quality_table = gr.Dataframe(interactive=False)
    refresh.click(bind(context, refresh_choices), None, names, api_visibility="private")
    demo.load(bind(context, refresh_choices), None, names, api_visibility="private")
    compare_button.click(bind(context, compare_runs), names, [by_step, by_time, table], api_name="compare_runs")
    quality_button.click(bind(context, compare_quality), [names, samples, references, length, temperatures],
                         [quality_chart, quality_table], api_name="compare_quality")
