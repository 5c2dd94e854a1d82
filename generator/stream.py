"""Endless seeded streams of samples, and a torch IterableDataset over them.

The index space is strided across every consumer (DataLoader worker x distributed rank), so each
index is produced exactly once: no duplicates, no gaps, and the same stream for the same seed
whatever the number of workers. The torch ``IterableDataset`` lives in ``torch_stream`` so this
module (and ``captchagen``) never pays for importing torch.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

from .sample import Sample, render_sample
from .spec import CaptchaSpec


def stream(
    spec: CaptchaSpec, seed: int, start: int = 0, stop: int | None = None, step: int = 1
) -> Iterator[Sample]:
    """Samples ``start, start + step, …`` (endless when ``stop`` is None)."""
    indices = itertools.count(start, step) if stop is None else range(start, stop, step)
    for index in indices:
        yield render_sample(spec, seed, index)


def shard_indices(start: int, stop: int | None, consumer: int, consumers: int) -> Iterator[int]:
    """The indices consumer ``consumer`` of ``consumers`` owns: a stride over the whole range."""
    first = start + consumer
    return (
        itertools.count(first, consumers) if stop is None else iter(range(first, stop, consumers))
    )
