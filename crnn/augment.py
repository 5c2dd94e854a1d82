"""Random variations of real captchas for few-shot training (``bench attack --data``).

Fine-tuned on 300 labelled captchas, the reader learns its training images by heart (99 % read
back) and reads 78 % of held-out ones: the gap is what augmentation is for. Two strengths:

- ``mild``: shift and scale by padding or cropping the border, a small rotation, contrast and
  brightness jitter. It never changes what a glyph looks like.
- ``strong``: ``mild`` plus what differs between two captchas of one generator: per-axis
  stretch, shear, a sine warp along each axis, blur or added grain. Bounded so that glyphs stay
  inside the picture and keep their identity (no flips, rotations of a few degrees).

Every draw comes from the ``rng`` passed in, so a batch is a pure function of its seed.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageFilter

from .preprocess import border_fill

STRENGTHS = ("none", "mild", "strong")


def _as_input(image: Image.Image) -> Image.Image:
    """Grey stays grey and colour stays colour (RGB), for grey and colour readers alike: an
    image of three or more bands (or a palette, which may hold colour) as RGB, any other as L."""
    if image.mode in ("L", "RGB"):
        return image
    colour = image.mode == "P" or len(image.getbands()) >= 3
    return image.convert("RGB" if colour else "L")


def augment(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    """Mild: shift and scale (by padding or cropping the border), a small rotation, contrast
    and brightness jitter. It must not move glyphs out of the picture or change what they say.
    Grey images stay grey and colour ones RGB (the same draws either way)."""
    gray = _as_input(image)
    w, h = gray.size
    pad = rng.integers(-round(0.04 * w), round(0.08 * w) + 1, size=2).tolist()
    pad_v = rng.integers(-round(0.05 * h), round(0.12 * h) + 1, size=2).tolist()
    fill = border_fill(np.asarray(gray))
    box = (-pad[0], -pad_v[0], w + pad[1], h + pad_v[1])
    moved = Image.new(gray.mode, (box[2] - box[0], box[3] - box[1]), fill)
    moved.paste(gray, (pad[0], pad_v[0]))
    moved = moved.rotate(float(rng.uniform(-4, 4)), Image.Resampling.BILINEAR, fillcolor=fill)
    gain, offset = rng.uniform(0.75, 1.25), rng.uniform(-25, 25)
    jittered = np.clip((np.asarray(moved, np.float32) - 128) * gain + 128 + offset, 0, 255)
    return Image.fromarray(jittered.astype(np.uint8))


def _bilinear(arr: np.ndarray, ys: np.ndarray, xs: np.ndarray, fill: float) -> np.ndarray:
    """``arr`` sampled at float coordinates; outside the picture reads ``fill``."""
    h, w = arr.shape
    padded = np.pad(arr, 1, constant_values=fill)
    ys, xs = np.clip(ys + 1, 0, h + 0.999), np.clip(xs + 1, 0, w + 0.999)
    y0, x0 = np.floor(ys).astype(np.intp), np.floor(xs).astype(np.intp)
    y1, x1 = np.minimum(y0 + 1, h + 1), np.minimum(x0 + 1, w + 1)
    fy, fx = ys - y0, xs - x0
    top = padded[y0, x0] * (1 - fx) + padded[y0, x1] * fx
    bottom = padded[y1, x0] * (1 - fx) + padded[y1, x1] * fx
    return top * (1 - fy) + bottom * fy


def augment_strong(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    """``augment`` after a geometric and photometric variation: stretch each axis by up to
    ±15 %, shear up to ±0.25, a sine warp of up to 4 % of the height along each axis, then blur
    (radius ≤ 1 px) or grain (σ ≤ 12 grey levels) or neither."""
    arr = np.asarray(_as_input(image), np.float32)
    h, w = arr.shape[:2]
    fill = border_fill(arr)
    sx, sy = rng.uniform(0.85, 1.15, size=2)
    shear = rng.uniform(-0.25, 0.25)
    amp_y, amp_x = rng.uniform(0, 0.04 * h, size=2)
    period_y, period_x = rng.uniform(0.5, 1.5) * w, rng.uniform(0.5, 1.5) * h
    phase_y, phase_x = rng.uniform(0, 2 * np.pi, size=2)
    # Output pixel (y, x) reads the source at the inverse map, about the picture's centre.
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    cy, cx = (h - 1) / 2, (w - 1) / 2
    src_y = (yy - cy) / sy + cy + amp_y * np.sin(2 * np.pi * xx / period_y + phase_y)
    src_x = (
        (xx - cx - shear * (yy - cy)) / sx
        + cx
        + amp_x * np.sin(2 * np.pi * yy / period_x + phase_x)
    )
    if arr.ndim == 2:
        warped = _bilinear(arr, src_y, src_x, float(fill))
    else:  # the same map for every channel
        warped = np.stack(
            [_bilinear(arr[..., k], src_y, src_x, float(fill[k])) for k in range(arr.shape[2])],
            axis=-1,
        )
    warped = np.clip(warped, 0, 255).astype(np.uint8)
    out = Image.fromarray(warped)
    kind = rng.integers(0, 3)
    if kind == 1:
        out = out.filter(ImageFilter.GaussianBlur(float(rng.uniform(0.3, 1.0))))
    elif kind == 2:
        grain = rng.normal(0, rng.uniform(3, 12), size=(h, w))
        if arr.ndim == 3:  # luminance grain, the same in every channel
            grain = grain[..., None]
        out = Image.fromarray(np.clip(np.asarray(out, np.float32) + grain, 0, 255).astype(np.uint8))
    return augment(out, rng)


def augmenter(strength: str):
    """The augmentation function for a strength name (``none``: the image unchanged)."""
    if strength not in STRENGTHS:
        raise ValueError(f"augmentation must be one of {', '.join(STRENGTHS)}, got {strength!r}")
    return {"none": lambda image, rng: image, "mild": augment, "strong": augment_strong}[strength]
