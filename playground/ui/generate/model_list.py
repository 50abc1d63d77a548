"""The Model list above the Generate tab's sub-tabs: which model generates, and the line naming it."""

import gradio as gr

from playground.runs.model_ref import ModelRef, offered
from playground.ui.common import AppContext, session_of
from playground.ui.model_line import in_use_line, model_line


def choose_model(context: AppContext, name: str, request: gr.Request = None) -> str:
    """Use a pretrained model (by name), a loaded run or this session's latest trained model (``name``:
    the Model list's label)."""
    return model_line(session_of(context, request).use_model(ModelRef.parse(name), context.catalog))


def model_in_use(context: AppContext, request: gr.Request = None):
    """The Model list as it should read now (after a training run or a load in the Runs tab)."""
    session = session_of(context, request)
    names = context.catalog.names()
    return gr.Dropdown(choices=session.model_choices(names), value=session.model_choice(names)), \
        in_use_line(session.model)


def names(context: AppContext) -> list[str]:
    """What the Model list offers: this session's latest trained model, then the shipped ones."""
    return [ref.label for ref in offered(context.catalog.names())]


def render(context: AppContext) -> tuple[gr.Dropdown, gr.Markdown]:
    """The list (the first shipped model chosen, if there is one) and the line beside it."""
    labels = names(context)
    with gr.Row():
        chosen = gr.Dropdown(labels, value=labels[1] if len(labels) > 1 else labels[0], label="Model",
                             info="A shipped pretrained model, or the one you trained.", elem_id="model-choice",
                             scale=2)
        model_info = gr.Markdown(in_use_line(context.store.default_model), elem_id="model-info")
    return chosen, model_info
