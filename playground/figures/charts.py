"""Plotly figures. Plain functions from data to figures, so tests can inspect them."""

from __future__ import annotations

import math

import plotly.graph_objects as go

from playground.figures import palettes
from playground.figures.text_alternative import described, listed, percent, spoken
from playground.text.corpus import CorpusStats, printable
from playground.training.monitor import OVERFIT_RISES, Snapshot, standing

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
    return described(figure, message)


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
              line=dict(color=palettes.TRAINING_FAINT, width=1))
        curve(steps, smoothed, "training (smoothed)", mode="lines",
              line=dict(color=palettes.TRAINING, width=2))
    if snapshot.val_steps:
        curve(snapshot.val_steps, snapshot.val_losses, "validation (held-out text)", mode="lines+markers",
              line=dict(color=palettes.VALIDATION, width=2))
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
    return described(figure, loss_text(snapshot))


def loss_text(snapshot: Snapshot) -> str:
    """The loss chart in words: the last training and validation losses, the counting model the
    validation loss beats, and overfitting where it was marked."""
    unit = "char" if snapshot.level == "char" else "token"
    text = f"Loss while training {snapshot.run_name}".strip() + f", in nats per {unit} (lower is better): "
    if not snapshot.steps:
        return text + "no training step yet."
    parts = [f"training loss {snapshot.losses[-1]:.3f} at step {snapshot.steps[-1]} "
             f"(smoothed {smooth(snapshot.losses)[-1]:.3f})"]
    if snapshot.val_steps:
        parts.append(f"validation loss {snapshot.val_losses[-1]:.3f} at step {snapshot.val_steps[-1]} "
                     f"(lowest {min(snapshot.val_losses):.3f})")
    else:
        parts.append("no validation loss yet")
    text += "; ".join(parts) + "."
    where = standing(snapshot.baselines, list(zip(snapshot.val_steps, snapshot.val_losses)))
    if where:
        text += f" The validation loss is {where}."
    if snapshot.overfitting_step is not None:
        text += f" Overfitting marked at step {snapshot.overfitting_step}."
    if snapshot.entropy_floor is not None:
        text += f" No model can get below the entropy floor, {snapshot.entropy_floor:.3f}."
    return text


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


def baseline_colour(label: str) -> str:
    """A counting baseline's colour: its own, or the n-grams' (a 5-gram or a 3-gram)."""
    return palettes.BASELINES.get(label, palettes.BASELINES["ngram"])


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
            line=dict(color=baseline_colour(label), width=1.5, dash="dash"),
            hovertemplate=(f"{name}: {nats:.3f} nats = {nats / LN2:.3f} bits per {unit}<br>{sentence}"
                           "<extra></extra>")))


def frequency_figure(stats: CorpusStats, words: bool = False) -> go.Figure:
    pairs = stats.top_words if words else stats.top_characters
    total = stats.words if words else stats.characters
    labels = [symbol if words else printable(symbol) for symbol, _ in pairs]
    shares = [100.0 * n / max(total, 1) for _, n in pairs]
    figure = go.Figure(go.Bar(x=labels, y=shares, marker_color=palettes.CATEGORICAL[0],
                              hovertemplate="%{x}: %{y:.2f}%<extra></extra>"))
    what = "words" if words else "characters"
    figure.update_xaxes(type="category")
    shares_text = [f"{symbol if words else spoken(symbol)} {percent(share / 100)}"
                   for (symbol, _), share in zip(pairs[:10], shares[:10])]
    _layout(figure, f"The {len(pairs)} most frequent {what}", what, f"share of all {what} (%)")
    return described(figure, f"The {len(pairs)} most frequent {what}, as a share of all {what}: "
                             f"{listed(shares_text, len(pairs))}.")


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
    _layout(figure, "What temperature does, measured", "temperature", "share (0 to 1)")
    return described(figure, metrics_text(summary))


def metrics_text(summary) -> str:
    """Each measure from the coldest temperature to the hottest, in words."""
    if len(summary) == 0:
        return "What temperature does, measured: nothing measured yet."
    low, high = summary["temperature"].iloc[0], summary["temperature"].iloc[-1]
    labels = {**METRIC_LABELS, "mean_logprob": "mean log-probability"}
    parts = [f"{label} {summary[column].iloc[0]:.2f} to {summary[column].iloc[-1]:.2f}"
             for column, label in labels.items() if column in summary and summary[column].notna().all()]
    return f"What temperature does, measured from T = {low:g} to T = {high:g}: " + "; ".join(parts) + "."


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
    _layout(figure, "Quality vs diversity: up and right is better<br><sup>"
            f"{samples} samples per temperature · {references} references · BLEU-4 on words</sup>",
            "diversity (1 - self-BLEU-4)", "quality (BLEU-4 against held-out text)")
    return described(figure, quality_diversity_text(table))


def quality_diversity_text(table) -> str:
    """Each model's curve in words: quality (BLEU) and diversity at its coldest and hottest
    temperature, and the temperature of its best quality."""
    parts = []
    for model, rows in table.groupby("model", sort=False):
        first, last = rows.iloc[0], rows.iloc[-1]
        best = rows.loc[rows["bleu"].idxmax()]
        parts.append(f"{model}: at T = {first['temperature']:g} quality {first['bleu']:.3f}, diversity "
                     f"{1 - first['self_bleu']:.3f}; at T = {last['temperature']:g} quality {last['bleu']:.3f}, "
                     f"diversity {1 - last['self_bleu']:.3f}; best quality at T = {best['temperature']:g}")
    return "Quality (BLEU-4 against held-out text) against diversity (1 - self-BLEU-4). " + ". ".join(parts) + "."


def compare_figure(histories: dict, x: str, baselines: list[tuple[str, float, str]] | None = None) -> go.Figure:
    """Validation (solid) and smoothed training (dotted) loss of several runs against steps or seconds,
    and the counting baselines (dashed) when the runs share them."""
    figure = go.Figure()
    right = max([float(frame[x].max()) for frame in histories.values() if frame[x].notna().any()] + [1.0])
    for label, nats, sentence in baselines or []:
        name = f"{label} baseline" if label == "uniform" else f"{label} counting model"
        figure.add_trace(go.Scatter(
            x=[0, right], y=[nats, nats], mode="lines", name=f"{name} ({nats:.2f})",
            line=dict(color=baseline_colour(label), width=1.5, dash="dash"),
            hovertemplate=f"{name}: {nats:.3f} nats per token<br>{sentence}<extra></extra>"))
    for index, (name, frame) in enumerate(histories.items()):
        colour = palettes.CATEGORICAL[index % len(palettes.CATEGORICAL)]
        validation = frame.dropna(subset=["val_loss"])
        figure.add_trace(go.Scatter(x=validation[x], y=validation["val_loss"], mode="lines+markers",
                                    name=f"{name} (validation)", line=dict(color=colour, width=2),
                                    marker=dict(symbol=palettes.MARKERS[index % len(palettes.MARKERS)], size=8)))
        training = frame.dropna(subset=["train_loss"])
        figure.add_trace(go.Scatter(x=training[x], y=smooth(list(training["train_loss"])), mode="lines",
                                    name=f"{name} (training)", line=dict(color=colour, width=1, dash="dot")))
    label = "training step" if x == "step" else "seconds of training"
    _layout(figure, f"Loss against {label}", label, "cross-entropy (nats per token)")
    return described(figure, compare_text(histories, x, baselines))


def compare_text(histories: dict, x: str, baselines: list[tuple[str, float, str]] | None = None) -> str:
    """The runs' last and lowest validation losses, and the counting baselines, in words."""
    label = "training step" if x == "step" else "seconds of training"
    parts = []
    for name, frame in histories.items():
        validation = frame.dropna(subset=["val_loss"])
        if validation.empty:
            parts.append(f"{name}: no validation loss")
            continue
        where = f"step {validation['step'].iloc[-1]:.0f}" if x == "step" else f"{validation[x].iloc[-1]:.0f} s"
        parts.append(f"{name}: validation loss {validation['val_loss'].iloc[-1]:.3f} at {where} "
                     f"(lowest {validation['val_loss'].min():.3f})")
    text = f"Loss against {label}, in nats per token. " + "; ".join(parts) + "."
    if baselines:
        text += " Counting baselines: " + ", ".join(f"{name} {nats:.2f}" for name, nats, _ in baselines) + "."
    return text


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
                                    line=dict(color=palettes.CATEGORICAL[index % len(palettes.CATEGORICAL)])))
    figure.update_layout(yaxis2=dict(overlaying="y", side="right", type="log", title="beta (log)"))
    _layout(figure, f"Diagnostics: {snapshot.diagnostics[-1][2]}", "training step", "value")
    step, values, reading = snapshot.diagnostics[-1]
    last = [f"{name} {value:.3g}" for name, value in values.items() if value is not None and math.isfinite(value)]
    return described(figure, f"Diagnostics at step {step}: {', '.join(last)}. {reading}".strip())
