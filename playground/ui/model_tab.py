"""Model tab: pick an architecture and its size, see its parameter count and what it does.

Each control stands for one declared setting of the architectures' config dataclasses
(:mod:`playground.settings`); an architecture shows only the controls for the settings it has,
labelled and bounded as it declares them. Adding a setting or an architecture needs no code here.
"""

import dataclasses

import gradio as gr

from playground.models import limits
from playground.figures import diagram
from playground.models import sizes
from playground.models import ARCHITECTURES, architecture, page_settings
from playground.settings import Declared, from_form
from playground.ui.common import AppContext, bind, control, session_of, shown_as

INTRO = """
## 2 · Model: what kind of network reads the text
Every model here does the same job: given the tokens so far, score every possible next token.
They differ in *how* they remember what came before. Bigger models can learn more but train
slower; on a laptop, a few hundred thousand parameters is a good start.
"""

DEFAULT_VOCABULARY = 65  # Tiny Shakespeare's character count, used before a corpus is loaded


@dataclasses.dataclass(frozen=True)
class Control:
    """One control of the tab: a config field and each architecture's declaration of it."""

    field: str
    declared: dict  # architecture name -> Declared

    @property
    def key(self) -> str:
        """Its name in the web API (a field name the handlers use for something else is renamed)."""
        return next(iter(self.declared.values())).key

    def first(self) -> Declared:
        return self.declared.get("lstm") or next(iter(self.declared.values()))


CONTROLS = tuple(Control(name, by_arch) for name, by_arch in page_settings().items())
FORM = ("arch", *(c.key for c in CONTROLS))  # the web API's keyword arguments, in the inputs' order


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


def model_options(arch: str, **values) -> dict:
    """The tab's values (by API name) as keyword arguments of the architecture's config: only the
    settings it has, converted to their types."""
    return from_form(architecture(arch).config_class, values)


def vocabulary_of(context: AppContext, request) -> int | None:
    session = session_of(context, request)
    return session.choice.vocabulary_size if session.choice is not None else None


def describe_model(context: AppContext, values: dict, request: gr.Request = None) -> tuple[str, str]:
    """Explanation and parameter count for the chosen architecture and sizes."""
    return explain(values["arch"], model_options(**values), vocabulary_of(context, request))


def explain(arch: str, options: dict, vocabulary: int | None) -> tuple[str, str]:
    spec = architecture(arch)
    if vocabulary is not None:
        where = f"for your corpus's {vocabulary:,} tokens"
    else:
        vocabulary = DEFAULT_VOCABULARY
        where = f"for a {DEFAULT_VOCABULARY}-character vocabulary (load a corpus for yours)"
    # Counted from the config, as Keras would (tests/test_network_diagram.py): no model is built.
    params = sizes.parameter_count(spec.default_config(vocabulary, **options))
    size = f"**{params:,} parameters** {where}: about {params * 4 / 1e6:.1f} MB of weights."
    if params > limits.MAX_PARAMETERS:
        size += f" That is over this server's limit of {limits.MAX_PARAMETERS:,}: make it smaller to train it."
    return f"### {spec.label}\n{spec.explanation}", size


def draw_model(context: AppContext, values: dict, request: gr.Request = None) -> str:
    """The chosen network drawn layer by layer (an SVG), with shapes and parameter counts."""
    return picture(values["arch"], model_options(**values), vocabulary_of(context, request))


def picture(arch: str, options: dict, vocabulary: int | None) -> str:
    config = architecture(arch).default_config(vocabulary or DEFAULT_VOCABULARY, **options)
    return f"<div class='pg-network-box'>{diagram.diagram_svg(config)}</div>"


def show_controls(context: AppContext, arch: str, request: gr.Request = None) -> list:
    """Only the controls this architecture has, as it declares them (label, range, default)."""
    return [gr.update(**shown_as(c.declared[arch])) if arch in c.declared else gr.update(visible=False)
            for c in CONTROLS]


def render(context: AppContext) -> ModelControls:
    gr.Markdown(INTRO)
    with gr.Row():
        with gr.Column(scale=2):
            arch = gr.Dropdown([(spec.label, name) for name, spec in ARCHITECTURES.items()], value="lstm",
                               label="Architecture", elem_id="arch")
            fields = {}
            for c in CONTROLS:
                fields[c.field] = control(c.first())
                fields[c.field].visible = "lstm" in c.declared
        with gr.Column(scale=3):
            # What the defaults give before any corpus is loaded; a loaded corpus recounts it.
            shown_explanation, shown_size = explain("lstm", {}, None)
            explanation = gr.Markdown(shown_explanation, elem_id="model-explanation")
            size = gr.Markdown(shown_size, elem_id="model-size")
    # Full width: a GAN's two networks fit side by side; on a narrow screen they stack.
    gr.Markdown("### The network, layer by layer\nEach box is a layer: what it does, the shape of what it "
                "passes on and how many numbers (parameters) it learns. It redraws as you move the sliders.")
    network = gr.HTML(picture("lstm", {}, None), elem_id="model-picture")
    controls = ModelControls(arch, fields, explanation, size, network)
    describe, draw = bind(context, describe_model, FORM), bind(context, draw_model, FORM)
    changes = [c.change for c in fields.values()]
    gr.on(changes, describe, controls.inputs(), [explanation, size], api_name="describe_model",
          trigger_mode="always_last")
    gr.on(changes, draw, controls.inputs(), network, api_name="draw_model", trigger_mode="always_last")
    return controls


def follow_choice(context: AppContext, controls: ModelControls) -> None:
    """Show the chosen architecture's controls, then describe and draw it. Registered after every
    other tab's listener to the choice: the page runs an event's listeners in turn, each of the
    server's to its end, so a listener the page answers itself (the Train tab's) must come first."""
    describe, draw = bind(context, describe_model, FORM), bind(context, draw_model, FORM)
    # A student's choice only (.input): a set-up link sets the architecture and its settings together.
    controls.arch.input(bind(context, show_controls), controls.arch, list(controls.fields.values()),
                        api_visibility="private").then(
        describe, controls.inputs(), [controls.explanation, controls.size], api_visibility="private").then(
        draw, controls.inputs(), controls.picture, api_visibility="private")
