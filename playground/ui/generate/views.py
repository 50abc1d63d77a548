"""HTML the Generate tab's sub-tabs share: a token coloured by the probability it was drawn with,
and the notes on a prompt."""

from playground.figures.palettes import PROBABILITY
from playground.generation.text_model import TextModel
from playground.ui.common import escape

GAMBLE = 0.1  # a token drawn with a lower probability is also underlined, so no one has to read its colour
GAMBLE_MARK = "text-decoration:underline wavy;text-underline-offset:3px;"


def token_span(shown: str, probability: float, title: str) -> str:
    """``shown`` (already escaped) on a background from orange (a gamble) to blue (sure), underlined
    below :data:`GAMBLE`; hover (and screen readers): ``title``, which says the probability."""
    mark = GAMBLE_MARK if probability < GAMBLE else ""
    return (f"<span class='pg-token' style='background:{PROBABILITY.css_at(probability)};{mark}' "
            f"title='{escape(title)}'>{shown}</span>")


def probability_legend(after: str = "") -> str:
    """What the colours of :func:`token_span` mean, in words; ``after``: a sentence to add."""
    return (f"<p class='pg-muted'>Colour = probability the drawn token had: "
            f"<span style='background:{PROBABILITY.css_at(1)}'>&nbsp;sure&nbsp;</span> → "
            f"<span style='background:{PROBABILITY.css_at(0)};{GAMBLE_MARK}'>&nbsp;a gamble&nbsp;</span> "
            f"(under {GAMBLE:.0%} also underlined). {after}</p>")


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
