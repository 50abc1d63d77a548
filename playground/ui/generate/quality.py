"""The Quality vs diversity sub-tab: BLEU against held-out text (quality) and 1 − self-BLEU
(diversity) across temperatures, one curve per model."""

import gradio as gr
import pandas as pd

from playground.figures import charts
from playground.generation.sampling import parse_temperatures
from playground.lab import temperatures as temperature_lab
from playground.runs.model_ref import ModelRef
from playground.settings import from_form
from playground.ui.common import AppContext, bind, controls, session_of
from playground.ui.generate import model_list
from playground.ui.generate.form import Shared

INTRO = (
    "The honest way to compare models (Caccia et al., *Language GANs Falling Short*). For each "
    "temperature, draw many samples; **quality** is their BLEU-4 against held-out text the model never "
    "trained on, **diversity** is 1 − self-BLEU-4 (how unlike each other they are). Lowering the "
    "temperature buys quality with diversity; a better model has a curve further up and to the right. "
    "Press **Measure quality and diversity** to draw the curves here.")
TABLE_EMPTY = pd.DataFrame(columns=["model", "temperature", "bleu", "self_bleu", "samples", "references"])
FORM = ("models", "samples", "references", "length", "temperatures", "seed")  # the web API's arguments, in order


def quality_diversity(context: AppContext, form: dict, request: gr.Request = None):
    """Quality (BLEU) against diversity (1 - self-BLEU) across temperatures, one curve per model
    (``form``: :data:`FORM`)."""
    refs = [ModelRef.parse(label) for label in form.get("models") or []]
    chosen = session_of(context, request).resolve_all(refs, context.catalog)
    settings = temperature_lab.QualityDiversitySettings(
        tuple(parse_temperatures(form["temperatures"])),
        **from_form(temperature_lab.QualityDiversitySettings, form, by_label=True))
    table = temperature_lab.compare_models(chosen, settings)
    return charts.quality_diversity_figure(table), table


def render(context: AppContext, shared: Shared) -> None:
    gr.Markdown(INTRO)
    offered = model_list.names(context)
    with gr.Row():
        models = gr.Dropdown(offered, value=offered[1:2] or offered[:1], multiselect=True, label="Models",
                             elem_id="qd-models")
        temperatures = gr.Textbox(", ".join(f"{t:g}" for t in temperature_lab.QD_TEMPERATURES),
                                  label="Temperatures")
    with gr.Row():
        samples, references, length = controls(temperature_lab.QualityDiversitySettings)
    button = gr.Button("Measure quality and diversity", variant="primary", elem_id="qd")
    chart = gr.Plot(charts.empty_figure("One curve per model, quality against diversity, appears here when you press "
                                        "Measure quality and diversity."), elem_id="qd-chart", show_label=False)
    table = gr.Dataframe(TABLE_EMPTY, label="Per model and temperature", interactive=False)
    button.click(bind(context, quality_diversity, FORM),
                 shared.inputs(FORM, models=models, samples=samples, references=references, length=length,
                               temperatures=temperatures), [chart, table], api_name="quality_diversity")
