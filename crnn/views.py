"""Test-time views: read each captcha several ways, keep the reading the views agree on.

One reading of a captcha depends on choices the picture never asked for: how tightly the canvas
is cut to its content (``crop``) and how wide the text line is when it is fitted into the
model's 32-pixel-high input. A glyph squeezed a little too much reads as its neighbour's
look-alike (O as Q, 1 as 7); the same captcha widened by 15 % reads right. Each view below is one
such choice; ``crnn.decode.ensemble`` lets every view score every view's reading and keeps the
best mean (the ``+tta`` decoders: ``greedy+tta``, ``beam:10+tta``).

The views were chosen on *validation-seed* samples of easy, medium, hard, universal and captcha
(never an evaluation set, never a third-party captcha): ``python -m benchmark.perf_views``
measures them side by side (results/views/). Torch-free, like crnn.preprocess.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image

from generator.errors import UserError

from .preprocess import CONTENT_MARGIN, preprocess_batch


class ViewError(UserError):
    pass


@dataclass(frozen=True)
class View:
    margin: float = CONTENT_MARGIN  # crop: share of the content's height kept around it
    hscale: float = 1.0  # the canvas widened (> 1) or narrowed (< 1) before fitting
    rotate: float = 0.0  # degrees, counter-clockwise: undoes a tilted text line
    shear: float = 0.0  # rows slid sideways in proportion to their height: undoes a slant
    clip: float = 0.0  # ink no stronger than this quantile of it (preprocess.ink_clipped); 0: off

    @property
    def name(self) -> str:
        turns = (f", rotate {self.rotate:g}" if self.rotate else "") + (
            f", shear {self.shear:g}" if self.shear else ""
        )
        clip = f", ink clipped at q{self.clip:g}" if self.clip else ""
        return f"margin {self.margin:g}, width x{self.hscale:g}{turns}{clip}"


# The first view is exactly what training sees, so a +tta decoder's base reading is the plain one.
VIEWS: tuple[View, ...] = (
    View(),
    View(margin=0.05),
    View(margin=0.3),
    View(hscale=0.9),
    View(hscale=1.15),
    View(hscale=1.3),
)


def has_views(resize: str) -> bool:
    """Views move the crop and the aspect ratio: a model that stretches every image to its
    input size has neither."""
    return resize != "stretch"


def default_decoder(resize: str) -> str:
    """How a model reads when no decoder is named: with views wherever it has them."""
    return "greedy+tta" if has_views(resize) else "greedy"


def check_resize(resize: str) -> None:
    if not has_views(resize):
        raise ViewError(
            "+tta needs a model that keeps the aspect ratio (resize pad or crop); this one "
            "stretches every image to its input size"
        )


def view_batches(
    images: Sequence[Image.Image | np.ndarray],
    height: int,
    width: int,
    resize: str,
    views: Sequence[View] = VIEWS,
    channels: int = 1,
) -> list[np.ndarray]:
    """One (N, C, H, W) model input per view, the images in the same order in each."""
    check_resize(resize)
    pil = [im if isinstance(im, Image.Image) else Image.fromarray(im) for im in images]
    return [
        preprocess_batch(
            pil,
            height,
            width,
            resize,
            margin=v.margin,
            hscale=v.hscale,
            channels=channels,
            rotate=v.rotate,
            shear=v.shear,
            clip=v.clip,
        )
        for v in views
    ]
