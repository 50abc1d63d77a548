"""What every sub-tab of the Generate tab reads: the controls above the sub-tabs (the model, the
prompt, the length, the seed and the filters), and how their values become settings."""

import dataclasses

import gradio as gr

from playground.generation.sampling import SamplingSettings
from playground.settings import from_form


@dataclasses.dataclass
class Shared:
    """The controls above the sub-tabs."""

    chosen: gr.Dropdown  # the Model list
    model_info: gr.Markdown  # the line naming the model in use
    prompt: gr.Textbox
    length: gr.Slider
    seed: gr.Number
    filters: list  # one control per declared filter


def settings_of(top_k, top_p, min_p) -> SamplingSettings:
    """The filters' boxes as settings (an empty box: that filter off)."""
    return SamplingSettings(**from_form(SamplingSettings, {"top_k": top_k, "top_p": top_p, "min_p": min_p}))
