"""Sample ``i`` of a run is a pure function of (spec, seed, i).

Each sample gets its own ``numpy`` Generator from ``SeedSequence([seed, i])``, so any sample can be
re-rendered alone and output does not depend on worker count, order or sharding.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass, fields, replace

import numpy as np
from PIL import Image

from .fonts import resolve_fonts
from .randomize import draw_case, randomize
from .render import TextLayer, render_native
from .spec import DIFFICULTIES, CaptchaSpec, preset
from .text import draw_label

# Largest seed we accept: SeedSequence takes any non-negative int, but dataset files and reports
# store seeds as JSON numbers, which lose precision past 2**53.
MAX_SEED = 2**53 - 1


@dataclass
class Sample:
    index: int
    seed: int
    text: str
    image: Image.Image
    style: str  # which renderer and preset drew it ("native", "captcha", "native:hard~extreme@0.4")
    text_layer: TextLayer | None = None


def sample_rng(seed: int, index: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed, index]))


def draw_text(spec: CaptchaSpec, rng: np.random.Generator) -> str:
    t = spec.text
    return draw_label(t.source, t.words, spec.charset.chars, t.length, rng)


def fonts_for(spec: CaptchaSpec) -> tuple[str, ...]:
    return resolve_fonts(spec.text.fonts, spec.charset.chars).paths


# --- domain randomisation -----------------------------------------------------------------------

_MIX_STEPS = 16  # interpolation weights are quantised so mixed specs can be cached
_CAPTCHA_SHARE = 0.15
_INVERTED_SHARE = 0.15


def _lerp(a, b, t: float):
    if dataclasses.is_dataclass(a):
        return replace(
            a, **{f.name: _lerp(getattr(a, f.name), getattr(b, f.name), t) for f in fields(a)}
        )
    if isinstance(a, tuple) and a and isinstance(a[0], int | float):
        return tuple(_lerp(x, y, t) for x, y in zip(a, b, strict=True))
    if isinstance(a, bool):
        return a if t < 0.5 else b
    if isinstance(a, int):
        return round(a + (b - a) * t)
    if isinstance(a, float):
        return a + (b - a) * t
    return a


@functools.lru_cache(maxsize=1024)
def _mixed_style(base: CaptchaSpec, level: int, step: int, inverted: bool) -> CaptchaSpec:
    lo, hi = preset(DIFFICULTIES[level]), preset(DIFFICULTIES[level + 1])
    t = step / _MIX_STEPS
    color = _lerp(lo.color, hi.color, t)
    if inverted:
        color = replace(color, background=color.text, text=color.background)
    # The base spec decides what is written (charset, length, fonts, size); the presets decide
    # how it looks.
    text = replace(
        _lerp(lo.text, hi.text, t),
        charset=base.text.charset,
        length=base.text.length,
        fonts=base.text.fonts,
        font_size=base.text.font_size,
    )
    return replace(
        base,
        name=f"{DIFFICULTIES[level]}~{DIFFICULTIES[level + 1]}@{t:.2f}",
        backend="native",
        text=text,
        color=color,
        noise=_lerp(lo.noise, hi.noise, t),
        warp=_lerp(lo.warp, hi.warp, t),
    )


def _draw_style(spec: CaptchaSpec, rng: np.random.Generator) -> CaptchaSpec:
    if rng.random() < _CAPTCHA_SHARE:
        return replace(spec, backend="captcha", name="captcha")
    level = int(rng.integers(0, len(DIFFICULTIES) - 1))
    step = int(rng.integers(0, _MIX_STEPS + 1))
    inverted = bool(rng.random() < _INVERTED_SHARE)
    return _mixed_style(spec, level, step, inverted)


# --- the pure function ---------------------------------------------------------------------------


def render_sample(
    spec: CaptchaSpec, seed: int, index: int, *, with_text_layer: bool = False
) -> Sample:
    rng = sample_rng(seed, index)
    text = draw_text(spec, rng)
    fonts = fonts_for(spec)
    if spec.backend == "mixed":
        style = _draw_style(spec, rng)
    elif spec.backend == "universal":
        style = randomize(spec, rng)
    else:
        style = spec
    drawn = draw_case(text, style.text.lowercase, rng)
    if style.backend == "captcha":
        from .captcha_backend import render_captcha

        if spec.backend == "universal":  # one face: the package loads every font it is given
            fonts = (fonts[int(rng.integers(len(fonts)))],)
        image, layer = render_captcha(style, drawn, fonts, rng, with_text_layer=with_text_layer)
    else:
        image, layer = render_native(style, drawn, fonts, rng, with_text_layer=with_text_layer)
    label = style.name if spec.backend in ("mixed", "universal") else spec.backend
    return Sample(index, seed, text, image, label, layer)


def labels(spec: CaptchaSpec, seed: int, indices) -> list[str]:
    """The texts of samples without rendering them (the label is the first thing drawn)."""
    return [draw_text(spec, sample_rng(seed, i)) for i in indices]
