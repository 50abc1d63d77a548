"""The class view's picture: one small loss chart per training in progress, side by side on one y
axis (bits per character, the scale every tokenizer shares), with the counting baselines faint
behind each curve, and a caption that says in words what the charts show."""

from __future__ import annotations

import math
from collections.abc import Sequence

import plotly.graph_objects as go

from playground.figures import palettes, text_alternative
from playground.figures.charts import empty_figure
from playground.training.monitor import Glance

# The loss chart's two colours (palettes.py, checked for colour-blind readers); held-out points also
# differ in shape (markers), baselines in line style (dotted) and strength.
TRAINING, HELD_OUT = palettes.TRAINING, palettes.VALIDATION
BASELINE = "rgba(80,80,80,0.45)"
GRID = "#e5e7eb"
CAPTION_ID = "class-live-caption"  # the element under the charts that says them in words (live_caption)
EMPTY = "Nobody is training right now. Each training in progress appears here as a small live loss chart."
STATES = {"starting": "preparing: reading the text"}


def columns(count: int, large: bool = False) -> int:
    """Charts per row: four fit a 1024-pixel projector, three in large text."""
    return max(1, min(count, 3 if large else 4))


def headline(name: str, glance: Glance) -> str:
    """The chart's title, three short lines for a narrow chart: who and what; how far; what it has beaten."""
    first = f"<b>{_plain(name)}</b> · {_plain(glance.arch)} · {_plain(glance.level)}"
    if glance.state in STATES:
        return f"{first}<br>{STATES[glance.state]}<br> "
    bits = glance.bits_per_character
    measured = f"{bits:.2f} bits/char" if bits is not None else "not measured yet"
    beaten = glance.beaten
    return f"{first}<br>{measured} · step {glance.step:,}<br>" + (f"beats {beaten[0]}" if beaten else " ")


def _plain(text: str) -> str:
    """Plotly reads a few HTML tags in titles: a name is shown as written, never as markup."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def live_figure(trainings: Sequence[tuple[str, Glance]], large: bool = False) -> go.Figure:
    """Small multiples, one per (shown name, glance), on a shared y axis in bits per character.

    Built from plain dictionaries without plotly's per-property checks: with thirty trainings the
    checks took 0.1–0.4 s of every refresh, building takes 0.02 s (the tests check the same figure
    with them)."""
    if not trainings:
        return empty_figure(EMPTY, height=200)
    return go.Figure(live_figure_dict(trainings, large), _validate=False)


def live_figure_dict(trainings: Sequence[tuple[str, Glance]], large: bool = False) -> dict:
    """The small multiples as plotly's ``{"data": [...], "layout": {...}}``."""
    per_row = columns(len(trainings), large)
    rows = math.ceil(len(trainings) / per_row)
    font = 16 if large else 12
    # Pixels: each chart, and above it its three-line title and the row above's step numbers.
    cell, title, top, bottom = (200, 100, 40, 40) if large else (150, 70, 34, 34)
    plot_height = rows * (cell + title)
    values = [v for _, g in trainings for v in (*g.curve, *g.val_curve, *(b for _, b in g.baselines))
              if math.isfinite(v)]
    low, high = (min(values), max(values)) if values else (0.0, 8.0)
    margin = max(0.1, (high - low) * 0.06)
    shared = [max(0.0, low - margin), high + margin]
    gap = 0.05
    width = (1 - gap * (per_row - 1)) / per_row
    data, annotations = [], []
    layout = dict(
        # The white look set by hand: plotly's template is large, and every refresh would copy it.
        paper_bgcolor="white", plot_bgcolor="white", height=plot_height + top + bottom, font=dict(size=font),
        margin=dict(l=70 if large else 60, r=16, t=top, b=bottom), annotations=annotations,
        # The key in the top margin, above the first row's titles.
        legend=dict(orientation="h", x=0, y=1, yanchor="top", yref="container", font=dict(size=font)),
        hoverlabel=dict(font=dict(size=font)),
        # Said in words by the list under the charts, one line per training: the page names it as their description.
        meta={text_alternative.DESCRIBED_BY: CAPTION_ID, text_alternative.NAME: "The class's trainings in progress"})
    for index, (name, glance) in enumerate(trainings):
        row, column = divmod(index, per_row)
        axis = "" if index == 0 else str(index + 1)
        left = column * (width + gap)
        # Pixels from the top of the plotting area, turned into its 0..1 (bottom-up) coordinates.
        cell_top = row * (cell + title) + title
        domain = [1 - (cell_top + cell) / plot_height, 1 - cell_top / plot_height]
        right = max([*glance.curve_steps, *glance.val_steps, 1])
        layout[f"xaxis{axis}"] = dict(domain=[left, left + width], anchor=f"y{axis}", range=[0, right * 1.02],
                                      nticks=3, fixedrange=True, tickfont=dict(size=font - 2), showgrid=False,
                                      zeroline=False, linecolor=GRID, ticks="outside", tickcolor=GRID)
        layout[f"yaxis{axis}"] = dict(domain=domain, anchor=f"x{axis}", range=shared, fixedrange=True,
                                      showticklabels=column == 0, tickfont=dict(size=font - 2), nticks=5,
                                      gridcolor=GRID, zeroline=False)
        if column == 0:
            layout[f"yaxis{axis}"]["title"] = dict(text="bits/char", font=dict(size=font - 2))
        annotations.append(dict(
            text=headline(name, glance), x=left, y=domain[1], xref="paper", yref="paper", xanchor="left",
            yanchor="bottom", showarrow=False, align="left", font=dict(size=font)))
        first = index == 0
        xy = dict(type="scatter", xaxis=f"x{axis}", yaxis=f"y{axis}")
        if glance.baselines:
            xs, ys, labels = [], [], []
            for label, bits in glance.baselines:
                xs += [0, right, None]
                ys += [bits, bits, None]
                labels += [label, label, ""]
            data.append(dict(x=xs, y=ys, text=labels, mode="lines", name="counting baselines",
                             legendgroup="baselines", showlegend=first, line=dict(color=BASELINE, width=1, dash="dot"),
                             hovertemplate="%{text} counting model: %{y:.2f} bits/char<extra></extra>", **xy))
        data.append(dict(x=list(glance.curve_steps), y=list(glance.curve), mode="lines", name="training text",
                         legendgroup="training", showlegend=first, line=dict(color=TRAINING, width=2),
                         hovertemplate="step %{x}: %{y:.2f} bits/char on training text<extra></extra>", **xy))
        data.append(dict(x=list(glance.val_steps), y=list(glance.val_curve), mode="lines+markers",
                         name="held-out text", legendgroup="held out", showlegend=first,
                         line=dict(color=HELD_OUT, width=2), marker=dict(size=6 if large else 5, symbol="diamond"),
                         hovertemplate="step %{x}: %{y:.2f} bits/char held out<extra></extra>", **xy))
    return dict(data=data, layout=layout)


def live_caption(trainings: Sequence[tuple[str, Glance]]) -> list[str]:
    """The charts in words (their text alternative): one sentence per training."""
    if not trainings:
        return [EMPTY]
    lines = []
    for name, glance in trainings:
        if glance.state in STATES:
            lines.append(f"{name} ({glance.arch}, {glance.level}): preparing (reading the text, building the model).")
            continue
        bits = glance.bits_per_character
        where = (f"last held-out loss {bits:.2f} bits per character" if bits is not None
                 else "no held-out measurement yet")
        training = glance.training_bits_per_character
        if training is not None:
            where += f" (training text {training:.2f})"
        beaten = glance.beaten
        versus = (f"beats the {beaten[0]} counting model ({beaten[1]:.2f})" if beaten
                  else "has not beaten a counting model yet" if glance.baselines and bits is not None else "")
        lines.append(f"{name} ({glance.arch}, {glance.level}): step {glance.step:,}, {where}"
                     + (f"; {versus}" if versus else "") + ".")
    return lines
