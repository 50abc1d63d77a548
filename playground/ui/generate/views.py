"""HTML the Generate tab's sub-tabs share: a token coloured by the probability it was drawn with,
and the notes on a prompt."""

from playground.generation.text_model import TextModel
from playground.ui.common import escape

def token_span(shown: str, probability: float, title: str) -> str:
    """``shown`` (already escaped) on a background from green (sure) to red (a gamble); hover: ``title``."""
    hue = int(120 * float(probability))
    return (f"<span class='pg-token' style='background:hsl({hue},70%,85%)' title='{escape(title)}'>"
            f"{shown}</span>")


def unknown_note(model: TextModel, prompt: str) -> str:
    """Notes on the prompt: tokens the model never saw, and a prompt longer than it reads."""
    cut = model.prompt_note(prompt or "")
    cut = f" {cut}" if cut else ""
    unknown = model.unknown_in(prompt or "")
    if not unknown:
        return cut
    shown = ", ".join(repr(u) for u in unknown[:10])
    return (f" Note: the model has never seen {escape(shown)} in the prompt; it reads them as &lt;unk&gt; (unknown)."
            + cut)
