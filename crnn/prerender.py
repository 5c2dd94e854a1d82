"""A training set rendered once, at the model's input size, on every core — then trained for
several epochs (``crnn train --prerender N``).

Why: a streamed run renders every sample on the CPU that also trains. On 2 cores the universal
stream fed the small model 138 samples/s while the model alone computes 224/s (62 %). Rendering
N samples up front on all cores and reading them back as uint8 arrays makes a training step pure
compute; over E epochs the rendering costs 1/E of a sample's time per sample seen
(benchmark/perf_train_e2e.py measures both side by side).

The cache lives in the run directory (``prerender/images.npy`` + ``labels.json``), is keyed by
everything that decides its bytes (styles and their digests, seed, count, input size, resize
mode, render version) and carries a digest of its pixels: a resumed run reuses it only after
checking all of that, and re-renders it otherwise.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import json
import multiprocessing as mp
import os
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch

from generator.charset import Charset
from generator.io import atomic_write_text, atomic_writer
from generator.jsonfile import read_json
from generator.sample import render_sample
from generator.spec import CaptchaSpec
from generator.version import RENDER_VERSION

from .data import Batch, DataError, GeneratorBatches, _BatchStream, encode_targets, epoch_batch
from .preprocess import model_pixels, normalise

FOLDER = "prerender"
_CHUNK = 500  # samples per worker task


def cache_key(
    specs: Sequence[CaptchaSpec],
    seed: int,
    n: int,
    height: int,
    width: int,
    resize: str,
    channels: int = 1,
) -> dict:
    # A grey cache's key is what it was before colour input existed: caches stay valid.
    colour = {"channels": channels} if channels != 1 else {}
    return colour | {
        "styles": [s.name for s in specs],
        "style_digests": [s.digest() for s in specs],
        "seed": seed,
        "n": n,
        "height": height,
        "width": width,
        "resize": resize,
        "render_version": RENDER_VERSION,
    }


_LABELS_SHAPE = {"key": dict, "texts": [str], "pixels_sha256": str}


def _render_chunk(job) -> tuple[int, np.ndarray, list[str]]:
    specs, seed, start, stop, height, width, resize, channels = job
    pixels = np.empty((stop - start, *_item_shape(height, width, channels)), np.uint8)
    texts = []
    for k, i in enumerate(range(start, stop)):
        sample = render_sample(specs[i % len(specs)], seed, i)
        pixels[k] = np.rint(model_pixels(sample.image, height, width, resize, channels=channels))
        texts.append(sample.text)
    return start, pixels, texts


def _item_shape(height: int, width: int, channels: int) -> tuple[int, ...]:
    return (height, width) if channels == 1 else (height, width, channels)


def _pixel_digest(pixels: np.ndarray) -> str:
    """sha256 of the array's bytes, read in slices (a memmap may not fit in memory)."""
    digest = hashlib.sha256()
    for start in range(0, len(pixels), 4096):
        digest.update(np.ascontiguousarray(pixels[start : start + 4096]).tobytes())
    return digest.hexdigest()


def _load(folder: Path, key: dict) -> tuple[np.ndarray, list[str]] | None:
    """The cache in ``folder`` if it is exactly the one ``key`` asks for, intact; else None."""
    try:
        labels = read_json(folder / "labels.json", _LABELS_SHAPE)
        pixels = np.load(folder / "images.npy", mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError):
        return None
    shape = (key["n"], *_item_shape(key["height"], key["width"], key.get("channels", 1)))
    if labels["key"] != key or pixels.shape != shape or pixels.dtype != np.uint8:
        return None
    if len(labels["texts"]) != key["n"]:
        return None
    if _pixel_digest(pixels) != labels["pixels_sha256"]:
        return None
    return pixels, labels["texts"]


def build(
    specs: Sequence[CaptchaSpec],
    seed: int,
    n: int,
    height: int,
    width: int,
    resize: str,
    out: Path,
    *,
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
    channels: int = 1,
) -> tuple[np.ndarray, list[str]]:
    """Samples ``0..n-1`` of the stream (sample ``i`` from ``specs[i % len(specs)]``) at the
    model's input size, as a read-only uint8 memmap (n, H, W), or (n, H, W, 3) for a colour
    reader, and their texts. Reused from
    ``out/prerender`` when it holds exactly this set, intact."""
    folder = Path(out) / FOLDER
    key = cache_key(specs, seed, n, height, width, resize, channels)
    cached = _load(folder, key)
    if cached is not None:
        return cached
    folder.mkdir(parents=True, exist_ok=True)
    jobs = [
        (list(specs), seed, start, min(n, start + _CHUNK), height, width, resize, channels)
        for start in range(0, n, _CHUNK)
    ]
    texts: list[str] = [""] * n
    workers = max(1, min(workers or os.cpu_count() or 1, len(jobs)))
    with atomic_writer(folder / "images.npy") as fh, contextlib.ExitStack() as stack:
        shape = (n, *_item_shape(height, width, channels))
        array = np.lib.format.open_memmap(Path(fh.name), "w+", np.uint8, shape)
        if workers > 1:
            # A process that trained before (bench transfer) may hold finished DataLoader
            # iterators in reference cycles: finalise them here, not in the forked children.
            gc.collect()
            method = "fork" if "fork" in mp.get_all_start_methods() else "spawn"
            pool = stack.enter_context(mp.get_context(method).Pool(workers))
            done = pool.imap_unordered(_render_chunk, jobs)
        else:
            done = map(_render_chunk, jobs)
        for start, pixels, chunk_texts in done:
            array[start : start + len(pixels)] = pixels
            texts[start : start + len(pixels)] = chunk_texts
            if progress:
                progress(len(pixels))
        array.flush()
        digest = _pixel_digest(array)
        del array
    document = {"key": key, "texts": texts, "pixels_sha256": digest}
    atomic_write_text(folder / "labels.json", json.dumps(document) + "\n")
    # Just written and digested: map it read-only without hashing every byte again.
    return np.load(folder / "images.npy", mmap_mode="r", allow_pickle=False), texts


class CachedBatches(_BatchStream):
    """Batches from a pre-rendered set, reshuffled every epoch by a permutation drawn from
    (seed, epoch). Batches before ``warmup.warmup_batches`` come from the live warm-up stream
    (the curriculum's easy style, cheap to render), so the cache holds only the mixture."""

    def __init__(
        self,
        pixels: np.ndarray,
        texts: Sequence[str],
        seed: int,
        batch_size: int,
        charset: Charset,
        height: int,
        width: int,
        *,
        warmup: GeneratorBatches | None = None,
        start_batch: int = 0,
        stop_batch: int | None = None,
        channels: int = 1,
    ) -> None:
        super().__init__(
            seed, batch_size, charset, height, width, start_batch, stop_batch, channels=channels
        )
        if len(texts) < batch_size:
            raise DataError(f"--prerender {len(texts)} is smaller than a batch ({batch_size})")
        missing = charset.missing(list(texts))
        if missing:
            raise DataError(
                f"pre-rendered labels use characters the model lacks: {''.join(sorted(missing))!r}"
            )
        self.pixels = pixels
        self.texts = list(texts)
        self.warmup = warmup
        self.warmup_batches = warmup.warmup_batches if warmup is not None else 0

    def batch(self, j: int) -> Batch:
        if j < self.warmup_batches:
            return self.warmup.batch(j)
        live = j - self.warmup_batches
        picked = np.sort(epoch_batch(self.seed, live, len(self.texts), self.batch_size, (23,)))
        images = normalise(self.pixels[picked])
        # (N, H, W) grey or (N, H, W, C) colour -> (N, C, H, W)
        images = images[:, None] if images.ndim == 3 else np.moveaxis(images, -1, 1).copy()
        texts = [self.texts[k] for k in picked.tolist()]
        targets, lengths = encode_targets(texts, self.charset)
        return torch.from_numpy(images), targets, lengths, texts
