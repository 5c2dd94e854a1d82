"""Measurements on glyph masks that the legibility rules are stated in.

Both work on 8-bit coverage masks (0 = no ink, 255 = full ink), the form the renderer draws
glyphs in, and are cheap enough to run on every glyph of every sample.
"""

from __future__ import annotations

import numpy as np

INK = 128  # coverage at or above this counts as ink


def stroke_width(mask: np.ndarray) -> float:
    """Mean stroke width in pixels, estimated as 2 * area / perimeter of the inked pixels.

    A stroke of width w and length L has area w*L and perimeter 2*(w + L), so the estimate tends
    to w as strokes get long; a glyph is a union of strokes, so it gives their typical width.
    The perimeter counts pixel edges between ink and no ink (4-neighbours, the border included).
    """
    ink = np.asarray(mask) >= INK
    area = int(np.count_nonzero(ink))
    if not area:
        return 0.0
    inner = np.count_nonzero(ink[1:] != ink[:-1]) + np.count_nonzero(ink[:, 1:] != ink[:, :-1])
    border = (
        np.count_nonzero(ink[0])
        + np.count_nonzero(ink[-1])
        + np.count_nonzero(ink[:, 0])
        + np.count_nonzero(ink[:, -1])
    )
    return 2.0 * area / (inner + border)


def ink_overlap(
    a: np.ndarray,
    a_at: tuple[int, int],
    b: np.ndarray,
    b_at: tuple[int, int],
    totals: tuple[int, int] | None = None,
) -> float:
    """Share of the smaller glyph's ink that the other glyph covers, with each mask's top-left
    corner at ``(x, y)``: sum of min(coverage) over the shared box / min(total coverage).
    ``totals`` are the masks' coverage sums when the caller has them already."""
    ax, ay = a_at
    bx, by = b_at
    left, right = max(ax, bx), min(ax + a.shape[1], bx + b.shape[1])
    top, bottom = max(ay, by), min(ay + a.shape[0], by + b.shape[0])
    if left >= right or top >= bottom:
        return 0.0
    a_box = a[top - ay : bottom - ay, left - ax : right - ax]
    b_box = b[top - by : bottom - by, left - bx : right - bx]
    shared = int(np.minimum(a_box, b_box).sum())
    smaller = min(totals) if totals else min(int(a.sum()), int(b.sum()))
    return shared / smaller if smaller else 0.0
