"""The native renderer: Pillow for glyphs and strokes, numpy for compositing, warps and blur.

Glyph bitmaps are cached per (font, size, character); each glyph then gets one projective
transform (rotation, shear, scale, perspective) done by Pillow in C. Layout works on the real ink
extents after that transform and keeps a margin as wide as the largest displacement the global
warp and blur can cause, so no glyph can touch the canvas edge: text that does not fit is shrunk
and re-rendered, never cropped.

Speed notes (measured, see results/perf_generate.txt): a captcha is ~150 tiny operations, so
per-call overhead dominates. Scalars come from one block of uniforms rather than one numpy call
each, per-glyph geometry is plain Python floats (numpy loses on 5-element arrays), and arrays are
never broadcast along a 3-wide colour axis (numpy's inner loop would run 3 elements at a time).
"""

from __future__ import annotations

import bisect
import functools
import io
import itertools
import math
import statistics
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont, ImageOps

from .ink import ink_overlap, stroke_width
from .spec import CaptchaSpec, TextStyle

# Coverage above this on the outermost pixel ring counts as a glyph touching the edge.
CLIP_THRESHOLD = 0.2
_SHRINK = Image.Resampling.BILINEAR


@dataclass
class TextLayer:
    """Where the text ink ended up: its coverage map (0..1) after warp and blur, and how many glyphs
    were pasted. Used to prove that no glyph was clipped."""

    coverage: np.ndarray
    glyphs_pasted: int
    legibility: LegibilityStats | None = None


@dataclass(frozen=True)
class LegibilityStats:
    """What the legibility rules measured on one native sample (generator/legibility.py states
    the bounds per level)."""

    stroke_width: float  # median text stroke width of the pasted glyphs, px (ink.stroke_width)
    noise_width: int  # widest line, curve, cut or dot drawn, px (0 = none)
    contrast: float  # least |text - background| luminance over the smooth background's range
    overlap: float  # largest share of a glyph's ink its neighbour covers (ink.ink_overlap)
    glyph_height: float  # median height of the pasted glyph boxes, px


class _Uniforms:
    """Scalar draws for one sample, served from blocks of uniforms drawn in one numpy call each:
    a call costs ~1 µs whatever its size, and a captcha needs ~130 scalars."""

    _BLOCK = 128

    def __init__(self, rng: np.random.Generator):
        self._rng = rng
        self._values: list[float] = []
        self._next = 0

    def __call__(self, lo: float = 0.0, hi: float = 1.0) -> float:
        if self._next == len(self._values):
            self._values = self._rng.random(self._BLOCK).tolist()
            self._next = 0
        u = self._values[self._next]
        self._next += 1
        return lo + u * (hi - lo)

    def integer(self, lo: int, hi: int) -> int:
        """Uniform over lo..hi inclusive."""
        return min(hi, lo + int(self() * (hi - lo + 1)))


# Sized for the 54-face @wide pool at every raster size (the universal style).
@functools.lru_cache(maxsize=4096)
def _font(path: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size)


@functools.lru_cache(maxsize=65536)
def _glyph(path: str, size: int, char: str) -> Image.Image:
    """Tight 'L' bitmap of one character with a 1-pixel empty border."""
    font = _font(path, size)
    left, top, right, bottom = font.getbbox(char)
    im = Image.new("L", (max(1, right - left) + 2, max(1, bottom - top) + 2), 0)
    ImageDraw.Draw(im).text((1 - left, 1 - top), char, font=font, fill=255)
    return im


@functools.lru_cache(maxsize=65536)
def _glyph_stroke(path: str, size: int, char: str) -> float:
    return stroke_width(np.asarray(_glyph(path, size, char)))


Quad = tuple[tuple[float, float], tuple[float, float], tuple[float, float], tuple[float, float]]


def perspective_coeffs(quad: Quad, width: float, height: float) -> tuple[float, ...] | None:
    """Pillow ``PERSPECTIVE`` data that maps output pixels inside ``quad`` (the images of the
    corners (0,0), (w,0), (w,h), (0,h), in that order) back onto a ``width x height`` source.

    Closed form (Heckbert, 1989): the unit square to ``quad`` map, inverted by its adjugate.
    None when the quad is degenerate (three corners on a line)."""
    (x0, y0), (x1, y1), (x2, y2), (x3, y3) = quad
    sx, sy = x0 - x1 + x2 - x3, y0 - y1 + y2 - y3
    dx1, dx2, dy1, dy2 = x1 - x2, x3 - x2, y1 - y2, y3 - y2
    den = dx1 * dy2 - dx2 * dy1
    if abs(den) < 1e-9:
        return None
    g = (sx * dy2 - dx2 * sy) / den
    h = (dx1 * sy - sx * dy1) / den
    a, b, c = x1 - x0 + g * x1, x3 - x0 + h * x3, x0
    d, e, f = y1 - y0 + g * y1, y3 - y0 + h * y3, y0
    # The inverse is the adjugate of [[a, b, c], [d, e, f], [g, h, 1]] up to scale; Pillow wants
    # its last entry to be 1, so divide by that entry.
    last = a * e - b * d
    if abs(last) < 1e-9:
        return None
    return (
        width * (e - f * h) / last,
        width * (c * h - b) / last,
        width * (b * f - c * e) / last,
        height * (f * g - d) / last,
        height * (a - c * g) / last,
        height * (c * d - a * f) / last,
        (d * h - e * g) / last,
        (b * g - a * h) / last,
    )


# Glyphs are rasterised at every size up to 24 px, then at 6 sizes per octave, and scaled the
# rest of the way by the transform each glyph gets anyway: 5 raster sizes cover medium's glyphs
# instead of 18, so a fresh process fills its cache ~3.4x sooner (a miss costs ~70 µs).
# Downscaling by at most 13 % with bilinear sampling shows no aliasing.
_RASTER_SIZES = sorted(set(range(6, 25)) | {round(6 * 2 ** (k / 6)) for k in range(60)})


def _cached_size(size: float) -> int:
    """The smallest cached raster size at or above ``size``."""
    return _RASTER_SIZES[min(bisect.bisect_left(_RASTER_SIZES, size), len(_RASTER_SIZES) - 1)]


def _distort_glyph(
    glyph: Image.Image,
    scale: float,
    rotation: float,
    shear: float,
    jitter: list[float],
    aspect: float = 1.0,
) -> Image.Image:
    """``glyph`` scaled, rotated (degrees), sheared and with its corners moved by ``jitter``
    (8 values, a fraction of the glyph's larger side), cropped to its ink. ``aspect`` scales
    its width before all that (< 1 condensed, > 1 extended), as a narrower or wider cut of the
    face would draw it."""
    w, h = glyph.size
    cos, sin = math.cos(math.radians(rotation)), math.sin(math.radians(rotation))
    # rows of scale * rotation @ shear @ diag(aspect, 1)
    m00, m01 = scale * cos * aspect, scale * (cos * shear - sin)
    m10, m11 = scale * sin * aspect, scale * (sin * shear + cos)
    reach = scale * max(w, h)
    corners = []
    for k, (cx, cy) in enumerate(
        ((-w / 2, -h / 2), (w / 2, -h / 2), (w / 2, h / 2), (-w / 2, h / 2))
    ):
        corners.append(
            (
                m00 * cx + m01 * cy + jitter[2 * k] * reach,
                m10 * cx + m11 * cy + jitter[2 * k + 1] * reach,
            )
        )
    left = min(x for x, _ in corners)
    top = min(y for _, y in corners)
    quad = tuple((x - left, y - top) for x, y in corners)
    coeffs = perspective_coeffs(quad, w, h)
    if coeffs is None:  # corners jittered onto a line: keep the rotation and shear alone
        return _distort_glyph(glyph, scale, rotation, shear, [0.0] * 8, aspect)
    size = (math.ceil(max(x for x, _ in quad)) + 1, math.ceil(max(y for _, y in quad)) + 1)
    warped = glyph.transform(size, Image.Transform.PERSPECTIVE, coeffs, Image.Resampling.BILINEAR)
    box = warped.getbbox()
    return warped.crop(box) if box else Image.new("L", (1, 1), 0)


def _draw_luminance(u: _Uniforms, lo: int, hi: int, avoid: tuple[float, float], gap: int) -> float:
    """A luminance in [lo, hi] at least ``gap`` away from every value in ``avoid`` (low, high);
    the bound farther from it if none is."""
    below = (lo, min(hi, avoid[0] - gap))
    above = (max(lo, avoid[1] + gap), hi)
    len_below = below[1] - below[0] if below[1] >= below[0] else -1.0
    len_above = above[1] - above[0] if above[1] >= above[0] else -1.0
    side, position = u(), u()
    if len_below < 0 and len_above < 0:
        return float(lo if _distance(lo, avoid) >= _distance(hi, avoid) else hi)
    if len_above < 0 or (len_below >= 0 and side * (len_below + len_above + 1e-9) < len_below):
        return below[0] + position * (below[1] - below[0])
    return above[0] + position * (above[1] - above[0])


def _distance(lum: float, span: tuple[float, float]) -> float:
    """Luminance distance from ``lum`` to the nearest value of the range ``span``."""
    return max(span[0] - lum, lum - span[1], 0.0)


def _tinted(u: _Uniforms, lum: float, saturation: int, channels: int) -> tuple[int, ...]:
    if channels == 1:
        return (min(255, max(0, int(lum))),)
    return tuple(min(255, max(0, int(lum + u(-saturation, saturation)))) for _ in range(3))


# Rec. 601 luma, as PIL converts RGB to L: what a grey reader sees of a colour (crnn.colour
# splits a grey reader's first kernel by the same weights).
LUMA = (0.299, 0.587, 0.114)


def luma(colour: tuple[float, ...]) -> float:
    """The grey level PIL's convert("L") gives an RGB colour (before its rounding)."""
    return sum(w * v for w, v in zip(LUMA, colour, strict=True))


def _isoluminant(u: _Uniforms, lum: float) -> tuple[int, int, int]:
    """A colour of luminance ``lum`` (to a grey level) in a random hue, as saturated as that
    luminance allows: the hue's pure colour, darkened towards black or lightened towards white
    until its luma is ``lum``. Luma is linear in RGB, so both moves hit it exactly."""
    hue = u(0.0, 6.0)
    sector, frac = int(hue) % 6, hue - int(hue)
    rising, falling = 255.0 * frac, 255.0 * (1 - frac)
    pure = [
        (255.0, rising, 0.0),
        (falling, 255.0, 0.0),
        (0.0, 255.0, rising),
        (0.0, falling, 255.0),
        (rising, 0.0, 255.0),
        (255.0, 0.0, falling),
    ][sector]
    own = luma(pure)
    if lum <= own:
        rgb = [v * lum / own for v in pure]
    else:
        t = (lum - own) / (255.0 - own)
        rgb = [v + (255.0 - v) * t for v in pure]
    return tuple(min(255, max(0, round(v))) for v in rgb)  # type: ignore[return-value]


_RAMP_DIRECTIONS = 64


@functools.lru_cache(maxsize=4 * _RAMP_DIRECTIONS)
def _ramp(h: int, w: int, direction: int) -> np.ndarray:
    """A linear ramp from -0.5 to 0.5 across the canvas, towards one of 64 directions."""
    angle = 2 * math.pi * direction / _RAMP_DIRECTIONS
    cos, sin = math.cos(angle), math.sin(angle)
    ramp = (
        np.arange(w, dtype=np.float32)[None, :] * cos
        + np.arange(h, dtype=np.float32)[:, None] * sin
    )
    return (ramp - ramp.min()) / max(float(ramp.max() - ramp.min()), 1.0) - 0.5


def _background(
    spec: CaptchaSpec, u: _Uniforms, rng: np.random.Generator, channels: int
) -> tuple[np.ndarray, tuple[float, float], float, tuple[int, ...]]:
    """The (H, W, C) uint8 background and the range of its smooth luminance (base, gradient and
    texture; grain is per-pixel noise): text contrast is measured against all of it. Also its
    base luminance and base colour, which background cells (color.cells) shift."""
    h, w = spec.height, spec.width
    c = spec.color
    lum = float(u.integer(*c.background))
    base = _tinted(u, lum, c.saturation, channels)
    has_grid = bool(spec.noise.grid) and u() < spec.noise.grid
    shade = None
    reach = 0.0  # how far the smooth background strays from its base, when known in closed form
    if c.gradient:
        amount = u(-c.gradient, c.gradient)
        shade = amount * _ramp(h, w, u.integer(0, _RAMP_DIRECTIONS - 1))
        # The ramp spans exactly -0.5..0.5 and the product is taken in float32.
        reach = abs(float(np.float32(amount))) / 2
    if c.texture:  # smooth blobs: a coarse random grid, cubic-upsampled
        grid = rng.uniform(-1, 1, size=(u.integer(2, 6), u.integer(3, 12)))
        blobs = _cubic_upsampler(h, grid.shape[0]) @ grid @ _cubic_upsampler(w, grid.shape[1]).T
        blobs = (c.texture * blobs).astype(np.float32)
        shade = blobs if shade is None else shade + blobs
    if c.texture:
        span = (lum + float(shade.min()), lum + float(shade.max()))
    else:
        span = (lum - reach, lum + reach)
    if c.grain:
        grain = rng.integers(-c.grain, c.grain + 1, size=(h, w)).astype(np.float32)
        shade = grain if shade is None else shade + grain
    canvas = np.empty((h, w, channels), np.uint8)
    for k, level in enumerate(base):
        canvas[..., k] = level if shade is None else np.clip(shade + level, 0, 255)
    if has_grid:
        step = u.integer(6, 14)
        # Grid lines stay fainter than the text: at most 3/4 of the least text contrast.
        line = _tinted(u, lum - min(u(35, 80), 0.75 * c.min_contrast), c.saturation, channels)
        ox, oy = u.integer(0, step - 1), u.integer(0, step - 1)
        canvas[oy::step, :] = line
        canvas[:, ox::step] = line
    return canvas, (max(0.0, span[0]), min(255.0, span[1])), lum, base


def _paint_cells(
    canvas: np.ndarray,
    u: _Uniforms,
    centres: list[float],
    lum: float,
    base: tuple[int, ...],
    span: tuple[float, float],
    saturation: int,
) -> list[tuple[float, float]]:
    """Give every glyph its own background cell, in place: full-height bands split halfway
    between neighbouring glyph centres, each shifted from the base colour to a luminance and
    tint of its own (gradient, texture, grain and grid shift with it). Returns each cell's
    smooth-luminance range, which its glyph's contrast is measured against."""
    _, w, channels = canvas.shape
    edges = [0, *(round((a + b) / 2) for a, b in itertools.pairwise(centres)), w]
    spans = []
    for left, right in itertools.pairwise(edges):
        cell_lum = u(0, 255)
        colour = _tinted(u, cell_lum, saturation, channels)
        band = canvas[:, left:right].astype(np.int16)
        for k in range(channels):
            band[..., k] += colour[k] - base[k]
        canvas[:, left:right] = np.clip(band, 0, 255)
        shift = cell_lum - lum
        spans.append((max(0.0, span[0] + shift), min(255.0, span[1] + shift)))
    return spans


_ELASTIC_GRID = (4, 8)  # coarse control points of the elastic field (rows, columns)


@functools.lru_cache(maxsize=16)
def _cubic_upsampler(n_out: int, n_in: int) -> np.ndarray:
    """(n_out, n_in) matrix that resamples n_in samples to n_out with the Keys cubic kernel
    (a = -0.5, as in bicubic image resizing), pixel centres aligned, edges clamped."""
    x = (np.arange(n_out) + 0.5) * (n_in / n_out) - 0.5
    left = np.floor(x).astype(np.intp)
    matrix = np.zeros((n_out, n_in))
    for k in range(-1, 3):
        t = np.abs(x - (left + k))
        near = 1.5 * t**3 - 2.5 * t**2 + 1
        far = -0.5 * t**3 + 2.5 * t**2 - 4 * t + 2
        weight = np.where(t <= 1, near, np.where(t < 2, far, 0.0))
        np.add.at(matrix, (np.arange(n_out), np.clip(left + k, 0, n_in - 1)), weight)
    return matrix


def _overshoot(matrix: np.ndarray) -> float:
    return float(np.abs(matrix).sum(axis=1).max())


@functools.lru_cache(maxsize=8)
def _pixel_grid(h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    return np.arange(h)[:, None], np.arange(w)[None, :]


def _warp_index(spec: CaptchaSpec, u: _Uniforms, rng: np.random.Generator):
    """Flat source-pixel index (H, W) of the global wave + elastic warp, or None; and the largest
    displacement it causes. Nearest-neighbour on purpose: numpy bilinear gathers cost 10x more
    (measured), and every warped preset blurs afterwards, which hides the stair-steps."""
    wv = spec.warp
    amp = u(*wv.wave_amplitude)
    if amp <= 0 and wv.elastic <= 0:
        return None, 0.0
    h, w = spec.height, spec.width
    period_x, period_y = u(*wv.wave_period), u(*wv.wave_period)
    phase_x, phase_y = u(0, 2 * math.pi), u(0, 2 * math.pi)
    # Mostly vertical waviness (the classic captcha ripple), a little horizontal.
    dy = amp * np.sin(np.arange(w) * (2 * math.pi / period_x) + phase_x)[None, :]
    dx = 0.5 * amp * np.sin(np.arange(h) * (2 * math.pi / period_y) + phase_y)[:, None]
    bound = amp
    if wv.elastic > 0:
        # A coarse random grid upsampled by cubic interpolation is a smooth field without a
        # Gaussian filter; as two small matrix products it costs 10x less than Pillow's resize.
        coarse = rng.uniform(-1, 1, size=(2, _ELASTIC_GRID[0], _ELASTIC_GRID[1])) * wv.elastic
        rows_up, cols_up = (
            _cubic_upsampler(h, _ELASTIC_GRID[0]),
            _cubic_upsampler(w, _ELASTIC_GRID[1]),
        )
        field_x, field_y = rows_up @ coarse @ cols_up.T
        dx = dx + field_x
        dy = dy + field_y
        # Cubic weights overshoot; their absolute row sums bound the field exactly.
        bound += wv.elastic * _overshoot(rows_up) * _overshoot(cols_up)
    rows, cols = _pixel_grid(h, w)
    sy = np.clip(rows + np.rint(dy).astype(np.intp), 0, h - 1)
    sx = np.clip(cols + np.rint(dx).astype(np.intp), 0, w - 1)
    sy *= w
    sy += sx
    return sy, bound


def _apply_warp(arr: np.ndarray, index: np.ndarray) -> np.ndarray:
    """Gather ``arr`` (H, W, C) through the flat source index of ``_warp_index``."""
    h, w, channels = arr.shape
    return np.take(arr.reshape(h * w, channels), index, axis=0)


@functools.lru_cache(maxsize=128)
def _blur_taps(sigma_tenths: int) -> tuple[int, ...]:
    """One side of a symmetric Gaussian kernel (centre first) in integer weights summing to 256:
    3 taps up to sigma 0.9 (truncated, the look the presets were tuned with), then 2 sigma."""
    sigma = sigma_tenths / 10
    radius = 1 if sigma <= 0.9 else max(2, math.ceil(2 * sigma))
    weights = np.exp(-(np.arange(radius + 1) ** 2) / (2 * sigma**2))
    weights = weights / (weights[0] + 2 * weights[1:].sum())
    side = [round(256 * x) for x in weights[1:]]
    return (256 - 2 * sum(side), *side)


def _window(a: np.ndarray, axis: int, start: int, n: int) -> np.ndarray:
    index = [slice(None)] * a.ndim
    index[axis] = slice(start, start + n)
    return a[tuple(index)]


def _blur(arr: np.ndarray, taps: tuple[int, ...]) -> np.ndarray:
    """Separable Gaussian blur of (H, W, C) uint8 in 16-bit fixed point, edges replicated:
    3x faster than Pillow's 3x3 ``Kernel`` filter on a captcha (it works on 4 bands)."""
    radius = len(taps) - 1
    a = arr.astype(np.uint16)
    for axis in (1, 0):
        n = a.shape[axis]
        edges = (np.take(a, [0], axis=axis), np.take(a, [n - 1], axis=axis))
        padded = np.concatenate([edges[0]] * radius + [a] + [edges[1]] * radius, axis=axis)
        out = a * np.uint16(taps[0])
        for k in range(1, radius + 1):
            pair = _window(padded, axis, radius - k, n) + _window(padded, axis, radius + k, n)
            pair *= np.uint16(taps[k])
            out += pair
        out += np.uint16(128)
        out >>= 8
        a = out
    return a.astype(np.uint8)


_BEZIER_STEPS = np.linspace(0, 1, 24)[:, None]
# Cubic Bernstein basis at 24 steps: a curve is one (24x4) @ (4x2) product.
_BEZIER_BASIS = np.hstack(
    [
        (1 - _BEZIER_STEPS) ** 3,
        3 * (1 - _BEZIER_STEPS) ** 2 * _BEZIER_STEPS,
        3 * (1 - _BEZIER_STEPS) * _BEZIER_STEPS**2,
        _BEZIER_STEPS**3,
    ]
)


def _bezier(points: np.ndarray) -> list[tuple[float, float]]:
    return [tuple(p) for p in (_BEZIER_BASIS @ points).tolist()]


_SWEEP_STEPS = np.linspace(0, 1, 48)


def _sweep(u, w: int, h: int) -> list[tuple[float, float]]:
    """A Bezier curve through 4-6 control points at even steps across 60-100 % of the width,
    alternately in the canvas's top and bottom thirds: it sweeps the whole height, crossing a
    text line two or three times (wheezy.captcha draws its curve so, through random heights)."""
    k = u.integer(4, 6)
    left, right = u(0, w * 0.2), u(w * 0.8, w)
    top_first = u() < 0.5
    ctrl = np.array(
        [
            (
                left + (right - left) * j / (k - 1),
                u(0, h / 3) + (h * 2 / 3 if (j % 2) == top_first else 0),
            )
            for j in range(k)
        ]
    )
    t = _SWEEP_STEPS[:, None]
    basis = np.hstack([math.comb(k - 1, j) * t**j * (1 - t) ** (k - 1 - j) for j in range(k)])
    return [tuple(p) for p in (basis @ ctrl).tolist()]


@functools.lru_cache(maxsize=32)
def _offsets(radius: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Integer (dy, dx) offsets of the square [-radius, radius]^2 and their squared distance."""
    span = np.arange(-radius, radius + 1)
    dy, dx = (g.ravel() for g in np.meshgrid(span, span, indexing="ij"))
    return dy, dx, dy * dy + dx * dx


def _stamp_dots(arr: np.ndarray, centres: np.ndarray, sizes: np.ndarray, colours: np.ndarray):
    """Paint filled discs of the given diameters into ``arr`` (H, W, C) in place, all at once."""
    h, w = arr.shape[:2]
    dy, dx, dist2 = _offsets(int(sizes.max()) // 2 + 1)
    cy = np.rint(centres[:, 1]).astype(np.intp)[:, None]
    cx = np.rint(centres[:, 0]).astype(np.intp)[:, None]
    ys, xs = cy + dy, cx + dx
    keep = (dist2 <= (sizes[:, None] / 2) ** 2 + 0.25) & (ys >= 0) & (ys < h) & (xs >= 0) & (xs < w)
    rows = np.nonzero(keep)[0]
    arr[ys[keep], xs[keep]] = colours[rows]


_WIDEN_STEP = 0.1  # gap added (in glyph widths) to a pair whose ink overlaps too much
_WIDEN_ROUNDS = 10  # enough to open any gap >= -0.6 (the spacing bound) to >= 0: no overlap


def _layout(
    masks: list[Image.Image],
    gaps: list[float],
    shifts: list[float],
    avail_w: int,
    avail_h: int,
    max_overlap: float,
    measure: bool,
) -> tuple[list[Image.Image], list[float], list[int], float]:
    """Place the glyphs in an ``avail_w`` x ``avail_h`` box: x from widths and gaps, y from the
    baseline shifts; shrink all of them (antialiased) until they fit, and widen any gap whose
    pair of glyphs shares more than ``max_overlap`` of the smaller one's ink.
    Returns the masks as drawn, their x and y offsets and the largest overlap left (measured
    only when there is a limit or ``measure`` asks for it; 0.0 otherwise)."""
    gaps = list(gaps)
    widened = 0
    for _attempt in range(4 + 2 * _WIDEN_ROUNDS):
        xs = [0.0]
        for mask, gap in zip(masks, gaps, strict=False):
            xs.append(xs[-1] + mask.width * (1.0 + gap))
        text_w = max(x + m.width for x, m in zip(xs, masks, strict=True))
        text_h = max(m.height for m in masks)
        fit = min(avail_w / text_w, avail_h / text_h)
        if fit < 1.0:
            # Shrink what was drawn (antialiased resize) rather than render every glyph again.
            fit *= 0.99
            masks = [
                m.resize((max(1, int(m.width * fit)), max(1, int(m.height * fit))), _SHRINK)
                for m in masks
            ]
            continue
        tops = []
        for mask, shift in zip(masks, shifts, strict=True):
            room = avail_h - mask.height
            tops.append(round(room / 2 + shift * room / 2))
        if max_overlap >= 1.0 and not measure:  # no limit to hold, nobody asking: skip the cost
            return masks, xs, tops, 0.0
        # Each mask's pixels, fetched once per layout and only for pairs whose boxes meet.
        touching = [
            round(xs[k]) < round(xs[k - 1]) + masks[k - 1].width for k in range(1, len(masks))
        ]
        arrays = [
            np.asarray(m)
            if (k and touching[k - 1]) or (k < len(touching) and touching[k])
            else None
            for k, m in enumerate(masks)
        ]
        totals = [0 if a is None else int(a.sum()) for a in arrays]
        overlaps = [
            ink_overlap(
                arrays[k - 1],
                (round(xs[k - 1]), tops[k - 1]),
                arrays[k],
                (round(xs[k]), tops[k]),
                (totals[k - 1], totals[k]),
            )
            if touching[k - 1]
            else 0.0
            for k in range(1, len(masks))
        ]
        too_much = [k for k, share in enumerate(overlaps) if share > max_overlap]
        if not too_much or widened == _WIDEN_ROUNDS:
            return masks, xs, tops, max(overlaps, default=0.0)
        for k in too_much:
            gaps[k] += _WIDEN_STEP
        widened += 1
    raise RuntimeError("glyph layout did not settle")  # pragma: no cover - bounded above


def render_native(
    spec: CaptchaSpec,
    text: str,
    fonts: tuple[str, ...],
    rng: np.random.Generator,
    *,
    with_text_layer: bool = False,
) -> tuple[Image.Image, TextLayer | None]:
    """Render ``text`` in the style ``spec``; every random choice comes from ``rng``."""
    t, c, noise = spec.text, spec.color, spec.noise
    h, w = spec.height, spec.width
    channels = 1 if spec.grayscale else 3
    u = _Uniforms(rng)

    canvas, bg_span, bg_lum, bg_base = _background(spec, u, rng, channels)
    warp, warp_bound = _warp_index(spec, u, rng)
    blur_tenths = round(10 * u(*spec.warp.blur))
    # Ink may move by the warp and bleed by the blur kernel; stay clear of the edge by that much.
    blur_reach = len(_blur_taps(blur_tenths)) - 1 if blur_tenths else 0
    margin = 2 + math.ceil(warp_bound) + blur_reach

    font = fonts[u.integer(0, len(fonts) - 1)]
    size = u.integer(*t.font_size)
    weight, hollow = _stroke_look(t, u)
    # Drawn only where the spec asks for it, so every other spec renders as it always did.
    relief = _relief_look(t, u) if t.relief else None
    v_offset = u(-t.v_offset, t.v_offset) if t.v_offset else 0.0
    # Drawn only where the spec asks for it, so every other spec renders as it always did.
    aspect = u(*t.glyph_width) if t.glyph_width != (1.0, 1.0) else 1.0
    masks, gaps, shifts, strokes = [], [], [], []
    for k, ch in enumerate(text):
        glyph_size = max(6.0, size * u(1 - t.scale_jitter, 1 + t.scale_jitter))
        raster = _cached_size(glyph_size)
        face, face_weight, face_hollow = font, weight, hollow
        # A look of the glyph's own (face_per_glyph), drawn only where the spec asks for it, so
        # every other spec renders as it always did.
        if t.face_per_glyph and u() < t.face_per_glyph:
            face = fonts[u.integer(0, len(fonts) - 1)]
            face_weight, face_hollow = _stroke_look(t, u)
            if face_hollow:  # an outline of a regular stroke is a hairline: embolden first
                face_weight = max(face_weight, 1)
        glyph = _glyph(face, raster, ch)
        rotation, shear = u(-t.rotation, t.rotation), u(-t.shear, t.shear)
        jitter = [u(-t.perspective, t.perspective) for _ in range(8)] if t.perspective else [0] * 8
        mask = _distort_glyph(glyph, glyph_size / raster, rotation, shear, jitter, aspect)
        if relief is not None:  # a relief draws its own outline
            face_hollow = False
        if face_weight or face_hollow or relief is not None:
            mask = _restroke(mask, face_weight, face_hollow)
            if relief is not None:
                mask = _relieve(mask, *relief)
            strokes.append(stroke_width(np.asarray(mask)))
        else:  # distortion keeps stroke widths close to the upright glyph's, scaled (a
            # condensed glyph's upright strokes narrow with it)
            stroke = _glyph_stroke(face, raster, ch) * glyph_size / raster
            strokes.append(stroke * min(1.0, aspect))
        masks.append(mask)
        shifts.append(max(-1.0, min(1.0, u(-t.baseline_jitter, t.baseline_jitter) + v_offset)))
        if k:
            gaps.append(u(*t.spacing))
    offset_share = u()

    avail_w, avail_h = w - 2 * margin, h - 2 * margin
    pre_fit = masks[0].width
    masks, xs, tops, overlap = _layout(
        masks, gaps, shifts, avail_w, avail_h, t.max_overlap, with_text_layer
    )
    text_w = max(x + m.width for x, m in zip(xs, masks, strict=True))

    x0 = margin + offset_share * (avail_w - text_w)
    # Drawn only where the spec asks for cells, so every other spec renders as it always did.
    cell_spans = None
    if c.cells and u() < c.cells:
        centres = [x0 + x + m.width / 2 for x, m in zip(xs, masks, strict=True)]
        cell_spans = _paint_cells(canvas, u, centres, bg_lum, bg_base, bg_span, c.saturation)
    image = Image.fromarray(canvas[..., 0] if channels == 1 else canvas)
    layer = Image.new("L", (w, h), 0) if with_text_layer else None
    ink_colours, ink_lums = [], []
    colour = None
    contrast = 255.0
    for k, (mask, x, top) in enumerate(zip(masks, xs, tops, strict=True)):
        if cell_spans is not None or colour is None or c.per_char:
            # On a cell: any luminance away from its own cell, so polarity varies per glyph.
            lo, hi = (0, 255) if cell_spans is not None else c.text
            ground = cell_spans[k] if cell_spans is not None else bg_span
            lum = _draw_luminance(u, lo, hi, ground, c.min_contrast)
            contrast = min(contrast, _distance(lum, ground))
            colour = _tinted(u, lum, c.saturation, channels)
        ink_colours.append(colour)
        ink_lums.append(lum)
        top = margin + top
        left = round(x0 + x)
        image.paste(colour if channels == 3 else colour[0], (left, top), mask)
        if layer is not None:
            box = (left, top, left + mask.width, top + mask.height)
            layer.paste(ImageChops.lighter(layer.crop(box), mask), box)

    # Noise no heavier than the text: every stroke and dot width is capped at max_weight times
    # the text's stroke width (1 px at least), so the eye can tell text from clutter by weight.
    stroke = statistics.median(strokes) * masks[0].width / pre_fit  # after any shrinking
    cap = max(1, math.floor(noise.max_weight * stroke + 1e-9)) if noise.max_weight else 1 << 16
    noise_width = 0

    def stroke_size(lo: int, hi: int) -> int:
        nonlocal noise_width
        width = min(u.integer(lo, hi), cap)
        noise_width = max(noise_width, width)
        return width

    draw = ImageDraw.Draw(image)
    band_lo, band_hi = h * 0.3, h * 0.7

    # Hue-only clutter: drawn (one uniform) only where the spec asks, so others keep their bytes.
    hue_clutter = channels == 3 and bool(noise.clutter_hue) and u() < noise.clutter_hue

    def stroke_fill():
        k = u.integer(0, len(ink_colours) - 1)
        picked = ink_colours[k]
        lum = luma(picked) if hue_clutter else 0.0
        if noise.clutter_contrast:  # beyond the text's luminance, away from the background
            away = -1 if ink_lums[k] <= (bg_span[0] + bg_span[1]) / 2 else 1
            lum = min(255.0, max(0.0, ink_lums[k] + away * noise.clutter_contrast))
            picked = _tinted(u, lum, c.saturation, channels)
        if hue_clutter:
            picked = _isoluminant(u, lum)
        return picked if channels == 3 else picked[0]

    if noise.cuts != (0, 0):  # background-coloured strokes through the glyphs
        cut_fill = tuple(int(v) for v in canvas[h // 2, w // 2])
        for _ in range(u.integer(*noise.cuts)):
            ends = [(u(0, w * 0.3), u(band_lo, band_hi)), (u(w * 0.7, w), u(band_lo, band_hi))]
            fill = cut_fill if channels == 3 else cut_fill[0]
            draw.line(ends, fill=fill, width=stroke_size(1, 2))
    for _ in range(u.integer(*noise.lines)):
        ends = [(u(0, w * 0.25), u(band_lo, band_hi)), (u(w * 0.75, w), u(band_lo, band_hi))]
        draw.line(ends, fill=stroke_fill(), width=stroke_size(*noise.line_width))
    # Sweeping curves: one uniform, drawn only where the spec asks, so others keep their bytes.
    sweep = bool(noise.curve_sweep) and u() < noise.curve_sweep
    for _ in range(u.integer(*noise.curves)):
        if sweep:
            points = _sweep(u, w, h)
        else:
            ctrl = np.array([(u(0, w), u(band_lo - h * 0.2, band_hi + h * 0.2)) for _ in range(4)])
            ctrl[:, 0].sort()
            points = _bezier(ctrl)
        draw.line(points, fill=stroke_fill(), width=stroke_size(*noise.line_width), joint="curve")
    # Dots, warp, speckle and blur work on one numpy copy of the image.
    n_dots = u.integer(*noise.dots)
    if n_dots or warp is not None or noise.speckle or noise.salt_pepper or blur_tenths:
        arr = np.array(image).reshape(h, w, channels)
        layer_arr = None if layer is None else np.asarray(layer)[..., None]
        if n_dots:
            draws = rng.random((n_dots, 4))
            centres = draws[:, :2] * (w, h)
            lo, hi = noise.dot_size
            sizes = np.minimum(hi, lo + (draws[:, 2] * (hi - lo + 1)).astype(np.intp))
            sizes = np.minimum(sizes, cap)
            noise_width = max(noise_width, int(sizes.max()))
            which = (draws[:, 3] * len(ink_colours)).astype(np.intp)
            palette = ink_colours
            if hue_clutter:
                palette = [_isoluminant(u, luma(ink)) for ink in ink_colours]
            _stamp_dots(arr, centres, sizes, np.array(palette, np.uint8)[which])
        if warp is not None:
            arr = _apply_warp(arr, warp)
            if layer_arr is not None:
                layer_arr = _apply_warp(layer_arr, warp)
        if noise.speckle:
            hit = rng.random((h, w)) < noise.speckle
            arr[hit] = rng.integers(0, 256, size=(int(hit.sum()), 1), dtype=np.uint8)
        if noise.salt_pepper:
            hit = rng.random((h, w)) < noise.salt_pepper
            arr[hit] = (rng.random((int(hit.sum()), 1)) < 0.5).astype(np.uint8) * 255
        if blur_tenths:
            taps = _blur_taps(blur_tenths)
            arr = _blur(arr, taps)
            if layer_arr is not None:
                layer_arr = _blur(layer_arr, taps)
        image = Image.fromarray(arr[..., 0] if channels == 1 else arr)
        if layer_arr is not None:
            layer = Image.fromarray(layer_arr[..., 0])
    if spec.warp.jpeg != (0, 0):  # compression artefacts of a re-encoded captcha
        quality = u.integer(*spec.warp.jpeg)
        if quality:
            buf = io.BytesIO()
            image.save(buf, format="JPEG", quality=quality)
            buf.seek(0)
            with Image.open(buf) as decoded:
                image = decoded.convert(image.mode)
    text_layer = None
    if layer is not None:
        stats = LegibilityStats(
            stroke_width=stroke,
            noise_width=noise_width,
            contrast=contrast,
            overlap=overlap,
            glyph_height=float(statistics.median(m.height for m in masks)),
        )
        text_layer = TextLayer(np.asarray(layer, np.float32) / 255.0, len(masks), stats)
    return image, text_layer


def _stroke_look(t: TextStyle, u: _Uniforms) -> tuple[int, bool]:
    """A stroke weight and whether the glyphs are outlines, drawn from the text style: one
    uniform each, and none for a dial the style leaves off."""
    weight = u.integer(*t.weight) if t.weight != (0, 0) else 0
    return weight, bool(t.hollow) and u() < t.hollow


# Where the light comes from, as the (x, y) step a relief moves the glyph by: the eight compass
# points, so an extrusion runs along a row, a column or a diagonal.
_COMPASS = ((1, 0), (1, 1), (0, 1), (-1, 1), (-1, 0), (-1, -1), (0, -1), (1, -1))


def _relief_look(t: TextStyle, u: _Uniforms) -> tuple[int, tuple[int, int], float, bool] | None:
    """Whether a sample's glyphs are drawn in relief and how: depth, direction, the outline's
    opacity and whether the relief is an extrusion (else an engraved edge). Five uniforms when
    drawn, one when not."""
    if u() >= t.relief:
        return None
    depth = u.integer(*t.relief_depth)
    step = _COMPASS[u.integer(0, len(_COMPASS) - 1)]
    return depth, step, u(0.3, 0.6), u() < 0.5


def _relieve(
    mask: Image.Image, depth: int, step: tuple[int, int], outline: float, extruded: bool
) -> Image.Image:
    """The glyph in relief: its body left unpainted, the ink only where light falling along
    ``step`` would shade it, plus its outline at ``outline`` opacity so the shape stays whole.
    Engraved: the glyph less itself moved ``depth`` px (an edge up to ``depth`` wide on the
    near side of every stroke that crosses the light). Extruded: the glyph moved 1..depth px
    less the glyph (a solid 3D block behind it). Strokes parallel to the light get no edge at
    all, as on a real embossed face; the outline is what keeps them."""
    padded = np.pad(np.asarray(mask), depth)  # the padding keeps np.roll from wrapping ink round
    body = padded.astype(np.float32) / 255.0
    moved = np.roll(body, (depth * step[1], depth * step[0]), axis=(0, 1))
    if extruded:  # every step in between too, so the block is solid
        for k in range(1, depth):
            moved = np.maximum(moved, np.roll(body, (k * step[1], k * step[0]), axis=(0, 1)))
    edge = np.clip(moved - body if extruded else body - moved, 0.0, 1.0)
    inner = np.asarray(Image.fromarray(padded).filter(ImageFilter.MinFilter(3)), np.float32) / 255
    ink = np.maximum(edge, outline * (body - inner))
    out = Image.fromarray(np.round(ink * 255).astype(np.uint8))
    box = out.getbbox()
    return out.crop(box) if box else mask


def _restroke(mask: Image.Image, weight: int, hollow: bool) -> Image.Image:
    """Embolden (weight > 0) or thin (weight < 0) a glyph mask by ``|weight|`` pixels with
    max/min filters, then optionally keep only its outline."""
    if weight > 0:
        mask = ImageOps.expand(mask, border=weight, fill=0).filter(
            ImageFilter.MaxFilter(2 * weight + 1)
        )
    elif weight < 0 and min(mask.size) > 6:  # a tiny glyph would vanish
        mask = mask.filter(ImageFilter.MinFilter(3))
    if hollow:
        ring = 1 if min(mask.size) < 24 else 2
        inner = mask.filter(ImageFilter.MinFilter(2 * ring + 1))
        mask = ImageChops.subtract(mask, inner)
    box = mask.getbbox()
    return mask.crop(box) if box else mask


def touches_edge(coverage: np.ndarray, threshold: float = CLIP_THRESHOLD) -> bool:
    """True when ink covers any pixel of the canvas's outermost ring."""
    ring = np.concatenate([coverage[0], coverage[-1], coverage[:, 0], coverage[:, -1]])
    return bool((ring > threshold).any())
