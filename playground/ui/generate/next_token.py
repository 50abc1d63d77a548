"""The Next token sub-tab: the bars of what the model expects next, stage by stage, and drawing or
picking one token at a time."""

import dataclasses
from collections.abc import Callable

import gradio as gr

from playground.figures import next_token_chart
from playground.generation import next_token as lab
from playground.generation.sampling import GenerationSettings
from playground.generation.text_model import TextModel
from playground.lab.temperatures import PROMPT_START
from playground.ui.common import AppContext, bind, control, escape, gated, session_of, whole
from playground.ui.generate.form import DECLARED, FILTERS, Shared, parameters, prompt_of, settings_from
from playground.ui.generate.views import token_span, unknown_note
from playground.ui.model_line import NO_MODEL

INTRO = """
The model reads the prompt and gives every token a **score** (logit). Sampling at temperature T
draws from **p ∝ exp(score / T)**: the slider reshapes the bars live. Step through the recipe with
the stages, cut the long tail with the filters above, then **Draw one** (the next token is drawn
from these bars and appended to the prompt), pick one yourself, or **Draw 100** to see that
sampling follows the bars.
"""
PICK_LABEL = "Pick the next token yourself: click a bar, or a token here (with its probability now)"


# The forms (the web API's arguments, in the inputs' order); the picked token is the pick list's value.
VIEW_FORM = ("prompt", "temperature", *FILTERS, "stage", "top")
DISTRIBUTION_FORM = parameters("prompt", "temperature", *FILTERS, "top", top=lab.DEFAULT_TOP)
DRAW_FORM = ("prompt", "temperature", "seed", *FILTERS, "path")
PICK_FORM = ("prompt", "temperature", *FILTERS, "token_id", "path")
HUNDRED_FORM = ("prompt", "temperature", "seed", *FILTERS, "stage", "top", "path")


def lab_view(context: AppContext, form: dict, request) -> tuple[TextModel, GenerationSettings, lab.NextToken]:
    """The model in use, the form's settings and every stage of the distribution after the form's prompt."""
    model = session_of(context, request).current_model()
    settings = settings_from(form)
    return model, settings, model.next_token(prompt_of(form), settings.temperature, settings)


def bars_shown(form: dict, model: TextModel) -> int:
    return lab.check_top(whole(form.get("top", lab.DEFAULT_TOP), "Bars shown"), model.network.model_config.vocab_size)


def lab_notes(model: TextModel, prompt: str) -> str:
    notes = unknown_note(model, prompt).strip()
    if model.ignores_prompt:
        notes += " This model writes from noise: its next-token bars are the same whatever the prompt says."
    return notes


def next_token_view(context: AppContext, form: dict, request: gr.Request = None):
    """The bars, the numbers beside them and the tokens a student can pick (``form``: :data:`VIEW_FORM`;
    its ``stage`` picks the bars)."""
    model, _, view = lab_view(context, form, request)
    count = bars_shown(form, model)
    picks = [(f"{lab.visible(token)}  {p:.0%}", int(i))
             for token, p, i in zip(view.tokens[:count], view.probability[:count], view.token_ids[:count])]
    return (next_token_chart.next_token_figure(view, form["stage"], count), lab.describe(view),
            gr.Radio(choices=picks, value=None), lab_notes(model, prompt_of(form)))


def next_token_distribution(context: AppContext, form: dict, request: gr.Request = None) -> dict:
    """The model's distribution over the token after ``prompt``: the ``top`` highest-scoring tokens
    with their logit, probability at T = 1, probability of being drawn at these settings and whether
    the filters keep them; plus the entropy (bits) and effective choices of what a draw uses."""
    model, _, view = lab_view(context, form, request)
    return view.to_json(bars_shown(form, model))


def path_view(path: list[dict]) -> str:
    """The tokens drawn so far, each coloured by the probability it had when it was drawn."""
    if not path:
        return ("<p class='pg-muted' id='drawn-path'>Nothing drawn yet. <b>Draw one</b> samples the next token "
                "from the bars; picking a token appends it yourself; <b>Back</b> undoes.</p>")
    spans = "".join(token_span(escape(lab.visible(step["token"])), step["probability"],
                               f"p = {step['probability']:.3f} ({step['how']})") for step in path)
    return (f"<div id='drawn-path'><p class='pg-muted'>Drawn so far ({len(path)}), coloured by the probability "
            f"each had; hover for it:</p><div class='pg-tokens'>{spans}</div></div>")


def append_step(model: TextModel, prompt: str, path: list[dict], token_id: int, probability: float, how: str):
    token = model.tokenizer.token_texts([token_id])[0]
    step = {"prompt": prompt, "token": token, "probability": float(probability), "how": how}
    steps = [*path, step]
    return model.append(prompt, token), steps, path_view(steps)


def draw_one(context: AppContext, form: dict, request: gr.Request = None):
    """Draw the next token as generation with this seed would, and append it to the prompt (``form``:
    :data:`DRAW_FORM`)."""
    model, settings, view = lab_view(context, form, request)
    path = list(form.get("path") or [])
    i = lab.draw_one(view, settings.seed, len(path))
    return append_step(model, prompt_of(form), path, int(view.token_ids[i]), view.probability[i],
                       f"drawn at T = {view.temperature:g}")


def pick_token(context: AppContext, form: dict, request: gr.Request = None):
    """Append the token the student picked from the bars (``form``: :data:`PICK_FORM`)."""
    model, _, view = lab_view(context, form, request)
    probability = view.probability_of(form.get("token_id"))
    return append_step(model, prompt_of(form), list(form.get("path") or []), int(form["token_id"]), probability,
                       "picked by you")


def step_back(context: AppContext, prompt: str, path: list, request: gr.Request = None):
    """Undo the last drawn or picked token."""
    path = list(path or [])
    if not path:
        return prompt, path, path_view(path)
    last = path.pop()
    return last["prompt"], path, path_view(path)


def draw_hundred(context: AppContext, form: dict, request: gr.Request = None):
    """100 draws at these settings, their shares drawn over the bars (``form``: :data:`HUNDRED_FORM`)."""
    model, settings, view = lab_view(context, form, request)
    counts = lab.draw_many(view, settings.seed, len(form.get("path") or []))
    return (next_token_chart.next_token_figure(view, form["stage"], bars_shown(form, model), draws=counts),
            lab.draws_note(view, counts))


def first_bars(context: AppContext):
    """The default model's bars after the Generate tab's first prompt, drawn once when the app starts."""
    model = context.store.default_model
    if model is None:
        return None, NO_MODEL
    view = model.next_token(PROMPT_START, 1.0)
    return next_token_chart.next_token_figure(view, "final", lab.DEFAULT_TOP), lab.describe(view)


@dataclasses.dataclass
class NextTokenControls:
    """What the rest of the tab wires to: the temperature (a set-up link sets it), the tokens drawn
    so far (a new model clears them) and ``refresh``, which redraws the bars after an event."""

    temperature: gr.Slider
    path: gr.State
    refresh: Callable


def render(context: AppContext, shared: Shared) -> NextTokenControls:
    gr.Markdown(INTRO)
    with gr.Row():
        temperature = control(DECLARED["temperature"], label="Temperature T (0 = greedy)", elem_id="next-temperature",
                              scale=3)
        top = gr.Slider(2, 60, value=lab.DEFAULT_TOP, step=1, label="Bars shown", scale=1)
    stage = gr.Radio(list(next_token_chart.STAGES.values()), value=next_token_chart.STAGES["final"],
                     label="Stage of the recipe", elem_id="next-stage")
    figure, described = first_bars(context)
    with gr.Row():
        chart = gr.Plot(figure, elem_id="next-token-chart", scale=3, show_label=False)
        with gr.Column(scale=1):
            stats = gr.Markdown(described, elem_id="next-token-stats")
            note = gr.Markdown(elem_id="next-token-note")
    with gr.Row():
        draw_button = gr.Button("Draw one", variant="primary", elem_id="draw-one")
        back_button = gr.Button("Back", elem_id="step-back")
        hundred_button = gr.Button("Draw 100", elem_id="draw-100")
    picks = gr.Radio([], label=PICK_LABEL, elem_id="pick-token")
    drawn = gr.HTML(path_view([]))
    path = gr.State([])

    def inputs(form):
        return shared.inputs(form, temperature=temperature, stage=stage, top=top, token_id=picks, path=path)

    view, outputs = bind(context, next_token_view, VIEW_FORM), [chart, stats, picks, note]
    steps = [shared.prompt, path, drawn]
    quiet = dict(show_progress="hidden", trigger_mode="always_last", api_visibility="private")

    def refresh(event, when=None):
        """Chain a redraw of the bars after ``event`` (a Gradio event's return value); with ``when``
        (a component), only if its value is true."""
        if when is None:
            return event.then(view, inputs(VIEW_FORM), outputs, **quiet)
        return event.then(gated(view, len(outputs)), [when, *inputs(VIEW_FORM)], outputs, **quiet)

    for component in inputs(VIEW_FORM):
        component.change(view, inputs(VIEW_FORM), outputs, **quiet)
    gr.api(bind(context, next_token_distribution, DISTRIBUTION_FORM), api_name="next_token_distribution")
    draw_button.click(bind(context, draw_one, DRAW_FORM), inputs(DRAW_FORM), steps, api_visibility="private")
    picks.input(bind(context, pick_token, PICK_FORM), inputs(PICK_FORM), steps, api_visibility="private")
    back_button.click(bind(context, step_back), [shared.prompt, path], steps, api_visibility="private")
    hundred_button.click(bind(context, draw_hundred, HUNDRED_FORM), inputs(HUNDRED_FORM), [chart, note],
                         api_visibility="private")
    return NextTokenControls(temperature, path, refresh)
