"""The Quality vs diversity sub-tab: BLEU against held-out text (quality) and 1 − self-BLEU
(diversity) across temperatures, one curve per model."""

import gradio as gr
import pandas as pd

from playground.figures import charts
from playground.generation.sampling import parse_temperatures
from playground.lab import temperatures as temperature_lab
from playground.session import LATEST
from playground.ui.common import AppContext, bind, controls, session_of, whole
from playground.ui.generate import model_list
from playground.ui.generate.form import Shared

INTRO = (
    "The honest way to compare models (Caccia et al., *Language GANs Falling Short*). For each "
    "temperature, draw many samples; **quality** is their BLEU-4 against held-out text the model never "
    "trained on, **diversity** is 1 − self-BLEU-4 (how unlike each other they are). Lowering the "
    "temperature buys quality with diversity; a better model has a curve further up and to the right. "
    "Press **Measure quality and diversity** to draw the curves here.")
TABLE_EMPTY = pd.DataFrame(columns=["model", "temperature", "bleu", "self_bleu", "samples", "references"])


def quality_diversity(context: AppContext, models: list, samples: float, references: float, length: float,
                      temperatures: str, seed: float, request: gr.Request = None):
    """Quality (BLEU) against diversity (1 - self-BLEU) across temperatures, one curve per model."""
    chosen = session_of(context, request).resolve_all(models or [], context.catalog)
    settings = temperature_lab.QualityDiversitySettings(
        tuple(parse_temperatures(temperatures)), whole(samples, "Samples per temperature"),
        whole(references, "Held-out references"), whole(length, "Sample length"), whole(seed, "Seed", 0))
    table = temperature_lab.compare_models(chosen, settings)
    return charts.quality_diversity_figure(table), table


def render(context: AppContext, shared: Shared) -> None:
    gr.Markdown(INTRO)
    offered = model_list.names(context)
    with gr.Row():
        models = gr.Dropdown(offered, value=offered[1:2] or [LATEST], multiselect=True, label="Models",
                             elem_id="qd-models")
        temperatures = gr.Textbox(", ".join(f"{t:g}" for t in temperature_lab.QD_TEMPERATURES),
                                  label="Temperatures")
    with gr.Row():
        samples, references, length = controls(temperature_lab.QualityDiversitySettings)
    button = gr.Button("Measure quality and diversity", variant="primary", elem_id="qd")
    chart = gr.Plot(elem_id="qd-chart", show_label=False)
    table = gr.Dataframe(TABLE_EMPTY, label="Per model and temperature", interactive=False)
    button.click(bind(context, quality_diversity), [models, samples, references, length, temperatures, shared.seed],
                 [chart, table], api_name="quality_diversity")
