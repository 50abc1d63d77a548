"""The Measure temperatures sub-tab: several samples per temperature, each measured, and the means."""

import gradio as gr
import pandas as pd

from playground.figures import charts
from playground.generation.sampling import parse_temperatures
from playground.lab import temperatures as temperature_lab
from playground.lab.temperatures import MEASURE_SAMPLES, MEASURE_START_SAMPLES
from playground.ui.common import AppContext, bind, declared_slider, session_of, whole
from playground.ui.generate.form import FILTERS, START_TEMPERATURES, Shared, prompt_of, settings_from

INTRO = ("Draw several samples at each temperature and measure them, to see *where* the model starts repeating "
         "itself (distinct-n falls, repetition rises) and where it starts making things up (its own "
         "log-probability of the text falls).")
WAITING = ("Press **Measure** to draw the samples; a chart of each measure against temperature and a table of "
           "means appear here.")
TABLE_EMPTY = pd.DataFrame(columns=["temperature", "distinct_1", "distinct_2", "repetition_rate", "mean_logprob",
                                    "copied_share"])
FORM = ("prompt", "length", "temperatures", "seed", "samples", *FILTERS)  # the web API's arguments, in order


def measure_temperatures(context: AppContext, form: dict, request: gr.Request = None):
    """Several samples per temperature, each measured (``form``: :data:`FORM`); returns (chart of
    means, table of means, note)."""
    model = session_of(context, request).current_model()
    count, settings = whole(form.get("samples"), MEASURE_SAMPLES.label), settings_from(form)
    index = model.memorisation_index()
    rows = temperature_lab.measure_temperatures(model, prompt_of(form), parse_temperatures(form["temperatures"]),
                                                settings.length, settings.seed, count, settings, index)
    summary = temperature_lab.summary_by_temperature(rows)
    note = (f"Means over {count} samples of {settings.length} tokens per temperature. "
            "**distinct-n**: share of n-grams that are different (low = repetitive). "
            "**repeated 4-grams**: share of 4-grams already used earlier in the same sample. "
            "**mean log-prob**: how likely the model itself finds its text (0 is certain). "
            + temperature_lab.copying_note(index))
    return charts.metrics_figure(summary), summary, note


def render(context: AppContext, shared: Shared) -> None:
    gr.Markdown(INTRO)
    with gr.Row():
        temperatures = gr.Textbox(START_TEMPERATURES, label="Temperatures")
        samples = declared_slider(MEASURE_SAMPLES, MEASURE_START_SAMPLES)
    button = gr.Button("Measure", variant="primary", elem_id="measure")
    note = gr.Markdown(WAITING)
    chart = gr.Plot(charts.empty_figure("Each measure against temperature appears here when you press Measure."),
                    elem_id="metrics-chart", show_label=False)
    table = gr.Dataframe(TABLE_EMPTY, label="Means per temperature", interactive=False)
    button.click(bind(context, measure_temperatures, FORM), shared.inputs(FORM, temperatures=temperatures,
                                                                          samples=samples),
                 [chart, table, note], api_name="measure_temperatures")
