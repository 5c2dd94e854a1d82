"""Grow a trained reader into a wider one that starts out reading exactly as it did (Net2WiderNet,
Chen, Goodfellow, Shlens, ICLR 2016, arXiv 1511.05641).

Why: the `small` universal reader plateaus (validation ~0.70 from step 5,000 of 12,000, and
another 640k samples at a lower rate moved it 2 points), and training a wider one from scratch on
CPU costs days. A wider copy that computes the same function keeps everything the small one
learned and trains on from there, with room to learn more.

How: every new unit copies an old one (its incoming weights, its BatchNorm statistics, its LSTM
gate rows), and every layer that reads the copied units divides the weights it reads them with
by the number of copies, so the next layer's sums are unchanged. Conv channels pass through
BatchNorm, ReLU and max-pooling channel by channel, and an LSTM unit's state depends only on its
own gate rows, so copies stay equal to their originals and the output is the same. A small
perturbation of the copies' incoming weights (``noise``) breaks the symmetry; without it
original and copy receive identical gradients and never part.
"""

from __future__ import annotations

import numpy as np
import torch

from generator.errors import UserError

from .model import ARCHS, CRNN, ModelConfig, parameter_count


class WidenError(UserError):
    """A target architecture that is not a widening of the model's own."""


def _mapping(old: int, new: int, rng: np.random.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Unit j of the wide layer copies old unit ``g[j]`` (the first ``old`` copy themselves);
    ``counts[k]`` is how many wide units copy old unit k."""
    extra = rng.integers(0, old, size=new - old) if new > old else np.empty(0, np.int64)
    g = torch.from_numpy(np.concatenate([np.arange(old), extra]).astype(np.int64))
    return g, torch.bincount(g, minlength=old).to(torch.float32)


def _perturb(rows: torch.Tensor, old: int, noise: float, rng: np.random.Generator) -> None:
    """Perturb the copies' (rows ``old:``) incoming weights by ``noise`` x the tensor's spread."""
    if noise <= 0 or rows.shape[0] <= old:
        return
    scale = noise * float(rows[:old].std())
    jitter = rng.normal(0.0, scale, size=tuple(rows[old:].shape)).astype(np.float32)
    rows[old:] += torch.from_numpy(jitter)


def check_widening(source: ModelConfig, arch: str) -> None:
    if arch not in ARCHS:
        raise WidenError(f"unknown arch {arch!r}; choose one of {', '.join(ARCHS)}")
    old, new = ARCHS[source.arch], ARCHS[arch]
    narrower = [
        f"conv {i + 1}: {a} -> {b}"
        for i, (a, b) in enumerate(zip(old.channels, new.channels, strict=True))
        if b < a
    ]
    if new.hidden < old.hidden:
        narrower.append(f"LSTM hidden {old.hidden} -> {new.hidden}")
    if narrower or new.lstm_layers != old.lstm_layers:
        why = ", ".join(narrower) or f"{old.lstm_layers} LSTM layers -> {new.lstm_layers}"
        raise WidenError(f"{arch} is not a widening of {source.arch} ({why})")


@torch.no_grad()
def widen(model: CRNN, arch: str, seed: int = 0, noise: float = 0.01) -> CRNN:
    """A ``arch`` model computing what ``model`` computes (exactly when ``noise`` is 0)."""
    check_widening(model.config, arch)
    rng = np.random.default_rng(np.random.SeedSequence([seed, 1511_05641]))
    config = ModelConfig(**{**model.config.to_dict(), "arch": arch})
    wide = CRNN(config).eval()
    src, dst = model.state_dict(), wide.state_dict()
    out: dict[str, torch.Tensor] = {}

    # Conv stack: conv (no bias) -> BatchNorm pairs, in order.
    convs = [i for i, m in enumerate(model.cnn) if isinstance(m, torch.nn.Conv2d)]
    # The input channels (1 grey, 3 RGB) pass through unwidened.
    g_in = torch.arange(model.config.channels)
    counts_in = torch.ones(model.config.channels)
    for i in convs:
        w = src[f"cnn.{i}.weight"]  # (out, in, kh, kw)
        new_out = dst[f"cnn.{i}.weight"].shape[0]
        g, counts = _mapping(w.shape[0], new_out, rng)
        w = w[:, g_in] / counts_in[g_in].view(1, -1, 1, 1)  # read copied inputs, divided
        rows = w[g].clone()
        _perturb(rows, w.shape[0], noise, rng)
        out[f"cnn.{i}.weight"] = rows
        for name in ("weight", "bias", "running_mean", "running_var"):
            out[f"cnn.{i + 1}.{name}"] = src[f"cnn.{i + 1}.{name}"][g].clone()
        out[f"cnn.{i + 1}.num_batches_tracked"] = src[f"cnn.{i + 1}.num_batches_tracked"]
        g_in, counts_in = g, counts

    # LSTM: one hidden-unit mapping for every layer and direction; gates i, f, g, o in blocks.
    old_h, new_h = model.rnn.hidden_size, wide.rnn.hidden_size
    h, h_counts = _mapping(old_h, new_h, rng)
    gate_rows = torch.cat([q * old_h + h for q in range(4)])
    # Layer 1 (and the head) read [forward, backward] of the layer below.
    both = torch.cat([h, old_h + h])
    both_counts = torch.cat([h_counts[h], h_counts[h]])
    for layer in range(model.rnn.num_layers):
        for suffix in ("", "_reverse"):
            key = f"l{layer}{suffix}"
            w_ih = src[f"rnn.weight_ih_{key}"]
            if layer == 0:
                w_ih = w_ih[:, g_in] / counts_in[g_in].view(1, -1)
            else:
                w_ih = w_ih[:, both] / both_counts.view(1, -1)
            w_hh = src[f"rnn.weight_hh_{key}"][:, h] / h_counts[h].view(1, -1)
            w_ih, w_hh = w_ih[gate_rows].clone(), w_hh[gate_rows].clone()
            for q in range(4):  # perturb each gate block's copies
                _perturb(w_ih[q * new_h : (q + 1) * new_h], old_h, noise, rng)
            out[f"rnn.weight_ih_{key}"] = w_ih
            out[f"rnn.weight_hh_{key}"] = w_hh
            for b in ("bias_ih", "bias_hh"):
                out[f"rnn.{b}_{key}"] = src[f"rnn.{b}_{key}"][gate_rows].clone()
    out["head.weight"] = src["head.weight"][:, both] / both_counts.view(1, -1)
    out["head.bias"] = src["head.bias"].clone()
    missing = set(dst) - set(out)
    if missing:  # a layer this surgery does not know: refuse rather than leave it random
        raise WidenError(f"cannot widen {', '.join(sorted(missing))}")
    wide.load_state_dict(out)
    return wide


def widen_model(
    model: str, arch: str, out, seed: int = 0, noise: float = 0.01, overwrite: bool = False
):
    """Write ``model`` (a name, run directory or .safetensors) widened to ``arch`` into ``out``
    (a run directory, ready for ``crnn train --init``). Refuses to replace a model already in
    ``out`` unless ``overwrite``. Returns ``out``."""
    from pathlib import Path

    from .checkpoint import save_model
    from .derive import carried_meta, load_source, refuse_existing

    out = Path(out)
    if arch not in ARCHS:  # before loading anything: a bad --arch is one line at once
        raise WidenError(f"unknown arch {arch!r}; choose one of {', '.join(ARCHS)}")
    if not 0.0 <= noise <= 1.0:  # also refuses NaN
        raise WidenError(f"noise must be between 0 and 1, got {noise}")
    refuse_existing(out, overwrite, WidenError)
    source, document, digest = load_source(model, WidenError, "widen")
    wide = widen(source, arch, seed=seed, noise=noise)
    meta = carried_meta(document)
    meta["parameters"] = parameter_count(wide)
    meta["widened"] = {
        "source": model,
        "source_weights": digest,
        "source_arch": source.config.arch,
        "seed": seed,
        "noise": noise,
    }
    save_model(out, wide, meta)
    return out
