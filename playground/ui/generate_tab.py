"""Generate tab: write with the model, and compare temperatures side by side."""

import dataclasses
import functools
import inspect
from collections.abc import Callable

import gradio as gr
import pandas as pd

from playground.figures import charts
from playground.generation import next_token
from playground.figures import next_token_chart
from playground.lab import temperatures as temperature_lab
from playground.generation.text_model import Sample, TextModel
from playground.generation.sampling import TEMPERATURE, GenerationSettings, SamplingSettings, parse_temperatures
from playground.session import LATEST, Session
from playground.lab.temperatures import GRID_COLUMNS, GRID_START_COLUMNS, GRID_TEMPERATURES, MEASURE_SAMPLES
from playground.settings import Setting, declared, from_form
from playground.ui.common import AppContext, bind, control, escape, number, session_of, whole

INTRO = """
### 4 · Generate: let the model write
The model scores every possible next token; **temperature** reshapes those scores before one is
drawn. Low temperature (0.2) almost always takes the favourite: safe, repetitive, sometimes
stuck in a loop. High temperature (1.5) gives long shots a real chance: surprising, then
nonsense. The **grid** draws every temperature with the *same* random numbers, so the only
difference between the columns is the temperature itself.
"""

DEFAULT_GRID = temperature_lab.GRID_START
DEFAULT_TEMPERATURES = ", ".join(f"{t:.1f}" for t in DEFAULT_GRID)
MAX_COLUMNS = len(GRID_TEMPERATURES)
DEFAULT_PROMPT, DEFAULT_LENGTH = temperature_lab.PROMPT_START, GenerationSettings.length
NO_MODEL = "No model yet: train one (Train tab), or load a saved run (Runs tab)."
GRID_EMPTY = ("<p class='pg-muted'>No model to draw from yet. Train one (Train tab) or load a saved run (Runs tab), "
              "then press <b>Compare temperatures</b>: one card per temperature appears here.</p>")
GRID_TABLE_EMPTY = pd.DataFrame(columns=["model", "temperature", "text", "distinct_2", "repetition_rate",
                                         "copied_share", "mean_logprob"])
MEASURE_TABLE_EMPTY = pd.DataFrame(columns=["temperature", "distinct_1", "distinct_2", "repetition_rate",
                                            "mean_logprob", "copied_share"])
QD_TABLE_EMPTY = pd.DataFrame(columns=["model", "temperature", "bleu", "self_bleu", "samples", "references"])



def choose_model(context: AppContext, name: str, request: gr.Request = None) -> str:
    """Use a pretrained model (by name), a loaded run or this session's latest trained model."""
    return model_line(session_of(context, request).use_model(name, context.catalog))


def model_in_use(context: AppContext, request: gr.Request = None):
    """The Model list as it should read now (after a training run or a load in the Runs tab)."""
    session = session_of(context, request)
    names = context.catalog.names()
    return gr.Dropdown(choices=session.model_choices(names), value=session.model_choice(names)), \
        in_use_line(session.model)


def in_use_line(model: TextModel | None) -> str:
    """The line naming the model in use, or saying there is none."""
    return model_line(model) if model is not None else NO_MODEL


def model_line(model: TextModel) -> str:
    loss = model.validation_loss
    quality = f", validation loss {loss:.3f} nats/{model.level}" if loss is not None else ""
    note = " It writes from noise and ignores the prompt: that is part of why it fails." \
        if model.ignores_prompt else ""
    return (f"Using **{escape(model.name)}** ({model.arch}, {model.model.count_params():,} parameters, "
            f"{model.level} level{quality}).{note}")


def settings_of(top_k, top_p, min_p) -> SamplingSettings:
    """The filters' boxes as settings (an empty box: that filter off)."""
    return SamplingSettings(**from_form(SamplingSettings, {"top_k": top_k, "top_p": top_p, "min_p": min_p}))


def token_view(sample: Sample, model: TextModel) -> str:
    """Each token coloured by the probability it was drawn with; hover for the alternatives."""
    spans = []
    for token, probability, top_ids, top_probabilities in zip(
            sample.tokens, sample.token_probability, sample.top_ids, sample.top_probabilities):
        alternatives = ", ".join(f"{model.tokenizer.decode([i])!r} {p:.2f}" for i, p in zip(top_ids, top_probabilities))
        hue = int(120 * float(probability))
        shown = escape(token).replace("\n", "↵<br>") or "∅"
        spans.append(f"<span class='pg-token' style='background:hsl({hue},70%,85%)' "
                     f"title='p = {probability:.3f} · top 5: {escape(alternatives)}'>{shown}</span>")
    spacer = " " if model.level == "word" else ""
    legend = ("<p class='pg-muted'>Colour = probability the drawn token had: "
              "<span style='background:hsl(120,70%,85%)'>&nbsp;sure&nbsp;</span> → "
              "<span style='background:hsl(0,70%,85%)'>&nbsp;a gamble&nbsp;</span>. "
              "Hover a token to see the five most likely alternatives.</p>")
    return legend + f"<div class='pg-tokens'>{spacer.join(spans)}</div>"


def generate(context: AppContext, prompt: str, length: float, temperature: float, seed: float, top_k: float,
             top_p: float, min_p: float, request: gr.Request = None) -> tuple[str, str, str]:
    """One sample at one temperature. Returns (prompt + text, per-token view, model line)."""
    model = session_of(context, request).current_model()
    with context.store.activity.generating():
        sample = model.generate(prompt or "", [number(temperature, "Temperature")], whole(length, "Length"),
                                whole(seed, "Seed", 0), settings_of(top_k, top_p, min_p))[0]
    return model.join(prompt or "", sample.text), token_view(sample, model), \
        model_line(model) + unknown_note(model, prompt)


def unknown_note(model: TextModel, prompt: str) -> str:
    """Notes on the prompt: tokens the model never saw, and a prompt longer than it reads."""
    cut = model.prompt_note(prompt or "")
    cut = f" {cut}" if cut else ""
    unknown = model.unknown_in(prompt or "")
    if not unknown:
        return cut
    shown = ", ".join(repr(u) for u in unknown[:10])
    return (f" Note: the model has never seen {escape(shown)} in the prompt; it reads them as &lt;unk&gt; (unknown)."
            + cut)


def compare_temperatures(context: AppContext, prompt: str, length: float, temperatures: str, seed: float,
                         top_k: float, top_p: float, min_p: float, models: list | None = None,
                         request: gr.Request = None):
    """The same prompt and seed at several temperatures, in one batched call per model.

    ``models``: names from the Model list to put side by side (empty: the model in use).
    Returns (HTML grid, table with one row per model and temperature and its metrics, model line).
    """
    values, settings = parse_temperatures(temperatures), settings_of(top_k, top_p, min_p)
    length, seed = whole(length, "Length"), whole(seed, "Seed", 0)
    session = session_of(context, request)
    chosen = session.resolve_all(models, context.catalog) if models else {"": session.current_model()}
    return temperature_grid(context, chosen, prompt or "", values, length, seed, settings)


def temperature_grid(context: AppContext, chosen: dict[str, TextModel], prompt: str, values: list[float],
                     length: int, seed: int, settings: SamplingSettings):
    """The grid's cards (a heading per named model) and its table, for models by name ("": the one in use)."""
    sections, rows_by_model = [], {}
    for name, model in chosen.items():
        with context.store.activity.generating():
            samples, rows = temperature_lab.grid(model, prompt, values, length, seed, settings)
        cards = [sample_card(prompt, sample, row, model) for sample, row in zip(samples, rows)]
        heading = f"<h4>{escape(name)}</h4>" if name else ""
        sections.append(f"{heading}<div class='pg-grid' style='--pg-columns: {len(values)}'>{''.join(cards)}</div>")
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


def gated(handler: Callable, outputs: int) -> Callable:
    """``handler`` behind a first boolean input: when it is false, nothing is recomputed or redrawn."""
    parameters = list(inspect.signature(handler).parameters.values())

    @functools.wraps(handler)
    def run(when: bool, *args, **kwargs):
        if not when:
            return tuple(gr.skip() for _ in range(outputs)) if outputs > 1 else gr.skip()
        return handler(*args, **kwargs)

    run.__signature__ = inspect.Signature(
        [inspect.Parameter("when", inspect.Parameter.POSITIONAL_OR_KEYWORD), *parameters])
    return run


def slider_temperatures(columns: float, *values: float) -> str:
    """The grid's temperature sliders as the comma-separated list the API takes (the first ``columns``)."""
    count = whole(columns, "Columns")
    chosen = temperature_lab.grid_temperatures(count, [number(value, "Temperature") for value in values[:count]])
    return ", ".join(f"{value:g}" for value in chosen)


def declared_slider(setting: Setting, value: float, **options) -> gr.Slider:
    """A slider over the part of a declared setting's range the page offers."""
    low, high, step = setting.page
    return gr.Slider(low, high, value=value, step=step, label=setting.label, **options)


def quality_diversity_sliders() -> list[gr.Slider]:
    """Samples per temperature, held-out references and sample length, as the settings declare them."""
    return [control(item) for item in declared(temperature_lab.QualityDiversitySettings)]


def show_columns(columns: float) -> list:
    count = whole(columns, "Columns")
    return [gr.Slider(visible=i < count) for i in range(MAX_COLUMNS)]


def sample_card(prompt: str, sample: Sample, row: dict, model: TextModel) -> str:
    copied = f" · copied {row['copied_share']:.0%}" if row["copied_share"] is not None else ""
    return (f"<div class='pg-card'><div class='pg-card-head'>T = {sample.temperature:g} · "
            f"{temperature_lab.character_of(sample.temperature)}</div><pre class='pg-text'><b>{escape(prompt)}</b>"
            f"{escape(model.join(prompt, sample.text)[len(prompt):])}</pre>"
            f"<div class='pg-card-foot'>distinct-2 {row['distinct_2']:.2f} · "
            f"repeated 4-grams {row['repetition_rate']:.0%}{copied} · mean log-prob {row['mean_logprob']:.2f}"
            f" · <a href='#' class='pg-inspect' data-temperature='{sample.temperature:g}' "
            "title='See the bars this column drew its first token from'>inspect the next token</a>"
            "</div></div>")


def measure_temperatures(context: AppContext, prompt: str, length: float, temperatures: str, seed: float,
                         samples: float, top_k: float, top_p: float, min_p: float, request: gr.Request = None):
    """Several samples per temperature, each measured; returns (chart of means, table of means, note)."""
    model = session_of(context, request).current_model()
    count, length = whole(samples, "Samples per temperature"), whole(length, "Length")
    index = model.memorisation_index()
    rows = temperature_lab.measure_temperatures(model, prompt or "", parse_temperatures(temperatures), length,
                                                whole(seed, "Seed", 0), count, settings_of(top_k, top_p, min_p), index)
    summary = temperature_lab.summary_by_temperature(rows)
    note = (f"Means over {count} samples of {length} tokens per temperature. "
            "**distinct-n**: share of n-grams that are different (low = repetitive). "
            "**repeated 4-grams**: share of 4-grams already used earlier in the same sample. "
            "**mean log-prob**: how likely the model itself finds its text (0 is certain). "
            + temperature_lab.copying_note(index))
    return charts.metrics_figure(summary), summary, note


def quality_diversity(context: AppContext, models: list, samples: float, references: float, length: float,
                      temperatures: str, seed: float, request: gr.Request = None):
    """Quality (BLEU) against diversity (1 - self-BLEU) across temperatures, one curve per model."""
    chosen = session_of(context, request).resolve_all(models or [], context.catalog)
    settings = temperature_lab.QualityDiversitySettings(
        tuple(parse_temperatures(temperatures)), whole(samples, "Samples per temperature"),
        whole(references, "Held-out references"), whole(length, "Sample length"), whole(seed, "Seed", 0))
    table = temperature_lab.compare_models(chosen, settings)
    return charts.quality_diversity_figure(table), table


def token_probabilities(context: AppContext, prompt: str = "", length: int = 50, temperature: float = 0.8,
                        seed: int = 0, top_k: int = 0, top_p: float = 1.0, min_p: float = 0.0,
                        request: gr.Request = None) -> list:
    """Generate one sample and return every token with its probability and the top-5 alternatives."""
    model = session_of(context, request).current_model()
    sample = model.generate(prompt or "", [number(temperature, "Temperature")], whole(length, "Length"),
                            whole(seed, "Seed", 0), settings_of(top_k, top_p, min_p))[0]
    return temperature_lab.token_probabilities(model, sample)


# Next token ---------------------------------------------------------------------------
def lab_view(context: AppContext, session: Session, prompt: str, temperature, top_k, top_p, min_p):
    model = session.current_model()
    return model, model.next_token(prompt or "", number(temperature, "Temperature"), settings_of(top_k, top_p, min_p))


def bars_shown(top, model: TextModel) -> int:
    return next_token.check_top(whole(top, "Bars shown"), model.model.model_config.vocab_size)


def lab_notes(model: TextModel, prompt: str) -> str:
    notes = unknown_note(model, prompt).strip()
    if model.ignores_prompt:
        notes += " This model writes from noise: its next-token bars are the same whatever the prompt says."
    return notes


def next_token_view(context: AppContext, prompt: str, temperature: float, top_k: float, top_p: float, min_p: float,
                    stage: str, top: float, request: gr.Request = None):
    """The bars, the numbers beside them and the tokens a student can pick; ``stage`` picks the bars."""
    model, view = lab_view(context, session_of(context, request), prompt, temperature, top_k, top_p, min_p)
    count = bars_shown(top, model)
    picks = [(f"{next_token.visible(token)}  {p:.0%}", int(i))
             for token, p, i in zip(view.tokens[:count], view.probability[:count], view.token_ids[:count])]
    return (next_token_chart.next_token_figure(view, stage, count), next_token.describe(view),
            gr.Radio(choices=picks, value=None), lab_notes(model, prompt or ""))


def next_token_distribution(context: AppContext, prompt: str = "", temperature: float = 1.0, top_k: int = 0,
                            top_p: float = 1.0, min_p: float = 0.0, top: int = next_token.DEFAULT_TOP,
                            request: gr.Request = None) -> dict:
    """The model's distribution over the token after ``prompt``: the ``top`` highest-scoring tokens
    with their logit, probability at T = 1, probability of being drawn at these settings and whether
    the filters keep them; plus the entropy (bits) and effective choices of what a draw uses."""
    model, view = lab_view(context, session_of(context, request), prompt, temperature, top_k, top_p, min_p)
    return view.to_json(bars_shown(top, model))


def path_view(path: list[dict]) -> str:
    """The tokens drawn so far, each coloured by the probability it had when it was drawn."""
    if not path:
        return ("<p class='pg-muted' id='drawn-path'>Nothing drawn yet. <b>Draw one</b> samples the next token "
                "from the bars; picking a token appends it yourself; <b>Back</b> undoes.</p>")
    spans = "".join(
        f"<span class='pg-token' style='background:hsl({int(120 * step['probability'])},70%,85%)' "
        f"title='p = {step['probability']:.3f} ({escape(step['how'])})'>{escape(next_token.visible(step['token']))}"
        "</span>" for step in path)
    return (f"<div id='drawn-path'><p class='pg-muted'>Drawn so far ({len(path)}), coloured by the probability "
            f"each had; hover for it:</p><div class='pg-tokens'>{spans}</div></div>")


def append_step(model: TextModel, prompt: str, path: list[dict], token_id: int, probability: float, how: str):
    token = model.tokenizer.token_texts([token_id])[0]
    step = {"prompt": prompt, "token": token, "probability": float(probability), "how": how}
    steps = [*path, step]
    return model.append(prompt, token), steps, path_view(steps)


def draw_one(context: AppContext, prompt: str, temperature: float, seed: float, top_k: float, top_p: float,
             min_p: float, path: list, request: gr.Request = None):
    """Draw the next token as generation with this seed would, and append it to the prompt."""
    model, view = lab_view(context, session_of(context, request), prompt, temperature, top_k, top_p, min_p)
    path = list(path or [])
    i = next_token.draw_one(view, whole(seed, "Seed", 0), len(path))
    return append_step(model, prompt or "", path, int(view.token_ids[i]), view.probability[i],
                       f"drawn at T = {view.temperature:g}")


def pick_token(context: AppContext, prompt: str, temperature: float, top_k: float, top_p: float, min_p: float,
               token_id, path: list, request: gr.Request = None):
    """Append the token the student picked from the bars."""
    model, view = lab_view(context, session_of(context, request), prompt, temperature, top_k, top_p, min_p)
    probability = view.probability_of(token_id)
    return append_step(model, prompt or "", list(path or []), int(token_id), probability, "picked by you")


def step_back(context: AppContext, prompt: str, path: list, request: gr.Request = None):
    """Undo the last drawn or picked token."""
    path = list(path or [])
    if not path:
        return prompt, path, path_view(path)
    last = path.pop()
    return last["prompt"], path, path_view(path)


def draw_hundred(context: AppContext, prompt: str, temperature: float, seed: float, top_k: float, top_p: float,
                 min_p: float, stage: str, top: float, path: list, request: gr.Request = None):
    """100 draws at these settings, their shares drawn over the bars."""
    model, view = lab_view(context, session_of(context, request), prompt, temperature, top_k, top_p, min_p)
    counts = next_token.draw_many(view, whole(seed, "Seed", 0), len(path or []))
    return (next_token_chart.next_token_figure(view, stage, bars_shown(top, model), draws=counts),
            next_token.draws_note(view, counts))


# First look ---------------------------------------------------------------------------
def first_look(context: AppContext):
    """The grid and the next-token bars of the default model, drawn once when the app starts."""
    model = context.store.default_model
    if model is None:
        return None
    grid, table, _ = temperature_grid(context, {"": model}, DEFAULT_PROMPT, list(DEFAULT_GRID), DEFAULT_LENGTH, 0,
                                      SamplingSettings())
    view = model.next_token(DEFAULT_PROMPT, 1.0)
    return grid, table, next_token_chart.next_token_figure(view, "final", next_token.DEFAULT_TOP), \
        next_token.describe(view)


NEXT_TOKEN_INTRO = """
The model reads the prompt and gives every token a **score** (logit). Sampling at temperature T
draws from **p ∝ exp(score / T)**: the slider reshapes the bars live. Step through the recipe with
the stages, cut the long tail with the filters above, then **Draw one** (the next token is drawn
from these bars and appended to the prompt), pick one yourself, or **Draw 100** to see that
sampling follows the bars.
"""

GRID_HELP = ("One slider per column (0 = greedy). Releasing a slider redraws the grid with the same prompt and "
             "random numbers, so only that column changes.")

CSS = """
.pg-grid { display: grid; grid-template-columns: repeat(var(--pg-columns, 3), minmax(0, 1fr)); gap: 10px; }
@media (max-width: 1100px) { .pg-grid { grid-template-columns: repeat(auto-fill, minmax(260px, 1fr)); } }
.grid-temperature { min-width: 110px !important; }
.pg-inspect { white-space: nowrap; }
body.pg-large .pg-text, body.pg-large .pg-tokens { font-size: 1.35em; line-height: 1.5; }
body.pg-large .pg-card-head { font-size: 1.3em; }
body.pg-large #next-token-stats { font-size: 1.3em; }
"""

# A grid card's "inspect" link opens the Next-token view at that card's temperature; clicking a bar
# of the next-token chart picks that token (the bars and the pick list share their order).
JS = """
() => {
  // Gradio draws a new plot on every update: listen to each one once.
  setInterval(() => {
    const plot = document.querySelector('#next-token-chart .js-plotly-plot');
    if (!plot || !plot.on || plot.pgClicks) return;
    plot.pgClicks = true;
    plot.on('plotly_click', (data) => {
      const index = data && data.points && data.points.length ? Number(data.points[0].x) : -1;
      const option = document.querySelectorAll('#pick-token input[type=radio]')[index];
      if (option) option.click();
    });
  }, 300);
  document.addEventListener('click', (event) => {
    const link = event.target.closest && event.target.closest('a.pg-inspect');
    if (!link) return;
    event.preventDefault();
    const tab = [...document.querySelectorAll('button[role=tab]')].find(b => b.innerText.trim() === 'Next token');
    if (tab) tab.click();
    const box = document.querySelector('#next-temperature input[type=number]');
    if (box) {
      box.value = link.dataset.temperature;
      box.dispatchEvent(new Event('input', {bubbles: true}));
      box.dispatchEvent(new Event('change', {bubbles: true}));
      box.dispatchEvent(new KeyboardEvent('keydown', {key: 'Enter', bubbles: true}));
      box.blur();
    }
    document.querySelector('#next-token-chart')?.scrollIntoView({block: 'center'});
  });
}
"""


@dataclasses.dataclass
class GenerateControls:
    """What other tabs wire to: the Model list and the line under it, refreshed when the tab opens."""

    chosen: gr.Dropdown
    model_info: gr.Markdown
    path: gr.State
    refresh_lab: Callable
    # What a set-up link fills (see playground.ui.setup): name -> component, and the grid to redraw.
    settings: dict = dataclasses.field(default_factory=dict)
    sliders: list = dataclasses.field(default_factory=list)
    redraw_grid: Callable | None = None


def render(context: AppContext) -> GenerateControls:
    gr.Markdown(INTRO)
    names = [LATEST] + context.catalog.names()
    default_model = context.store.default_model
    first = first_look(context)
    with gr.Row():
        chosen = gr.Dropdown(names, value=names[1] if len(names) > 1 else LATEST, label="Model",
                             info="A shipped pretrained model, or the one you trained.", elem_id="model-choice",
                             scale=2)
        model_info = gr.Markdown(in_use_line(default_model), elem_id="model-info")
    prompt = gr.Textbox(label="Prompt (the text the model continues)", value=DEFAULT_PROMPT, elem_id="prompt")
    with gr.Row():
        length = gr.Slider(10, 1000, value=DEFAULT_LENGTH, step=10, label="Length (tokens to generate)")
        seed = gr.Number(value=0, precision=0, label="Random seed", info="Same seed, same text.")
        large = gr.Checkbox(False, label="Large text (for a projector)", elem_id="large-text")
    with gr.Accordion("Filters: top-k, top-p, min-p", open=False), gr.Row():
        filters = [control(item) for item in declared(SamplingSettings)]
    top_k, top_p, min_p = filters
    path = gr.State([])
    # The sub-tabs wrap onto a second row on a narrow screen instead of folding into a menu.
    with gr.Tabs(overflow_behavior="wrap"):
        with gr.Tab("Next token", id="next-token"):
            gr.Markdown(NEXT_TOKEN_INTRO)
            with gr.Row():
                lab_temperature = gr.Slider(*TEMPERATURE.page[:2], value=1.0, step=TEMPERATURE.page[2],
                                            label="Temperature T (0 = greedy)", elem_id="next-temperature", scale=3)
                top = gr.Slider(2, 60, value=next_token.DEFAULT_TOP, step=1, label="Bars shown", scale=1)
            stage = gr.Radio(list(next_token_chart.STAGES.values()), value=next_token_chart.STAGES["final"],
                             label="Stage of the recipe", elem_id="next-stage")
            with gr.Row():
                chart = gr.Plot(first[2] if first else None, elem_id="next-token-chart", scale=3, show_label=False)
                with gr.Column(scale=1):
                    stats = gr.Markdown(first[3] if first else NO_MODEL, elem_id="next-token-stats")
                    lab_note = gr.Markdown(elem_id="next-token-note")
            with gr.Row():
                draw_button = gr.Button("Draw one", variant="primary", elem_id="draw-one")
                back_button = gr.Button("Back", elem_id="step-back")
                hundred_button = gr.Button("Draw 100", elem_id="draw-100")
            picks = gr.Radio([], label="Pick the next token yourself: click a bar, or a token here "
                                       "(with its probability now)",
                             elem_id="pick-token")
            drawn = gr.HTML(path_view([]))
        with gr.Tab("Temperature grid", id="grid-tab"):
            gr.Markdown(GRID_HELP)
            with gr.Row():
                sliders = [gr.Slider(*TEMPERATURE.page[:2], value=t, step=TEMPERATURE.page[2], label=f"Column {i + 1}",
                                     elem_classes=["grid-temperature"], elem_id=f"grid-temperature-{i + 1}",
                                     visible=i < len(DEFAULT_GRID), min_width=110)
                           for i, t in enumerate(GRID_TEMPERATURES)]
            with gr.Row():
                columns = declared_slider(GRID_COLUMNS, GRID_START_COLUMNS, elem_id="grid-columns", scale=1)
                grid_models = gr.Dropdown(names, multiselect=True, label="Models side by side (empty: the model above)",
                                          info="Pick several models to see them at the same temperatures.",
                                          elem_id="grid-models", scale=3)
            # The API takes the temperatures as one comma-separated string; the sliders write it.
            temperatures = gr.Textbox(DEFAULT_TEMPERATURES, visible=False, elem_id="temperatures")
            grid_button = gr.Button("Compare temperatures", variant="primary", elem_id="compare")
            grid = gr.HTML(first[0] if first else GRID_EMPTY, elem_id="grid")
            table = gr.Dataframe(first[1] if first else GRID_TABLE_EMPTY, label="Each sample measured",
                                 interactive=False, wrap=True, elem_id="grid-table")
        with gr.Tab("Measure temperatures"):
            gr.Markdown("Draw several samples at each temperature and measure them, to see *where* the model "
                        "starts repeating itself (distinct-n falls, repetition rises) and where it starts "
                        "making things up (its own log-probability of the text falls).")
            with gr.Row():
                measure_temperatures_text = gr.Textbox(DEFAULT_TEMPERATURES, label="Temperatures")
                samples = declared_slider(MEASURE_SAMPLES, temperature_lab.MEASURE_START_SAMPLES)
            measure_button = gr.Button("Measure", variant="primary", elem_id="measure")
            measure_note = gr.Markdown("Press **Measure** to draw the samples; a chart of each measure against "
                                       "temperature and a table of means appear here.")
            measure_chart = gr.Plot(elem_id="metrics-chart", show_label=False)
            measure_table = gr.Dataframe(MEASURE_TABLE_EMPTY, label="Means per temperature", interactive=False)
        with gr.Tab("Quality vs diversity"):
            gr.Markdown(
                "The honest way to compare models (Caccia et al., *Language GANs Falling Short*). For each "
                "temperature, draw many samples; **quality** is their BLEU-4 against held-out text the model never "
                "trained on, **diversity** is 1 − self-BLEU-4 (how unlike each other they are). Lowering the "
                "temperature buys quality with diversity; a better model has a curve further up and to the right. "
                "Press **Measure quality and diversity** to draw the curves here.")
            with gr.Row():
                qd_models = gr.Dropdown(names, value=names[1:2] or [LATEST], multiselect=True, label="Models",
                                        elem_id="qd-models")
                qd_temperatures = gr.Textbox(", ".join(f"{t:g}" for t in temperature_lab.QD_TEMPERATURES),
                                             label="Temperatures")
            with gr.Row():
                qd_samples, qd_references, qd_length = quality_diversity_sliders()
            qd_button = gr.Button("Measure quality and diversity", variant="primary", elem_id="qd")
            qd_chart = gr.Plot(elem_id="qd-chart", show_label=False)
            qd_table = gr.Dataframe(QD_TABLE_EMPTY, label="Per model and temperature", interactive=False)
        with gr.Tab("One sample"):
            temperature = gr.Slider(*TEMPERATURE.page[:2], value=0.8, step=TEMPERATURE.page[2],
                                    label="Temperature (0 = greedy)")
            generate_button = gr.Button("Generate", variant="primary", elem_id="generate")
            text = gr.Textbox(label="Generated text", lines=10, elem_id="generated",
                              placeholder="Press Generate: the prompt and what the model writes after it appear here.")
            tokens = gr.HTML(elem_id="token-view")

    lab_inputs = [prompt, lab_temperature, *filters, stage, top]
    lab_outputs = [chart, stats, picks, lab_note]
    step_outputs = [prompt, path, drawn]
    quiet = dict(show_progress="hidden", trigger_mode="always_last", api_visibility="private")

    def refresh_lab(event, when=None):
        """Chain a redraw of the bars after ``event`` (a Gradio event's return value); with ``when``
        (a component), only if its value is true."""
        if when is None:
            return event.then(bind(context, next_token_view), lab_inputs, lab_outputs, **quiet)
        return event.then(gated(bind(context, next_token_view), len(lab_outputs)), [when, *lab_inputs], lab_outputs,
                          **quiet)

    refresh_lab(chosen.input(bind(context, choose_model), chosen, model_info, api_name="choose_model")
                ).then(lambda: [], None, path, api_visibility="private")
    for component in (prompt, lab_temperature, *filters, stage, top):
        component.change(bind(context, next_token_view), lab_inputs, lab_outputs, **quiet)
    gr.api(bind(context, next_token_distribution), api_name="next_token_distribution")
    draw_button.click(bind(context, draw_one), [prompt, lab_temperature, seed, *filters, path], step_outputs,
                      api_visibility="private")
    picks.input(bind(context, pick_token), [prompt, lab_temperature, *filters, picks, path], step_outputs,
                api_visibility="private")
    back_button.click(bind(context, step_back), [prompt, path], step_outputs, api_visibility="private")
    hundred_button.click(bind(context, draw_hundred),
                         [prompt, lab_temperature, seed, *filters, stage, top, path], [chart, lab_note],
                         api_visibility="private")
    large.change(None, large, None, js="(on) => { document.body.classList.toggle('pg-large', on); return []; }")

    grid_inputs = [prompt, length, temperatures, seed, *filters, grid_models]
    grid_outputs = [grid, table, model_info]
    sync = dict(fn=slider_temperatures, inputs=[columns, *sliders], outputs=temperatures, api_visibility="private")
    grid_button.click(**sync).then(bind(context, compare_temperatures), grid_inputs, grid_outputs,
                                   api_name="compare_temperatures")
    for slider in sliders:
        slider.release(**sync).then(bind(context, compare_temperatures), grid_inputs, grid_outputs,
                                    api_visibility="private")
    columns.release(show_columns, columns, sliders, api_visibility="private").then(**sync).then(
        bind(context, compare_temperatures), grid_inputs, grid_outputs, api_visibility="private")
    generate_button.click(bind(context, generate),
                          [prompt, length, temperature, seed, *filters], [text, tokens, model_info],
                          api_name="generate")
    measure_button.click(bind(context, measure_temperatures),
                         [prompt, length, measure_temperatures_text, seed, samples, *filters],
                         [measure_chart, measure_table, measure_note], api_name="measure_temperatures")
    qd_button.click(bind(context, quality_diversity),
                    [qd_models, qd_samples, qd_references, qd_length, qd_temperatures, seed], [qd_chart, qd_table],
                    api_name="quality_diversity")
    gr.api(bind(context, token_probabilities), api_name="token_probabilities")
    def redraw_grid(event, when):
        """Chain a redraw of the grid (at the sliders' temperatures) after ``event``, if ``when``'s value is true."""
        return event.then(**sync).then(gated(bind(context, compare_temperatures), len(grid_outputs)),
                                       [when, *grid_inputs], grid_outputs, api_visibility="private")

    settings = {"model": chosen, "prompt": prompt, "seed": seed, "length": length, "top_k": top_k, "top_p": top_p,
                "min_p": min_p, "temperature": lab_temperature, "columns": columns}
    return GenerateControls(chosen, model_info, path, refresh_lab, settings, sliders, redraw_grid)
