"""The One sample sub-tab: one text at one temperature, each token coloured by how sure the draw was."""

import gradio as gr

from playground.generation.sampling import GenerationSettings
from playground.generation.text_model import Sample, TextModel
from playground.lab import temperatures as temperature_lab
from playground.ui.common import AppContext, bind, control, escape, session_of
from playground.ui.generate.form import DECLARED, FILTERS, Shared, parameters, prompt_of, settings_from
from playground.ui.generate.views import probability_legend, token_span, unknown_note
from playground.ui.model_line import model_line

LEGEND = probability_legend("Hover a token to see the five most likely alternatives.")
FORM = ("prompt", "length", "temperature", "seed", *FILTERS)  # the web API's arguments, in the inputs' order
PROBABILITIES_FORM = parameters(*FORM, length=50, temperature=0.8)  # /token_probabilities' own defaults


def one_sample(model: TextModel, prompt: str, settings: GenerationSettings) -> Sample:
    return model.generate(prompt, [settings.temperature], settings.length, settings.seed, settings)[0]


def generate(context: AppContext, form: dict, request: gr.Request = None) -> tuple[str, str, str]:
    """One sample at one temperature (``form``: :data:`FORM`). Returns (prompt + text, per-token view, model line)."""
    model = session_of(context, request).current_model()
    prompt, settings = prompt_of(form), settings_from(form)
    with context.store.activity.generating():
        sample = one_sample(model, prompt, settings)
    line = model_line(model) + unknown_note(model, prompt)
    return model.join(prompt, sample.text), tokens_by_probability(sample, model), line


def token_probabilities(context: AppContext, form: dict, request: gr.Request = None) -> list:
    """Generate one sample and return every token with its probability and the top-5 alternatives."""
    model = session_of(context, request).current_model()
    sample = one_sample(model, prompt_of(form), settings_from(form))
    return temperature_lab.token_probabilities(model, sample)


def tokens_by_probability(sample: Sample, model: TextModel) -> str:
    """Each token coloured by the probability it was drawn with; hover for the alternatives."""
    spans = []
    for token, probability, top_ids, top_probabilities in zip(
            sample.tokens, sample.token_probability, sample.top_ids, sample.top_probabilities):
        alternatives = ", ".join(f"{model.tokenizer.decode([i])!r} {p:.2f}" for i, p in zip(top_ids, top_probabilities))
        shown = escape(token).replace("\n", "↵<br>") or "∅"
        spans.append(token_span(shown, probability, f"p = {probability:.3f} · top 5: {alternatives}"))
    spacer = " " if model.level == "word" else ""
    return LEGEND + f"<div class='pg-tokens'>{spacer.join(spans)}</div>"


def render(context: AppContext, shared: Shared) -> None:
    temperature = control(DECLARED["temperature"], 0.8, label="Temperature (0 = greedy)")
    button = gr.Button("Generate", variant="primary", elem_id="generate")
    text = gr.Textbox(label="Generated text", lines=10, elem_id="generated",
                      placeholder="Press Generate: the prompt and what the model writes after it appear here.")
    tokens = gr.HTML(elem_id="token-view")
    button.click(bind(context, generate, FORM), shared.inputs(FORM, temperature=temperature),
                 [text, tokens, shared.model_info], api_name="generate")
    gr.api(bind(context, token_probabilities, PROBABILITIES_FORM), api_name="token_probabilities")
