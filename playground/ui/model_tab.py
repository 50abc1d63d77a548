"""Model tab: pick an architecture and its size, see its parameter count and what it does."""

import dataclasses
import gradio as gr

from playground import tokenizers
from playground.models import ARCHITECTURES, architecture
from playground.ui.common import AppContext, bind, session_of

INTRO = """
### 2 · Model: what kind of network reads the text
Every model here does the same job: given the tokens so far, score every possible next token.
They differ in *how* they remember what came before. Bigger models can learn more but train
slower; on a laptop, a few hundred thousand parameters is a good start.
"""

DEFAULT_VOCABULARY = 65  # Tiny Shakespeare's character count, used before a corpus is loaded


@dataclasses.dataclass
class ModelControls:
    arch: gr.Dropdown
    units: gr.Slider
    layers: gr.Slider
    embedding: gr.Slider
    dropout: gr.Slider
    explanation: gr.Markdown | None = None
    size: gr.Markdown | None = None

    def inputs(self) -> list:
        return [self.arch, self.units, self.layers, self.embedding, self.dropout]


def model_options(arch: str, units: float, layers: float, embedding: float, dropout: float) -> dict:
    """The Model tab's controls as the keyword arguments of the architecture's config."""
    architecture(arch)
    return {"units": int(units), "layers": int(layers), "embedding_dim": int(embedding), "dropout": float(dropout)}


def describe_model(context: AppContext, arch: str, units: float, layers: float, embedding: float, dropout: float,
                   request: gr.Request = None) -> tuple[str, str]:
    """Explanation and parameter count for the chosen architecture and sizes."""
    session = session_of(context, request)
    spec = architecture(arch)
    if session.choice is not None:
        choice = session.choice
        vocabulary = len(tokenizers.fit(choice.corpus.split(choice.validation_share)[0], choice.level,
                                        choice.max_words))
        where = f"for your corpus's {vocabulary:,} tokens"
    else:
        vocabulary, where = DEFAULT_VOCABULARY, f"for a {DEFAULT_VOCABULARY}-character vocabulary (load a corpus for yours)"
    config = spec.default_config(vocabulary, **model_options(arch, units, layers, embedding, dropout))
    params = spec.build(config).count_params()
    size = f"**{params:,} parameters** {where}: about {params * 4 / 1e6:.1f} MB of weights."
    return f"#### {spec.label}\n{spec.explanation}", size


def render(context: AppContext) -> ModelControls:
    gr.Markdown(INTRO)
    with gr.Row():
        with gr.Column(scale=2):
            arch = gr.Dropdown([(spec.label, name) for name, spec in ARCHITECTURES.items()], value="lstm",
                               label="Architecture", elem_id="arch")
            units = gr.Slider(16, 1024, value=256, step=16, label="Units per layer",
                              info="Size of the memory vector: more units remember more, train slower.")
            layers = gr.Slider(1, 4, value=2, step=1, label="Layers")
            embedding = gr.Slider(0, 512, value=64, step=8, label="Embedding size",
                                  info="Length of the vector each token becomes. 0 = one-hot input.")
            dropout = gr.Slider(0.0, 0.5, value=0.0, step=0.05, label="Dropout",
                                info="Randomly silences units while training; helps on small corpora.")
        with gr.Column(scale=3):
            explanation = gr.Markdown(elem_id="model-explanation")
            size = gr.Markdown(elem_id="model-size")
    controls = ModelControls(arch, units, layers, embedding, dropout, explanation, size)
    gr.on([c.change for c in controls.inputs()], bind(context, describe_model),
          controls.inputs(), [explanation, size], api_name="describe_model")
    return controls
