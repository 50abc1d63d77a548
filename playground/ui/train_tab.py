"""Train tab: train in the background, watch the loss fall, stop whenever you like."""

import asyncio
import dataclasses

import gradio as gr

from playground import charts
from playground.monitor import Snapshot
from playground.models import architecture
from playground.training import TrainConfig
from playground.ui.common import AppContext, bind, escape, number, session_of, whole
from playground.ui.model_tab import ModelControls, model_options

INTRO = """
### 3 · Train: watch the model learn
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


@dataclasses.dataclass
class TrainControls:
    epochs: gr.Number
    minutes: gr.Number
    batch_size: gr.Slider
    window: gr.Slider
    learning_rate: gr.Number
    optimizer: gr.Dropdown
    seed: gr.Number

    def inputs(self) -> list:
        return [self.epochs, self.minutes, self.batch_size, self.window, self.learning_rate, self.optimizer,
                self.seed]


def train_config(epochs: float, minutes: float, batch_size: float, window: float, learning_rate: float,
                 optimizer: str, seed: float, arch: str = "lstm") -> TrainConfig:
    from playground.errors import PlaygroundError

    epochs, minutes = number(epochs, "Epochs", 0.0), number(minutes, "Minutes", 0.0)
    if epochs < 0 or minutes < 0:
        raise PlaygroundError("Epochs and minutes cannot be negative.")
    if epochs == 0 and minutes == 0:
        raise PlaygroundError("Set a number of epochs or of minutes (or both: whichever comes first).")
    # The architecture's measured extras (schedule, warm-up) come along; what the student set wins.
    defaults = architecture(arch).train_defaults
    chosen = dict(batch_size=whole(batch_size, "Batch size"), window=whole(window, "Context length"),
                  learning_rate=number(learning_rate, "Learning rate"), optimizer=optimizer)
    return TrainConfig(**{**defaults, **chosen}, epochs=epochs or None, minutes=minutes or None,
                       seed=whole(seed, "Random seed", 0))


def suggest_settings(context: AppContext, arch: str, request: gr.Request = None) -> list:
    """The architecture's measured starting point for batch size, context, learning rate and optimizer."""
    base, defaults = TrainConfig(), architecture(arch).train_defaults
    return [defaults.get(name, getattr(base, name)) for name in ("batch_size", "window", "learning_rate", "optimizer")]


def samples_html(snapshot: Snapshot) -> str:
    if not snapshot.samples:
        return f"<p class='pg-muted'>{SAMPLES_EMPTY}</p>"
    last_step = snapshot.samples[-1][0]
    latest = [s for s in snapshot.samples if s[0] == last_step]
    cards = "".join(
        f"<div class='pg-card'><div class='pg-card-head'>temperature {t:g}</div>"
        f"<pre class='pg-text'>{escape(text)}</pre></div>" for _, _, t, text in latest)
    epoch = latest[0][1]
    return f"<p><b>Samples after epoch {epoch:.0f}</b> (step {last_step})</p><div class='pg-grid'>{cards}</div>"


def view(snapshot: Snapshot) -> tuple[str, object, str, object]:
    diagnostics = charts.diagnostics_figure(snapshot)
    status = f"**{escape(snapshot.status)}**"
    if snapshot.diagnostics and snapshot.diagnostics[-1][2]:
        status += f"  \nReading: *{escape(snapshot.diagnostics[-1][2])}*"
    return status, charts.loss_figure(snapshot), samples_html(snapshot), gr.Plot(diagnostics, visible=bool(diagnostics))


async def train(context: AppContext, arch: str, units: float, layers: float, embedding_dim: float, heads: float,
          context_length: float, dropout: float, cell: str, pretrain_share: float, beta_max: float, d_steps: float,
          mle_mix: float, straight_through: bool, epochs: float, minutes: float, batch_size: float, window: float,
          learning_rate: float, optimizer: str, seed: float, request: gr.Request = None):
    """Start training in the background and stream (status, loss chart, samples, diagnostics) until it ends.

    The model settings are the Model tab's controls; fields the architecture lacks are ignored.
    """
    session = session_of(context, request)
    config = train_config(epochs, minutes, batch_size, window, learning_rate, optimizer, seed, arch)
    options = model_options(arch, units, layers, embedding_dim, heads, context_length, dropout, cell,
                            pretrain_share, beta_max, d_steps, mle_mix, straight_through)
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
    start = dict(zip(("batch_size", "window", "learning_rate", "optimizer"), suggest_settings(context, "lstm")))
    with gr.Row():
        epochs = gr.Number(value=3, label="Epochs (0 = no limit)", minimum=0, maximum=1000,
                           info="One epoch shows the model as many characters as the training text has.")
        minutes = gr.Number(value=5, label="Minutes (0 = no limit)", minimum=0, maximum=240,
                            info="Training ends at whichever limit comes first.")
        learning_rate = gr.Number(value=start["learning_rate"], label="Learning rate", minimum=0,
                                  info="Step size of each update. Too high: the loss jumps or explodes.")
        optimizer = gr.Dropdown(["adam", "adamw", "rmsprop", "sgd"], value=start["optimizer"], label="Optimizer")
    with gr.Accordion("More settings", open=False):
        with gr.Row():
            batch_size = gr.Slider(1, 256, value=start["batch_size"], step=1, label="Batch size",
                                   info="Windows of text per update.")
            window = gr.Slider(16, 512, value=start["window"], step=16, label="Context length",
                               info="Tokens per training window: how far back gradients reach.")
            seed = gr.Number(value=0, precision=0, label="Random seed")
    controls = TrainControls(epochs, minutes, batch_size, window, learning_rate, optimizer, seed)
    with gr.Row():
        train_button = gr.Button("Train", variant="primary", elem_id="train")
        stop_button = gr.Button("Stop", variant="stop", elem_id="stop")
    status = gr.Markdown("Load a corpus, choose a model, then press **Train**.", elem_id="train-status")
    chart = gr.Plot(charts.empty_figure("The loss curve appears here, step by step, once you press “Train”."),
                    label="Loss", show_label=False, elem_id="loss-chart")
    diagnostics = gr.Plot(label="Diagnostics", elem_id="diagnostics-chart", visible=False)
    samples = gr.HTML(f"<p class='pg-muted'>{SAMPLES_EMPTY}</p>", elem_id="train-samples")
    train_button.click(bind(context, train), model.inputs() + controls.inputs(),
                       [status, chart, samples, diagnostics], api_name="train", concurrency_limit=None)
    stop_button.click(bind(context, stop), None, status, api_name="stop",
                      concurrency_limit=None)
    # A student's choice only (.input): a set-up link sets the architecture and its settings together.
    model.arch.input(bind(context, suggest_settings), model.arch, [batch_size, window, learning_rate, optimizer],
                     api_visibility="private")
    return [status, chart, samples, diagnostics], controls
