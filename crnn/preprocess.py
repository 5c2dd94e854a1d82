"""Image -> model input, torch-free (the ONNX reader uses it without importing torch).

Two ways to reach the model's fixed input size:

- ``stretch``: resize to height x width, whatever the aspect (the reference model's way);
- ``pad``: resize to the input height keeping the aspect ratio, then pad the width with the
  border's median grey (centred), or squeeze it if the text line is wider than the input. A
  260x75 and a 160x60 captcha then look alike to the model: glyphs keep their proportions.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

RESIZE_MODES = ("stretch", "pad")


def preprocess(image: Image.Image, height: int, width: int, resize: str = "stretch") -> np.ndarray:
    """Any PIL image -> float32 (1, H, W) in [-1, 1], grayscale, at the model's input size."""
    gray = image if image.mode == "L" else image.convert("L")
    if resize == "pad":
        w, h = gray.size
        scaled = max(1, min(width, round(w * height / h)))
        if gray.size != (scaled, height):
            gray = gray.resize((scaled, height), Image.Resampling.BILINEAR)
        arr = np.asarray(gray, dtype=np.float32)
        if scaled < width:
            border = np.concatenate([arr[0], arr[-1], arr[:, 0], arr[:, -1]])
            canvas = np.full((height, width), np.median(border), dtype=np.float32)
            left = (width - scaled) // 2
            canvas[:, left : left + scaled] = arr
            arr = canvas
    else:
        if gray.size != (width, height):
            gray = gray.resize((width, height), Image.Resampling.BILINEAR)
        arr = np.asarray(gray, dtype=np.float32)
    return arr[None] * (2.0 / 255.0) - 1.0
