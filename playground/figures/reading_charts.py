"""The Read tab's pictures, drawn from a :class:`playground.lab.reading.Reading`.

Every token becomes a coloured span whose title (read aloud by screen readers, shown on hover)
says in words what the colour says: the bits, the rank, the probability and the five likeliest
tokens. The palettes are safe for colour-blind readers: viridis (light yellow = expected, dark
purple = surprising) for surprisal and ranks, blue–orange for the model against counting.
"""

from __future__ import annotations

import functools
import html

import numpy as np
import plotly.graph_objects as go

from playground.generation.next_token import visible
from playground.lab.reading import BUCKETS, Reading, Writer

# Viridis, from dark purple (0) to light yellow (1), as nine stops.
VIRIDIS = ("#440154", "#472d7b", "#3b528b", "#2c728e", "#21918c", "#28ae80", "#5ec962", "#addc30", "#fde725")
BLUE, WHITE, ORANGE = "#2166ac", "#f7f7f7", "#e66101"
MOST_BITS = 8.0  # surprisal at and above this takes the darkest colour
MOST_DIFFERENCE = 4.0  # bits either way at which the difference colour is full
LEVELS = 16  # colours in a scale: a token's colour is one of LEVELS + 1
SHOWN = 4_000  # tokens one view colours at a time
# Rank buckets, from the favourite (light) to the rest (dark), as GLTR orders them.
BUCKET_COLOURS = ("#fde725", "#5ec962", "#21918c", "#440154")
WRITER_COLOURS = ("#4b5563", BLUE, ORANGE)
MODES = ("surprisal", "rank")
BOX = "style='max-height:32em;overflow-y:auto'"  # a long text scrolls inside its box, the sections below stay near


def _rgb(colour: str) -> np.ndarray:
    return np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)], dtype=float)


def _hex(rgb) -> str:
    return "#" + "".join(f"{round(float(c)):02x}" for c in rgb)


def _blend(stops: tuple[str, ...], share: float) -> str:
    """The colour ``share`` (0..1) of the way along ``stops``."""
    position = min(max(share, 0.0), 1.0) * (len(stops) - 1)
    low = int(np.floor(position))
    high = min(low + 1, len(stops) - 1)
    return _hex(_rgb(stops[low]) + (position - low) * (_rgb(stops[high]) - _rgb(stops[low])))


@functools.lru_cache(maxsize=64)  # a scale has 17 colours; a view asks for them thousands of times
def _text_on(background: str) -> str:
    """Black or white, whichever reads better on ``background`` (WCAG relative luminance)."""
    channels = _rgb(background) / 255
    linear = np.where(channels <= 0.03928, channels / 12.92, ((channels + 0.055) / 1.055) ** 2.4)
    luminance = float(linear @ np.array([0.2126, 0.7152, 0.0722]))
    return "#000" if (luminance + 0.05) / 0.05 >= 1.05 / (luminance + 0.05) else "#fff"


SURPRISAL_SCALE = tuple(_blend(VIRIDIS[::-1], level / LEVELS) for level in range(LEVELS + 1))
DIFFERENCE_SCALE = tuple(_blend((BLUE, WHITE, ORANGE), level / LEVELS) for level in range(LEVELS + 1))


def surprisal_level(bits: np.ndarray) -> np.ndarray:
    """Each token's colour in :data:`SURPRISAL_SCALE`: 0 bits light yellow, ``MOST_BITS`` or more dark purple."""
    return np.rint(np.clip(np.nan_to_num(bits) / MOST_BITS, 0, 1) * LEVELS).astype(int)


def difference_level(difference: np.ndarray) -> np.ndarray:
    """Each token's colour in :data:`DIFFERENCE_SCALE`: blue where the model is less surprised than counting."""
    share = (np.clip(np.nan_to_num(difference), -MOST_DIFFERENCE, MOST_DIFFERENCE) / MOST_DIFFERENCE + 1) / 2
    return np.rint(share * LEVELS).astype(int)


def _span(text: str, background: str, title: str) -> str:
    shown = html.escape(text).replace("\n", "↵<br>") or "∅"
    return (f"<span class='pg-token' role='img' style='background:{background};color:{_text_on(background)}' "
            f"title='{html.escape(title, quote=True)}'>{shown}</span>")


def _first(text: str) -> str:
    shown = html.escape(text).replace("\n", "↵<br>") or "∅"
    return (f"<span class='pg-token' role='img' style='outline:1px dashed #888' "
            f"title='the first token: nothing before it to predict it from'>{shown}</span>")


def _window(reading: Reading, start: int, count: int) -> range:
    start = max(0, min(int(start), max(len(reading.tokens) - 1, 0)))
    return range(start, min(start + count, len(reading.tokens)))


def _part_note(reading: Reading, shown: range) -> str:
    if len(shown) == len(reading.tokens):
        return ""
    return (f"<p class='pg-muted'>Tokens {shown.start + 1:,}–{shown.stop:,} of {len(reading.tokens):,}; "
            "the summary above counts them all. Move <i>Part of the text</i> to see another stretch.</p>")


def _joined(reading: Reading, spans: list[str]) -> str:
    spacer = " " if reading.level == "word" else ""
    return spacer.join(spans)


def token_title(reading: Reading, i: int) -> str:
    """What a token's colour means, in words."""
    expected = ", ".join(f"{visible(token)} {p:.2f}" for token, p in reading.expected_at(i))
    bucket = BUCKETS[int(reading.buckets[i])][1]
    return (f"{visible(reading.tokens[i])}: {reading.bits[i]:.2f} bits, rank {int(reading.rank[i])} ({bucket}), "
            f"p = {reading.probability[i]:.3f}; expected: {expected}")


def _swatch(colour: str, words: str) -> str:
    return (f"<span class='pg-token' style='background:{colour};color:{_text_on(colour)}'>&nbsp;"
            f"{html.escape(words)}&nbsp;</span>")


def surprisal_legend() -> str:
    steps = "".join(_swatch(SURPRISAL_SCALE[surprisal_level(np.array([bits]))[0]],
                            f"{bits:g}{'+' if bits == MOST_BITS else ''}") for bits in (0, 1, 2, 4, 6, MOST_BITS))
    return (f"<p class='pg-muted'>Colour = surprisal in bits, how unexpected the token was: {steps} "
            "(1 bit: as surprising as a coin coming up heads; each more bit halves the probability). "
            "Hover a token for its bits, its rank and the five tokens the model expected.</p>")


def rank_legend() -> str:
    steps = " ".join(_swatch(colour, name) for colour, (_, name) in zip(BUCKET_COLOURS, BUCKETS))
    return (f"<p class='pg-muted'>Colour = where the token stood in the model's ranking of every possible next "
            f"token: {steps}. Hover a token for its rank and the five tokens the model expected.</p>")


def tokens_html(reading: Reading, mode: str = "surprisal", start: int = 0, count: int = SHOWN) -> str:
    """The text, one span per token, coloured by surprisal or by rank bucket."""
    shown = _window(reading, start, count)
    if mode == "rank":
        colours = [BUCKET_COLOURS[b] for b in reading.buckets[shown.start:shown.stop]]
        legend = rank_legend()
    else:
        colours = [SURPRISAL_SCALE[level] for level in surprisal_level(reading.bits[shown.start:shown.stop])]
        legend = surprisal_legend()
    spans = [_first(reading.tokens[i]) if i == 0 else _span(reading.tokens[i], colour, token_title(reading, i))
             for i, colour in zip(shown, colours)]
    return legend + f"<div class='pg-tokens' id='read-tokens' {BOX}>{_joined(reading, spans)}</div>" + \
        _part_note(reading, shown)


def difference_html(reading: Reading, start: int = 0, count: int = SHOWN) -> str:
    """The text coloured by the model's surprisal minus the counting model's, token by token."""
    difference = reading.difference()
    if difference is None:
        return ("<p class='pg-muted'>No counting model to compare with: this model was saved without its training "
                "text.</p>")
    label = reading.counting_label
    counting = reading.counting[reading.counting_name] / np.log(2)
    shown = _window(reading, start, count)
    spans = []
    for i, level in zip(shown, difference_level(difference[shown.start:shown.stop])):
        if i == 0:
            spans.append(_first(reading.tokens[0]))
            continue
        verdict = "the model is less surprised" if difference[i] < 0 else f"the {label} is less surprised"
        title = (f"{visible(reading.tokens[i])}: model {reading.bits[i]:.2f} bits, {label} {counting[i]:.2f} bits; "
                 f"{verdict} by {abs(difference[i]):.2f} bits")
        spans.append(_span(reading.tokens[i], DIFFERENCE_SCALE[level], title))
    legend = (f"<p class='pg-muted'>Colour = the model's surprisal minus the {label} counting model's: "
              f"{_swatch(DIFFERENCE_SCALE[0], f'model {MOST_DIFFERENCE:g}+ bits less surprised')} "
              f"{_swatch(DIFFERENCE_SCALE[LEVELS // 2], 'the same')} "
              f"{_swatch(DIFFERENCE_SCALE[LEVELS], f'{label} {MOST_DIFFERENCE:g}+ bits less surprised')}. "
              "Blue is where the network "
              "has learned more than counting; orange where counting the last few tokens still does better.</p>")
    return legend + f"<div class='pg-tokens' id='read-difference' {BOX}>{_joined(reading, spans)}</div>" + \
        _part_note(reading, shown)


def writers_figure(found: list[Writer]) -> go.Figure:
    """The share of tokens in each rank bucket, one group of bars per writer."""
    figure = go.Figure()
    names = [name for _, name in BUCKETS]
    for writer, colour in zip(found, WRITER_COLOURS):
        shares = [100 * share for _, share in writer.shares()]
        figure.add_trace(go.Bar(x=names, y=shares, name=writer.label, marker_color=colour,
                                text=[f"{share:.0f}%" for share in shares], textposition="outside",
                                hovertemplate=f"{writer.label}<br>%{{x}}: %{{y:.1f}}% of the tokens<extra></extra>"))
    figure.update_layout(
        barmode="group", template="plotly_white", height=360, margin=dict(l=60, r=20, t=50, b=40),
        title="Where each text's tokens stand in the model's ranking", yaxis_title="share of the tokens (%)",
        yaxis=dict(range=[0, 110]), legend=dict(orientation="h", y=-0.15))
    return figure
