"""Inference: load a model, preprocess images, run the network, decode.

from crnn.recognizer import Recognizer
rec = Recognizer.load()                      # the shipped universal model
[(d.text, d.confidence) for d in rec.predict(["a.png", image])]
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch import nn
from torch.nn.utils.fusion import fuse_conv_bn_eval

from .checkpoint import load_model
from .decode import Constraints, Decoded, DecoderSpec, parse_decoder
from .model import CRNN
from .preprocess import ImageInputError, preprocess_batch, read_image
from .registry import resolve_model
from .views import VIEWS, View, view_batches

_READABLE_MODES = {"1", "L", "LA", "P", "PA", "RGB", "RGBA", "RGBX"}  # after read_image
_MIN_SIDE = 12
ImageItem = str | Path | bytes | Image.Image  # a file, its encoded bytes, or a decoded image
_MAX_ASPECT_DRIFT = 2.5


def fold_batchnorm(model: CRNN) -> CRNN:
    """A copy with every BatchNorm folded into the conv before it (inference only): one pass
    over memory less per layer; with channels_last this doubles CPU throughput (measured)."""
    fused = copy.deepcopy(model).eval()
    layers, out, i = list(fused.cnn), [], 0
    while i < len(layers):
        if isinstance(layers[i], nn.Conv2d) and isinstance(layers[i + 1], nn.BatchNorm2d):
            out.append(fuse_conv_bn_eval(layers[i], layers[i + 1]))
            i += 2
        else:
            out.append(layers[i])
            i += 1
    fused.cnn = nn.Sequential(*out)
    return fused


class Recognizer:
    def __init__(self, model: CRNN, document: dict, device: str = "cpu") -> None:
        self.config = model.config
        self.document = document
        self.device = torch.device(device)
        self.source_size = tuple(document.get("source_size") or (160, 60))
        self.model = fold_batchnorm(model).to(self.device).to(memory_format=torch.channels_last)

    @classmethod
    def load(cls, model: str | Path | None = None, device: str = "cpu") -> Recognizer:
        """A pretrained name (default: ``universal``), a run directory or a .safetensors file."""
        ref = resolve_model(model)
        if ref.is_onnx:
            raise ImageInputError(f"{ref.path} is an ONNX file; use crnn.onnx_reader.OnnxReader")
        weights, document = load_model(ref.path, device)
        return cls(weights, document, device)

    @property
    def chars(self) -> str:
        return self.config.charset

    @property
    def resize(self) -> str:
        return self.config.resize

    def _open(self, item: ImageItem) -> Image.Image:
        name = (
            "image"
            if isinstance(item, Image.Image)
            else ("image given as bytes" if isinstance(item, bytes) else str(item))
        )
        image = read_image(item)
        if image.mode not in _READABLE_MODES:
            raise ImageInputError(f"{name}: mode {image.mode} is not grayscale or RGB")
        w, h = image.size
        if min(w, h) < _MIN_SIDE:
            raise ImageInputError(f"{name}: {w}x{h} is too small to hold a captcha")
        expected = self.source_size[0] / self.source_size[1]
        if self.config.resize in ("pad", "crop"):  # aspect kept: any text line's shape
            if not 0.5 <= w / h <= 12:
                raise ImageInputError(f"{name}: {w}x{h} does not have a text line's shape")
        elif not 1 / _MAX_ASPECT_DRIFT <= (w / h) / expected <= _MAX_ASPECT_DRIFT:
            raise ImageInputError(
                f"{name}: {w}x{h} is far from the {self.source_size[0]}x{self.source_size[1]} "
                "captchas this model was trained on"
            )
        return image

    def log_probs(self, images: Sequence[ImageItem], batch_size: int = 256) -> np.ndarray:
        """(N, T, C) log-probabilities for the images."""
        if batch_size < 1:
            raise ImageInputError("batch size must be at least 1")
        if not images:
            raise ImageInputError("no images given")
        cfg = self.config
        arrays = preprocess_batch(
            [self._open(im) for im in images],
            cfg.height,
            cfg.width,
            cfg.resize,
            channels=cfg.channels,
        )
        return self.log_probs_of(torch.from_numpy(arrays), batch_size)

    def view_log_probs(
        self,
        images: Sequence[ImageItem],
        batch_size: int = 256,
        views: Sequence[View] = VIEWS,
    ) -> list[np.ndarray]:
        """One (N, T, C) array per test-time view (crnn.views), for the ``+tta`` decoders."""
        if not images:
            raise ImageInputError("no images given")
        opened = [self._open(im) for im in images]
        cfg = self.config
        batches = view_batches(opened, cfg.height, cfg.width, cfg.resize, views, cfg.channels)
        return [self.log_probs_of(torch.from_numpy(b), batch_size) for b in batches]

    def log_probs_of(self, tensor: torch.Tensor, batch_size: int = 256) -> np.ndarray:
        """Same, for already preprocessed (N, C, H, W) input."""
        outs = []
        with torch.inference_mode():
            for start in range(0, len(tensor), batch_size):
                chunk = tensor[start : start + batch_size].to(self.device)
                chunk = chunk.contiguous(memory_format=torch.channels_last)
                outs.append(self.model(chunk).float().cpu().numpy())
        return np.concatenate(outs)

    def predict(
        self,
        images: Sequence[ImageItem],
        decoder: str | DecoderSpec = "greedy",
        constraints: Constraints | None = None,
        batch_size: int = 256,
    ) -> list[Decoded]:
        spec = parse_decoder(decoder) if isinstance(decoder, str) else decoder
        read = self.view_log_probs if spec.tta else self.log_probs
        return spec.decode(read(images, batch_size), self.chars, constraints)
