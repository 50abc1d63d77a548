"""Train tab: train in the background, watch the loss fall, stop whenever you like."""

import asyncio
import dataclasses
import json

import gradio as gr

from playground.figures import charts
from playground.models import ARCHITECTURES
from playground.training.monitor import Snapshot
from playground.settings import on_page
from playground.training.config import TrainConfig, config_from_page, measured_on_page, page_start
from playground.ui import model_tab
from playground.ui.common import AppContext, bind, control, escape, session_of, text_box
from playground.ui.model_tab import ModelControls, model_options

INTRO = """
## 3 · Train: watch the model learn
The **loss** is how surprised the model is by the next token (character, subword or word) of text it has
not seen, in nats (natural-log units; divide by 0.693 for bits). A model that knows nothing scores
ln(vocabulary): ≈ 4.2 nats on 65 characters, where good character models of English get near 1.5;
≈ 9.2 nats on 10,000 words, where a few minutes of training reach about 4.6 per word.
The **blue** curve is measured on the batches it trains on, the **red** one on held-out text:
when red stops falling while blue keeps going, the model has started memorising (marked ✕ on the chart).
The **dashed** lines are what counting models score on the same held-out text (hover one for what it
knows): a model is worth training once red is below the n-gram line. The right axis reads the curves
in bits per character, the scale runs of every kind of token share.
Every epoch it writes a few lines at different temperatures so you can *read* it improving.
"""

REFRESH_SECONDS = 0.5
SAMPLES_EMPTY = "Text the model writes at a few temperatures appears here after each epoch of training."
PAGE = on_page(TrainConfig)
FIRST_ROW = ("epochs", "minutes", "learning_rate", "optimizer")  # the rest wait under "More settings"
FOLLOWS_ARCHITECTURE = measured_on_page()


@dataclasses.dataclass
class TrainControls:
    fields: dict  # setting key -> component, in declaration order

    def inputs(self) -> list:
        return list(self.fields.values())


def suggest_settings(context: AppContext, arch: str, request: gr.Request = None) -> list:
    """The architecture's measured starting point for the settings that follow it."""
    start = page_start(arch)
    return [start[key] for key in FOLLOWS_ARCHITECTURE]


def suggest_in_browser() -> str:
    """:func:`suggest_settings` for every architecture, as a function the page runs itself. The
    values change as the student picks, with no trip to the server: a reply that came back late
    (a busy server) used to overwrite what the student had typed into the Train tab meanwhile."""
    table = {arch: suggest_settings(None, arch) for arch in ARCHITECTURES}
    return f"(arch) => ({json.dumps(table)})[arch]"


def samples_html(snapshot: Snapshot) -> str:
    if not snapshot.samples:
        return f"<p class='pg-muted'>{SAMPLES_EMPTY}</p>"
    last_step = snapshot.samples[-1][0]
    latest = [s for s in snapshot.samples if s[0] == last_step]
    cards = "".join(
        f"<div class='pg-card'><div class='pg-card-head'>temperature {t:g}</div>"
        f"{text_box(escape(text))}</div>" for _, _, t, text in latest)
    epoch = latest[0][1]
    return f"<p><b>Samples after epoch {epoch:.0f}</b> (step {last_step})</p><div class='pg-grid'>{cards}</div>"


def view(snapshot: Snapshot) -> tuple[str, object, str, object]:
    diagnostics = charts.diagnostics_figure(snapshot)
    status = f"**{escape(snapshot.status)}**"
    if snapshot.notice:  # where the run trains, when not where the server was told to train it
        status = f"*{escape(snapshot.notice)}*  \n{status}"
    if snapshot.diagnostics and snapshot.diagnostics[-1][2]:
        status += f"  \nReading: *{escape(snapshot.diagnostics[-1][2])}*"
    return status, charts.loss_figure(snapshot), samples_html(snapshot), gr.Plot(diagnostics, visible=bool(diagnostics))


async def train(context: AppContext, values: dict, request: gr.Request = None):
    """Start training in the background and stream (status, loss chart, samples, diagnostics) until it ends.

    ``values``: the Model tab's settings, then the Train tab's (by API name); settings the
    architecture lacks are ignored.
    """
    session = session_of(context, request)
    arch = values["arch"]
    config = config_from_page(arch, values)
    options = model_options(**{key: values[key] for key in model_tab.FORM})
    # Tokenizing and building take seconds on a large corpus: in a worker thread, not on the event
    # loop that answers every other student.
    monitor = await asyncio.to_thread(session.start_training, arch, options, config)
    async for update in stream(session, monitor):
        yield update


async def stream(session, monitor):
    """(status, chart, samples, diagnostics) twice a second while the session trains, then at the end.

    Asynchronous, so a student waiting in the training queue holds no server thread.
    """
    seen = -1
    while session.training:
        if monitor.version != seen:
            seen = monitor.version
            yield view(monitor.snapshot())
        await asyncio.sleep(REFRESH_SECONDS)
    snapshot = monitor.snapshot()
    yield view(snapshot)
    if snapshot.state == "failed":
        raise gr.Error(snapshot.error or "Training failed.", title="Training failed")


def stop(context: AppContext, request: gr.Request = None) -> str:
    """Ask this session's training to stop; the model trained so far is kept."""
    if session_of(context, request).stop_training():
        return "**Stopping… the model keeps everything it learned so far.**"
    return "**Nothing is training.**"


def render(context: AppContext, model: ModelControls) -> tuple[list, TrainControls]:
    """Lays out the tab; returns its (status, chart, samples, diagnostics) outputs for other streams
    to use, and its controls."""
    gr.Markdown(INTRO)
    # The Model tab starts on the LSTM, so its measured settings are where the Train tab starts.
    start, fields = page_start("lstm"), {}
    with gr.Row():
        for item in PAGE:
            if item.key in FIRST_ROW:
                fields[item.key] = control(item, start[item.key])
    with gr.Accordion("More settings", open=False), gr.Row():
        for item in PAGE:
            if item.key not in FIRST_ROW:
                fields[item.key] = control(item, start[item.key])
    controls = TrainControls({item.key: fields[item.key] for item in PAGE})
    with gr.Row():
        train_button = gr.Button("Train", variant="primary", elem_id="train")
        stop_button = gr.Button("Stop", variant="stop", elem_id="stop")
    status = gr.Markdown("Load a corpus, choose a model, then press **Train**.", elem_id="train-status")
    chart = gr.Plot(charts.empty_figure("The loss curve appears here, step by step, once you press “Train”."),
                    label="Loss", show_label=False, elem_id="loss-chart")
    diagnostics = gr.Plot(label="Diagnostics", elem_id="diagnostics-chart", visible=False)
    samples = gr.HTML(f"<p class='pg-muted'>{SAMPLES_EMPTY}</p>", elem_id="train-samples")
    train_button.click(bind(context, train, (*model_tab.FORM, *controls.fields)), model.inputs() + controls.inputs(),
                       [status, chart, samples, diagnostics], api_name="train", concurrency_limit=None)
    stop_button.click(bind(context, stop), None, status, api_name="stop",
                      concurrency_limit=None)
    # A student's choice only (.input): a set-up link sets the architecture and its settings together.
    model.arch.input(None, model.arch, [fields[key] for key in FOLLOWS_ARCHITECTURE], js=suggest_in_browser(),
                     api_visibility="private")
    return [status, chart, samples, diagnostics], controls
