"""Inside tab: attention maps, recurrent units and embeddings of the model in use, for a prompt."""

import gradio as gr
import pandas as pd

from playground.lab import critic
from playground.lab import inside
from playground.figures import inside_charts
from playground.figures.charts import empty_figure
from playground.ui.common import AppContext, bind, session_of, whole
from playground.ui.model_line import in_use_line, model_line

INTRO = """
## 4b · Inside: what the model does with your text
Type a prompt and press **Look inside**. The views below come from the model chosen in the Generate tab,
read from the network itself while it reads your prompt: a transformer shows where each token *looks*
(attention), an LSTM, GRU or GAN shows what its memory *tracks* (recurrent units), and every model shows
how it *places* its tokens (embeddings).
"""
DEFAULT_PROMPT = ("ROMEO:\nWhat say you, my lord? Speak, speak!\nI have no joy of this contract to-night:\n"
                  "It is too rash, too unadvised, too sudden.\n\nJULIET:\nI say ")

ATTENTION_HELP = (
    "Each row is a token reading the text; its row of squares says how much it takes from each earlier token "
    "(a row sums to 1, and the upper triangle stays empty because no token can see the future). Look for "
    "heads with a clear pattern: a diagonal (the token itself), a line just below it (the previous token), or "
    "columns that light up at spaces, line breaks and colons.")
LINES_HELP = ("Pick one token to see its row as shading over the text: the darker a token, the more this one "
              "looks at it.")
NEURON_HELP = (
    "The text coloured by one unit of the last recurrent layer: red when it fires (+1), blue when it is "
    "negative (−1). The list ranks units by how closely they follow a simple feature of the text (r = 1 "
    "follows exactly, −1 exactly the opposite); look for a unit that switches at line breaks, counts its way "
    "along a line or changes colour at word starts.")
EMBEDDING_HELP = (
    "Every token's learned vector, flattened onto the two directions along which the vectors differ most "
    "(PCA). Tokens the model treats alike end up close together: look for the upper-case letters, the "
    "vowels or the punctuation forming their own clusters.")
NO_ATTENTION = "This model has no attention: attention maps are for transformers."
NO_UNITS = "This model has no recurrent units: the neuron view is for LSTM, GRU and GAN models."
WAITING = "Press **Look inside** to read your prompt through the model."


def inspect_model(context: AppContext, prompt: str = "", request: gr.Request = None) -> dict:
    """Inside the model in use for ``prompt``: its tokens; per transformer layer and head the attention
    weights [T][T] (row i: how much token i takes from token j); for recurrent models the last recurrent
    layer's hidden state [T][units] and the units that best follow named features of the text; the
    embedding (or output weights) projected to 2-D by PCA, one point per vocabulary token; and a note."""
    return inside.inspect(session_of(context, request).current_model(), prompt or "")


def layer_choices(result: dict) -> tuple[list, list]:
    layers, heads = len(result["attention"]), len(result["attention"][0])
    return [(f"layer {i + 1}", i) for i in range(layers)], [(f"head {i + 1}", i) for i in range(heads)]


def unit_choices(result: dict) -> list:
    return [(f"unit {u['unit']} follows: {u['feature']}, r = {u['r']:.2f}", u["unit"]) for u in result["units"]]


def look_inside(context: AppContext, prompt: str, request: gr.Request = None):
    """Read the prompt once; returns the result (kept for the pickers) and every view drawn from it."""
    model = session_of(context, request).current_model()
    result = inside.inspect(model, prompt or "")
    note = model_line(model) + (f" {result['note']}" if result["note"] else "")
    embedding = inside_charts.embedding_figure(result)
    if result["attention"] is not None:
        layers, heads = layer_choices(result)
        last = len(result["tokens"]) - 1
        return (result, note, gr.Column(visible=True), gr.Dropdown(choices=layers, value=0),
                gr.Dropdown(choices=heads, value=0), inside_charts.attention_figure(result, 0, 0),
                gr.Slider(maximum=max(last, 1), value=last), inside_charts.attention_lines_html(result, 0, 0, last),
                gr.Column(visible=False), gr.Dropdown(choices=[], value=None), "", embedding)
    units = unit_choices(result)
    first = units[0][1] if units else 0
    return (result, note, gr.Column(visible=False), gr.Dropdown(choices=[], value=None),
            gr.Dropdown(choices=[], value=None), None, gr.Slider(), "",
            gr.Column(visible=True), gr.Dropdown(choices=units, value=first),
            inside_charts.neuron_html(result, first), embedding)


def attention_view(context: AppContext, result: dict, layer, head, token, request: gr.Request = None):
    """Redraw the heatmap and the lines for another layer, head or token (no new reading)."""
    if not result:
        return None, ""
    token = whole(token, "Token", len(result["tokens"]) - 1)
    return inside_charts.attention_figure(result, layer, head), \
        inside_charts.attention_lines_html(result, layer, head, token)


def lines_view(context: AppContext, result: dict, layer, head, token, request: gr.Request = None) -> str:
    if not result:
        return ""
    return inside_charts.attention_lines_html(result, layer, head, whole(token, "Token"))


def neuron_view(context: AppContext, result: dict, unit, request: gr.Request = None) -> str:
    """Recolour the text for another unit (from the ranked list or typed in)."""
    if not result or unit is None:
        return ""
    return inside_charts.neuron_html(result, whole(unit, "Unit"))


def held_out(context: AppContext, request: gr.Request = None) -> str:
    """A passage of the model's held-out text, for the prompt box."""
    return inside.held_out_passage(session_of(context, request).current_model())


DISCRIMINATOR_HELP = (
    "A GAN's discriminator learns to tell real text from the generator's. Here it scores windows of "
    "held-out text and samples at three temperatures: its probability that each is real. A generator "
    "that fools it gets samples scored like the held-out text; where it scores them near 0, it still "
    "sees through them. Only GANs have a discriminator.")


def discriminator_scores(context: AppContext, request: gr.Request = None) -> tuple[str, pd.DataFrame]:
    """(a sentence on whether the discriminator is fooled, a table of every scored text)."""
    model = session_of(context, request).current_model()
    with context.store.activity.generating():
        result = critic.score(model)
    table = pd.DataFrame([{"text": row.kind, "realness": round(row.realness, 3), "sample": row.text[:120]}
                          for row in result["rows"]])
    return critic.verdict(result), table


def model_in_use(context: AppContext, request: gr.Request = None) -> tuple[str, gr.Column]:
    """The line naming the model in use, and the discriminator's section, shown for a GAN only."""
    model = session_of(context, request).model
    return in_use_line(model), gr.Column(visible=critic.has_discriminator(model))


def render(context: AppContext) -> list:
    """Lay out the tab; returns what the app refreshes when it opens: the line naming the model in
    use and the GAN's section."""
    gr.Markdown(INTRO)
    default = context.store.default_model
    model_info = gr.Markdown(in_use_line(default), elem_id="inside-model")
    with gr.Row():
        prompt = gr.Textbox(DEFAULT_PROMPT, label="Prompt (the text the model reads)", lines=3, scale=4,
                            elem_id="inside-prompt")
        with gr.Column(scale=1, min_width=160):
            look = gr.Button("Look inside", variant="primary", elem_id="look-inside")
            passage = gr.Button("Held-out text as the prompt", elem_id="held-out")
    result = gr.State(None)
    with gr.Column(visible=False) as attention_box:
        gr.Markdown("### Attention: where each token looks\n" + ATTENTION_HELP)
        with gr.Row():
            layer = gr.Dropdown([], label="Layer", elem_id="inside-layer")
            head = gr.Dropdown([], label="Head", elem_id="inside-head")
        heatmap = gr.Plot(elem_id="inside-attention", show_label=False)
        gr.Markdown(LINES_HELP)
        token = gr.Slider(0, 1, value=0, step=1, label="Token (its position in the prompt)", elem_id="inside-token")
        lines = gr.HTML(elem_id="inside-lines-box")
    with gr.Column(visible=False, elem_id="inside-neurons-view") as neuron_box:
        gr.Markdown("### Recurrent units: what the memory tracks\n" + NEURON_HELP)
        with gr.Row():
            unit = gr.Dropdown([], label="Unit (ranked by how well it follows a feature)", elem_id="inside-unit",
                               scale=3)
            typed = gr.Number(None, precision=0, minimum=0, label="…or any unit by number", elem_id="inside-any-unit",
                              scale=1)
        neuron = gr.HTML(elem_id="inside-neuron-box")
    gr.Markdown("### Embeddings: how the model places its tokens\n" + EMBEDDING_HELP)
    embedding = gr.Plot(empty_figure("The tokens appear here, placed by the model, when you press Look inside."),
                        elem_id="inside-embedding", show_label=False)

    with gr.Column(visible=critic.has_discriminator(default),
                   elem_id="discriminator-view") as gan_box:
        gr.Markdown("### GAN: is the discriminator fooled?\n" + DISCRIMINATOR_HELP)
        score_button = gr.Button("Score held-out text and samples", elem_id="discriminator-score")
        verdict = gr.Markdown(elem_id="discriminator-verdict")
        scores = gr.Dataframe(pd.DataFrame(columns=["text", "realness", "sample"]), interactive=False, wrap=True,
                              label="Each text and the discriminator's probability that it is real",
                              elem_id="discriminator-table")
    score_button.click(bind(context, discriminator_scores), None, [verdict, scores], api_name="discriminator_scores")

    views = [result, model_info, attention_box, layer, head, heatmap, token, lines, neuron_box, unit, neuron, embedding]
    look.click(bind(context, look_inside), prompt, views, api_visibility="private")
    passage.click(bind(context, held_out), None, prompt, api_visibility="private").then(
        bind(context, look_inside), prompt, views, api_visibility="private")
    prompt.submit(bind(context, look_inside), prompt, views, api_visibility="private")
    quiet = dict(show_progress="hidden", trigger_mode="always_last", api_visibility="private")
    for picker in (layer, head):
        picker.input(bind(context, attention_view), [result, layer, head, token], [heatmap, lines], **quiet)
    token.release(bind(context, lines_view), [result, layer, head, token], lines, **quiet)
    unit.input(bind(context, neuron_view), [result, unit], neuron, **quiet)
    typed.submit(bind(context, neuron_view), [result, typed], neuron, **quiet)
    gr.api(bind(context, inspect_model), api_name="inspect")
    return [model_info, gan_box]
