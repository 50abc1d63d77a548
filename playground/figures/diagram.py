"""A picture of a network: its layers (:mod:`playground.models.sizes`), their output shapes and
parameter counts, as an SVG."""

from __future__ import annotations

import html

from playground.models import ModelConfig
from playground.models.sizes import Stack, stacks


# Drawing: one column per stack, boxes top to bottom, an arrow between each.
COLOURS = {"embedding": "#dbeafe", "recurrent": "#fde68a", "attention": "#e9d5ff", "dense": "#bbf7d0",
           "conv": "#a5f3fc", "other": "#e5e7eb", "input": "#ffffff"}
BOX_W, BOX_H, GAP, COLUMN_W, TOP = 380, 46, 16, 410, 40


def _text(x, y, text, size=13, weight="normal", anchor="middle") -> str:
    return (f'<text x="{x}" y="{y}" font-size="{size}" font-weight="{weight}" text-anchor="{anchor}" '
            f'fill="#111827">{html.escape(text)}</text>')


def _parameters(count: int) -> str:
    return "1 parameter" if count == 1 else f"{count:,} parameters"


def _column(stack: Stack, left: int) -> tuple[list[str], int]:
    centre, parts, y = left + COLUMN_W // 2, [], TOP
    parts.append(_text(centre, y - 14, f"{stack.title}: {stack.params:,} parameters", 15, "bold"))
    boxes = [(stack.input, "", "input", None)] + [
        (f"{layer.name}: {layer.detail}", f"out {layer.shape} · {_parameters(layer.params)}", layer.kind, layer)
        for layer in stack.layers] + [(stack.output, "", "input", None)]
    for index, (title, subtitle, kind, _) in enumerate(boxes):
        x = centre - BOX_W // 2
        pill = kind == "input"
        height = 30 if pill else BOX_H
        parts.append(f'<rect x="{x}" y="{y}" width="{BOX_W}" height="{height}" rx="{15 if pill else 6}" '
                     f'fill="{COLOURS[kind]}" stroke="#6b7280" stroke-width="1"/>')
        if pill:
            parts.append(_text(centre, y + 20, title, 13, "bold"))
        else:
            parts.append(_text(centre, y + 19, title, 12.5, "bold"))
            parts.append(_text(centre, y + 37, subtitle, 11.5))
        y += height
        if index < len(boxes) - 1:
            parts.append(f'<line x1="{centre}" y1="{y + 2}" x2="{centre}" y2="{y + GAP - 3}" stroke="#374151" '
                         f'stroke-width="1.5" marker-end="url(#pg-arrow)"/>')
            y += GAP
    return parts, y


def stack_text(stack: Stack) -> str:
    """The drawing in words, for a screen reader: each box from the input to the output."""
    layers = [f"{layer.name}: {layer.detail}, out {layer.shape}, {_parameters(layer.params)}" for layer in stack.layers]
    return f"{stack.title}, {_parameters(stack.params)}: " + " → ".join([stack.input, *layers, stack.output])


def stack_svg(stack: Stack) -> str:
    """One network as an SVG column, with a key to the shape letters underneath."""
    parts, bottom = _column(stack, 0)
    width, height = COLUMN_W, bottom + 40
    parts.append(_text(width // 2, height - 22, "B: windows per batch · T: tokens per window", 11.5))
    parts.append(_text(width // 2, height - 6, "V: tokens in the vocabulary", 11.5))
    arrow = ('<defs><marker id="pg-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
             'orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#374151"/></marker></defs>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="pg-network" viewBox="0 0 {width} {height}" '
            f'width="{width}" height="{height}" role="img" aria-label="{html.escape(stack_text(stack))}" '
            f'font-family="system-ui, sans-serif">{arrow}{"".join(parts)}</svg>')


def diagram_svg(config: ModelConfig) -> str:
    """The config's networks, one SVG each (a GAN: generator then discriminator), for a page to lay out
    side by side or one under the other as its width allows; empty if the architecture has no drawing."""
    return "".join(stack_svg(stack) for stack in stacks(config))
