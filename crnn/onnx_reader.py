"""Read captchas with an exported ONNX file alone: onnxruntime + numpy + Pillow, no torch.

    from crnn.onnx_reader import OnnxReader
    reader = OnnxReader("model.onnx")
    reader.read(["a.png", "b.png"])        # [Decoded(text=..., confidence=...), ...]

Everything the reader needs (charset, input size, resize mode, blank index) comes from the
file's metadata, written by ``crnn export``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image

from generator.errors import UserError

from .decode import Constraints, Decoded, DecoderSpec, parse_decoder
from .preprocess import RESIZE_MODES, preprocess_batch, read_image
from .views import VIEWS, view_batches


class OnnxReaderError(UserError):
    pass


class OnnxReader:
    def __init__(self, path: str | Path) -> None:
        try:
            import onnxruntime as ort
        except ImportError:
            raise OnnxReaderError(
                "reading .onnx models needs onnxruntime: pip install 'captchabench[onnx]'"
            ) from None
        self.path = Path(path)
        try:
            self.session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        except Exception as err:  # onnxruntime raises its own exception types
            raise OnnxReaderError(f"{path} is not a loadable ONNX model ({err})") from None
        meta = self.session.get_modelmeta().custom_metadata_map
        missing = [k for k in ("charset", "input_height", "input_width") if k not in meta]
        if missing:
            raise OnnxReaderError(
                f"{path} lacks {', '.join(missing)} metadata (export it with `crnn export`)"
            )
        self.chars = meta["charset"]
        self.height, self.width = int(meta["input_height"]), int(meta["input_width"])
        self.resize = meta.get("resize", "stretch")
        channels = meta.get("input_channels", "1")  # older exports: grey, unstated
        if (
            self.resize not in RESIZE_MODES
            or meta.get("blank_index", "0") != "0"
            or channels not in ("1", "3")
        ):
            raise OnnxReaderError(
                f"{path}: unsupported resize, blank index or input channels in its metadata"
            )
        self.channels = int(channels)

    def log_probs(self, images: Sequence[str | Path | Image.Image], batch_size: int = 64):
        arrays = preprocess_batch(
            [read_image(im) for im in images],
            self.height,
            self.width,
            self.resize,
            channels=self.channels,
        )
        return self._run(arrays, batch_size)

    def view_log_probs(self, images: Sequence[str | Path | Image.Image], batch_size: int = 64):
        """One (N, T, C) array per test-time view (crnn.views), for the ``+tta`` decoders."""
        opened = [read_image(im) for im in images]
        batches = view_batches(opened, self.height, self.width, self.resize, VIEWS, self.channels)
        return [self._run(b, batch_size) for b in batches]

    def _run(self, arrays: np.ndarray, batch_size: int) -> np.ndarray:
        outs = [
            self.session.run(["log_probs"], {"images": arrays[k : k + batch_size]})[0]
            for k in range(0, len(arrays), batch_size)
        ]
        return np.concatenate(outs)

    def read(
        self,
        images: Sequence[str | Path | Image.Image],
        decoder: str | DecoderSpec = "greedy",
        constraints: Constraints | None = None,
        batch_size: int = 64,
    ) -> list[Decoded]:
        spec = parse_decoder(decoder) if isinstance(decoder, str) else decoder
        read = self.view_log_probs if spec.tta else self.log_probs
        return spec.decode(read(images, batch_size), self.chars, constraints)
