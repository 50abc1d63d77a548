"""The One sample sub-tab: one text at one temperature, each token coloured by how sure the draw was."""

import gradio as gr

from playground.generation.sampling import TEMPERATURE
from playground.generation.text_model import Sample, TextModel
from playground.lab import temperatures as temperature_lab
from playground.ui.common import AppContext, bind, escape, number, session_of, whole
from playground.ui.generate.form import Shared, settings_of
from playground.ui.generate.views import token_span, unknown_note
from playground.ui.model_line import model_line

LEGEND = ("<p class='pg-muted'>Colour = probability the drawn token had: "
          "<span style='background:hsl(120,70%,85%)'>&nbsp;sure&nbsp;</span> → "
          "<span style='background:hsl(0,70%,85%)'>&nbsp;a gamble&nbsp;</span>. "
          "Hover a token to see the five most likely alternatives.</p>")


def generate(context: AppContext, prompt: str, length: float, temperature: float, seed: float, top_k: float,
             top_p: float, min_p: float, request: gr.Request = None) -> tuple[str, str, str]:
    """One sample at one temperature. Returns (prompt + text, per-token view, model line)."""
    model = session_of(context, request).current_model()
    with context.store.activity.generating():
        sample = model.generate(prompt or "", [number(temperature, "Temperature")], whole(length, "Length"),
                                whole(seed, "Seed", 0), settings_of(top_k, top_p, min_p))[0]
    return model.join(prompt or "", sample.text), token_view(sample, model), \
        model_line(model) + unknown_note(model, prompt)


def token_probabilities(context: AppContext, prompt: str = "", length: int = 50, temperature: float = 0.8,
                        seed: int = 0, top_k: int = 0, top_p: float = 1.0, min_p: float = 0.0,
                        request: gr.Request = None) -> list:
    """Generate one sample and return every token with its probability and the top-5 alternatives."""
    model = session_of(context, request).current_model()
    sample = model.generate(prompt or "", [number(temperature, "Temperature")], whole(length, "Length"),
                            whole(seed, "Seed", 0), settings_of(top_k, top_p, min_p))[0]
    return temperature_lab.token_probabilities(model, sample)


def token_view(sample: Sample, model: TextModel) -> str:
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
    temperature = gr.Slider(*TEMPERATURE.page[:2], value=0.8, step=TEMPERATURE.page[2],
                            label="Temperature (0 = greedy)")
    button = gr.Button("Generate", variant="primary", elem_id="generate")
    text = gr.Textbox(label="Generated text", lines=10, elem_id="generated",
                      placeholder="Press Generate: the prompt and what the model writes after it appear here.")
    tokens = gr.HTML(elem_id="token-view")
    button.click(bind(context, generate), [shared.prompt, shared.length, temperature, shared.seed, *shared.filters],
                 [text, tokens, shared.model_info], api_name="generate")
    gr.api(bind(context, token_probabilities), api_name="token_probabilities")
