"""Checkpoints: weights in safetensors, everything else in JSON. Nothing is ever unpickled.

A run directory holds ``model.safetensors`` + ``config.json`` (the best weights so far, what
``predict``/``bench`` load) and, while training, ``state.safetensors`` + ``state.json`` (model,
optimizer and schedule at the last save, for ``--resume``).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save

from generator.errors import UserError
from generator.io import atomic_write_bytes, atomic_write_text
from generator.jsonfile import JsonFileError, read_json

from .ema import WeightAverage
from .model import CRNN, ModelConfig

WEIGHTS = "model.safetensors"
CONFIG = "config.json"
STATE = "state.safetensors"
STATE_META = "state.json"
FORMAT_VERSION = 1
# Formats that unpickle on load (torch.save, pickle, joblib): refused, they can run code.
_PICKLE_SUFFIXES = {".pt", ".pth", ".pkl", ".pickle", ".ckpt", ".bin", ".joblib"}


class CheckpointError(UserError):
    """A model path that cannot be loaded safely or does not hold a captchabench model."""


def _save_tensors(tensors: dict[str, torch.Tensor], path: Path, metadata=None) -> None:
    data = save({k: v.detach().cpu().contiguous() for k, v in tensors.items()}, metadata)
    atomic_write_bytes(path, data)  # same permissions and temp handling as every other file


def sniff_format(path: Path) -> str:
    """``safetensors``, ``pickle`` (pickle or torch.save zip: never loaded) or ``unknown``.

    A safetensors file starts with its JSON header's length as a little-endian u64, then the
    header itself (``{``); checking that structure instead of the first byte alone matters: a
    header length whose low byte is 0x80 starts with the same byte as a pickle.
    """
    with open(path, "rb") as fh:
        head = fh.read(9)
        size = os.fstat(fh.fileno()).st_size
    if len(head) == 9:
        header_len = int.from_bytes(head[:8], "little")
        if head[8:9] == b"{" and 2 <= header_len <= size - 8:
            return "safetensors"
    if head[:1] == b"\x80" or head[:2] == b"PK":  # pickle protocol 2+ / torch.save zip archive
        return "pickle"
    return "unknown"


def _refuse_pickle(path: Path) -> None:
    if path.suffix.lower() in _PICKLE_SUFFIXES:
        raise CheckpointError(
            f"{path} looks like a pickle/torch.save file; captchabench loads weights only from "
            "safetensors (unpickling can run arbitrary code)"
        )
    kind = sniff_format(path)
    if kind == "pickle":
        raise CheckpointError(
            f"{path} is a pickle or torch.save archive; refusing to load it (use safetensors)"
        )
    if kind != "safetensors":
        raise CheckpointError(f"{path} is not a safetensors file (truncated or another format)")


def _load_tensors(path: Path, device: str = "cpu") -> dict[str, torch.Tensor]:
    _refuse_pickle(path)
    try:
        return load_file(path, device=device)
    except (SafetensorError, OSError, ValueError) as err:
        raise CheckpointError(f"{path} is not a valid safetensors file: {err}") from None


def _tensor_metadata(path: Path) -> dict[str, str]:
    try:
        with safe_open(path, framework="pt") as fh:
            return fh.metadata() or {}
    except (SafetensorError, OSError, ValueError) as err:
        raise CheckpointError(f"{path} is not a valid safetensors file: {err}") from None


# The model's config also travels inside the weights file (safetensors metadata), so a
# config.json edited or copied from another model is caught instead of silently mis-reading.
_META_KEY = "captchabench.model"
_MODEL_SHAPE = {
    "arch": str,
    "charset": str,
    "height": int,
    "width": int,
    "max_label": int,
    "resize?": str,
    "channels?": int,
}
_CONFIG_SHAPE = {"model": _MODEL_SHAPE, "source_size?": ([int], type(None))}
_STATE_SHAPE = {
    "step": int,
    "total_steps": int,
    "param_groups": [dict],
    "scheduler": dict,
    "best_val_seq_acc?": float,
    "model?": _MODEL_SHAPE,
    "ema_updates?": int,
}


def _model_blob(config: ModelConfig) -> str:
    return json.dumps(config.to_dict(), sort_keys=True)


def save_model(run_dir: str | Path, model: CRNN, meta: dict[str, Any]) -> None:
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    core = model.module if hasattr(model, "module") else model
    _save_tensors(core.state_dict(), run_dir / WEIGHTS, {_META_KEY: _model_blob(core.config)})
    document = {"format_version": FORMAT_VERSION, "model": core.config.to_dict(), **meta}
    atomic_write_text(run_dir / CONFIG, json.dumps(document, indent=2) + "\n")


def _resolve(path: str | Path) -> tuple[Path, Path]:
    path = Path(path)
    if not path.exists():
        raise CheckpointError(f"model not found: {path}")
    if path.is_dir():
        weights, config = path / WEIGHTS, path / CONFIG
    else:
        _refuse_pickle(path)
        weights, config = path, path.with_name(CONFIG)
    if not weights.exists():
        stray = (
            sorted(p.name for p in path.glob("*") if p.suffix in _PICKLE_SUFFIXES)
            if path.is_dir()
            else []
        )
        hint = f" (found {', '.join(stray)}: pickles are not loaded)" if stray else ""
        raise CheckpointError(f"{path} holds no {WEIGHTS}{hint}")
    if not config.exists():
        raise CheckpointError(f"{config} is missing next to {weights.name}")
    _refuse_pickle(weights)
    return weights, config


def read_model_config(config_file: Path) -> tuple[ModelConfig, dict[str, Any]]:
    """A run's config.json, shape-checked: (model config, the whole document)."""
    try:
        document = read_json(config_file, _CONFIG_SHAPE)
        size = document.get("source_size")
        if size is not None and (len(size) != 2 or not all(8 <= v <= 16384 for v in size)):
            raise CheckpointError(
                f"{config_file}: source_size must be [width, height] in pixels, got {size}"
            )
        return ModelConfig(**document["model"]), document
    except (JsonFileError, TypeError) as err:
        raise CheckpointError(f"{config_file} is not a captchabench model config: {err}") from None


def weights_digest(path: str | Path) -> str:
    """sha256 (16 hex digits) of a model's weights file: which weights a name meant when."""
    import hashlib

    weights, _ = _resolve(path)
    return hashlib.sha256(weights.read_bytes()).hexdigest()[:16]


def read_config(path: str | Path) -> tuple[ModelConfig, dict[str, Any]]:
    """The model config of a run directory or .safetensors file, without loading weights."""
    return read_model_config(_resolve(path)[1])


def load_model(path: str | Path, device: str = "cpu") -> tuple[CRNN, dict[str, Any]]:
    """A model and its config document from a run directory or a .safetensors file."""
    weights, config_file = _resolve(path)
    config, document = read_model_config(config_file)
    recorded = _tensor_metadata(weights).get(_META_KEY)
    if recorded is not None:
        try:
            theirs = {**asdict(ModelConfig()), **json.loads(recorded)}  # older: fewer keys
        except (json.JSONDecodeError, TypeError):
            theirs = {}
        mine = asdict(config)
        diffs = [
            f"{k} {mine[k]!r} (weights: {theirs.get(k)!r})"
            for k in mine
            if theirs.get(k) != mine[k]
        ]
        if diffs:
            raise CheckpointError(
                f"{config_file} does not match {weights.name}: {', '.join(diffs)}"
            )
    model = CRNN(config)
    state = _load_tensors(weights, device)
    try:
        missing, unexpected = model.load_state_dict(state, strict=False)
    except RuntimeError:
        missing, unexpected = ["(tensor sizes differ)"], []
    if missing or unexpected:
        raise CheckpointError(
            f"{weights} does not fit the model its config describes (arch {config.arch!r}, "
            f"{len(config.charset)} characters; missing {len(missing)}, unexpected "
            f"{len(unexpected)} tensors or sizes differ)"
        )
    return model.to(device).eval(), document


def save_training_state(
    run_dir: Path,
    model,
    optimizer: torch.optim.Optimizer,
    scheduler,
    step: int,
    extra: dict,
    averaged: WeightAverage | None = None,
) -> None:
    """Everything ``--resume`` needs, without pickle: tensors to safetensors, the rest to JSON.
    ``averaged`` (the weights' moving average, if training keeps one) is stored beside them."""
    core = model.module if hasattr(model, "module") else model
    tensors = {f"model.{k}": v for k, v in core.state_dict().items()}
    if averaged is not None:
        tensors.update({f"ema.{k}": v for k, v in averaged.state_dict().items()})
        extra = {**extra, "ema_updates": averaged.updates}
    opt_state = optimizer.state_dict()
    for idx, slots in opt_state["state"].items():
        for name, value in slots.items():
            tensors[f"optim.{idx}.{name}"] = torch.as_tensor(value)
    _save_tensors(tensors, run_dir / STATE)
    meta = {
        "step": step,
        "param_groups": opt_state["param_groups"],
        "scheduler": scheduler.state_dict(),
        "model": core.config.to_dict(),
        **extra,
    }
    atomic_write_text(run_dir / STATE_META, json.dumps(meta, indent=2) + "\n")


def read_training_meta(run_dir: Path) -> dict:
    """state.json, shape-checked."""
    meta_file = run_dir / STATE_META
    if not (run_dir / STATE).exists() or not meta_file.exists():
        raise CheckpointError(f"nothing to resume in {run_dir} (no {STATE} / {STATE_META})")
    try:
        return read_json(meta_file, _STATE_SHAPE)
    except JsonFileError as err:
        raise CheckpointError(f"cannot resume: {err}") from None


def load_training_state(run_dir: Path, model, optimizer, scheduler) -> dict:
    meta = read_training_meta(run_dir)
    core = model.module if hasattr(model, "module") else model
    recorded = {**asdict(ModelConfig()), **meta.get("model", core.config.to_dict())}
    if recorded != asdict(core.config):
        theirs = meta["model"]
        diffs = [
            f"--{k.replace('_', '-')} {theirs.get(k, getattr(ModelConfig(), k))!r}"
            for k in asdict(core.config)
            if theirs.get(k, getattr(ModelConfig(), k)) != getattr(core.config, k)
        ]
        raise CheckpointError(
            f"{run_dir} was trained with {', '.join(diffs)}; resume with the same settings"
        )
    tensors = _load_tensors(run_dir / STATE)
    try:
        core.load_state_dict({k[6:]: v for k, v in tensors.items() if k.startswith("model.")})
        slots: dict[int, dict[str, torch.Tensor]] = {}
        for key, value in tensors.items():
            if key.startswith("optim."):
                _, idx, name = key.split(".", 2)
                slots.setdefault(int(idx), {})[name] = value
        if len(meta["param_groups"]) != len(optimizer.param_groups):
            raise CheckpointError(
                f"{run_dir} was trained with another --first-conv-lr split of the weights; "
                "resume with the same settings"
            )
        optimizer.load_state_dict({"state": slots, "param_groups": meta["param_groups"]})
        scheduler.load_state_dict(meta["scheduler"])
    except (RuntimeError, KeyError, ValueError, TypeError) as err:
        first = str(err).strip().splitlines()[0][:120] if str(err).strip() else type(err).__name__
        raise CheckpointError(
            f"{run_dir / STATE} does not fit this model and optimizer ({first})"
        ) from None
    return meta


def load_averaged(run_dir: Path, averaged: WeightAverage) -> bool:
    """Restore the moving average saved with the training state; False when it holds none (a
    run started without one: the average then starts from the resumed weights)."""
    meta = read_training_meta(run_dir)
    tensors = {k[4:]: v for k, v in _load_tensors(run_dir / STATE).items() if k.startswith("ema.")}
    if not tensors:
        return False
    try:
        averaged.load_state_dict(tensors, meta.get("ema_updates", 0))
    except RuntimeError:
        raise CheckpointError(f"{run_dir / STATE}: its averaged weights do not fit") from None
    return True


def load_training_model(run_dir: Path, device: str = "cpu", averaged: bool = False) -> CRNN:
    """The model as it stands at the last training-state save (not the best checkpoint): what
    an effort curve evaluates after each segment. ``averaged``: the weights' moving average
    where the run kept one (else the raw weights)."""
    meta = read_training_meta(run_dir)
    if "model" not in meta:
        raise CheckpointError(f"{run_dir / STATE_META} records no model config")
    try:
        config = ModelConfig(**meta["model"])
    except TypeError as err:
        raise CheckpointError(f"{run_dir / STATE_META}: bad model config ({err})") from None
    tensors = _load_tensors(run_dir / STATE, device)
    model = CRNN(config)
    prefix = "ema." if averaged and any(k.startswith("ema.") for k in tensors) else "model."
    try:
        model.load_state_dict(
            {k[len(prefix) :]: v for k, v in tensors.items() if k.startswith(prefix)}
        )
    except RuntimeError:
        raise CheckpointError(f"{run_dir / STATE} does not fit its recorded model") from None
    return model.to(device).eval()
