"""The generator stream as a torch ``IterableDataset``, split across workers and ranks."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch.distributed as dist
from torch.utils.data import IterableDataset, get_worker_info

from .sample import Sample, render_sample
from .spec import CaptchaSpec
from .stream import shard_indices


def consumer_id() -> tuple[int, int]:
    """(id, count) of this process among all DataLoader workers of all distributed ranks."""
    rank, world = 0, 1
    if dist.is_available() and dist.is_initialized():
        rank, world = dist.get_rank(), dist.get_world_size()
    info = get_worker_info()
    worker, workers = (info.id, info.num_workers) if info is not None else (0, 1)
    return rank * workers + worker, world * workers


class CaptchaIterableDataset(IterableDataset):
    """Samples ``start..stop`` (endless if ``stop`` is None) of seed ``seed``. With several specs,
    index ``i`` uses ``specs[i % len(specs)]``: an even, deterministic mixture of levels.
    ``transform`` maps a Sample to what the DataLoader collates."""

    def __init__(
        self,
        specs: CaptchaSpec | Sequence[CaptchaSpec],
        seed: int,
        *,
        start: int = 0,
        stop: int | None = None,
        transform: Callable[[Sample], object] | None = None,
    ) -> None:
        super().__init__()
        self.specs = [specs] if isinstance(specs, CaptchaSpec) else list(specs)
        self.seed = seed
        self.start = start
        self.stop = stop
        self.transform = transform

    def __iter__(self):
        consumer, consumers = consumer_id()
        for index in shard_indices(self.start, self.stop, consumer, consumers):
            sample = render_sample(self.specs[index % len(self.specs)], self.seed, index)
            yield self.transform(sample) if self.transform else sample
