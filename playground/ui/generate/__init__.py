"""The Generate tab: write with the model, and see what temperature does.

One module per sub-tab (``next_token``, ``grid``, ``measure``, ``quality``, ``single``), each with
its handlers and a ``render`` that lays it out; the controls above the sub-tabs are in ``form``,
the Model list in ``model_list``, the HTML they share in ``views``, the page's style and script in
``style.css`` and ``script.js``. No sub-tab imports another.
"""

import dataclasses
from collections.abc import Callable
from pathlib import Path

import gradio as gr

from playground.lab.temperatures import PROMPT_START
from playground.ui.common import AppContext, bind, control
from playground.ui.generate import grid, measure, model_list, next_token, quality, single
from playground.ui.generate.form import DECLARED, Shared, filter_controls, filters_label

INTRO = """
## 4 · Generate: let the model write
The model scores every possible next token; **temperature** reshapes those scores before one is
drawn. Low temperature (0.2) almost always takes the favourite: safe, repetitive, sometimes
stuck in a loop. High temperature (1.5) gives long shots a real chance: surprising, then
nonsense. The **grid** draws every temperature with the *same* random numbers, so the only
difference between the columns is the temperature itself.
"""
HERE = Path(__file__).resolve().parent
CSS = (HERE / "style.css").read_text("utf-8")
JS = (HERE / "script.js").read_text("utf-8")
LARGE_TEXT = "(on) => { document.body.classList.toggle('pg-large', on); return []; }"
model_in_use = model_list.model_in_use  # the Model list as it should read when the tab opens


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


def shared_controls(context: AppContext) -> tuple[Shared, gr.Checkbox]:
    """The Model list, the prompt, the length, the seed and the filters, above the sub-tabs; and the
    large-text switch."""
    chosen, model_info = model_list.render(context)
    prompt = gr.Textbox(label="Prompt (the text the model continues)", value=PROMPT_START, elem_id="prompt")
    with gr.Row():
        length, seed = control(DECLARED["length"]), control(DECLARED["seed"])
        large = gr.Checkbox(False, label="Large text (for a projector)", elem_id="large-text")
    with gr.Accordion(filters_label(), open=False), gr.Row():
        filters = filter_controls()
    return Shared(chosen, model_info, prompt, length, seed, filters), large


def render(context: AppContext) -> GenerateControls:
    gr.Markdown(INTRO)
    shared, large = shared_controls(context)
    # The sub-tabs wrap onto a second row on a narrow screen instead of folding into a menu.
    with gr.Tabs(overflow_behavior="wrap"):
        with gr.Tab("Next token", id="next-token"):
            lab = next_token.render(context, shared)
        with gr.Tab("Temperature grid", id="grid-tab"):
            grid_tab = grid.render(context, shared)
        with gr.Tab("Measure temperatures"):
            measure.render(context, shared)
        with gr.Tab("Quality vs diversity"):
            quality.render(context, shared)
        with gr.Tab("One sample"):
            single.render(context, shared)
    lab.refresh(shared.chosen.input(bind(context, model_list.choose_model), shared.chosen, shared.model_info,
                                    api_name="choose_model")).then(lambda: [], None, lab.path, api_visibility="private")
    large.change(None, large, None, js=LARGE_TEXT)
    settings = {"model": shared.chosen, "prompt": shared.prompt, **shared.settings(), "temperature": lab.temperature,
                "columns": grid_tab.columns}
    return GenerateControls(shared.chosen, shared.model_info, lab.path, lab.refresh, settings, grid_tab.sliders,
                            grid_tab.redraw)
