"""Compare tab: runs side by side, by their loss curves and by quality against diversity."""

import dataclasses

import gradio as gr
import pandas as pd

from playground.figures import charts
from playground.runs import store as run_store
from playground.lab import temperatures as temperature_lab
from playground.runs.owners import Viewer
from playground.generation.sampling import parse_temperatures
from playground.ui.common import AppContext, bind, controls, session_of, whole

INTRO = """
## 5 · Compare: which model is better, and at what cost?
Pick saved runs and pretrained models. Loss against **steps** shows which learns more per update;
against **seconds** shows which learns more per minute of your laptop. Models with different tokens
(characters, subwords, words) have losses per token on different scales; the table ranks them all on
**bits per character** (the bits of the held-out text over its characters), one scale for every tokenizer.
Runs of the same text, split and tokens also show its counting baselines as dashed lines. The
quality–diversity curve compares samples, not losses, so it can place any models side by side,
GANs included.
"""

RUNS_EMPTY = "The loss curves of the runs you choose above appear here when you press “Compare loss curves”."
QUALITY_EMPTY = ("The quality–diversity curves of the runs you choose appear here when you press "
                 "“Measure quality and diversity”.")
SHIPPED_QUALITY = ("The curves shown were measured when the shipped models were trained (`make pretrained`); "
                   "choose runs and press **Measure quality and diversity** to measure them with your settings.")
RUN_COLUMNS = run_store.COMPARE_COLUMNS
QUALITY_COLUMNS = ["model", "temperature", "bleu", "self_bleu", "samples", "references"]


def choices(context: AppContext, viewer: Viewer | None = None) -> list[str]:
    """The shipped models, then the runs this person may see (none before we know who it is)."""
    return context.catalog.labels(viewer)


def refresh_choices(context: AppContext, request: gr.Request = None):
    return gr.Dropdown(choices=choices(context, session_of(context, request).viewer))


def compare_runs(context: AppContext, names: list, request: gr.Request = None):
    """Loss curves against steps and against seconds, and a summary table, for the chosen runs."""
    viewer = session_of(context, request).viewer
    compared = run_store.compare({name: context.catalog.bundle_path(name, viewer) for name in names or []})
    shared = compared.baselines.lines() if compared.baselines is not None else None
    return (charts.compare_figure(compared.histories, "step", shared),
            charts.compare_figure(compared.histories, "seconds", shared), compared.table)


def compare_quality(context: AppContext, names: list, samples: float, references: float, length: float,
                    temperatures: str, request: gr.Request = None):
    """Quality–diversity curves of the chosen runs, against the held-out text of the first one's corpus."""
    settings = temperature_lab.QualityDiversitySettings(
        tuple(parse_temperatures(temperatures)), whole(samples, "Samples per temperature"),
        whole(references, "Held-out references"), whole(length, "Sample length"))
    viewer = session_of(context, request).viewer
    table = temperature_lab.compare_models({name: context.catalog.load(name, viewer) for name in names or []},
                                           settings)
    return charts.quality_diversity_figure(table), table


def open_beside_shipped(context: AppContext, name: str, request: gr.Request = None):
    """``name``'s loss curves beside the shipped models of its token level (the character-level
    ones if there are none of its level): the runs chosen, the two charts and the table."""
    viewer = session_of(context, request).viewer
    level = (run_store.read_info(context.catalog.bundle_path(name, viewer)) or {}).get("level", "char")
    names = [name, *(context.catalog.first_look(level) or context.catalog.first_look())]
    return (gr.Dropdown(choices=choices(context, viewer), value=names, multiselect=True),
            *compare_runs(context, names, request))


@dataclasses.dataclass
class CompareControls:
    names: gr.Dropdown  # the runs chosen
    outputs: list  # what open_beside_shipped fills: the runs chosen, the charts against steps and seconds, the table


def first_look(context: AppContext):
    """What the tab shows before any click: the shipped character models' loss curves and the
    quality–diversity curves measured when they were shipped, all read from disk (no sampling)."""
    names = context.catalog.first_look()
    if names:
        by_step, by_time, table = compare_runs(context, names)
    else:
        by_step, by_time = charts.empty_figure(RUNS_EMPTY), charts.empty_figure(RUNS_EMPTY)
        table = pd.DataFrame(columns=RUN_COLUMNS)
    quality = context.catalog.quality_diversity(names)
    if quality is None:
        return names, by_step, by_time, table, charts.empty_figure(QUALITY_EMPTY), \
            pd.DataFrame(columns=QUALITY_COLUMNS), ""
    return names, by_step, by_time, table, charts.quality_diversity_figure(quality), quality, SHIPPED_QUALITY


def render(context: AppContext, demo: gr.Blocks) -> CompareControls:
    gr.Markdown(INTRO)
    names_shown, by_step_shown, by_time_shown, table_shown, quality_shown, quality_table_shown, quality_note = \
        first_look(context)
    with gr.Row():
        # Runs come and go while the app runs; the handlers check every name they are given.
        names = gr.Dropdown(choices(context), value=names_shown, multiselect=True, label="Runs to compare",
                            elem_id="compare-runs", scale=4, min_width=300, allow_custom_value=True)
        refresh = gr.Button("Refresh", scale=1, min_width=100, elem_id="refresh-compare")
    compare_button = gr.Button("Compare loss curves", variant="primary", elem_id="compare-runs-button")
    with gr.Row(equal_height=False):
        by_step = gr.Plot(by_step_shown, elem_id="compare-steps", show_label=False, min_width=300)
        by_time = gr.Plot(by_time_shown, elem_id="compare-seconds", show_label=False, min_width=300)
    table = gr.Dataframe(table_shown, headers=RUN_COLUMNS, label="Runs compared (“Compare loss curves” fills this)",
                         interactive=False, elem_id="compare-table")
    with gr.Accordion("Quality vs diversity", open=True):
        with gr.Row():
            temperatures = gr.Textbox(", ".join(f"{t:g}" for t in temperature_lab.QD_TEMPERATURES),
                                      label="Temperatures")
            samples, references, length = controls(temperature_lab.QualityDiversitySettings)
        quality_button = gr.Button("Measure quality and diversity", elem_id="compare-quality")
        gr.Markdown(quality_note, elem_id="compare-qd-note")
        quality_chart = gr.Plot(quality_shown, elem_id="compare-qd", show_label=False)
        quality_table = gr.Dataframe(quality_table_shown, headers=QUALITY_COLUMNS, interactive=False,
                                     label="Quality and diversity per temperature "
                                           "(“Measure quality and diversity” fills this)",
                                     elem_id="compare-qd-table")
    refresh.click(bind(context, refresh_choices), None, names, api_visibility="private")
    compare_button.click(bind(context, compare_runs), names, [by_step, by_time, table], api_name="compare_runs")
    quality_button.click(bind(context, compare_quality), [names, samples, references, length, temperatures],
                         [quality_chart, quality_table], api_name="compare_quality")
    return CompareControls(names, [names, by_step, by_time, table])
