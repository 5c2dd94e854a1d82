"""A minimal PNG writer for 8-bit greyscale and RGB: no row filter, zlib level 1.

Pillow's encoder tries every row filter on every row (adaptive filtering). On captchas at zlib
level 1 that doubles encoding time for files under 1 % smaller (measured: 304 vs 153 µs for
9,572 vs 9,618 bytes on medium 160x60), and encoding was a quarter of `captchagen make`'s time.
The format needs three chunks (PNG specification, sections 5 and 11.2).
"""

from __future__ import annotations

import struct
import zlib

import numpy as np

_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_COLOUR_TYPE = {1: 0, 3: 2}  # channels -> PNG colour type: greyscale, truecolour


def _chunk(kind: bytes, body: bytes) -> bytes:
    crc = zlib.crc32(body, zlib.crc32(kind))
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)


def encode_png(pixels: np.ndarray, level: int = 1) -> bytes:
    """PNG bytes of a uint8 array shaped (H, W) or (H, W, 1) (greyscale) or (H, W, 3) (RGB)."""
    if pixels.ndim == 2:
        pixels = pixels[..., None]
    if pixels.dtype != np.uint8 or pixels.ndim != 3 or pixels.shape[2] not in _COLOUR_TYPE:
        raise ValueError(f"need uint8 (H, W[, 1 or 3]) pixels, got {pixels.dtype} {pixels.shape}")
    h, w, channels = pixels.shape
    if h == 0 or w == 0:
        raise ValueError("cannot encode an empty image")
    # Every scanline starts with its filter type; 0 (None) keeps the bytes as they are.
    scanlines = np.zeros((h, 1 + w * channels), np.uint8)
    scanlines[:, 1:] = pixels.reshape(h, w * channels)
    header = struct.pack(">IIBBBBB", w, h, 8, _COLOUR_TYPE[channels], 0, 0, 0)
    return b"".join(
        (
            _SIGNATURE,
            _chunk(b"IHDR", header),
            _chunk(b"IDAT", zlib.compress(scanlines, level)),
            _chunk(b"IEND", b""),
        )
    )
