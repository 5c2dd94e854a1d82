"""Training data: image preprocessing and deterministic batch streams.

Batch ``j`` is a pure function of (data, seed, j), and batches are strided across every consumer
(DataLoader worker x distributed rank). So a resumed run that starts at batch ``j`` sees exactly
what the interrupted one would have seen, whatever the number of workers.
"""

from __future__ import annotations

import signal
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch.utils.data import DataLoader, IterableDataset

from generator.charset import Charset
from generator.dataset import load_packed, open_dataset
from generator.errors import UserError
from generator.sample import render_sample
from generator.shards import read_member
from generator.spec import CaptchaSpec
from generator.stream import shard_indices
from generator.torch_stream import consumer_id

from .augment import augmenter
from .preprocess import preprocess, preprocess_batch, read_image


class DataError(UserError):
    """Training or evaluation data that cannot be used with this model."""


def encode_targets(texts: Sequence[str], charset: Charset) -> tuple[torch.Tensor, torch.Tensor]:
    """Concatenated token ids and per-sample lengths, the layout ``CTCLoss`` takes."""
    ids = [t for text in texts for t in charset.encode(text)]
    return torch.tensor(ids, dtype=torch.long), torch.tensor([len(t) for t in texts])


Batch = tuple[torch.Tensor, torch.Tensor, torch.Tensor, list[str]]


class _BatchStream(IterableDataset):
    """Yields batches ``start_batch, start_batch + consumers, …`` for this consumer."""

    def __init__(
        self,
        seed: int,
        batch_size: int,
        charset: Charset,
        height: int,
        width: int,
        start_batch: int,
        stop_batch: int | None,
        resize: str = "stretch",
        channels: int = 1,
    ) -> None:
        super().__init__()
        self.resize = resize
        self.channels = channels
        self.seed = seed
        self.batch_size = batch_size
        self.charset = charset
        self.height = height
        self.width = width
        self.start_batch = start_batch
        self.stop_batch = stop_batch

    def _collate(self, images: list[Image.Image], texts: list[str]) -> Batch:
        arrays = preprocess_batch(
            images, self.height, self.width, self.resize, channels=self.channels
        )
        targets, lengths = encode_targets(texts, self.charset)
        return torch.from_numpy(arrays), targets, lengths, texts

    def batch(self, j: int) -> Batch:  # pragma: no cover - abstract
        raise NotImplementedError

    def __iter__(self):
        consumer, consumers = consumer_id()
        for j in shard_indices(self.start_batch, self.stop_batch, consumer, consumers):
            yield self.batch(j)


class GeneratorBatches(_BatchStream):
    """Batch ``j`` holds stream samples ``j*B … j*B+B-1``; sample ``i`` uses
    ``specs[i % len(specs)]``, an even mixture of the given styles. Batches before
    ``warmup_batches`` use ``warmup_spec`` (default ``specs[0]``) only: a curriculum that gets CTC
    past its initial plateau on the easiest style first (measured: 4x fewer steps to leave it
    than on the mixture)."""

    def __init__(
        self,
        specs: Sequence[CaptchaSpec],
        seed: int,
        batch_size: int,
        charset: Charset,
        height: int,
        width: int,
        *,
        start_batch: int = 0,
        stop_batch: int | None = None,
        warmup_batches: int = 0,
        warmup_spec: CaptchaSpec | None = None,
        resize: str = "stretch",
        channels: int = 1,
    ) -> None:
        super().__init__(
            seed, batch_size, charset, height, width, start_batch, stop_batch, resize, channels
        )
        self.specs = list(specs)
        self.warmup_batches = warmup_batches
        self.warmup_specs = [warmup_spec] if warmup_spec is not None else self.specs[:1]
        for spec in self.specs:
            missing = set(spec.charset.chars) - set(charset.chars)
            if missing:
                raise DataError(
                    f"style {spec.name!r} draws characters the model cannot output: "
                    f"{''.join(sorted(missing))!r}"
                )

    def batch(self, j: int) -> Batch:
        first = j * self.batch_size
        styles = self.warmup_specs if j < self.warmup_batches else self.specs
        samples = [
            render_sample(styles[i % len(styles)], self.seed, i)
            for i in range(first, first + self.batch_size)
        ]
        return self._collate([s.image for s in samples], [s.text for s in samples])


class DiskBatches(_BatchStream):
    """Batches from a dataset on disk (packed memmap if present, else the image files), reshuffled
    every epoch by a permutation drawn from (seed, epoch)."""

    def __init__(
        self,
        root: str | Path,
        seed: int,
        batch_size: int,
        charset: Charset,
        height: int,
        width: int,
        *,
        start_batch: int = 0,
        stop_batch: int | None = None,
        resize: str = "stretch",
        channels: int = 1,
    ) -> None:
        super().__init__(
            seed, batch_size, charset, height, width, start_batch, stop_batch, resize, channels
        )
        ds = open_dataset(root)
        self.root = ds.root
        records = ds.records()
        self.texts = [r["text"] for r in records]
        self.files = [r["file_name"] for r in records]
        missing = charset.missing(self.texts)
        if missing:
            raise DataError(
                f"dataset {root} uses characters the model's charset lacks: "
                f"{''.join(sorted(missing))!r} (model charset {charset.chars!r})"
            )
        if len(records) < batch_size:
            raise DataError(f"dataset {root} has {len(records)} images, fewer than a batch")
        packed = ds.root / "packed" / "images.npy"
        self.packed_path = packed if packed.exists() else None
        if self.packed_path is not None:
            # Labels, shape and metadata digest checked; the pixel digest is skipped here (it
            # would read every byte of a possibly huge array at start-up).
            labels, _ = load_packed(ds.root, check_pixels=False, mmap=True)
            if labels["texts"] != self.texts:
                raise DataError(f"{packed} does not match the dataset; run `captchagen pack` again")
        self._packed: np.ndarray | None = None

    def _image(self, k: int) -> Image.Image:
        if self.packed_path is not None:
            if self._packed is None:  # opened lazily: each DataLoader worker maps its own view
                self._packed = np.load(self.packed_path, mmap_mode="r")
            return Image.fromarray(np.asarray(self._packed[k]))
        image = read_image(read_member(self.root, self.files[k]), self.files[k])
        return image.convert("L" if self.channels == 1 else "RGB")

    def batch(self, j: int) -> Batch:
        picked = epoch_batch(self.seed, j, len(self.texts), self.batch_size).tolist()
        return self._collate([self._image(k) for k in picked], [self.texts[k] for k in picked])


def epoch_batch(seed: int, j: int, n: int, batch_size: int, salt: tuple[int, ...] = ()):
    """Item indices of batch ``j`` when every epoch visits each of ``n`` items once, in an order
    drawn from ``(seed, epoch, *salt)``; the last partial batch of an epoch is skipped."""
    epoch, pos = divmod(j, n // batch_size)
    order = np.random.default_rng(np.random.SeedSequence([seed, epoch, *salt])).permutation(n)
    return order[pos * batch_size : (pos + 1) * batch_size]


class ListBatches(_BatchStream):
    """Batches from labelled images held in memory (k-shot training on real captchas), each
    epoch in a fresh order from (seed, epoch), every image freshly augmented; optionally half of
    every batch rendered from a synthetic style that resembles them."""

    def __init__(
        self,
        images: Sequence[Image.Image],
        texts: Sequence[str],
        seed: int,
        batch_size: int,
        charset: Charset,
        height: int,
        width: int,
        *,
        start_batch: int = 0,
        stop_batch: int | None = None,
        resize: str = "stretch",
        mix: CaptchaSpec | None = None,
        augmentation: str = "mild",
        channels: int = 1,
    ) -> None:
        super().__init__(
            seed, batch_size, charset, height, width, start_batch, stop_batch, resize, channels
        )
        if not images or len(images) != len(texts):
            raise DataError("k-shot training needs at least one labelled image")
        missing = charset.missing(list(texts))
        if missing:
            raise DataError(f"labels use characters the model lacks: {''.join(sorted(missing))!r}")
        # In the reader's own mode before any augmentation: grey for a grey reader (what the
        # augmentations always gave it), RGB for a colour one.
        mode = "L" if channels == 1 else "RGB"
        self.images = [im if im.mode == mode else im.convert(mode) for im in images]
        self.texts = list(texts)
        self.mix = mix
        self.augment = augmenter(augmentation)

    def batch(self, j: int) -> Batch:
        rng = np.random.default_rng(np.random.SeedSequence([self.seed, j, 11]))
        real = self.batch_size if self.mix is None else max(1, self.batch_size // 2)
        picked = rng.integers(0, len(self.images), size=real).tolist()
        images = [self.augment(self.images[k], rng) for k in picked]
        texts = [self.texts[k] for k in picked]
        if self.mix is not None:
            for i in range(self.batch_size - real):
                sample = render_sample(self.mix, self.seed, j * self.batch_size + i)
                images.append(sample.image)
                texts.append(sample.text)
        return self._collate(images, texts)


def _render_worker_init(_worker_id: int) -> None:
    """A DataLoader worker's set-up. A terminal's Ctrl-C reaches the whole process group, and a
    worker that died of it under the step being finished would end the run with a DataLoader
    error instead of the saved state crnn.stopping asks for; so workers ignore it and end with
    the trainer. SIGTERM keeps its effect: the DataLoader ends a worker that outlives its
    shutdown with it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def loader(stream: _BatchStream, workers: int) -> DataLoader:
    return DataLoader(
        stream,
        batch_size=None,
        num_workers=workers,
        prefetch_factor=4 if workers else None,
        persistent_workers=False,
        worker_init_fn=_render_worker_init if workers else None,
    )


def render_eval_set(
    specs: Sequence[CaptchaSpec],
    seed: int,
    n_per_spec: int,
    height: int,
    width: int,
    resize: str = "stretch",
    channels: int = 1,
) -> tuple[torch.Tensor, list[str], list[str]]:
    """``n_per_spec`` samples of each style (indices 0..n-1 of ``seed``): images, texts, style
    names. A style listed more than once (a weighted mixture repeats it: ``--weights 4,2,...``)
    is rendered once and its samples repeated, so the set, and any figure weighted by it, is
    what rendering every entry would give, at the cost of the distinct styles alone."""
    images, texts, names = [], [], []
    rendered: dict[str, tuple[list[np.ndarray], list[str]]] = {}
    for spec in specs:
        key = spec.digest()  # equal digests render identical bytes (CaptchaSpec.digest)
        if key not in rendered:
            samples = [render_sample(spec, seed, i) for i in range(n_per_spec)]
            rendered[key] = (
                [preprocess(s.image, height, width, resize, channels=channels) for s in samples],
                [s.text for s in samples],
            )
        style_images, style_texts = rendered[key]
        images += style_images
        texts += style_texts
        names += [spec.name] * n_per_spec
    return torch.from_numpy(np.stack(images)), texts, names


# --- the public torch pair --------------------------------------------------------------------


class CaptchaDataset(torch.utils.data.Dataset):
    """A captchagen dataset on disk (PNG folders or WebDataset/Parquet shards) as a map-style
    torch ``Dataset``: item ``k`` is ``(image, target_ids, length)`` with ``image`` a float32
    (1, H, W) tensor in [-1, 1] and ``target_ids`` the label's token ids (blank = 0 excluded).

    ``transform`` runs on the PIL image before resizing (augmentations). Batch composition is
    decided by the DataLoader's sampler alone, so it does not depend on ``num_workers`` (the
    trainer's own streams, by contrast, assign whole batches to workers by index: also
    independent of the worker count, see ``_BatchStream``).

        ds = CaptchaDataset("data/medium")
        loader = DataLoader(ds, batch_size=64, shuffle=True, collate_fn=collate_ctc)
        images, targets, lengths, texts = next(iter(loader))  # what nn.CTCLoss takes
    """

    def __init__(
        self,
        root: str | Path,
        *,
        height: int = 32,
        width: int = 128,
        resize: str = "pad",
        charset: Charset | None = None,
        transform=None,
        channels: int = 1,
    ) -> None:
        ds = open_dataset(root)
        self.root = ds.root
        self.records = ds.records()
        self.charset = charset or Charset(ds.manifest["charset"])
        missing = self.charset.missing([r["text"] for r in self.records])
        if missing:
            raise DataError(f"labels use characters outside the charset: {sorted(missing)}")
        self.height, self.width, self.resize = height, width, resize
        self.channels = channels
        self.transform = transform

    def __len__(self) -> int:
        return len(self.records)

    def __getitem__(self, k: int):
        record = self.records[k]
        image = read_image(read_member(self.root, record["file_name"]), record["file_name"])
        image = image.convert("L" if self.channels == 1 else "RGB")
        if self.transform is not None:
            image = self.transform(image)
        array = preprocess(image, self.height, self.width, self.resize, channels=self.channels)
        ids = torch.tensor(self.charset.encode(record["text"]), dtype=torch.long)
        return torch.from_numpy(array), ids, len(ids), record["text"]


def collate_ctc(items) -> Batch:
    """Stack images; concatenate targets with their lengths: the layout ``nn.CTCLoss`` takes."""
    images, ids, lengths, texts = zip(*items, strict=True)
    return torch.stack(images), torch.cat(ids), torch.tensor(lengths), list(texts)
