"""Checkpoints: weights in safetensors, everything else in JSON. Nothing is ever unpickled.

A run directory holds ``model.safetensors`` + ``config.json`` (the best weights so far, what
``predict``/``bench`` load) and, while training, ``state.safetensors`` + ``state.json`` (model,
optimizer and schedule at the last save, for ``--resume``).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from generator.errors import UserError
from generator.io import atomic_write_text

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
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        save_file({k: v.detach().cpu().contiguous() for k, v in tensors.items()}, tmp, metadata)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _refuse_pickle(path: Path) -> None:
    if path.suffix.lower() in _PICKLE_SUFFIXES:
        raise CheckpointError(
            f"{path} looks like a pickle/torch.save file; captchabench loads weights only from "
            "safetensors (unpickling can run arbitrary code)"
        )
    with open(path, "rb") as fh:
        head = fh.read(2)
    if head[:1] == b"\x80" or head == b"PK":  # pickle protocol 2+ / torch.save zip archive
        raise CheckpointError(
            f"{path} is a pickle or torch.save archive; refusing to load it (use safetensors)"
        )


def save_model(run_dir: str | Path, model: CRNN, meta: dict[str, Any]) -> None:
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    core = model.module if hasattr(model, "module") else model
    _save_tensors(core.state_dict(), run_dir / WEIGHTS)
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


def load_model(path: str | Path, device: str = "cpu") -> tuple[CRNN, dict[str, Any]]:
    """A model and its config document from a run directory or a .safetensors file."""
    weights, config_file = _resolve(path)
    try:
        document = json.loads(config_file.read_text())
        config = ModelConfig(**document["model"])
    except (json.JSONDecodeError, KeyError, TypeError) as err:
        raise CheckpointError(f"{config_file} is not a captchabench model config: {err}") from None
    model = CRNN(config)
    try:
        state = load_file(weights, device=device)
    except (SafetensorError, OSError) as err:
        raise CheckpointError(f"{weights} is not a valid safetensors file: {err}") from None
    missing, unexpected = model.load_state_dict(state, strict=False)
    if missing or unexpected:
        raise CheckpointError(
            f"{weights} does not fit arch {config.arch!r} (missing {len(missing)}, "
            f"unexpected {len(unexpected)} tensors)"
        )
    return model.to(device).eval(), document


def save_training_state(
    run_dir: Path, model, optimizer: torch.optim.Optimizer, scheduler, step: int, extra: dict
) -> None:
    """Everything ``--resume`` needs, without pickle: tensors to safetensors, the rest to JSON."""
    core = model.module if hasattr(model, "module") else model
    tensors = {f"model.{k}": v for k, v in core.state_dict().items()}
    opt_state = optimizer.state_dict()
    for idx, slots in opt_state["state"].items():
        for name, value in slots.items():
            tensors[f"optim.{idx}.{name}"] = torch.as_tensor(value)
    _save_tensors(tensors, run_dir / STATE)
    meta = {
        "step": step,
        "param_groups": opt_state["param_groups"],
        "scheduler": scheduler.state_dict(),
        **extra,
    }
    atomic_write_text(run_dir / STATE_META, json.dumps(meta, indent=2) + "\n")


def load_training_state(run_dir: Path, model, optimizer, scheduler) -> dict:
    state_file = run_dir / STATE
    meta_file = run_dir / STATE_META
    if not state_file.exists() or not meta_file.exists():
        raise CheckpointError(f"nothing to resume in {run_dir} (no {STATE} / {STATE_META})")
    _refuse_pickle(state_file)
    tensors = load_file(state_file)
    meta = json.loads(meta_file.read_text())
    core = model.module if hasattr(model, "module") else model
    core.load_state_dict({k[6:]: v for k, v in tensors.items() if k.startswith("model.")})
    slots: dict[int, dict[str, torch.Tensor]] = {}
    for key, value in tensors.items():
        if key.startswith("optim."):
            _, idx, name = key.split(".", 2)
            slots.setdefault(int(idx), {})[name] = value
    optimizer.load_state_dict({"state": slots, "param_groups": meta["param_groups"]})
    scheduler.load_state_dict(meta["scheduler"])
    return meta
