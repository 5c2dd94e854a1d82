"""An exponential moving average of a model's weights (Polyak averaging).

Training with a constant learning rate (an attack's effort curve, which must stay one run that
each segment extends) leaves the weights bouncing around a minimum; their running average sits
closer to it and reads like a model whose learning rate was annealed, without committing to a
run length up front. The averaged copy is what validation reads and what gets saved.

The decay warms up as ``min(decay, (1 + t) / (10 + t))`` after t updates (the schedule of
TensorFlow's ExponentialMovingAverage with num_updates), so a few steps in, the average is
mostly the current weights instead of the starting point.
"""

from __future__ import annotations

import copy

import torch
from torch import nn


def ema_decay(decay: float, updates: int) -> float:
    """The decay used for update number ``updates`` (1-based)."""
    return min(decay, (1 + updates) / (10 + updates))


class WeightAverage:
    """A detached copy of ``model`` whose floating-point tensors (parameters and batch-norm
    running statistics) follow ``avg = d * avg + (1 - d) * current``; integer buffers (batch
    counts) are copied."""

    def __init__(self, model: nn.Module, decay: float, updates: int = 0) -> None:
        if not 0.0 < decay < 1.0:
            raise ValueError(f"EMA decay must be in (0, 1), got {decay}")
        core = model.module if hasattr(model, "module") else model
        self.decay = decay
        self.updates = updates
        self.model = copy.deepcopy(core).eval()
        for p in self.model.parameters():
            p.requires_grad_(False)
        # A deep copy's LSTM weights are separate tensors, not cuDNN's one flat buffer: on a GPU
        # every forward of the copy (validation) would compact them again, with a warning.
        # On the CPU this is a no-op.
        for module in self.model.modules():
            if isinstance(module, nn.RNNBase):
                module.flatten_parameters()

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        core = model.module if hasattr(model, "module") else model
        self.updates += 1
        d = ema_decay(self.decay, self.updates)
        current = core.state_dict()
        for name, avg in self.model.state_dict().items():
            value = current[name]
            if avg.dtype.is_floating_point:
                avg.mul_(d).add_(value.detach(), alpha=1.0 - d)
            else:
                avg.copy_(value)

    def state_dict(self) -> dict[str, torch.Tensor]:
        return self.model.state_dict()

    def load_state_dict(self, tensors: dict[str, torch.Tensor], updates: int) -> None:
        self.model.load_state_dict(tensors)
        self.updates = updates
