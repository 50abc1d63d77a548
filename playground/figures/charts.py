"""Plotly figures. Plain functions from data to figures, so tests can inspect them."""

from __future__ import annotations

import math

import plotly.graph_objects as go

from playground.text.corpus import CorpusStats, printable
from playground.training.monitor import OVERFIT_RISES, Snapshot

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


def empty_figure(message: str, height: int = 260) -> go.Figure:
    """A chart with nothing to draw yet: the sentence saying what will appear and what fills it."""
    figure = go.Figure()
    figure.update_layout(
        template="plotly_white", height=height, margin=dict(l=20, r=20, t=20, b=20),
        xaxis=dict(visible=False), yaxis=dict(visible=False),
        annotations=[dict(text=_wrap(message, 40), xref="paper", yref="paper", x=0.5, y=0.5, showarrow=False,
                          font=dict(size=15, color="#4b5563"))])
    return figure


def _wrap(text: str, width: int) -> str:
    """Plotly annotations do not wrap by themselves: break lines at spaces."""
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return "<br>".join(lines + [line])


def loss_figure(snapshot: Snapshot) -> go.Figure:
    """Training loss per step (raw and smoothed) and validation loss, in nats; hover shows bits."""
    figure = go.Figure()
    unit = "char" if snapshot.level == "char" else "token"
    hover = "step %{x}<br>%{y:.3f} nats = %{customdata:.3f} bits per " + unit + "<extra>%{fullData.name}</extra>"

    def curve(x, y, name, **style):
        figure.add_trace(go.Scatter(x=x, y=y, name=name, customdata=[v / LN2 for v in y],
                                    hovertemplate=hover, **style))

    if snapshot.steps:
        # Long runs: every step goes into the smoothing, at most ~2,000 points go to the browser.
        stride = max(1, len(snapshot.steps) // 2000)
        steps, smoothed = snapshot.steps[::stride], smooth(snapshot.losses)[::stride]
        curve(steps, snapshot.losses[::stride], "training (each step)", mode="lines",
              line=dict(color="rgba(31,119,180,0.35)", width=1))
        curve(steps, smoothed, "training (smoothed)", mode="lines",
              line=dict(color="rgb(31,119,180)", width=2))
    if snapshot.val_steps:
        curve(snapshot.val_steps, snapshot.val_losses, "validation (held-out text)", mode="lines+markers",
              line=dict(color="rgb(214,39,40)", width=2))
    _baseline_lines(figure, snapshot, unit)
    if snapshot.overfitting_step is not None and snapshot.overfitting_step in snapshot.val_steps:
        loss = snapshot.val_losses[snapshot.val_steps.index(snapshot.overfitting_step)]
        figure.add_trace(go.Scatter(
            x=[snapshot.overfitting_step], y=[loss], mode="markers+text", name="overfitting",
            marker=dict(symbol="x", size=14, color="black"), text=["overfitting"], textposition="top center",
            hovertemplate=(f"step %{{x}}: validation loss has risen {OVERFIT_RISES} evaluations in a row while the "
                           "training loss fell<extra>overfitting</extra>")))
    if snapshot.entropy_floor is not None:
        figure.add_hline(y=snapshot.entropy_floor, line_dash="dot", line_color="green",
                         annotation_text=f"entropy floor {snapshot.entropy_floor:.3f} nats: the best any model can do")
    title = f"Loss while training {snapshot.run_name}".strip()
    _layout(figure, title, "training step", f"cross-entropy (nats per {unit}; lower is better)")
    _bits_per_character_axis(figure, snapshot.characters_per_token)
    return figure


def _bits_per_character_axis(figure: go.Figure, characters_per_token: float | None) -> None:
    """A right-hand axis in bits per character, the scale every tokenizer shares: the left axis's
    range, divided by ln 2 and by the characters a token covers."""
    if not characters_per_token or not figure.data:
        return
    values = [v for trace in figure.data for v in (trace.y or ()) if v is not None and math.isfinite(v)]
    if not values:
        return
    low, high = min(0.0, min(values)), max(values) * 1.05
    scale = 1 / (LN2 * characters_per_token)
    figure.add_trace(go.Scatter(x=[None], y=[None], yaxis="y2", showlegend=False, hoverinfo="skip"))
    figure.update_layout(
        yaxis=dict(range=[low, high]),
        yaxis2=dict(range=[low * scale, high * scale], overlaying="y", side="right", showgrid=False,
                    title="bits per character (every tokenizer)"),
        margin=dict(r=70))


BASELINE_COLOURS = {"uniform": "#9ca3af", "unigram": "#a16207", "bigram": "#7c3aed"}


def _baseline_lines(figure: go.Figure, snapshot: Snapshot, unit: str) -> None:
    """Each counting baseline as a labelled dashed line across the chart, with a sentence on hover."""
    if snapshot.baseline_note:  # why a baseline is missing, said where the line would be
        figure.add_annotation(text=_wrap(snapshot.baseline_note, 90), xref="paper", yref="paper", x=0, y=0.02,
                              xanchor="left", yanchor="bottom", showarrow=False, align="left",
                              font=dict(size=11, color="#6b7280"))
    if not snapshot.baselines:
        return
    right = max([*snapshot.steps, *snapshot.val_steps, 1])
    for label, nats, sentence in snapshot.baselines:
        name = f"{label} baseline" if label == "uniform" else f"{label} counting model"
        figure.add_trace(go.Scatter(
            x=[0, right], y=[nats, nats], mode="lines+text", name=f"{name} ({nats:.2f})",
            text=["", f"{name} {nats:.2f}"], textposition="top left", textfont=dict(size=11),
            line=dict(color=BASELINE_COLOURS.get(label, "#059669"), width=1.5, dash="dash"),
            hovertemplate=(f"{name}: {nats:.3f} nats = {nats / LN2:.3f} bits per {unit}<br>{sentence}"
                           "<extra></extra>")))


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


METRIC_LABELS = {
    "distinct_1": "distinct-1", "distinct_2": "distinct-2", "distinct_3": "distinct-3",
    "repetition_rate": "repeated 4-grams", "copied_share": "copied from corpus",
}


def metrics_figure(summary) -> go.Figure:
    """Each diversity/memorisation metric (0..1, left) and mean log-probability (right) against temperature."""
    figure = go.Figure()
    for column, label in METRIC_LABELS.items():
        if column in summary and summary[column].notna().any():
            figure.add_trace(go.Scatter(x=summary["temperature"], y=summary[column], mode="lines+markers",
                                        name=label))
    if "mean_logprob" in summary:
        figure.add_trace(go.Scatter(x=summary["temperature"], y=summary["mean_logprob"], mode="lines+markers",
                                    name="mean log-prob (right axis)", yaxis="y2", line=dict(dash="dot")))
    figure.update_layout(yaxis=dict(range=[0, 1.05]),
                         yaxis2=dict(overlaying="y", side="right", title="mean log-probability per token"))
    return _layout(figure, "What temperature does, measured", "temperature", "share (0 to 1)")


def quality_diversity_figure(table) -> go.Figure:
    """BLEU (quality, up is better) against 1 - self-BLEU (diversity, right is more diverse)."""
    figure = go.Figure()
    for model, rows in table.groupby("model", sort=False):
        figure.add_trace(go.Scatter(
            x=1 - rows["self_bleu"], y=rows["bleu"], mode="lines+markers+text", name=str(model),
            # Only the coldest and hottest points are labelled: several models' labels would pile up.
            text=[f"T={t:g}" if i in (0, len(rows) - 1) else "" for i, t in enumerate(rows["temperature"])],
            textposition="top center", customdata=rows["temperature"],
            hovertemplate="T=%{customdata:g}<br>BLEU %{y:.3f}<br>1 - self-BLEU %{x:.3f}"
                          "<extra>%{fullData.name}</extra>"))
    samples, references = int(table["samples"].iloc[0]), int(table["references"].iloc[0])
    return _layout(figure, "Quality vs diversity: up and right is better<br><sup>"
                   f"{samples} samples per temperature · {references} references · BLEU-4 on words</sup>",
                   "diversity (1 - self-BLEU-4)", "quality (BLEU-4 against held-out text)")


def compare_figure(histories: dict, x: str, baselines: list[tuple[str, float, str]] | None = None) -> go.Figure:
    """Validation (solid) and smoothed training (dotted) loss of several runs against steps or seconds,
    and the counting baselines (dashed) when the runs share them."""
    figure = go.Figure()
    right = max([float(frame[x].max()) for frame in histories.values() if frame[x].notna().any()] + [1.0])
    for label, nats, sentence in baselines or []:
        name = f"{label} baseline" if label == "uniform" else f"{label} counting model"
        figure.add_trace(go.Scatter(
            x=[0, right], y=[nats, nats], mode="lines", name=f"{name} ({nats:.2f})",
            line=dict(color=BASELINE_COLOURS.get(label, "#059669"), width=1.5, dash="dash"),
            hovertemplate=f"{name}: {nats:.3f} nats per token<br>{sentence}<extra></extra>"))
    for index, (name, frame) in enumerate(histories.items()):
        colour = PALETTE[index % len(PALETTE)]
        validation = frame.dropna(subset=["val_loss"])
        figure.add_trace(go.Scatter(x=validation[x], y=validation["val_loss"], mode="lines+markers",
                                    name=f"{name} (validation)", line=dict(color=colour, width=2)))
        training = frame.dropna(subset=["train_loss"])
        figure.add_trace(go.Scatter(x=training[x], y=smooth(list(training["train_loss"])), mode="lines",
                                    name=f"{name} (training)", line=dict(color=colour, width=1, dash="dot")))
    label = "training step" if x == "step" else "seconds of training"
    return _layout(figure, f"Loss against {label}", label, "cross-entropy (nats per token)")


PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"]


def diagnostics_figure(snapshot: Snapshot) -> go.Figure | None:
    """Architecture-specific traces (a GAN's losses, discriminator accuracy, diversity), or None."""
    if not snapshot.diagnostics:
        return None
    figure = go.Figure()
    names = list(dict.fromkeys(name for _, values, _ in snapshot.diagnostics for name in values))
    for index, name in enumerate(names):
        points = [(step, values[name]) for step, values, _ in snapshot.diagnostics
                  if values.get(name) is not None and math.isfinite(values[name])]
        if not points:
            continue
        steps, values = zip(*points)
        # beta spans 1..1000, so it gets its own axis; everything else is on a 0..few scale
        axis = "y2" if name == "beta" else "y"
        figure.add_trace(go.Scatter(x=steps, y=values, mode="lines+markers", name=name, yaxis=axis,
                                    line=dict(color=PALETTE[index % len(PALETTE)])))
    figure.update_layout(yaxis2=dict(overlaying="y", side="right", type="log", title="beta (log)"))
    return _layout(figure, f"Diagnostics: {snapshot.diagnostics[-1][2]}", "training step", "value")
