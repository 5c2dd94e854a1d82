"""Contact sheets: a grid of samples per style, each captioned with its label."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from .io import atomic_write_bytes
from .sample import render_sample
from .spec import CaptchaSpec

_CAPTION = 14
_PAD = 6


def contact_sheet(
    specs: list[CaptchaSpec], *, seed: int = 0, cols: int = 6, rows: int = 2, scale: int = 1
) -> Image.Image:
    """One block per spec: a title line, then ``rows x cols`` samples captioned with their text."""
    font = ImageFont.load_default(size=12)
    cell_w = max(s.width for s in specs) * scale
    cell_h = max(s.height for s in specs) * scale + _CAPTION
    if any(s.backend == "universal" for s in specs):  # canvases up to 320x100, shown fitted
        cell_w, cell_h = max(cell_w, 240 * scale), max(cell_h, 75 * scale + _CAPTION)
    block_h = _CAPTION + 4 + rows * (cell_h + _PAD)
    sheet = Image.new("RGB", (_PAD + cols * (cell_w + _PAD), _PAD + len(specs) * block_h), "white")
    draw = ImageDraw.Draw(sheet)
    for b, spec in enumerate(specs):
        top = _PAD + b * block_h
        draw.text(
            (_PAD, top), f"{spec.name}  ({spec.backend}, seed {seed})", fill="black", font=font
        )
        for k in range(rows * cols):
            sample = render_sample(spec, seed, k)
            im = sample.image.convert("RGB")
            # Styles that draw their own canvas size (universal) are fitted into the cell.
            fit = min(scale, (cell_w) / im.width, (cell_h - _CAPTION) / im.height)
            if fit != 1:
                size = (max(1, round(im.width * fit)), max(1, round(im.height * fit)))
                resample = Image.Resampling.NEAREST if fit == scale else Image.Resampling.LANCZOS
                im = im.resize(size, resample)
            x = _PAD + (k % cols) * (cell_w + _PAD)
            y = top + _CAPTION + 4 + (k // cols) * (cell_h + _PAD)
            sheet.paste(im, (x, y))
            draw.text((x, y + im.height + 1), sample.text, fill=(60, 60, 60), font=font)
    return sheet


def save_png(image: Image.Image, path: str | Path) -> None:
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    atomic_write_bytes(path, buf.getvalue())
