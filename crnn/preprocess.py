"""Image -> model input, torch-free (the ONNX reader uses it without importing torch).

Two ways to reach the model's fixed input size:

- ``stretch``: resize to height x width, whatever the aspect (the reference model's way);
- ``pad``: resize to the input height keeping the aspect ratio, then pad the width with the
  border's median grey (centred), or squeeze it if the text line is wider than the input. A
  260x75 and a 160x60 captcha then look alike to the model: glyphs keep their proportions.
- ``crop``: cut the canvas down to where its content is (``content_box``), then ``pad``. Small
  text in a big canvas (a 200x75 captcha with 20 px glyphs) would otherwise reach a 32 px input
  8 px tall; cropped, it fills the input's height as large text does.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter, UnidentifiedImageError

from generator.errors import UserError

RESIZE_MODES = ("stretch", "pad", "crop")
MAX_SIDE = 4096  # the largest canvas a spec allows: anything bigger is not a captcha


class ImageInputError(UserError):
    """An image the model cannot read: unreadable file, odd mode, far-off size."""


def read_image(item: str | Path | bytes | Image.Image, name: str | None = None) -> Image.Image:
    """A decoded image from a path, raw bytes or an image. Its size is checked before decoding,
    so a decompression bomb never reaches memory; every failure is one ImageInputError line."""
    if isinstance(item, Image.Image):
        return on_ground(eight_bit(item))
    name = name or ("given as bytes" if isinstance(item, bytes) else str(item))
    source = io.BytesIO(item) if isinstance(item, bytes) else item
    try:
        with Image.open(source) as im:
            if max(im.size) > MAX_SIDE:
                w, h = im.size
                raise ImageInputError(
                    f"{name}: {w}x{h} is too large to be a captcha (max side {MAX_SIDE})"
                )
            im.load()
            return on_ground(eight_bit(im))
    except FileNotFoundError:
        raise ImageInputError(f"image not found: {name}") from None
    except IsADirectoryError:
        raise ImageInputError(f"{name} is a directory, not an image") from None
    except Image.DecompressionBombError:
        raise ImageInputError(f"{name}: too large to be a captcha (max side {MAX_SIDE})") from None
    except UnidentifiedImageError:
        raise ImageInputError(f"cannot read image {name}: not an image file") from None
    except OSError as err:  # truncated or corrupt image data
        raise ImageInputError(f"cannot read image {name}: {err}") from None


LUMA = np.array([0.299, 0.587, 0.114], np.float32)  # ITU-R 601, as PIL's convert("L")


SIXTEEN_BIT = ("I;16", "I;16L", "I;16B", "I;16N")


def eight_bit(image: Image.Image) -> Image.Image:
    """An image in a mode the rest of preprocessing reads as it looks: 16-bit and 32-bit grey
    scaled to 8 bits (PIL's own conversion clips every level above 255 to white, so a 16-bit
    PNG captcha would reach the model blank), float grey in 0..1 or 0..255 likewise; CMYK,
    YCbCr, LAB and HSV (a CMYK JPEG, say) as RGB; premultiplied alpha as straight alpha. 8-bit
    images come back as they are."""
    mode = image.mode
    if mode in SIXTEEN_BIT or mode in ("I", "F"):
        a = np.asarray(image, dtype=np.float64)
        top = float(a.max()) if a.size else 0.0
        if mode == "F" and top <= 1.0:
            a = a * 255.0  # float grey in 0..1
        elif mode in SIXTEEN_BIT or top > 255.0:
            a = a / 257.0  # 16-bit levels (PIL loads some 16-bit PNGs as 32-bit "I")
        return Image.fromarray(np.clip(np.round(a), 0, 255).astype(np.uint8), "L")
    if mode in ("CMYK", "YCbCr", "LAB", "HSV"):
        return image.convert("RGB")
    if mode in ("RGBa", "La"):
        return image.convert("RGBA" if mode == "RGBa" else "LA")
    return image


def on_ground(image: Image.Image) -> Image.Image:
    """An image with transparency laid on a ground its ink shows on, as a page shows it: white
    under dark ink, black under light ink (the ink's mean luminance, weighted by opacity, says
    which). Dropping the alpha channel instead keeps whatever colour a transparent pixel holds,
    often black: dark text on a transparent ground would turn black on black. Images without
    transparency, or fully opaque, come back as they are."""
    if not (image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info):
        return image
    rgba = np.asarray(image.convert("RGBA"), np.float32)
    opacity = rgba[..., 3:] / 255.0
    if opacity.min() >= 1.0:
        return image
    ink = float((rgba[..., :3] @ LUMA * opacity[..., 0]).sum() / max(opacity.sum(), 1e-6))
    ground = 0.0 if ink > 127.5 else 255.0
    laid = rgba[..., :3] * opacity + ground * (1.0 - opacity)
    return Image.fromarray(np.round(laid).astype(np.uint8), "RGB")


# content_box: a pixel is an edge where it differs from its right or lower neighbour by more
# than EDGE_STEP grey levels (smooth gradients stay under it; glyph outlines do not); the box
# drops CONTENT_TRIM of the edges at each end of each axis, so a few noise dots far from the
# text cannot stretch it, and adds CONTENT_MARGIN of its height on every side to restore the
# ascenders and thin end glyphs the trimming shaved. (The README's onnxruntime snippet repeats
# these steps; a test keeps the two equal.)
EDGE_STEP = 24
CONTENT_TRIM = 0.01
CONTENT_MARGIN = 0.15
MIN_EDGES = 20  # fewer edge pixels than this: no content found, keep the whole canvas


def content_box(
    gray: np.ndarray, margin: float = CONTENT_MARGIN, inside: np.ndarray | None = None
) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) of the region of a grey (H, W) image that holds its content:
    the text and whatever noise crosses it, without the empty canvas around them; ``margin``
    of the box's height is added on every side. ``inside``: where edges count (a turned
    canvas's own pixels, not the corners its turn filled in)."""
    a = np.asarray(gray, dtype=np.int16)
    height, width = a.shape
    edges = np.zeros(a.shape, dtype=bool)
    edges[:, :-1] |= np.abs(np.diff(a, axis=1)) > EDGE_STEP
    edges[:-1, :] |= np.abs(np.diff(a, axis=0)) > EDGE_STEP
    if inside is not None:
        edges &= inside
    total = int(edges.sum())
    if total < MIN_EDGES:
        return 0, 0, width, height
    low, high = CONTENT_TRIM * total, (1 - CONTENT_TRIM) * total

    def span(profile: np.ndarray) -> tuple[int, int]:
        cumulative = np.cumsum(profile)
        first = int(np.searchsorted(cumulative, low, side="right"))
        last = int(np.searchsorted(cumulative, high, side="left"))
        return first, last + 1

    top, bottom = span(edges.sum(axis=1))
    left, right = span(edges.sum(axis=0))
    pad = margin * (bottom - top)
    return (
        max(0, int(left - pad)),
        max(0, int(top - pad)),
        min(width, int(right + pad + 0.5) + 1),
        min(height, int(bottom + pad + 0.5) + 1),
    )


# letterbox: flat bands padding a captcha out to a bigger canvas (multicolorcaptcha pastes its
# 640x160 strip into a black 640x360), and frames drawn round it (kaptcha draws a 1 px border by
# default). A band is rows (columns) from the edge inward within LETTERBOX_FLAT grey levels of one
# colour, then at most LETTERBOX_RING rows that are so only at all but LETTERBOX_FILL of their
# pixels, within EDGE_STEP (JPEG, kaptcha's default, rings along a seam: one block deep, in
# luminance), ending on a straight seam: each of the next SEAM_DEPTH rows differs from the colour
# by more than EDGE_STEP along a run of at least LETTERBOX_SPAN of its length, at LETTERBOX_SEAM of
# that run's pixels, and the first of them steps away from the band's last row at once (a gradient
# ground drifts off its first row's colour without a step). It is cut if it is thick (at least
# LETTERBOX_MIN rows and LETTERBOX_SHARE of the image: padding), or thin with a band of its colour
# on the opposite side too (a frame). A captcha's own flat ground is neither: the row where its
# text begins is still mostly ground; nor is the ground beyond a straight line or a glyph's stem at
# one canvas edge: thin, alone. A textured or dotted ground may pass as ring rows for up to
# LETTERBOX_RING lines (deep enough to count as thick on a small canvas); what keeps it uncut is
# the seam and its step, which a captcha's own rows do not make.
LETTERBOX_FLAT = 6
LETTERBOX_RING = 8
LETTERBOX_FILL = 0.98
LETTERBOX_MIN = 3
LETTERBOX_SHARE = 0.05
LETTERBOX_SPAN = 0.6
# Columns are read once the row bands are gone: a seam there runs the whole height, where a
# glyph's stem after a flat margin (a seam 4 columns deep too) runs the text's height only.
LETTERBOX_SPAN_INNER = 0.9
LETTERBOX_SEAM = 0.95
SEAM_DEPTH = 4
LETTERBOX_KEEP = 0.1  # bands leaving less of a side than this are not padding: nothing is cut


def letterbox(gray: np.ndarray) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) inside the flat bands and frames round a grey (H, W) image,
    or the whole image where there are none. Cropping with the content margin would otherwise
    keep a strip of a band, and the seams between it and the content read as strokes (the
    edges of multicolorcaptcha's coloured tiles, framed in black, read as I); a frame's edges
    would hold the content box to the whole canvas, small text and all."""
    a = np.asarray(gray, dtype=np.int16)

    def band(lines: np.ndarray, least_span: float) -> tuple[int, int]:
        """(how many of ``lines``, from the edge inward, are flat in one colour and end on a
        straight seam, or 0; that colour)."""
        colour = int(np.median(lines[0]))
        n = 0
        while n < len(lines) and np.abs(lines[n] - colour).max() <= LETTERBOX_FLAT:
            n += 1
        flat = n
        while n < min(len(lines), flat + LETTERBOX_RING) and ringing(lines[n], colour):
            n += 1
        if n == 0 or n + SEAM_DEPTH > len(lines):
            return 0, colour
        step = np.median(np.abs(lines[n] - lines[n - 1]))
        seams = all(seam(line, colour, least_span) for line in lines[n : n + SEAM_DEPTH])
        return (n if step > EDGE_STEP and seams else 0), colour

    def ringing(line: np.ndarray, colour: int) -> bool:
        off = np.count_nonzero(np.abs(line - colour) > EDGE_STEP)
        return off <= (1 - LETTERBOX_FILL) * len(line)

    def seam(line: np.ndarray, colour: int, least_span: float) -> bool:
        """Off the band's colour from its first to its last such pixel (bands on the other
        two sides run on past it), along most of the line, at nearly every pixel of that run."""
        off = np.flatnonzero(np.abs(line - colour) > EDGE_STEP)
        span = off[-1] + 1 - off[0] if len(off) else 0
        return span >= least_span * len(line) and len(off) >= LETTERBOX_SEAM * span

    def cut(near: tuple[int, int], far: tuple[int, int], length: int) -> tuple[int, int]:
        """The bands on two opposite sides that go: a thick one (padding), or thin ones of one
        colour on both sides (a frame)."""
        frame = near[0] > 0 and far[0] > 0 and abs(near[1] - far[1]) <= EDGE_STEP
        least = max(LETTERBOX_MIN, LETTERBOX_SHARE * length)
        return tuple(n if n >= least or frame else 0 for n, _ in (near, far))

    height, width = a.shape
    top, under = cut(band(a, LETTERBOX_SPAN), band(a[::-1], LETTERBOX_SPAN), height)
    if height - top - under < LETTERBOX_KEEP * height:  # two flat halves: nothing to keep
        top, under = 0, 0
    inner = a[top : height - under]
    left, beyond = cut(
        band(inner.T, LETTERBOX_SPAN_INNER), band(inner.T[::-1], LETTERBOX_SPAN_INNER), width
    )
    if width - left - beyond < LETTERBOX_KEEP * width:
        left, beyond = 0, 0
    return left, top, width - beyond, height - under


def model_pixels(
    image: Image.Image,
    height: int,
    width: int,
    resize: str = "stretch",
    margin: float = CONTENT_MARGIN,
    hscale: float = 1.0,
    channels: int = 1,
    rotate: float = 0.0,
    shear: float = 0.0,
    clip: float = 0.0,
) -> np.ndarray:
    """Any PIL image -> float32 levels 0..255 at the model's input size: (H, W) luminance, or
    (H, W, 3) RGB when ``channels`` is 3 (the content box is found on luminance either way).

    ``margin`` (crop), ``hscale`` (pad, crop: the canvas widened by this factor first),
    ``rotate`` (degrees, counter-clockwise), ``shear`` (x moves by shear * rise) and ``clip``
    (ink_clipped's quantile; 0: off) are the dials of test-time views (crnn.views); their
    defaults are what training sees."""
    gray = image if image.mode == "L" else image.convert("L")
    picture = gray if channels == 1 else image.convert("RGB")
    if clip:
        picture = ink_clipped(picture, gray, clip)
        gray = picture if channels == 1 else picture.convert("L")
    inside = None
    if (rotate or shear) and resize != "stretch":
        picture = turned(picture, rotate, shear)
        gray = picture if channels == 1 else picture.convert("L")
        inside = turned_inside(image.size, rotate, shear)
    if hscale != 1.0 and resize != "stretch":
        widened = (max(1, round(gray.width * hscale)), gray.height)
        picture = picture.resize(widened, Image.Resampling.BILINEAR)
        gray = picture if channels == 1 else gray.resize(widened, Image.Resampling.BILINEAR)
    if resize == "crop":
        inner = letterbox(np.asarray(gray))
        if inner != (0, 0, *gray.size):
            picture, gray = picture.crop(inner), gray.crop(inner)
            inside = None if inside is None else inside[inner[1] : inner[3], inner[0] : inner[2]]
        box = content_box(np.asarray(gray), margin, inside)
        if box != (0, 0, *gray.size):
            picture = picture.crop(box)
        resize = "pad"
    if resize == "pad":
        w, h = picture.size
        scaled = max(1, min(width, round(w * height / h)))
        if picture.size != (scaled, height):
            picture = picture.resize((scaled, height), Image.Resampling.BILINEAR)
        arr = np.asarray(picture, dtype=np.float32)
        if scaled < width:
            canvas = np.empty((height, width, *arr.shape[2:]), dtype=np.float32)
            canvas[...] = border_median(arr)  # per channel
            left = (width - scaled) // 2
            canvas[:, left : left + scaled] = arr
            arr = canvas
        return arr
    if picture.size != (width, height):
        picture = picture.resize((width, height), Image.Resampling.BILINEAR)
    return np.asarray(picture, dtype=np.float32)


INK_STRONGEST = 0.99  # quantile of the ink's departures that the clipped ink is stretched to


def ink_clipped(picture: Image.Image, gray: Image.Image, quantile: float) -> Image.Image:
    """The picture with no ink stronger than the ``quantile`` of its ink: every pixel's
    departure from the ground (the border's median) shrunk, in every channel alike, until its
    luminance departs no further than that quantile of the departures of its ink pixels (those
    more than EDGE_STEP off the ground). A curve or line drawn darker than the text it crosses
    (wheezy.captcha's curve: its blue departs from the ground about half again as far as its
    grey text) is what a reader follows first; clipped, it is no stronger than the strokes."""
    g = np.asarray(gray, dtype=np.float32)
    ground = float(border_median(g))
    departure = np.abs(g - ground)
    ink = departure[departure > EDGE_STEP]
    if ink.size < MIN_EDGES:
        return picture
    level = max(float(np.quantile(ink, quantile)), EDGE_STEP + 1.0)
    # Then every departure stretched back so the clipped ink is as strong as the strongest
    # ink was: the strokes gain the contrast the curve had, rather than the curve losing it.
    strongest = max(float(np.quantile(ink, INK_STRONGEST)), level)
    scale = np.minimum(1.0, level / np.maximum(departure, 1e-6)) * (strongest / level)
    a = np.asarray(picture, dtype=np.float32)
    base = ground if picture is gray else border_median(a)  # a grey reader's: measured above
    if a.ndim == 3:
        scale = scale[..., None]
    out = base + (a - base) * scale
    return Image.fromarray(np.clip(np.round(out), 0, 255).astype(np.uint8), picture.mode)


def border_median(arr: np.ndarray) -> np.ndarray:
    """The median of an (H, W) or (H, W, C) array's outermost pixels: one level, or one per
    channel. What a canvas is padded or filled with, so the fill looks like its ground."""
    return np.median(np.concatenate([arr[0], arr[-1], arr[:, 0], arr[:, -1]]), axis=0)


def border_fill(arr: np.ndarray) -> int | tuple[int, ...]:
    """border_median as PIL takes a fill colour: a grey level, or one per channel."""
    median = border_median(arr)
    return int(median) if median.ndim == 0 else tuple(int(v) for v in median)


def turned(
    picture: Image.Image, rotate: float = 0.0, shear: float = 0.0, fill: int | None = None
) -> Image.Image:
    """The whole canvas rotated (degrees, counter-clockwise) and then sheared (a pixel at height
    y above the bottom moves shear * y to the right), grown so nothing is cut, the new corners
    filled with ``fill`` or the border's median."""
    if fill is None:
        fill = border_fill(np.asarray(picture))
    if rotate:
        picture = picture.rotate(rotate, Image.Resampling.BILINEAR, expand=True, fillcolor=fill)
    if shear:
        w, h = picture.size
        grown = w + int(np.ceil(abs(shear) * h))
        # Output (x, y) samples input (x + shear * y + offset, y); the offset keeps the input's
        # columns inside the grown canvas at every row (rows run downward, so shear > 0 leans
        # the tops of the glyphs to the right).
        offset = -shear * h if shear > 0 else 0.0
        picture = picture.transform(
            (grown, h), Image.Transform.AFFINE, (1.0, shear, offset, 0.0, 1.0, 0.0),
            Image.Resampling.BILINEAR, fillcolor=fill,
        )  # fmt: skip
    return picture


def turned_inside(size: tuple[int, int], rotate: float, shear: float) -> np.ndarray:
    """Where a turned canvas holds its own pixels, a few in from its border: a textured or
    gradient ground meets the fill there, and that seam is not content."""
    canvas = turned(Image.new("L", size, 255), rotate, shear, fill=0)
    return np.asarray(canvas.filter(ImageFilter.MinFilter(5))) == 255


def channels_first(pixels: np.ndarray) -> np.ndarray:
    """(H, W) or (H, W, C) -> (C, H, W): the layout the model's convolutions take."""
    return pixels[None] if pixels.ndim == 2 else np.moveaxis(pixels, -1, 0)


def normalise(pixels: np.ndarray) -> np.ndarray:
    """Grey levels 0..255 (any shape, any dtype) -> float32 in [-1, 1]."""
    return pixels.astype(np.float32) * (2.0 / 255.0) - 1.0


def preprocess(
    image: Image.Image, height: int, width: int, resize: str = "stretch", **view
) -> np.ndarray:
    """Any PIL image -> float32 (C, H, W) in [-1, 1] at the model's input size: C = 1 grey,
    or 3 with ``channels=3`` (``view``: model_pixels' margin, hscale and channels)."""
    return channels_first(normalise(model_pixels(image, height, width, resize, **view)))


def preprocess_batch(
    images: Sequence[Image.Image | np.ndarray],
    height: int,
    width: int,
    resize: str = "stretch",
    **view,
) -> np.ndarray:
    """(N, C, H, W) float32 model input for PIL images or uint8 (H, W) / (H, W, 3) arrays."""
    as_images = (im if isinstance(im, Image.Image) else Image.fromarray(im) for im in images)
    return np.stack([preprocess(im, height, width, resize, **view) for im in as_images])
