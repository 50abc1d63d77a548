"""The views' colours stay apart for readers with the common colour-vision deficiencies.

Each colour is seen as a protanope, a deuteranope and a tritanope sees it (Machado, Oliveira and
Fernandes 2009, severity 1, applied to linear sRGB), and colours are compared by their distance in
CIELAB (ΔE*ab, 1976): about 2 is just noticeable, above 10 plainly different. Text is checked with
WCAG's contrast ratio.
"""

import itertools

import numpy as np
import pytest

from playground.figures import palettes, reading_charts

MACHADO_2009 = {
    "protanopia": [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]],
    "deuteranopia": [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 0.968881]],
    "tritanopia": [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602], [0.004733, 0.691367, 0.303900]],
}
VISIONS = ["typical", *MACHADO_2009]
SCALE_ENDS_APART = 40  # the two ends of a scale (and each end from its middle): far apart
CATEGORIES_APART = 15  # any two chart colours: plainly different
TEXT_CONTRAST = 4.5  # WCAG AA for text of normal size


def linear(colour) -> np.ndarray:
    c = np.asarray(colour, dtype=float) / 255
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def seen(colour, vision: str) -> np.ndarray:
    """The colour in linear sRGB as a reader with this vision sees it."""
    if vision == "typical":
        return linear(colour)
    return np.clip(np.asarray(MACHADO_2009[vision]) @ linear(colour), 0.0, 1.0)


def lab(rgb_linear: np.ndarray) -> np.ndarray:
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]) @ rgb_linear
    t = xyz / np.array([0.95047, 1.0, 1.08883])  # D65 white
    f = np.where(t > (6 / 29) ** 3, np.cbrt(t), t / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def distance(a, b, vision: str) -> float:
    return float(np.linalg.norm(lab(seen(a, vision)) - lab(seen(b, vision))))


def contrast(a, b) -> float:
    """WCAG contrast ratio of two colours (1 to 21)."""
    def luminance(colour):
        return float(np.array([0.2126, 0.7152, 0.0722]) @ linear(colour))
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_the_simulation_keeps_grey_and_confuses_what_it_should():
    # White and greys are seen alike by everyone (each matrix's rows sum to 1) ...
    for vision in MACHADO_2009:
        for grey in ((255, 255, 255), (128, 128, 128)):
            assert distance(grey, grey, "typical") == 0
            assert np.allclose(seen(grey, vision), linear(grey), atol=1e-3)
    # ... while the classic traffic-light pair, which the probability colours once were, collapses
    # for a deuteranope and stays wide apart for typical vision.
    green, red = (190, 244, 190), (244, 190, 190)  # hsl(120, 70%, 85%), hsl(0, 70%, 85%)
    assert distance(green, red, "typical") > 45
    assert distance(green, red, "deuteranopia") < 15


@pytest.mark.parametrize("vision", VISIONS)
@pytest.mark.parametrize("scale", palettes.TEXT_SCALES, ids=lambda scale: scale.name)
def test_the_ends_of_every_scale_stay_apart(scale, vision):
    for a, b in itertools.combinations(scale.ends(), 2):
        assert distance(a, b, vision) >= SCALE_ENDS_APART, (scale.name, vision, a, b, distance(a, b, vision))


@pytest.mark.parametrize("scale", palettes.TEXT_SCALES, ids=lambda scale: scale.name)
def test_black_text_stays_readable_on_every_colour_of_a_scale(scale):
    for share in np.linspace(0, 1, 21):
        assert contrast(scale.at(share), (0, 0, 0)) >= TEXT_CONTRAST, (scale.name, share, scale.at(share))


def test_a_scale_runs_from_its_low_end_through_its_middle_to_its_high_end():
    assert palettes.NEURON.at(0) == palettes.NEURON.low
    assert palettes.NEURON.at(0.5) == palettes.WHITE
    assert palettes.NEURON.at(1) == palettes.NEURON.high
    halfway = tuple(round((w + h) / 2) for w, h in zip(palettes.WHITE, palettes.ATTENTION.high))
    assert palettes.ATTENTION.at(0.5) == halfway
    assert palettes.PROBABILITY.plotly() == [[0.0, palettes.css(palettes.PROBABILITY.low)],
                                             [1.0, palettes.css(palettes.PROBABILITY.high)]]


@pytest.mark.parametrize("vision", VISIONS)
def test_any_two_chart_colours_stay_apart(vision):
    colours = [palettes.hex_rgb(c) for c in palettes.CATEGORICAL]
    closest = min(itertools.combinations(colours, 2), key=lambda pair: distance(*pair, vision))
    assert distance(*closest, vision) >= CATEGORIES_APART, (vision, closest, distance(*closest, vision))


@pytest.mark.parametrize("vision", VISIONS)
def test_the_bars_kept_and_cut_and_the_two_loss_curves_stay_apart(vision):
    kept, cut = palettes.hex_rgb(palettes.KEPT), palettes.hex_rgb(palettes.CUT)
    assert distance(kept, cut, vision) >= SCALE_ENDS_APART
    training, validation = palettes.hex_rgb(palettes.TRAINING), palettes.hex_rgb(palettes.VALIDATION)
    assert distance(training, validation, vision) >= SCALE_ENDS_APART


def test_neighbouring_token_backgrounds_differ_and_keep_text_readable():
    backgrounds = [palettes.hex_rgb(c) for c in palettes.TOKEN_BACKGROUNDS]
    for vision in VISIONS:
        for a, b in zip(backgrounds, backgrounds[1:] + backgrounds[:1]):
            assert distance(a, b, vision) >= 5, (vision, a, b)  # a gap between tokens marks them too
    assert all(contrast(colour, (0, 0, 0)) >= TEXT_CONTRAST for colour in backgrounds)


# The Read tab colours text by surprisal (viridis), by rank bucket, and by the model against counting
# (blue, white, orange); its tokens' text is black or white, whichever reads better.

READ_SCALES = {"surprisal": reading_charts.SURPRISAL_SCALE, "difference": reading_charts.DIFFERENCE_SCALE,
               "rank buckets": reading_charts.BUCKET_COLOURS}


@pytest.mark.parametrize("vision", VISIONS)
@pytest.mark.parametrize("name", READ_SCALES)
def test_the_read_tabs_scales_keep_their_ends_apart(name, vision):
    colours = [palettes.hex_rgb(c) for c in READ_SCALES[name]]
    ends = [colours[0], colours[len(colours) // 2], colours[-1]] if name == "difference" else [colours[0], colours[-1]]
    for a, b in itertools.combinations(ends, 2):
        assert distance(a, b, vision) >= SCALE_ENDS_APART, (name, vision, a, b, distance(a, b, vision))


@pytest.mark.parametrize("vision", VISIONS)
def test_neighbouring_rank_buckets_stay_apart(vision):
    buckets = [palettes.hex_rgb(c) for c in reading_charts.BUCKET_COLOURS]
    for a, b in itertools.pairwise(buckets):
        assert distance(a, b, vision) >= CATEGORIES_APART, (vision, a, b, distance(a, b, vision))


@pytest.mark.parametrize("name", READ_SCALES)
def test_a_read_tokens_text_stays_readable_on_its_colour(name):
    for colour in READ_SCALES[name]:
        text = (0, 0, 0) if reading_charts._text_on(colour) == "#000" else (255, 255, 255)
        assert contrast(palettes.hex_rgb(colour), text) >= TEXT_CONTRAST, (name, colour, text)
