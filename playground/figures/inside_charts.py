"""The Inside tab's pictures, drawn from what :func:`playground.lab.inside.inspect` returns.

Plain functions from that dict to a plotly figure or an HTML string, so tests can read them.
"""

from __future__ import annotations

import html

import numpy as np
import plotly.graph_objects as go

from playground.errors import PlaygroundError
from playground.figures.palettes import ATTENTION, CATEGORICAL, MARKERS, NEURON
from playground.figures.text_alternative import described, listed, spoken
from playground.lab.inside import FREQUENT_WORDS, KINDS, kind_of
from playground.generation.next_token import visible

KIND_COLOURS = dict(zip(KINDS, CATEGORICAL))
KIND_MARKERS = dict(zip(KINDS, MARKERS))  # a second cue besides colour


def _label(tokens: list[str], i: int) -> str:
    return f"{i} {visible(tokens[i])}"


def check_layer_head(result: dict, layer, head) -> tuple[int, int]:
    """Layer and head as 0-based indices into ``result["attention"]``, or a clear error."""
    if result.get("attention") is None:
        raise PlaygroundError("Attention maps belong to transformers; this model has no attention.")
    layers, heads = len(result["attention"]), len(result["attention"][0])
    try:
        layer, head = int(layer), int(head)
    except (TypeError, ValueError):
        raise PlaygroundError("Pick a layer and a head.") from None
    if not 0 <= layer < layers or not 0 <= head < heads:
        raise PlaygroundError(f"This model has layers 1 to {layers} and heads 1 to {heads} "
                              f"(got layer {layer + 1}, head {head + 1}).")
    return layer, head


def attention_figure(result: dict, layer: int = 0, head: int = 0) -> go.Figure:
    """One head's attention as a heatmap: row i is token i, column j the token it looks at."""
    layer, head = check_layer_head(result, layer, head)
    weights = np.asarray(result["attention"][layer][head])  # (T, T)
    tokens = result["tokens"]
    count = len(tokens)
    hover = [[f"token {i} {visible(tokens[i])!r} looks at token {j} {visible(tokens[j])!r}: {weights[i, j]:.2f}"
              for j in range(count)] for i in range(count)]
    # Past about 64 tokens the labels would overlap: label every few, the hover names every square.
    ticks = list(range(0, count, -(-count // 64)))
    labels = [visible(tokens[i]) for i in ticks]
    figure = go.Figure(go.Heatmap(z=weights.tolist(), hovertext=hover, hoverinfo="text",
                                  colorscale=ATTENTION.plotly(), zmin=0.0, zmax=float(max(weights.max(), 1e-6)),
                                  colorbar=dict(title="weight")))
    side = max(360, min(900, 16 * count + 140))
    figure.update_layout(
        template="plotly_white", height=side, margin=dict(l=70, r=20, t=50, b=70),
        title=f"Layer {layer + 1}, head {head + 1}: row = the token reading, column = the token it looks at",
        xaxis=dict(tickmode="array", tickvals=ticks, ticktext=labels, tickfont=dict(family="monospace"),
                   title="looks at token j"),
        yaxis=dict(tickmode="array", tickvals=ticks, ticktext=labels, tickfont=dict(family="monospace"),
                   autorange="reversed", title="token i"),
    )
    return described(figure, attention_text(result, layer, head))


STRONGEST = 5  # the links an attention map's text alternative names


def attention_text(result: dict, layer: int = 0, head: int = 0) -> str:
    """One head in words: where most tokens look (themselves, the token before, the first token) and
    its strongest links ("token 5 'o' looks at token 4 'R': 0.92"), leaving out the first token, which
    has only itself to look at."""
    layer, head = check_layer_head(result, layer, head)
    weights = np.asarray(result["attention"][layer][head])  # (T, T)
    tokens = result["tokens"]
    text = f"Attention of layer {layer + 1}, head {head + 1} over {len(tokens)} tokens."
    if len(tokens) < 2:
        return text
    favourite = weights[1:].argmax(axis=1)  # (T - 1,) where each token after the first looks most
    rows = np.arange(1, len(tokens))
    habits = {"itself": int(np.sum(favourite == rows)), "the token before": int(np.sum(favourite == rows - 1)),
              "the first token": int(np.sum((favourite == 0) & (rows > 1)))}
    habits = [f"{where} ({count} of {len(rows)})" for where, count in habits.items() if count]
    if habits:
        text += " Most tokens look most at: " + ", ".join(habits) + "."
    below = weights[1:].copy()  # links from every token after the first
    order = np.argsort(-below, axis=None, kind="stable")[:STRONGEST]
    links = []
    for flat in order:
        i, j = divmod(int(flat), len(tokens))
        links.append(f"token {i + 1} {spoken(tokens[i + 1])} looks at token {j} {spoken(tokens[j])}: "
                     f"{below[i, j]:.2f}")
    return text + " Strongest links: " + "; ".join(links) + "."


def attention_lines_html(result: dict, layer: int, head: int, token: int) -> str:
    """The text with every token shaded by how much the chosen token looks at it (its row of the map)."""
    layer, head = check_layer_head(result, layer, head)
    tokens = result["tokens"]
    token = min(max(int(token), 0), len(tokens) - 1)
    row = np.asarray(result["attention"][layer][head][token])  # (T,)
    strongest = max(float(row.max()), 1e-6)
    spans = []
    for j, text in enumerate(tokens):
        shown = html.escape(text).replace("\n", "↵<br>") or "∅"
        outline = "outline:2px solid #d43b3b;" if j == token else ""
        spans.append(f"<span class='pg-token' style='background:{ATTENTION.css_at(row[j] / strongest)};"
                     f"{outline}' title='token {token} looks at token {j}: {row[j]:.2f}'>{shown}</span>")
    spacer = " " if result.get("level") == "word" else ""
    return (f"<p class='pg-muted'>Token {token} ({html.escape(repr(visible(tokens[token])))}, outlined in red) "
            "looks at the tokens shaded blue: the darker, the more it takes from them. Later tokens stay white: "
            "it cannot see them.</p>"
            f"<div class='pg-tokens' id='inside-lines'>{spacer.join(spans)}</div>")


def activation_colour(value: float) -> str:
    """−1 blue, 0 white, +1 red (:data:`palettes.NEURON`)."""
    return NEURON.css_at((max(-1.0, min(1.0, float(value))) + 1) / 2)


STRONG = 0.5  # beyond ±STRONG a unit's value is also marked by a line under the text


def activation_mark(value: float) -> str:
    """The line under a strongly firing token (solid above +0.5, dotted below −0.5): the sign
    without reading a colour."""
    if value >= STRONG:
        return "text-decoration:underline solid;text-underline-offset:3px;"
    if value <= -STRONG:
        return "text-decoration:underline dotted;text-underline-offset:3px;"
    return ""


def neuron_html(result: dict, unit) -> str:
    """The text coloured by one unit's activation, Karpathy style; hover a token for its value and
    the five tokens the model expected next."""
    if result.get("activations") is None:
        raise PlaygroundError("Recurrent units belong to LSTM, GRU and GAN models; this model has none.")
    units = len(result["activations"][0])
    try:
        unit = int(unit)
    except (TypeError, ValueError):
        raise PlaygroundError(f"Pick a unit from 0 to {units - 1}.") from None
    if not 0 <= unit < units:
        raise PlaygroundError(f"This model's last recurrent layer has units 0 to {units - 1} (got {unit}).")
    values = np.asarray(result["activations"])[:, unit]  # (T,)
    spans = []
    for text, value, expected in zip(result["tokens"], values, result["expected"]):
        following = ", ".join(f"{visible(token)!r} {p:.2f}" for token, p in expected)
        shown = html.escape(text).replace("\n", "↵<br>") or "∅"
        spans.append(f"<span class='pg-token' style='background:{activation_colour(value)};{activation_mark(value)}' "
                     f"title='{html.escape(f'unit {unit}: {value:+.2f} · expected next: {following}')}'>"
                     f"{shown}</span>")
    spacer = " " if result.get("level") == "word" else ""
    legend = (f"<p class='pg-muted'>Unit {unit}: <span style='background:{activation_colour(-1)};"
              f"{activation_mark(-1)}'>&nbsp;−1&nbsp;</span> … <span style='border:1px solid #ccc'>&nbsp;0&nbsp;"
              f"</span> … <span style='background:{activation_colour(1)};{activation_mark(1)}'>&nbsp;+1&nbsp;</span>"
              f" (beyond ±{STRONG:g} also underlined: dotted below, solid above). "
              "Hover a token for the unit's value and the five tokens the model expected next.</p>")
    return legend + f"<div class='pg-tokens' id='inside-neuron'>{spacer.join(spans)}</div>"


def embedding_figure(result: dict) -> go.Figure:
    """Every token (word models: the most frequent words) at its place on the two main directions."""
    vocabulary = result["vocabulary"]
    points = np.asarray(result["embedding_2d"])  # (V, 2)
    shown = range(1, min(len(vocabulary), FREQUENT_WORDS + 1)) if result.get("level") == "word" \
        else range(len(vocabulary))
    kinds: dict[str, list[int]] = {}
    for i in shown:
        kinds.setdefault(kind_of(vocabulary[i]), []).append(i)
    figure = go.Figure()
    for kind in KINDS:
        members = kinds.get(kind)
        if not members:
            continue
        labels = [visible(vocabulary[i]) for i in members]
        figure.add_trace(go.Scatter(
            x=points[members, 0].tolist(), y=points[members, 1].tolist(), mode="markers+text", name=kind,
            text=labels, textposition="top center", textfont=dict(family="monospace", size=13),
            marker=dict(color=KIND_COLOURS[kind], symbol=KIND_MARKERS[kind], size=7, opacity=0.8),
            hovertext=[f"{label!r} ({kind})" for label in labels], hoverinfo="text"))
    first, second = result["embedding_variance"]
    which = f"the {FREQUENT_WORDS} most frequent words" if result.get("level") == "word" else "every token"
    figure.update_layout(
        template="plotly_white", height=560, margin=dict(l=60, r=20, t=60, b=60),
        title=f"{which.capitalize()}, from {result['embedding_source']}",
        xaxis_title=f"main direction 1 ({first:.0%} of the spread)",
        yaxis_title=f"main direction 2 ({second:.0%} of the spread)",
        legend=dict(orientation="h", y=-0.15))
    counts = [f"{len(kinds[kind])} {kind}" for kind in KINDS if kinds.get(kind)]
    members = [i for kind in KINDS for i in kinds.get(kind, [])]
    ends = []
    for axis, direction in ((0, "direction 1"), (1, "direction 2")):
        ranked = sorted(members, key=lambda i: points[i, axis])
        ends.append(f"along {direction}, from {listed([spoken(vocabulary[i]) for i in ranked[:3]])} "
                    f"to {listed([spoken(vocabulary[i]) for i in ranked[-3:]])}")
    return described(figure, f"{which.capitalize()} placed on the model's two main directions "
                             f"({first:.0%} and {second:.0%} of the spread): {', '.join(counts)}; "
                             f"{'; '.join(ends)}.")
