"""Grow a grey reader into a colour one that starts out reading exactly as it did.

Why: a reader of one luminance channel cannot tell clutter from text when the two differ in hue
alone (wheezy.captcha draws a blue curve as light as its grey text; multicolorcaptcha picks glyph
and tile colours apart by hue). Training an RGB reader from scratch costs what the grey one cost;
growing it keeps everything the grey one learned.

How: the preprocessing turns a grey level L into 2L/255 - 1 and PIL's luminance is
L = 0.299 R + 0.587 G + 0.114 B, weights that sum to 1. So an RGB input normalised the same way,
read by a first convolution whose kernel for channel k is ``w_k`` times the grey kernel, sums to
exactly the grey kernel applied to the normalised luminance (zero padding included: zero in
every channel is zero in their weighted sum). Every later layer is untouched. The three channel
kernels see different inputs, so their gradients differ and training parts them.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import torch

from generator.errors import UserError
from generator.render import LUMA  # ITU-R BT.601 luma, the weights of PIL's convert("L")

from .model import CRNN


class ColourError(UserError):
    """A model that cannot be grown into a colour reader."""


@torch.no_grad()
def to_colour(model: CRNN) -> CRNN:
    """An RGB copy of grey ``model`` whose readings equal the grey model's on the image's
    luminance."""
    if model.config.channels != 1:
        raise ColourError(f"the model already reads {model.config.channels} channels")
    colour = CRNN(replace(model.config, channels=3)).eval()
    state = model.state_dict()
    grey = state["cnn.0.weight"]  # (out, 1, kh, kw)
    state["cnn.0.weight"] = torch.cat([w * grey for w in LUMA], dim=1)
    colour.load_state_dict(state)
    return colour


def colour_model(model: str, out: str | Path, overwrite: bool = False) -> Path:
    """Write grey ``model`` (a name, run directory or .safetensors) grown to RGB input into
    ``out`` (a run directory, ready for ``crnn train --init``). Refuses to replace a model
    already in ``out`` unless ``overwrite``. Returns ``out``."""
    from .checkpoint import save_model
    from .derive import carried_meta, load_source, refuse_existing

    out = Path(out)
    refuse_existing(out, overwrite, ColourError)
    source, document, digest = load_source(model, ColourError, "colour grows")
    grown = to_colour(source)
    meta = carried_meta(document)
    meta["coloured"] = {"source": model, "source_weights": digest}
    save_model(out, grown, meta)
    return out
