"""Every colour the views use to carry a meaning, in one place: the scales that colour text (a
recurrent unit's value, attention, the probability a token was drawn with) and the colours that
tell the charts' lines and bars apart.

``tests/test_palettes.py`` checks these, the colours the views show, under simulated protanopia,
deuteranopia and tritanopia: the two ends of each scale stay far apart, the chart colours stay
apart from each other, and black text stays readable on every colour of a scale that text sits on.
Colour is never the only carrier: the views also say the value in words (a token's hover title,
a chart's text alternative) and mark the extremes with a line style.
"""

from __future__ import annotations

import dataclasses

RGB = tuple[int, int, int]


def hex_rgb(colour: str) -> RGB:
    """``"#1f77b4"`` as ``(31, 119, 180)``."""
    colour = colour.lstrip("#")
    return int(colour[0:2], 16), int(colour[2:4], 16), int(colour[4:6], 16)


def css(colour: RGB) -> str:
    return "rgb({}, {}, {})".format(*colour)


@dataclasses.dataclass(frozen=True)
class Scale:
    """A colour for every value from ``low`` to ``high``, through ``middle`` (a diverging scale) or
    straight (a sequential one), mixed in sRGB; ``meaning`` says what the ends stand for."""

    name: str
    low: RGB
    high: RGB
    meaning: str
    middle: RGB | None = None

    def at(self, share: float) -> RGB:
        """The colour a share of the way from ``low`` (0) to ``high`` (1)."""
        share = min(max(float(share), 0.0), 1.0)
        if self.middle is None:
            return _mix(self.low, self.high, share)
        if share < 0.5:
            return _mix(self.low, self.middle, share * 2)
        return _mix(self.middle, self.high, share * 2 - 1)

    def css_at(self, share: float) -> str:
        return css(self.at(share))

    def ends(self) -> tuple[RGB, ...]:
        """The colours the scale passes through: its ends, and its middle when it has one."""
        return (self.low, self.high) if self.middle is None else (self.low, self.middle, self.high)

    def plotly(self) -> list[list]:
        """The scale as a plotly colorscale."""
        stops = [0.0, 1.0] if self.middle is None else [0.0, 0.5, 1.0]
        return [[stop, css(colour)] for stop, colour in zip(stops, self.ends())]


def _mix(start: RGB, end: RGB, share: float) -> RGB:
    return tuple(round(a + (b - a) * share) for a, b in zip(start, end))  # type: ignore[return-value]


WHITE: RGB = (255, 255, 255)

# Text sits on these three: black text stays readable (4.5:1) on every colour of them.
NEURON = Scale("recurrent unit", low=(94, 160, 232), middle=WHITE, high=(240, 122, 92),
               meaning="a unit's value: blue at -1, white at 0, red at +1")
ATTENTION = Scale("attention", low=WHITE, high=(88, 142, 226),
                  meaning="how much a token takes from another: white nothing, blue the most")
PROBABILITY = Scale("probability", low=(247, 164, 72), high=(176, 212, 247),
                    meaning="the probability a token was drawn with: orange a gamble, blue sure")
TEXT_SCALES = (NEURON, ATTENTION, PROBABILITY)

# Lines and bars that colour tells apart. Okabe and Ito's colours, made for readers with every kind of
# colour vision; the eighth is Paul Tol's wine (their yellow is unreadable on white).
CATEGORICAL = ("#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000", "#882255")
# Where several runs share a chart, each also has its own marker shape.
MARKERS = ("circle", "square", "diamond", "triangle-up", "x", "cross", "star", "pentagon")
TRAINING, VALIDATION = CATEGORICAL[0], CATEGORICAL[1]  # the loss chart's two curves
TRAINING_FAINT = "rgba(0, 114, 178, 0.35)"  # every step, under the smoothed curve
# The next-token bars: kept by the filters, cut (also hatched), the share of draws (also narrower),
# and the model's own belief at T = 1 (a tick mark).
KEPT, CUT, DRAWN, BELIEF = CATEGORICAL[0], "#c8c8c8", "rgba(230, 159, 0, 0.8)", "#222222"
# The counting baselines' dashed lines; each is also labelled with its name on the chart.
BASELINES = {"uniform": "#6b7280", "unigram": "#a16207", "bigram": "#7c3aed", "ngram": "#059669"}
# Alternate backgrounds that show where one token ends and the next begins (also a gap between them).
TOKEN_BACKGROUNDS = ("#dbeafe", "#fde68a", "#bbf7d0", "#fbcfe8")
