"""The native renderer: Pillow for glyphs and strokes, numpy for compositing and warps.

Glyph bitmaps are cached per (font, size, character); each glyph then gets one projective
transform (rotation, shear, scale, perspective) done by Pillow in C. Layout works on the real ink
extents after that transform and keeps a margin as wide as the largest displacement the global
warp and blur can cause, so no glyph can touch the canvas edge: text that does not fit is shrunk
and re-rendered, never cropped.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont

from .spec import CaptchaSpec

# Coverage above this on the outermost pixel ring counts as a glyph touching the edge.
CLIP_THRESHOLD = 0.2
_SHRINK = Image.Resampling.BILINEAR


@dataclass
class TextLayer:
    """Where the text ink ended up: its coverage map (0..1) after warp and blur, and how many glyphs
    were pasted. Used to prove that no glyph was clipped."""

    coverage: np.ndarray
    glyphs_pasted: int


@functools.lru_cache(maxsize=512)
def _font(path: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size)


@functools.lru_cache(maxsize=32768)
def _glyph(path: str, size: int, char: str) -> Image.Image:
    """Tight 'L' bitmap of one character with a 1-pixel empty border."""
    font = _font(path, size)
    left, top, right, bottom = font.getbbox(char)
    im = Image.new("L", (max(1, right - left) + 2, max(1, bottom - top) + 2), 0)
    ImageDraw.Draw(im).text((1 - left, 1 - top), char, font=font, fill=255)
    return im


def _homographies(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Coefficients (n, 8) of the projective maps taking each ``src[k]`` quad (4x2) onto
    ``dst[k]``; one batched solve for every glyph of a captcha."""
    n = src.shape[0]
    x, y = src[..., 0], src[..., 1]
    u, v = dst[..., 0], dst[..., 1]
    a = np.zeros((n, 4, 2, 8))
    a[:, :, 0, 0], a[:, :, 0, 1], a[:, :, 0, 2] = x, y, 1.0
    a[:, :, 1, 3], a[:, :, 1, 4], a[:, :, 1, 5] = x, y, 1.0
    a[:, :, 0, 6], a[:, :, 0, 7] = -u * x, -u * y
    a[:, :, 1, 6], a[:, :, 1, 7] = -v * x, -v * y
    return np.linalg.solve(a.reshape(n, 8, 8), dst.reshape(n, 8, 1))[..., 0]


@dataclass
class _GlyphParams:
    chars: str
    scales: np.ndarray  # (n,)
    rotations: np.ndarray  # (n,) degrees
    shears: np.ndarray  # (n,)
    corner_jitter: np.ndarray  # (n, 4, 2), fraction of glyph size


def _transform_glyphs(path: str, size: int, p: _GlyphParams) -> list[Image.Image]:
    """Each glyph at ``size * scale`` with its projective distortion, cropped to its ink."""
    glyphs = [
        _glyph(path, max(6, round(size * s)), ch)
        for ch, s in zip(p.chars, p.scales.tolist(), strict=True)
    ]
    dims = np.array([g.size for g in glyphs], dtype=np.float64)  # (n, 2) = w, h
    unit = np.array([[0, 0], [1, 0], [1, 1], [0, 1]], dtype=np.float64)
    corners = unit[None] * dims[:, None, :]  # (n, 4, 2)
    theta = np.radians(p.rotations)
    cos, sin = np.cos(theta), np.sin(theta)
    # rotation @ shear, per glyph
    linear = np.stack(
        [np.stack([cos, cos * p.shears - sin], -1), np.stack([sin, sin * p.shears + cos], -1)], 1
    )
    centred = corners - dims[:, None, :] / 2
    dst = np.einsum("nij,nkj->nki", linear, centred)
    dst += p.corner_jitter * dims.max(axis=1)[:, None, None]
    dst -= dst.min(axis=1, keepdims=True)
    sizes = (np.ceil(dst.max(axis=1)).astype(int) + 1).tolist()
    # Pillow's transform maps output pixels back to input pixels, so solve dst -> src.
    coeffs = _homographies(dst, corners).tolist()
    out = []
    for glyph, (ow, oh), c in zip(glyphs, sizes, coeffs, strict=True):
        warped = glyph.transform(
            (ow, oh), Image.Transform.PERSPECTIVE, tuple(c), Image.Resampling.BILINEAR
        )
        box = warped.getbbox()
        out.append(warped.crop(box) if box else Image.new("L", (1, 1), 0))
    return out


def _draw_luminance(rng: np.random.Generator, lo: int, hi: int, avoid: float, gap: int) -> float:
    """A luminance in [lo, hi] at least ``gap`` away from ``avoid`` (the farther bound if none)."""
    below = (lo, min(hi, avoid - gap))
    above = (max(lo, avoid + gap), hi)
    len_below = max(below[1] - below[0], 0.0) if below[1] >= below[0] else -1.0
    len_above = max(above[1] - above[0], 0.0) if above[1] >= above[0] else -1.0
    if len_below < 0 and len_above < 0:
        return float(lo if abs(lo - avoid) >= abs(hi - avoid) else hi)
    u = rng.random()
    if len_above < 0 or (len_below >= 0 and u * (len_below + len_above + 1e-9) < len_below):
        return below[0] + rng.random() * (below[1] - below[0])
    return above[0] + rng.random() * (above[1] - above[0])


def _tinted(rng: np.random.Generator, lum: float, saturation: int, channels: int) -> tuple:
    if channels == 1:
        return (min(255, max(0, int(lum))),)
    tint = rng.uniform(-saturation, saturation, 3).tolist() if saturation else (0.0, 0.0, 0.0)
    return tuple(min(255, max(0, int(lum + d))) for d in tint)


def _background(spec: CaptchaSpec, rng: np.random.Generator, channels: int):
    h, w = spec.height, spec.width
    c = spec.color
    lum = float(rng.integers(c.background[0], c.background[1] + 1))
    base = _tinted(rng, lum, c.saturation, channels)
    mode = "L" if channels == 1 else "RGB"
    has_grid = bool(spec.noise.grid) and rng.random() < spec.noise.grid
    if not c.gradient and not has_grid:
        return Image.new(mode, (w, h), base if channels == 3 else base[0]), lum
    base_arr = np.asarray(base, np.float32)
    if c.gradient:
        amount = rng.uniform(-c.gradient, c.gradient)
        direction = int(rng.integers(_RAMP_DIRECTIONS))
        canvas = (amount * _ramp(h, w, direction))[..., None] + base_arr
    else:
        canvas = np.broadcast_to(base_arr, (h, w, channels)).copy()
    if has_grid:
        step = int(rng.integers(6, 15))
        shade = _tinted(rng, lum - rng.uniform(35, 80), c.saturation, channels)
        ox, oy = int(rng.integers(0, step)), int(rng.integers(0, step))
        canvas[oy::step, :] = shade
        canvas[:, ox::step] = shade
    arr = np.clip(canvas, 0, 255).astype(np.uint8)
    return Image.fromarray(arr[..., 0] if channels == 1 else arr, mode), lum


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


def _warp_index(spec: CaptchaSpec, rng: np.random.Generator):
    """Flat source-pixel index (H, W) of the global wave + elastic warp, or None; and the largest
    displacement it causes. Nearest-neighbour on purpose: numpy bilinear gathers cost 10x more
    (measured), and every warped preset blurs afterwards, which hides the stair-steps."""
    wv = spec.warp
    amp = rng.uniform(*wv.wave_amplitude)
    if amp <= 0 and wv.elastic <= 0:
        return None, 0.0
    h, w = spec.height, spec.width
    xs = np.arange(w, dtype=np.float32)
    ys = np.arange(h, dtype=np.float32)
    period_x, period_y = rng.uniform(*wv.wave_period, size=2)
    phase_x, phase_y = rng.uniform(0, 2 * math.pi, size=2)
    # Mostly vertical waviness (the classic captcha ripple), a little horizontal.
    dy = amp * np.sin(2 * math.pi * xs / period_x + phase_x)[None, :]
    dx = 0.5 * amp * np.sin(2 * math.pi * ys / period_y + phase_y)[:, None]
    bound = amp
    if wv.elastic > 0:
        # A coarse random grid upsampled bicubically is a smooth field without a Gaussian filter.
        coarse = rng.uniform(-1, 1, size=(2, 4, 8)).astype(np.float32) * wv.elastic
        up = [
            np.asarray(Image.fromarray(g).resize((w, h), Image.Resampling.BICUBIC)) for g in coarse
        ]
        dx = dx + up[0]
        dy = dy + up[1]
        bound += wv.elastic * 1.25  # bicubic overshoot stays well under 25 %
    sx = np.clip(np.rint(xs[None, :] + dx), 0, w - 1).astype(np.intp)
    sy = np.clip(np.rint(ys[:, None] + dy), 0, h - 1).astype(np.intp)
    return sy * w + sx, bound


def _apply_warp(arr: np.ndarray, index: np.ndarray) -> np.ndarray:
    """Gather ``arr`` (H, W, C) through the flat source index of ``_warp_index``."""
    h, w, channels = arr.shape
    return np.take(arr.reshape(h * w, channels), index, axis=0)


@functools.lru_cache(maxsize=64)
def _blur_kernel(sigma_tenths: int) -> ImageFilter.Kernel:
    """A 3x3 (or 5x5 past sigma 0.9) Gaussian kernel: 3x faster than Pillow's GaussianBlur
    at the small radii captchas use."""
    sigma = sigma_tenths / 10
    size = 3 if sigma <= 0.9 else 5
    r = np.arange(size) - size // 2
    g = np.exp(-(r[:, None] ** 2 + r[None, :] ** 2) / (2 * sigma**2))
    return ImageFilter.Kernel((size, size), (g / g.sum()).ravel().tolist(), scale=1)


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
    n = len(text)

    image, bg_lum = _background(spec, rng, channels)
    warp, warp_bound = _warp_index(spec, rng)
    blur_tenths = round(10 * rng.uniform(*spec.warp.blur))
    # Ink may move by the warp and bleed by the blur kernel; stay clear of the edge by that much.
    margin = 2 + math.ceil(warp_bound) + (0 if blur_tenths == 0 else 1 if blur_tenths <= 9 else 2)

    font = fonts[int(rng.integers(len(fonts)))]
    size = int(rng.integers(t.font_size[0], t.font_size[1] + 1))
    params = _GlyphParams(
        chars=text,
        scales=1.0 + rng.uniform(-t.scale_jitter, t.scale_jitter, n),
        rotations=rng.uniform(-t.rotation, t.rotation, n),
        shears=rng.uniform(-t.shear, t.shear, n),
        corner_jitter=rng.uniform(-t.perspective, t.perspective, size=(n, 4, 2)),
    )
    gaps = rng.uniform(t.spacing[0], t.spacing[1], size=max(n - 1, 0))
    shifts = rng.uniform(-1, 1, size=n) * t.baseline_jitter
    offset_share = rng.random()

    avail_w, avail_h = w - 2 * margin, h - 2 * margin
    masks = _transform_glyphs(font, size, params)
    for _attempt in range(4):
        widths = np.array([m.width for m in masks], dtype=np.float64)
        xs = np.concatenate([[0.0], np.cumsum(widths[:-1] * (1.0 + gaps))])
        text_w = float(np.max(xs + widths))
        text_h = max(m.height for m in masks)
        fit = min(avail_w / text_w, avail_h / text_h)
        if fit >= 1.0:
            break
        # Shrink what was drawn (antialiased resize) rather than render every glyph again.
        fit *= 0.99
        masks = [
            m.resize((max(1, int(m.width * fit)), max(1, int(m.height * fit))), _SHRINK)
            for m in masks
        ]
    else:  # pragma: no cover - resizing by the measured fit always lands inside
        raise RuntimeError(f"cannot fit {text!r} in a {w}x{h} canvas")

    x0 = margin + offset_share * (avail_w - text_w)
    layer = Image.new("L", (w, h), 0) if with_text_layer else None
    ink_colours = []
    colour = None
    for mask, x, shift in zip(masks, xs.tolist(), shifts.tolist(), strict=True):
        if colour is None or c.per_char:
            lum = _draw_luminance(rng, *c.text, bg_lum, c.min_contrast)
            colour = _tinted(rng, lum, c.saturation, channels)
        ink_colours.append(colour)
        room = avail_h - mask.height
        top = round(margin + room / 2 + shift * room / 2)
        left = round(x0 + x)
        image.paste(colour if channels == 3 else colour[0], (left, top), mask)
        if layer is not None:
            box = (left, top, left + mask.width, top + mask.height)
            layer.paste(ImageChops.lighter(layer.crop(box), mask), box)

    draw = ImageDraw.Draw(image)
    band_lo, band_hi = h * 0.3, h * 0.7

    def stroke_fill():
        picked = ink_colours[int(rng.integers(len(ink_colours)))]
        return picked if channels == 3 else picked[0]

    for _ in range(int(rng.integers(noise.lines[0], noise.lines[1] + 1))):
        ends = [
            (rng.uniform(0, w * 0.25), rng.uniform(band_lo, band_hi)),
            (rng.uniform(w * 0.75, w), rng.uniform(band_lo, band_hi)),
        ]
        width = int(rng.integers(noise.line_width[0], noise.line_width[1] + 1))
        draw.line(ends, fill=stroke_fill(), width=width)
    for _ in range(int(rng.integers(noise.curves[0], noise.curves[1] + 1))):
        ctrl = np.column_stack(
            [np.sort(rng.uniform(0, w, 4)), rng.uniform(band_lo - h * 0.2, band_hi + h * 0.2, 4)]
        )
        width = int(rng.integers(noise.line_width[0], noise.line_width[1] + 1))
        draw.line(_bezier(ctrl), fill=stroke_fill(), width=width, joint="curve")
    # Dots, warp and speckle work on one numpy copy of the image.
    n_dots = int(rng.integers(noise.dots[0], noise.dots[1] + 1))
    if n_dots or warp is not None or noise.speckle:
        arr = np.array(image).reshape(h, w, channels)
        if n_dots:
            centres = rng.uniform((0, 0), (w, h), size=(n_dots, 2))
            sizes = rng.integers(noise.dot_size[0], noise.dot_size[1] + 1, size=n_dots)
            which = rng.integers(len(ink_colours), size=n_dots)
            _stamp_dots(arr, centres, sizes, np.array(ink_colours, np.uint8)[which])
        if warp is not None:
            arr = _apply_warp(arr, warp)
            if layer is not None:
                layer = Image.fromarray(_apply_warp(np.asarray(layer)[..., None], warp)[..., 0])
        if noise.speckle:
            hit = rng.random((h, w)) < noise.speckle
            arr[hit] = rng.integers(0, 256, size=(int(hit.sum()), 1), dtype=np.uint8)
        image = Image.fromarray(arr[..., 0] if channels == 1 else arr)
    if blur_tenths:
        kernel = _blur_kernel(blur_tenths)
        image = image.filter(kernel)
        if layer is not None:
            layer = layer.filter(kernel)
    text_layer = None
    if layer is not None:
        text_layer = TextLayer(np.asarray(layer, np.float32) / 255.0, len(masks))
    return image, text_layer


def touches_edge(coverage: np.ndarray, threshold: float = CLIP_THRESHOLD) -> bool:
    """True when ink covers any pixel of the canvas's outermost ring."""
    ring = np.concatenate([coverage[0], coverage[-1], coverage[:, 0], coverage[:, -1]])
    return bool((ring > threshold).any())
