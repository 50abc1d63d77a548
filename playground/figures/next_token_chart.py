"""The next-token lab's bar chart: one stage of the recipe from scores to what a draw uses."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from playground.figures.palettes import BELIEF, CUT, DRAWN, KEPT
from playground.figures.text_alternative import described, listed, percent, spoken
from playground.generation.next_token import NextToken, visible
from playground.generation.sampling import filter_names

STAGES = {
    "logits": "1 · raw scores (logits)",
    "scaled": "2 · scores ÷ T",
    "tempered": "3 · softmax at T",
    "final": "4 · after " + " / ".join(filter_names()),
}
SPOKEN_BARS = 10  # the bars a text alternative names, highest first
CUT_PATTERN = dict(shape="/", fgcolor="#6b7280", solidity=0.3)  # a cut bar is hatched, not only grey


def stage_key(label: str) -> str:
    """A stage from its key or its label, so the UI's radio and the API may both name one."""
    for key, text in STAGES.items():
        if label in (key, text):
            return key
    raise ValueError(f"unknown stage {label!r}")


def next_token_figure(view: NextToken, stage: str = "final", count: int = 20,
                      draws: np.ndarray | None = None) -> go.Figure:
    """Bars for the ``count`` highest-scoring tokens at one stage; tokens the filters cut are grey.

    ``draws``: how often each token of the whole ``view`` came up in a run of draws, drawn as
    thin orange bars over the probabilities (share of all draws).
    """
    stage = stage_key(stage)
    count = min(count, len(view.tokens))
    x = list(range(count))
    labels = [visible(token) for token in view.tokens[:count]]
    kept = view.kept[:count]
    # Plain lists, not NumPy arrays: plotly would ship those base64-packed, unreadable to page scripts.
    values = {"logits": view.logits, "scaled": view.scaled, "tempered": view.tempered,
              "final": view.probability}[stage][:count].tolist()
    hover = [f"{label!r}: score {z:.2f}, score/T {s:.2f}<br>p at T = 1: {p1:.3f} · p now: {p:.3f}"
             + ("" if k else "<br>cut by the filters")
             for label, z, s, p1, p, k in zip(labels, view.logits, view.scaled, view.probability_t1,
                                               view.probability, kept)]
    figure = go.Figure()
    if stage == "final":
        # What the filters removed stays visible as a grey bar of its height before the cut.
        figure.add_trace(go.Bar(x=x, y=np.where(kept, 0.0, view.tempered[:count]).tolist(), name="cut by the filters",
                                marker=dict(color=CUT, pattern=CUT_PATTERN), hovertext=hover, hoverinfo="text"))
        figure.add_trace(go.Bar(x=x, y=values, name="probability of being drawn", marker_color=KEPT,
                                hovertext=hover, hoverinfo="text"))
    else:
        figure.add_trace(go.Bar(x=x, y=values, name=STAGES[stage],
                                marker=dict(color=[KEPT if k else CUT for k in kept],
                                            pattern=dict(CUT_PATTERN, shape=["" if k else "/" for k in kept])),
                                hovertext=hover, hoverinfo="text"))
    if stage in ("tempered", "final"):
        figure.add_trace(go.Scatter(x=x, y=view.probability_t1[:count].tolist(), mode="markers",
                                    name="the model at T = 1",
                                    marker=dict(symbol="line-ew-open", size=18, color=BELIEF, line=dict(width=2)),
                                    hoverinfo="skip"))
    if draws is not None:
        total = max(int(np.sum(draws)), 1)
        figure.add_trace(go.Bar(x=x, y=(np.asarray(draws[:count]) / total).tolist(), name=f"share of {total} draws",
                                marker_color=DRAWN, width=0.35, hovertext=[f"{label!r}: drawn {n} times"
                                                                          for label, n in zip(labels, draws)],
                                hoverinfo="text"))
    y_title = {"logits": "score z", "scaled": "z / T", "tempered": "probability",
               "final": "probability"}[stage]
    figure.update_layout(
        barmode="overlay", template="plotly_white", height=380, margin=dict(l=60, r=20, t=40, b=60),
        title=f"{STAGES[stage]} · T = {view.temperature:g}", yaxis_title=y_title,
        xaxis=dict(tickmode="array", tickvals=x, ticktext=labels, tickfont=dict(size=15, family="monospace")),
        legend=dict(orientation="h", y=-0.18), clickmode="event", hovermode="x",
    )
    if stage in ("tempered", "final"):
        figure.update_yaxes(range=[0, 1.02])
    return described(figure, bars_text(view, stage, count, draws))


def bars_text(view: NextToken, stage: str = "final", count: int = 20, draws: np.ndarray | None = None) -> str:
    """The bars in words, highest first: "Next token at T = 0.7, 4 · after top-k / top-p / min-p:
    s 32 %, c 24 %, ..." (scores for the first two stages); the filters' cuts and the draws too."""
    stage = stage_key(stage)
    count = min(count, len(view.tokens))
    values = {"logits": view.logits, "scaled": view.scaled, "tempered": view.tempered,
              "final": view.probability}[stage]
    shown = min(count, SPOKEN_BARS)
    if stage in ("tempered", "final"):
        bars = [f"{spoken(token)} {percent(value)}" for token, value in zip(view.tokens[:shown], values[:shown])]
    else:
        bars = [f"{spoken(token)} {value:.2f}" for token, value in zip(view.tokens[:shown], values[:shown])]
    text = f"Next token at T = {view.temperature:g}, {STAGES[stage]}: {listed(bars, count)}."
    cut = int(np.count_nonzero(~np.asarray(view.kept[:count], dtype=bool)))
    if cut:
        text += f" The filters cut {cut} of the {count} tokens shown."
    if draws is not None:
        total = int(np.sum(draws))
        order = [int(i) for i in np.argsort(-np.asarray(draws), kind="stable")[:5] if draws[i] > 0]
        text += f" Of {total} draws: " + ", ".join(f"{spoken(view.tokens[i])} {int(draws[i])}" for i in order) + "."
    return text
