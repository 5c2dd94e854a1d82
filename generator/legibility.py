"""What keeps a level readable by people, stated as measurable bounds, and the check.

The renderer enforces three rules on every native sample (generator/render.py):

* **noise weight** — lines, curves, cuts and dots are at most ``noise.max_weight`` times the
  text's stroke width, so text and clutter differ by weight even where they share a colour;
* **contrast** — text luminance is at least ``color.min_contrast`` away from *every* luminance of
  the smooth background behind it (gradient and texture included, not only its base), and grid
  lines stay under 3/4 of that contrast;
* **overlap** — neighbouring glyphs share at most ``text.max_overlap`` of the smaller glyph's
  ink; the layout widens a gap until it holds.

Each level states its intent and the bounds its samples must meet (measured here on rendered
samples, with the renderer's own measurements: ``TextLayer.legibility``). ``captchagen
legibility`` prints the table; the test suite holds every preset to it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .render import LegibilityStats
from .sample import render_sample
from .spec import CaptchaSpec


@dataclass(frozen=True)
class LegibilityBounds:
    intent: str
    noise_weight: float  # widest noise stroke / text stroke width, every sample
    min_contrast: float  # text vs smooth background luminance, every sample
    max_overlap: float  # ink share a neighbour covers, every sample
    min_glyph_height: float  # median glyph box height in px (at the level's 160x60 canvas)


# A level no person can read is not a captcha level: even `extreme` keeps text strokes heavier
# than the clutter, contrast a person can see and glyphs that overlap by at most a third.
LEVELS: dict[str, LegibilityBounds] = {
    "easy": LegibilityBounds(
        "anyone reads it at a glance: clean text, a few dots", 1.0, 90, 0.05, 20
    ),
    "medium": LegibilityBounds(
        "a person reads it on the first try: the captcha package's look", 1.0, 80, 0.25, 18
    ),
    "hard": LegibilityBounds(
        "a careful person reads it: touching glyphs, strong warp, lighter clutter through the text",
        0.8,
        70,
        0.3,
        16,
    ),
    "extreme": LegibilityBounds(
        "the edge of legibility: a person reads it with effort, most of the time",
        0.8,
        60,
        0.35,
        16,
    ),
}
# Any other native style (a user's spec, `mixed`, `universal`) is held to the loosest level.
DEFAULT_BOUNDS = LegibilityBounds("any native style", 1.0, 60, 0.4, 8)


@dataclass(frozen=True)
class LegibilitySummary:
    style: str
    n: int  # native samples measured (captcha-backend samples carry no measurements)
    noise_weight: float  # worst (largest) over the samples
    contrast: float  # worst (smallest)
    overlap: float  # worst (largest)
    glyph_height: float  # median
    violations: tuple[str, ...]


def measure(spec: CaptchaSpec, n: int = 200, seed: int = 0) -> list[LegibilityStats]:
    stats = []
    for i in range(n):
        layer = render_sample(spec, seed, i, with_text_layer=True).text_layer
        if layer is not None and layer.legibility is not None:
            stats.append(layer.legibility)
    return stats


def summarise(style: str, stats: list[LegibilityStats], bounds: LegibilityBounds):
    if not stats:
        return LegibilitySummary(style, 0, 0.0, 255.0, 0.0, 0.0, ())
    # The renderer caps noise at floor(max_weight * stroke), never under 1 px: a 1-px stroke is
    # always allowed, so the ratio is measured (and bounded) where noise is wider than that.
    heavy_enough = [s for s in stats if s.noise_width > 1]
    weight = max((s.noise_width / s.stroke_width for s in heavy_enough), default=0.0)
    contrast = min(s.contrast for s in stats)
    overlap = max(s.overlap for s in stats)
    height = float(np.median([s.glyph_height for s in stats]))
    violations = []
    # The renderer caps noise at floor(max_weight * stroke) with 1 px as the floor: a 1-px
    # stroke is always allowed, so the ratio is checked where the cap was above 1 px.
    heavy = [
        s
        for s in stats
        if s.noise_width > 1 and s.noise_width > bounds.noise_weight * s.stroke_width
    ]
    if heavy:
        violations.append(f"noise heavier than {bounds.noise_weight:g}x the text stroke")
    if contrast < bounds.min_contrast:
        violations.append(f"text contrast {contrast:.1f} < {bounds.min_contrast:g}")
    if overlap > bounds.max_overlap + 1e-9:
        violations.append(f"glyph overlap {overlap:.2f} > {bounds.max_overlap:g}")
    if height < bounds.min_glyph_height:
        violations.append(f"median glyph height {height:.0f} px < {bounds.min_glyph_height:g}")
    return LegibilitySummary(
        style, len(stats), weight, contrast, overlap, height, tuple(violations)
    )


def bounds_for(spec: CaptchaSpec) -> LegibilityBounds:
    """A level's own bounds, or the default bounds for any other style."""
    return LEVELS.get(spec.name, DEFAULT_BOUNDS)


def check(spec: CaptchaSpec, n: int = 200, seed: int = 0) -> LegibilitySummary:
    """Measure ``n`` samples of ``spec`` against ``bounds_for(spec)``."""
    return summarise(spec.name, measure(spec, n, seed), bounds_for(spec))
