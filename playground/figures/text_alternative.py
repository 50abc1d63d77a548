"""A chart in words, for whoever cannot see it: each figure builder writes what its chart shows as a
sentence and attaches it to the figure (its layout's ``meta``), where the page reads it and puts it
under the chart as the chart's description (``playground/ui/page.js``)."""

from __future__ import annotations

import plotly.graph_objects as go

from playground.generation.next_token import visible

KEY = "text_alternative"
DESCRIBED_BY = "described_by"  # instead: the id of an element the tab shows that already says the chart in words
NAME = "name"  # the chart's name where it has no title
SPOKEN = {"\n": "line break", " ": "space", "\t": "tab", "\r": "carriage return", "": "nothing"}


def described(figure: go.Figure, text: str) -> go.Figure:
    """``figure``, carrying ``text`` (what it shows, in words) as its text alternative."""
    figure.update_layout(meta={KEY: text})
    return figure


def text_alternative(figure: go.Figure | None) -> str:
    """What ``figure`` shows, in words ("" for none)."""
    meta = figure.layout.meta if figure is not None else None
    return str(meta.get(KEY, "")) if isinstance(meta, dict) else ""


def spoken(token: str) -> str:
    """A token as a screen reader can say it: a space is "space", not an invisible character."""
    return SPOKEN.get(token, visible(token))


def percent(share: float) -> str:
    """0.318 as "32 %" (under 1 %: "0.4 %")."""
    value = 100 * float(share)
    return f"{value:.0f} %" if value >= 1 or value == 0 else f"{value:.1f} %"


def listed(items: list[str], total: int | None = None) -> str:
    """Items joined by commas, saying how many more there are when ``total`` is larger."""
    text = ", ".join(items)
    if total is not None and total > len(items):
        text += f" and {total - len(items)} more"
    return text
