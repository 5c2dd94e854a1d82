"""What every command that makes a model out of saved ones (``crnn widen``, ``crnn interpolate``)
does before and after its arithmetic: refuse to replace a model already in the output folder,
load a safetensors model by name, path or run directory (never an ONNX export: its weights are
folded and cannot be trained on), and carry the source's config document over."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from generator.errors import UserError

from .checkpoint import CONFIG, WEIGHTS, load_model, weights_digest
from .model import CRNN
from .registry import resolve_model


def refuse_existing(out: Path, overwrite: bool, error: type[UserError]) -> None:
    if not overwrite and ((out / WEIGHTS).exists() or (out / CONFIG).exists()):
        raise error(f"{out} already holds a model; --overwrite to replace it")


def load_source(model: str, error: type[UserError], verb: str) -> tuple[CRNN, dict, str]:
    """The saved model ``model`` names, its config document and its weights' digest."""
    ref = resolve_model(model)
    if ref.is_onnx:
        raise error(f"{verb} safetensors models, not ONNX exports")
    net, document = load_model(ref.path)
    return net, document, weights_digest(ref.path)


def carried_meta(document: dict) -> dict[str, Any]:
    """A source's config document without what save_model writes afresh."""
    return {k: v for k, v in document.items() if k not in ("format_version", "model")}
