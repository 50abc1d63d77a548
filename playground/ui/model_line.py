"""The line naming the model in use, as the Generate and Inside tabs show it."""

from playground.generation.text_model import TextModel
from playground.ui.common import escape

NO_MODEL = "No model yet: train one (Train tab), or load a saved run (Runs tab)."


def in_use_line(model: TextModel | None) -> str:
    """The line naming the model in use, or saying there is none."""
    return model_line(model) if model is not None else NO_MODEL


def model_line(model: TextModel) -> str:
    loss = model.validation_loss
    quality = f", validation loss {loss:.3f} nats/{model.level}" if loss is not None else ""
    note = " It writes from noise and ignores the prompt: that is part of why it fails." \
        if model.ignores_prompt else ""
    return (f"Using **{escape(model.name)}** ({model.arch}, {model.network.count_params():,} parameters, "
            f"{model.level} level{quality}).{note}")
