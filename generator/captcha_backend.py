"""The ``captcha`` package's ``ImageCaptcha`` (0.7.x), made reproducible and clip-free.

Since 0.7.1 the package draws every random number from the ``secrets`` module, so ``random.seed``
has no effect. ``captcha.image`` looks ``secrets`` up as a module attribute at call time; while we
render we point that attribute at an object with the same three methods backed by a seeded
``random.Random`` (under a lock, so threads cannot interleave their streams).

The package clips glyphs at its default sizes in most images. We replay its ``generate_image``
steps ourselves so we can look at the text layer before noise is added: if ink touches the edge,
the text is drawn again from the same seeded stream (re-placed), and after a few tries at a
smaller size (shrunk). Never cropped.
"""

from __future__ import annotations

import functools
import random
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
from PIL import Image, ImageFilter

from .render import TextLayer, touches_edge
from .spec import CaptchaSpec

_LOCK = threading.Lock()
_REPLACE_TRIES = 4
_SHRINK_STEP = 0.85


class _SeededSecrets:
    """The subset of ``secrets`` that captcha.image uses, drawn from a seeded generator."""

    def __init__(self, rnd: random.Random) -> None:
        self._rnd = rnd

    def randbelow(self, n: int) -> int:
        return self._rnd.randrange(n)

    def randbits(self, k: int) -> int:
        return self._rnd.getrandbits(k)

    def choice(self, seq):
        return seq[self._rnd.randrange(len(seq))]


@contextmanager
def seeded_captcha(seed: int) -> Iterator[None]:
    """Within this block, ``captcha.image`` draws its randomness from ``random.Random(seed)``."""
    import captcha.image as ci

    with _LOCK:
        original = ci.secrets
        ci.secrets = _SeededSecrets(random.Random(seed))
        try:
            yield
        finally:
            ci.secrets = original


@functools.lru_cache(maxsize=64)
def _generator(width: int, height: int, fonts: tuple[str, ...], sizes: tuple[int, ...]):
    from captcha.image import ImageCaptcha

    return ImageCaptcha(width=width, height=height, fonts=list(fonts), font_sizes=sizes)


def _font_sizes(lo: int, hi: int, scale: float) -> tuple[int, ...]:
    # The package picks among a few fixed sizes; three spread over the range, like its default.
    return tuple(sorted({max(6, round(s * scale)) for s in (lo, (lo + hi) / 2, hi)}))


# The package pastes text with opacity = luminance x 1.97, so dark colours come out faint; colours
# whose effective contrast falls below this are drawn again (from the same seeded stream).
_MIN_CONTRAST = 90
_COLOUR_TRIES = 32


def _effective_contrast(colour: tuple[int, ...], background: tuple[int, ...]) -> float:
    lum = (colour[0] * 299 + colour[1] * 587 + colour[2] * 114) / 1000
    opacity = min(255, int(lum) * 197 // 100) / 255
    return opacity * max(abs(c - b) for c, b in zip(colour[:3], background[:3], strict=True))


def _text_layer(image: Image.Image, background: tuple[int, ...], contrast: float) -> np.ndarray:
    """Coverage (0..1) of the text: its distance from the flat background relative to the
    text's effective contrast (only text has been drawn at this point)."""
    bg = np.array(background[:3], np.float32)
    diff = np.abs(np.asarray(image, dtype=np.float32) - bg).max(axis=-1)
    return np.minimum(diff / max(contrast, 1.0), 1.0)


def render_captcha(
    spec: CaptchaSpec,
    text: str,
    fonts: tuple[str, ...],
    rng: np.random.Generator,
    *,
    with_text_layer: bool = False,
) -> tuple[Image.Image, TextLayer | None]:
    import captcha.image as ci

    seed = int(rng.integers(0, 2**63))
    lo, hi = spec.text.font_size
    with seeded_captcha(seed):
        # The draws of ImageCaptcha.generate_image, in its order (colours re-drawn if faint).
        background = ci.random_color(238, 255)
        for _ in range(_COLOUR_TRIES):
            colour = ci.random_color(10, 200, ci.secrets.randbelow(36) + 220)
            if _effective_contrast(colour, background) >= _MIN_CONTRAST:
                break
        contrast = _effective_contrast(colour, background)
        scale = 1.0
        tries = 0
        while True:
            gen = _generator(spec.width, spec.height, fonts, _font_sizes(lo, hi, scale))
            im = gen.create_captcha_image(text, colour, background)
            coverage = _text_layer(im, background, contrast)
            # The package's SMOOTH filter spreads ink by one pixel: the two outer rings stay clear.
            if not (touches_edge(coverage) or touches_edge(coverage[1:-1, 1:-1])):
                break
            tries += 1
            if tries % _REPLACE_TRIES == 0:
                scale *= _SHRINK_STEP
        gen.create_noise_dots(im, colour)
        gen.create_noise_curve(im, colour)
        im = im.filter(ImageFilter.SMOOTH)
    if spec.grayscale:
        im = im.convert("L")
    layer = TextLayer(coverage, len(text)) if with_text_layer else None
    return im, layer
