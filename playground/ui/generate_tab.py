"""Generate tab: write with the model, and compare temperatures side by side."""

import gradio as gr
import pandas as pd

from playground import charts, temperature_lab
from playground.errors import PlaygroundError
from playground.runs import Sample, TextModel
from playground.sampling import SamplingSettings, parse_temperatures
from playground.session import Session
from playground.ui.common import AppContext, bind, escape, number, session_of, whole

INTRO = """
### 4 · Generate: let the model write
The model scores every possible next token; **temperature** reshapes those scores before one is
drawn. Low temperature (0.2) almost always takes the favourite: safe, repetitive, sometimes
stuck in a loop. High temperature (1.5) gives long shots a real chance: surprising, then
nonsense. The **grid** draws every temperature with the *same* random numbers, so the only
difference between the columns is the temperature itself.
"""

DEFAULT_TEMPERATURES = "0.2, 0.5, 0.7, 1.0, 1.2, 1.5"
LATEST = "your latest trained model"

CHARACTER = {
    0.35: "careful: the favourite token almost every time",
    0.85: "balanced: mostly likely tokens, some variety",
    1.15: "adventurous: trusts the model's own odds",
    99.0: "wild: long shots get real chances",
}


def character_of(temperature: float) -> str:
    if temperature == 0:
        return "greedy: always the single most likely token"
    return next(text for limit, text in CHARACTER.items() if temperature <= limit)


def current_model(context: AppContext, session: Session) -> TextModel:
    if session.model is None:
        raise PlaygroundError("There is no model yet: train one (Train tab) or pick a pretrained model.")
    return session.model


def choose_model(context: AppContext, name: str, request: gr.Request = None) -> str:
    """Use a pretrained model (by name) or this session's latest trained model for generation."""
    session = session_of(context, request)
    if name == LATEST:
        if session.run is None or session.training:
            raise PlaygroundError("You have no finished model of your own yet: train one first.")
        session.model = session.run.text_model
    else:
        session.model = context.catalog.get(name)
    return model_line(session.model)


def model_line(model: TextModel) -> str:
    result = model.info.get("result", {})
    loss = result.get("val_loss")
    quality = f", validation loss {loss:.3f} nats/{model.level}" if isinstance(loss, (int, float)) else ""
    note = " It writes from noise and ignores the prompt: that is part of why it fails." \
        if model.arch == "gan-naive" else ""
    return (f"Using **{escape(model.name)}** ({model.arch}, {model.model.count_params():,} parameters, "
            f"{model.level} level{quality}).{note}")


def settings_of(top_k, top_p, min_p) -> SamplingSettings:
    return SamplingSettings(top_k=whole(top_k, "top-k", 0), top_p=number(top_p, "top-p", 1.0),
                            min_p=number(min_p, "min-p", 0.0))


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
    session = session_of(context, request)
    model = current_model(context, session)
    with context.store.activity.generating():
        sample = model.generate(prompt or "", [number(temperature, "Temperature")], whole(length, "Length"),
                                whole(seed, "Seed", 0), settings_of(top_k, top_p, min_p))[0]
    return model.join(prompt or "", sample.text), token_view(sample, model), \
        model_line(model) + unknown_note(model, prompt)


def unknown_note(model: TextModel, prompt: str) -> str:
    unknown = model.unknown_in(prompt or "")
    if not unknown:
        return ""
    shown = ", ".join(repr(u) for u in unknown[:10])
    return f" Note: the model has never seen {escape(shown)} in the prompt; it reads them as &lt;unk&gt; (unknown)."


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
    chosen = resolve_models(context, session, models) if models else {"": current_model(context, session)}
    sections, tables = [], []
    for name, model in chosen.items():
        with context.store.activity.generating():
            samples = model.generate(prompt or "", values, length, seed, settings)
        index = model.memorisation_index()
        rows = [temperature_lab.sample_row(sample, model.level, index) for sample in samples]
        cards = [sample_card(prompt or "", sample, row, model) for sample, row in zip(samples, rows)]
        heading = f"<h4>{escape(name)}</h4>" if name else ""
        sections.append(f"{heading}<div class='pg-grid'>{''.join(cards)}</div>")
        tables.append(pd.DataFrame(rows).drop(columns=["sample"]).assign(model=name or model.name))
    table = pd.concat(tables, ignore_index=True)
    table = table[["model", *[c for c in table.columns if c != "model"]]]
    grid = f"<div id='temperature-grid'>{''.join(sections)}</div>"
    if len(chosen) == 1:
        only = next(iter(chosen.values()))
        return grid, table, model_line(only) + unknown_note(only, prompt)
    # Several models: say so, rather than describe one of them as "the" model in use.
    names = ", ".join(f"**{escape(model.name)}**" for model in chosen.values())
    notes = "".join(unknown_note(model, prompt) for model in chosen.values())
    return grid, table, f"Side by side: {names} (each with its own tokens and loss scale).{notes}"


def sample_card(prompt: str, sample: Sample, row: dict, model: TextModel) -> str:
    copied = f" · copied {row['copied_share']:.0%}" if row["copied_share"] is not None else ""
    return (f"<div class='pg-card'><div class='pg-card-head'>T = {sample.temperature:g} · "
            f"{character_of(sample.temperature)}</div><pre class='pg-text'><b>{escape(prompt)}</b>"
            f"{escape(model.join(prompt, sample.text)[len(prompt):])}</pre>"
            f"<div class='pg-card-foot'>distinct-2 {row['distinct_2']:.2f} · "
            f"repeated 4-grams {row['repetition_rate']:.0%}{copied} · mean log-prob {row['mean_logprob']:.2f}"
            "</div></div>")


def resolve_models(context: AppContext, session: Session, names: list) -> dict[str, TextModel]:
    """Names from the Model list (pretrained models, or this session's latest) to models."""
    chosen = {}
    for name in names:
        if name == LATEST:
            if session.run is None or session.training:
                raise PlaygroundError("You have no finished model of your own yet: train one first.")
            chosen[session.run.run_dir.name] = session.run.text_model
        else:
            chosen[f"pretrained/{name}"] = context.catalog.get(name)
    return chosen


def measure_temperatures(context: AppContext, prompt: str, length: float, temperatures: str, seed: float,
                         samples: float, top_k: float, top_p: float, min_p: float, request: gr.Request = None):
    """Several samples per temperature, each measured; returns (chart of means, table of means, note)."""
    session = session_of(context, request)
    model = current_model(context, session)
    count = whole(samples, "Samples per temperature")
    if not 1 <= count <= 64:
        raise PlaygroundError(f"Use between 1 and 64 samples per temperature (got {count}).")
    rows = temperature_lab.measure_temperatures(
        model, prompt or "", parse_temperatures(temperatures), whole(length, "Length"), whole(seed, "Seed", 0), count,
        settings_of(top_k, top_p, min_p), model.memorisation_index())
    summary = temperature_lab.summary_by_temperature(rows)
    note = (f"Means over {count} samples of {whole(length, 'Length')} tokens per temperature. "
            "**distinct-n**: share of n-grams that are different (low = repetitive). "
            "**repeated 4-grams**: share of 4-grams already used earlier in the same sample. "
            "**mean log-prob**: how likely the model itself finds its text (0 is certain).")
    if model.memorisation_index() is not None:
        note += (f" **copied**: share of {temperature_lab.CHAR_NGRAM if model.level == 'char' else temperature_lab.WORD_NGRAM}"
                 f"-{'character' if model.level == 'char' else 'word'} n-grams found in the training text; "
                 "**longest_copied**: longest verbatim stretch, in tokens.")
    else:
        note += " The training text of this model is unknown, so copying cannot be measured."
    return charts.metrics_figure(summary), summary, note


def quality_diversity(context: AppContext, models: list, samples: float, references: float, length: float,
                      temperatures: str, seed: float, request: gr.Request = None):
    """Quality (BLEU) against diversity (1 - self-BLEU) across temperatures, one curve per model."""
    chosen = resolve_models(context, session_of(context, request), models or [])
    settings = temperature_lab.QualityDiversitySettings(
        tuple(parse_temperatures(temperatures)), whole(samples, "Samples per temperature"),
        whole(references, "Held-out references"), whole(length, "Sample length"), whole(seed, "Seed", 0))
    table = temperature_lab.compare_models(chosen, settings)
    return charts.quality_diversity_figure(table), table


def token_probabilities(context: AppContext, prompt: str = "", length: int = 50, temperature: float = 0.8,
                        seed: int = 0, top_k: int = 0, top_p: float = 1.0, min_p: float = 0.0,
                        request: gr.Request = None) -> list:
    """Generate one sample and return every token with its probability and the top-5 alternatives."""
    model = current_model(context, session_of(context, request))
    sample = model.generate(prompt or "", [number(temperature, "Temperature")], whole(length, "Length"),
                            whole(seed, "Seed", 0), settings_of(top_k, top_p, min_p))[0]
    return temperature_lab.token_probabilities(model, sample)


def render(context: AppContext) -> None:
    gr.Markdown(INTRO)
    names = [LATEST] + context.catalog.names()
    with gr.Row():
        chosen = gr.Dropdown(names, value=names[1] if len(names) > 1 else LATEST, label="Model",
                             info="A shipped pretrained model, or the one you trained.", elem_id="model-choice",
                             scale=2)
        model_info = gr.Markdown(elem_id="model-info")
    prompt = gr.Textbox(label="Prompt (the text the model continues)", value="The ", elem_id="prompt")
    with gr.Row():
        length = gr.Slider(10, 1000, value=300, step=10, label="Length (tokens to generate)")
        seed = gr.Number(value=0, precision=0, label="Random seed", info="Same seed, same text.")
    with gr.Accordion("Filters: top-k, top-p, min-p", open=False):
        with gr.Row():
            top_k = gr.Number(value=0, precision=0, minimum=0, label="top-k (0 = off)",
                              info="Only the k most likely tokens can be drawn.")
            top_p = gr.Slider(0.05, 1.0, value=1.0, step=0.05, label="top-p (1 = off)",
                              info="Only the most likely tokens that together hold p of the probability.")
            min_p = gr.Slider(0.0, 0.5, value=0.0, step=0.01, label="min-p (0 = off)",
                              info="Only tokens at least this share as likely as the favourite.")
    filters = [top_k, top_p, min_p]
    with gr.Tab("Temperature grid"):
        temperatures = gr.Textbox(DEFAULT_TEMPERATURES, label="Temperatures (comma separated)",
                                  elem_id="temperatures")
        grid_models = gr.Dropdown(names, multiselect=True, label="Models side by side (empty: the model above)",
                                  info="Pick several pretrained models to see them at the same temperatures.",
                                  elem_id="grid-models")
        grid_button = gr.Button("Compare temperatures", variant="primary", elem_id="compare")
        grid = gr.HTML(elem_id="grid")
        table = gr.Dataframe(label="Each sample measured", interactive=False, wrap=True, elem_id="grid-table")
    with gr.Tab("Measure temperatures"):
        gr.Markdown("Draw several samples at each temperature and measure them, to see *where* the model "
                    "starts repeating itself (distinct-n falls, repetition rises) and where it starts "
                    "making things up (its own log-probability of the text falls).")
        with gr.Row():
            measure_temperatures_text = gr.Textbox(DEFAULT_TEMPERATURES, label="Temperatures")
            samples = gr.Slider(1, 64, value=16, step=1, label="Samples per temperature")
        measure_button = gr.Button("Measure", variant="primary", elem_id="measure")
        measure_note = gr.Markdown()
        measure_chart = gr.Plot(elem_id="metrics-chart")
        measure_table = gr.Dataframe(label="Means per temperature", interactive=False)
    with gr.Tab("Quality vs diversity"):
        gr.Markdown(
            "The honest way to compare models (Caccia et al., *Language GANs Falling Short*). For each "
            "temperature, draw many samples; **quality** is their BLEU-4 against held-out text the model never "
            "trained on, **diversity** is 1 − self-BLEU-4 (how unlike each other they are). Lowering the "
            "temperature buys quality with diversity; a better model has a curve further up and to the right.")
        with gr.Row():
            qd_models = gr.Dropdown(names, value=names[1:2] or [LATEST], multiselect=True, label="Models",
                                    elem_id="qd-models")
            qd_temperatures = gr.Textbox(", ".join(f"{t:g}" for t in temperature_lab.QD_TEMPERATURES),
                                         label="Temperatures")
        with gr.Row():
            qd_samples = gr.Slider(2, 128, value=64, step=1, label="Samples per temperature")
            qd_references = gr.Slider(1, 256, value=64, step=1, label="Held-out references")
            qd_length = gr.Slider(20, 500, value=200, step=10, label="Sample length (tokens)")
        qd_button = gr.Button("Measure quality and diversity", variant="primary", elem_id="qd")
        qd_chart = gr.Plot(elem_id="qd-chart")
        qd_table = gr.Dataframe(label="Per model and temperature", interactive=False)
    with gr.Tab("One sample"):
        temperature = gr.Slider(0.0, 2.0, value=0.8, step=0.05, label="Temperature (0 = greedy)")
        generate_button = gr.Button("Generate", variant="primary", elem_id="generate")
        text = gr.Textbox(label="Generated text", lines=10, elem_id="generated")
        tokens = gr.HTML(elem_id="token-view")

    chosen.change(bind(context, choose_model), chosen, model_info,
                  api_name="choose_model")
    grid_button.click(bind(context, compare_temperatures),
                      [prompt, length, temperatures, seed, *filters, grid_models], [grid, table, model_info],
                      api_name="compare_temperatures")
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
