"""ONNX export with a dynamic batch axis (TorchScript-based exporter: no onnxscript needed)."""

from __future__ import annotations

from pathlib import Path

import torch

from generator.errors import UserError

from .model import CRNN
from .recognizer import fold_batchnorm


class ExportError(UserError):
    pass


def export_onnx(
    model: CRNN, path: str | Path, opset: int = 17, document: dict | None = None
) -> Path:
    """Write ``model`` as ONNX carrying everything a reader needs (charset, input size,
    normalisation, blank index, resize mode, render version) as metadata_props, so the file
    stands alone: crnn.onnx_reader runs it with onnxruntime and no torch."""
    path = Path(path)
    if path.is_dir():
        raise ExportError(f"--onnx {path} is a directory; give a file name")
    try:
        import onnx  # the exporter needs it; fail early with a clear message
    except ImportError:
        raise ExportError(
            "ONNX export needs the onnx package: pip install 'captchabench[onnx]'"
        ) from None
    path.parent.mkdir(parents=True, exist_ok=True)
    fused = fold_batchnorm(model).cpu()
    cfg = model.config
    dummy = torch.zeros(2, cfg.channels, cfg.height, cfg.width)
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
    import onnx

    proto = onnx.load(str(tmp))
    meta = onnx_metadata(model, document or {})
    del proto.metadata_props[:]
    for key, value in meta.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.save(proto, str(tmp))
    tmp.replace(path)
    return path


def onnx_metadata(model: CRNN, document: dict) -> dict[str, str]:
    import json

    cfg = model.config
    return {
        "captchabench.format": "1",
        "charset": cfg.charset,
        "blank_index": "0",
        "input_height": str(cfg.height),
        "input_width": str(cfg.width),
        "resize": cfg.resize,
        # x = pixel * 2 / 255 - 1 on luminance, or on each of R, G, B (crnn.preprocess)
        "input_channels": str(cfg.channels),
        "normalisation": "gray * 2/255 - 1" if cfg.channels == 1 else "rgb * 2/255 - 1",
        "render_version": str(document.get("render_version", "")),
        "source_size": json.dumps(document.get("source_size") or [160, 60]),
        "model": json.dumps(cfg.to_dict()),
    }
