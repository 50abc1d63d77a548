"""Plotly figures. Plain functions from data to figures, so tests can inspect them."""

from __future__ import annotations

import math

import plotly.graph_objects as go

from playground.corpus import CorpusStats, printable
from playground.monitor import Snapshot

LN2 = math.log(2)


def smooth(values: list[float], weight: float = 0.9) -> list[float]:
    """Exponential moving average with bias correction, as TensorBoard smooths curves."""
    smoothed, average = [], 0.0
    for i, value in enumerate(values, start=1):
        average = weight * average + (1 - weight) * value
        smoothed.append(average / (1 - weight**i))
    return smoothed


def _layout(figure: go.Figure, title: str, x_title: str, y_title: str) -> go.Figure:
    figure.update_layout(
        title=title, xaxis_title=x_title, yaxis_title=y_title, template="plotly_white",
        margin=dict(l=60, r=20, t=50, b=50), height=380, legend=dict(orientation="h", y=-0.2),
    )
    return figure


def loss_figure(snapshot: Snapshot) -> go.Figure:
    """Training loss per step (raw and smoothed) and validation loss, in nats; hover shows bits."""
    figure = go.Figure()
    unit = "char" if snapshot.level == "char" else "token"
    hover = "step %{x}<br>%{y:.3f} nats = %{customdata:.3f} bits per " + unit + "<extra>%{fullData.name}</extra>"

    def curve(x, y, name, **style):
        figure.add_trace(go.Scatter(x=x, y=y, name=name, customdata=[v / LN2 for v in y],
                                    hovertemplate=hover, **style))

    if snapshot.steps:
        curve(snapshot.steps, snapshot.losses, "training (each step)", mode="lines",
              line=dict(color="rgba(31,119,180,0.35)", width=1))
        curve(snapshot.steps, smooth(snapshot.losses), "training (smoothed)", mode="lines",
              line=dict(color="rgb(31,119,180)", width=2))
    if snapshot.val_steps:
        curve(snapshot.val_steps, snapshot.val_losses, "validation (held-out text)", mode="lines+markers",
              line=dict(color="rgb(214,39,40)", width=2))
    if snapshot.entropy_floor is not None:
        figure.add_hline(y=snapshot.entropy_floor, line_dash="dot", line_color="green",
                         annotation_text=f"entropy floor {snapshot.entropy_floor:.3f} nats: the best any model can do")
    title = f"Loss while training {snapshot.run_name}".strip()
    return _layout(figure, title, "training step", f"cross-entropy (nats per {unit}; lower is better)")


def frequency_figure(stats: CorpusStats, words: bool = False) -> go.Figure:
    pairs = stats.top_words if words else stats.top_characters
    total = stats.words if words else stats.characters
    labels = [symbol if words else printable(symbol) for symbol, _ in pairs]
    shares = [100.0 * n / max(total, 1) for _, n in pairs]
    figure = go.Figure(go.Bar(x=labels, y=shares, marker_color="rgb(31,119,180)",
                              hovertemplate="%{x}: %{y:.2f}%<extra></extra>"))
    what = "words" if words else "characters"
    figure.update_xaxes(type="category")
    return _layout(figure, f"The {len(pairs)} most frequent {what}", what, f"share of all {what} (%)")
