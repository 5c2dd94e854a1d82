"""ONNX export with a dynamic batch axis (TorchScript-based exporter: no onnxscript needed)."""

from __future__ import annotations

from pathlib import Path

import torch

from generator.errors import UserError

from .model import CRNN
from .recognizer import fold_batchnorm


class ExportError(UserError):
    pass


def export_onnx(model: CRNN, path: str | Path, opset: int = 17) -> Path:
    path = Path(path)
    if path.is_dir():
        raise ExportError(f"--onnx {path} is a directory; give a file name")
    try:
        import onnx  # noqa: F401 - the exporter needs it; fail early with a clear message
    except ImportError:
        raise ExportError(
            "ONNX export needs the onnx package: pip install 'captchabench[onnx]'"
        ) from None
    path.parent.mkdir(parents=True, exist_ok=True)
    fused = fold_batchnorm(model).cpu()
    cfg = model.config
    dummy = torch.zeros(2, 1, cfg.height, cfg.width)
    tmp = path.with_name(f".{path.name}.tmp")
    torch.onnx.export(
        fused,
        (dummy,),
        str(tmp),
        input_names=["images"],
        output_names=["log_probs"],
        dynamic_axes={"images": {0: "batch"}, "log_probs": {0: "batch"}},
        opset_version=opset,
        dynamo=False,
    )
    tmp.replace(path)
    return path
