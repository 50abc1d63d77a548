"""Model tab: pick an architecture and its size, see its parameter count and what it does.

Each control stands for one field of the architectures' config dataclasses; an architecture
shows only the controls for the fields it has, so adding an architecture needs no UI code
unless it brings a new kind of setting.
"""

import dataclasses

import gradio as gr

from playground import limits, network_diagram
from playground.errors import PlaygroundError
from playground.models import ARCHITECTURES, architecture
from playground.ui.common import AppContext, bind, number, session_of

INTRO = """
### 2 · Model: what kind of network reads the text
Every model here does the same job: given the tokens so far, score every possible next token.
They differ in *how* they remember what came before. Bigger models can learn more but train
slower; on a laptop, a few hundred thousand parameters is a good start.
"""

DEFAULT_VOCABULARY = 65  # Tiny Shakespeare's character count, used before a corpus is loaded


@dataclasses.dataclass(frozen=True)
class Control:
    field: str
    make: callable  # () -> component


CONTROLS = (
    Control("units", lambda: gr.Slider(16, 1024, value=256, step=16, label="Units per layer",
                                       info="Size of the memory vector: more units remember more, train slower.")),
    Control("layers", lambda: gr.Slider(1, 8, value=2, step=1, label="Layers")),  # the LSTM's most; see show_controls
    Control("embedding_dim", lambda: gr.Slider(0, 512, value=64, step=8, label="Embedding size",
                                               info="Length of the vector each token becomes (0 = one-hot input, "
                                                    "recurrent models only).")),
    Control("heads", lambda: gr.Slider(1, 16, value=4, step=1, label="Attention heads",
                                       info="Parallel attention patterns; must divide the embedding size.")),
    Control("context", lambda: gr.Slider(16, 1024, value=128, step=16, label="Context length (model)",
                                         info="The most tokens the transformer can look back over.")),
    Control("dropout", lambda: gr.Slider(0.0, 0.5, value=0.0, step=0.05, label="Dropout",
                                         info="Randomly silences units while training; helps on small corpora.")),
    Control("cell", lambda: gr.Radio(["lstm", "gru"], value="lstm", label="Generator cell")),
    Control("pretrain_share", lambda: gr.Slider(0.0, 0.95, value=0.5, step=0.05, label="Pretraining share",
                                                info="Share of the budget spent on maximum likelihood before the "
                                                     "adversarial phase.")),
    Control("beta_max", lambda: gr.Slider(1, 1000, value=100, step=1, label="β max (inverse temperature)",
                                          info="How sharp the relaxed samples the discriminator sees become by the "
                                               "end: high β = nearly one-hot.")),
    Control("d_steps", lambda: gr.Slider(1, 10, value=3, step=1, label="Discriminator steps per generator step")),
    Control("mle_mix", lambda: gr.Slider(0.0, 1.0, value=0.0, step=0.05, label="MLE mix",
                                         info="Weight of a maximum-likelihood term kept in the adversarial loss.")),
    Control("straight_through", lambda: gr.Checkbox(False, label="Straight-through estimator",
                                                    info="Forward one-hot tokens, backward the relaxation.")),
)


@dataclasses.dataclass
class ModelControls:
    arch: gr.Dropdown
    fields: dict  # config field name -> component
    explanation: gr.Markdown | None = None
    size: gr.Markdown | None = None
    picture: gr.HTML | None = None

    def inputs(self) -> list:
        return [self.arch, *self.fields.values()]


def field_names(arch: str) -> set[str]:
    return {f.name for f in dataclasses.fields(architecture(arch).config_class)}


def model_options(arch: str, units=None, layers=None, embedding_dim=None, heads=None, context_length=None,
                  dropout=None, cell=None, pretrain_share=None, beta_max=None, d_steps=None, mle_mix=None,
                  straight_through=None) -> dict:
    """The Model tab's controls (in ``CONTROLS`` order) as keyword arguments of the architecture's config.

    Only the fields this architecture has are passed, converted to the type of their default.
    """
    values = (units, layers, embedding_dim, heads, context_length, dropout, cell, pretrain_share, beta_max, d_steps,
              mle_mix, straight_through)
    defaults = {f.name: f.default for f in dataclasses.fields(architecture(arch).config_class)}
    return {control.field: convert(control.field, value, type(defaults[control.field]))
            for control, value in zip(CONTROLS, values)
            if control.field in defaults and value is not None}


def convert(field: str, value, kind: type):
    """One control's value as its config field's type; an API caller's odd value gets a clear refusal."""
    if kind is bool:
        if isinstance(value, bool):
            return value
        words = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}
        if str(value).strip().lower() in words:
            return words[str(value).strip().lower()]
        raise PlaygroundError(f"{field} must be true or false (got {value!r}).")
    if kind is str:
        return str(value)
    result = number(value, field)
    if kind is int:
        if result != int(result):
            raise PlaygroundError(f"{field} must be a whole number (got {value!r}).")
        return int(result)
    return result


def describe_model(context: AppContext, arch: str, units: float, layers: float, embedding_dim: float, heads: float,
                   context_length: float, dropout: float, cell: str, pretrain_share: float, beta_max: float,
                   d_steps: float, mle_mix: float, straight_through: bool,
                   request: gr.Request = None) -> tuple[str, str]:
    """Explanation and parameter count for the chosen architecture and sizes."""
    options = model_options(arch, units, layers, embedding_dim, heads, context_length, dropout, cell,
                            pretrain_share, beta_max, d_steps, mle_mix, straight_through)
    session = session_of(context, request)
    return explain(arch, options, session.choice.vocabulary_size if session.choice is not None else None)


def explain(arch: str, options: dict, vocabulary: int | None) -> tuple[str, str]:
    spec = architecture(arch)
    if vocabulary is not None:
        where = f"for your corpus's {vocabulary:,} tokens"
    else:
        vocabulary, where = DEFAULT_VOCABULARY, f"for a {DEFAULT_VOCABULARY}-character vocabulary (load a corpus for yours)"
    # Counted from the config, as Keras would (tests/test_network_diagram.py): no model is built.
    params = network_diagram.parameter_count(spec.default_config(vocabulary, **options))
    size = f"**{params:,} parameters** {where}: about {params * 4 / 1e6:.1f} MB of weights."
    if params > limits.MAX_PARAMETERS:
        size += f" That is over this server's limit of {limits.MAX_PARAMETERS:,}: make it smaller to train it."
    return f"#### {spec.label}\n{spec.explanation}", size


def draw_model(context: AppContext, arch: str, units: float, layers: float, embedding_dim: float, heads: float,
               context_length: float, dropout: float, cell: str, pretrain_share: float, beta_max: float,
               d_steps: float, mle_mix: float, straight_through: bool, request: gr.Request = None) -> str:
    """The chosen network drawn layer by layer (an SVG), with shapes and parameter counts."""
    options = model_options(arch, units, layers, embedding_dim, heads, context_length, dropout, cell,
                            pretrain_share, beta_max, d_steps, mle_mix, straight_through)
    session = session_of(context, request)
    return picture(arch, options, session.choice.vocabulary_size if session.choice is not None else None)


def picture(arch: str, options: dict, vocabulary: int | None) -> str:
    config = architecture(arch).default_config(vocabulary or DEFAULT_VOCABULARY, **options)
    return f"<div class='pg-network-box'>{network_diagram.diagram_svg(config)}</div>"


def show_controls(context: AppContext, arch: str, request: gr.Request = None) -> list:
    """Only the controls this architecture has, set to its defaults."""
    spec = architecture(arch)
    defaults = {f.name: f.default for f in dataclasses.fields(spec.config_class)}
    # The layer slider reaches as far as this architecture allows (an LSTM 8, a GAN 4, a transformer 12).
    limits_of = {"layers": {"maximum": spec.config_class.max_layers}} if hasattr(spec.config_class, "max_layers") \
        else {}
    return [gr.update(visible=True, value=defaults[c.field], **limits_of.get(c.field, {})) if c.field in defaults
            else gr.update(visible=False) for c in CONTROLS]


def render(context: AppContext) -> ModelControls:
    gr.Markdown(INTRO)
    with gr.Row():
        with gr.Column(scale=2):
            arch = gr.Dropdown([(spec.label, name) for name, spec in ARCHITECTURES.items()], value="lstm",
                               label="Architecture", elem_id="arch")
            lstm_fields = field_names("lstm")
            fields = {}
            for control in CONTROLS:
                component = control.make()
                component.visible = control.field in lstm_fields
                fields[control.field] = component
        with gr.Column(scale=3):
            # What the defaults give before any corpus is loaded; a loaded corpus recounts it.
            shown_explanation, shown_size = explain("lstm", {}, None)
            explanation = gr.Markdown(shown_explanation, elem_id="model-explanation")
            size = gr.Markdown(shown_size, elem_id="model-size")
    # Full width: a GAN's two networks fit side by side; on a narrow screen they stack.
    gr.Markdown("#### The network, layer by layer\nEach box is a layer: what it does, the shape of what it "
                "passes on and how many numbers (parameters) it learns. It redraws as you move the sliders.")
    network = gr.HTML(picture("lstm", {}, None), elem_id="model-picture")
    controls = ModelControls(arch, fields, explanation, size, network)
    describe, draw = bind(context, describe_model), bind(context, draw_model)
    changes = [c.change for c in fields.values()]
    gr.on(changes, describe, controls.inputs(), [explanation, size], api_name="describe_model",
          trigger_mode="always_last")
    gr.on(changes, draw, controls.inputs(), network, api_name="draw_model", trigger_mode="always_last")
    # A student's choice only (.input): a set-up link sets the architecture and its settings together.
    arch.input(bind(context, show_controls), arch, list(fields.values()), api_visibility="private").then(
        describe, controls.inputs(), [explanation, size], api_visibility="private").then(
        draw, controls.inputs(), network, api_visibility="private")
    return controls
