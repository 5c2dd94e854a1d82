"""Datasets on disk: a crash-safe, resumable, shardable writer; verify; info; pack.

Layout of ``DIR``::

    images/0000042.png          one file per sample, named by index
    metadata.csv                file_name,text,index,seed,style,length,sha256  (HF imagefolder)
    dataset.json                spec, seed, n, format, digest of metadata.csv  (written last)
    packed/images.npy, labels.json   optional uint8 (N, H, W) memmap for fast training reads
    .captchagen/run.json        what this directory is being filled with
    .captchagen/chunks/*.csv    one journal per finished chunk of samples

Samples are rendered in chunks. A chunk's images are written atomically, then its journal, so a
chunk with a journal is complete; a run killed at any moment (even SIGKILL) resumes by redoing
the chunks without one. Rendering is a pure function of (spec, seed, index), so redone images
are byte-identical and shards written by different processes or machines merge by copying.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import UserError
from .io import atomic_write_bytes, atomic_write_text, remove_stale_temporaries
from .png import encode_png
from .sample import MAX_SEED, render_sample
from .spec import CaptchaSpec, spec_from_dict
from .version import RENDER_VERSION, __version__

FORMATS = {"png": "PNG", "jpg": "JPEG", "webp": "WEBP"}
CHUNK_SIZE = 500
META_FIELDS = ("file_name", "text", "index", "seed", "style", "length", "sha256")
STATE_DIR = ".captchagen"


class DatasetError(UserError):
    """A dataset request that cannot be honoured; the message says why in one line."""


@dataclass(frozen=True)
class RunConfig:
    spec: CaptchaSpec
    seed: int
    n: int
    format: str = "png"

    def __post_init__(self) -> None:
        if self.n <= 0:
            raise DatasetError(f"--n must be a positive number of images, got {self.n}")
        if not 0 <= self.seed <= MAX_SEED:
            raise DatasetError(f"--seed must be between 0 and {MAX_SEED}, got {self.seed}")
        if self.format not in FORMATS:
            raise DatasetError(f"--format {self.format!r} is not one of {', '.join(FORMATS)}")

    def identity(self) -> dict:
        """What must match for two runs to fill the same directory."""
        return {
            "spec": self.spec.to_dict(),
            "spec_digest": self.spec.digest(),
            "seed": self.seed,
            "n": self.n,
            "format": self.format,
        }

    @property
    def n_chunks(self) -> int:
        return -(-self.n // CHUNK_SIZE)

    def file_name(self, index: int) -> str:
        digits = max(6, len(str(self.n - 1)))
        return f"images/{index:0{digits}d}.{self.format}"


def parse_shard(text: str | None) -> tuple[int, int]:
    """``"K/N"`` (0-based K) -> (K, N); None -> the whole run."""
    if text is None:
        return 0, 1
    try:
        k, n = (int(p) for p in text.split("/"))
    except ValueError:
        raise DatasetError(f"--shard must look like K/N (e.g. 0/4), got {text!r}") from None
    if n < 1 or not 0 <= k < n:
        raise DatasetError(f"--shard {text}: need 0 <= K < N")
    return k, n


def encode_image(image, fmt: str) -> bytes:
    if fmt == "png" and image.mode in ("L", "RGB"):  # every renderer's output
        return encode_png(np.asarray(image))
    buf = io.BytesIO()
    if fmt == "jpg":
        image.save(buf, format="JPEG", quality=95)
    elif fmt == "webp":
        image.save(buf, format="WEBP", lossless=True)
    else:
        image.save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


# --------------------------------------------------------------------------------------------
# Writing


def _state(out: Path) -> Path:
    return out / STATE_DIR


def _chunk_journal(out: Path, chunk: int) -> Path:
    return _state(out) / "chunks" / f"chunk-{chunk:06d}.csv"


def _render_chunk(job: tuple[RunConfig, str, int]) -> int:
    """Worker: render, write and journal one chunk; returns how many images it wrote."""
    config, out_str, chunk = job
    out = Path(out_str)
    start = chunk * CHUNK_SIZE
    stop = min(start + CHUNK_SIZE, config.n)
    rows = []
    for index in range(start, stop):
        sample = render_sample(config.spec, config.seed, index)
        data = encode_image(sample.image, config.format)
        name = config.file_name(index)
        atomic_write_bytes(out / name, data)
        rows.append(
            (name, sample.text, index, config.seed, sample.style, len(sample.text),
             hashlib.sha256(data).hexdigest())
        )  # fmt: skip
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    atomic_write_text(_chunk_journal(out, chunk), buf.getvalue())
    return stop - start


def _prepare(config: RunConfig, out: Path) -> None:
    """Claim ``out`` for this run, or refuse if it holds something else."""
    if out.exists() and not out.is_dir():
        raise DatasetError(f"output path {out} is a file, not a directory")
    run_file = _state(out) / "run.json"
    if run_file.exists():
        try:
            existing = json.loads(run_file.read_text())
        except (json.JSONDecodeError, OSError) as err:
            raise DatasetError(
                f"{run_file} is unreadable ({err}); move it aside to start over"
            ) from None
        mine = config.identity()
        diffs = [k for k in ("spec_digest", "seed", "n", "format") if existing.get(k) != mine[k]]
        if diffs:
            detail = ", ".join(f"{k} {existing.get(k)!r} != {mine[k]!r}" for k in diffs)
            raise DatasetError(
                f"{out} already holds a different dataset ({detail}); choose another --out"
            )
    else:
        if out.is_dir() and any(out.iterdir()):
            raise DatasetError(f"{out} is not empty and is not a captchagen dataset")
        (out / "images").mkdir(parents=True, exist_ok=True)
        (_state(out) / "chunks").mkdir(parents=True, exist_ok=True)
        atomic_write_text(run_file, json.dumps(config.identity(), indent=2) + "\n")
    (out / "images").mkdir(parents=True, exist_ok=True)
    (_state(out) / "chunks").mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(out / "images")
    remove_stale_temporaries(_state(out) / "chunks")


@dataclass
class MakeResult:
    out: Path
    written: int  # images rendered by this call
    complete: bool  # all shards done and the manifest written
    chunks_done: int
    chunks_total: int


def make_dataset(
    config: RunConfig,
    out: str | Path,
    *,
    workers: int = 1,
    shard: tuple[int, int] = (0, 1),
    progress: Callable[[int], None] | None = None,
) -> MakeResult:
    """Render ``config`` into ``out``; resumes whatever an earlier (killed) run left."""
    out = Path(out)
    _prepare(config, out)
    k, n_shards = shard
    done = {c for c in range(config.n_chunks) if _chunk_journal(out, c).exists()}
    todo = [c for c in range(k, config.n_chunks, n_shards) if c not in done]
    written = 0
    jobs = [(config, str(out), c) for c in todo]
    if workers > 1 and len(jobs) > 1:
        import multiprocessing as mp

        method = "fork" if "fork" in mp.get_all_start_methods() else "spawn"
        with mp.get_context(method).Pool(min(workers, len(jobs))) as pool:
            for count in pool.imap_unordered(_render_chunk, jobs):
                written += count
                if progress:
                    progress(count)
    else:
        for job in jobs:
            count = _render_chunk(job)
            written += count
            if progress:
                progress(count)
    chunks_done = sum(_chunk_journal(out, c).exists() for c in range(config.n_chunks))
    complete = chunks_done == config.n_chunks
    if complete:
        _finalise(config, out)
    return MakeResult(out, written, complete, chunks_done, config.n_chunks)


def todo_count(config: RunConfig, out: str | Path, shard: tuple[int, int] = (0, 1)) -> int:
    """Images the next ``make_dataset`` call would render (for a progress bar's total)."""
    out = Path(out)
    k, n_shards = shard
    total = 0
    for c in range(k, config.n_chunks, n_shards):
        if not _chunk_journal(out, c).exists():
            total += min(CHUNK_SIZE, config.n - c * CHUNK_SIZE)
    return total


def _finalise(config: RunConfig, out: Path) -> None:
    rows: list[list[str]] = []
    for c in range(config.n_chunks):
        rows.extend(csv.reader(io.StringIO(_chunk_journal(out, c).read_text())))
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(META_FIELDS)
    writer.writerows(rows)
    metadata = buf.getvalue().encode()
    atomic_write_bytes(out / "metadata.csv", metadata)
    spec = config.spec
    manifest = {
        "format_version": 1,
        "generator": f"captchabench {__version__}",
        "render_version": RENDER_VERSION,
        **config.identity(),
        "charset": spec.charset.chars,
        "image": {"width": spec.width, "height": spec.height, "mode": _mode(spec)},
        "metadata_sha256": hashlib.sha256(metadata).hexdigest(),
    }
    # dataset.json last: its presence means the dataset is complete.
    atomic_write_text(out / "dataset.json", json.dumps(manifest, indent=2) + "\n")


def _mode(spec: CaptchaSpec) -> str:
    return "L" if spec.grayscale else "RGB"


# --------------------------------------------------------------------------------------------
# Reading, verifying, packing


@dataclass
class Dataset:
    root: Path
    manifest: dict
    spec: CaptchaSpec

    @property
    def n(self) -> int:
        return int(self.manifest["n"])

    def records(self) -> list[dict[str, str]]:
        with open(self.root / "metadata.csv", newline="") as fh:
            return list(csv.DictReader(fh))


def open_dataset(path: str | Path) -> Dataset:
    root = Path(path)
    manifest_file = root / "dataset.json"
    if not root.is_dir():
        raise DatasetError(f"dataset directory not found: {root}")
    if not manifest_file.exists():
        if (_state(root) / "run.json").exists():
            raise DatasetError(f"{root} is incomplete; re-run the same `captchagen make` to finish")
        raise DatasetError(f"{root} is not a captchagen dataset (no dataset.json)")
    try:
        manifest = json.loads(manifest_file.read_text())
        spec = spec_from_dict(manifest["spec"])
    except (json.JSONDecodeError, KeyError, ValueError) as err:
        raise DatasetError(f"{manifest_file} is damaged: {err}") from None
    return Dataset(root, manifest, spec)


@dataclass
class VerifyReport:
    checked: int
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_dataset(
    path: str | Path, *, rerender: int = 0, progress: Callable[[int], None] | None = None
) -> VerifyReport:
    """Every file decodes and matches its checksum, the manifest matches the files, and
    (``rerender`` > 0) that many samples re-render to identical bytes."""
    from PIL import Image

    ds = open_dataset(path)
    problems: list[str] = []
    metadata = (ds.root / "metadata.csv").read_bytes()
    if hashlib.sha256(metadata).hexdigest() != ds.manifest.get("metadata_sha256"):
        problems.append("metadata.csv does not match the digest in dataset.json")
    records = ds.records()
    if len(records) != ds.n:
        problems.append(f"metadata.csv lists {len(records)} images, dataset.json says {ds.n}")
    listed = set()
    width, height = ds.spec.width, ds.spec.height
    for k, rec in enumerate(records):
        name = rec["file_name"]
        listed.add(name)
        file = ds.root / name
        try:
            data = file.read_bytes()
        except OSError:
            problems.append(f"{name}: missing")
            continue
        if hashlib.sha256(data).hexdigest() != rec["sha256"]:
            problems.append(f"{name}: checksum mismatch")
            continue
        try:
            with Image.open(io.BytesIO(data)) as im:
                im.load()
                if im.size != (width, height):
                    problems.append(f"{name}: size {im.size} != {(width, height)}")
        except Exception as err:  # any decoder failure is a finding, not a crash
            problems.append(f"{name}: does not decode ({err})")
        if progress and k % 1000 == 999:
            progress(1000)
    on_disk = {
        f"images/{p.name}" for p in (ds.root / "images").iterdir() if not p.name.startswith(".")
    }
    for extra in sorted(on_disk - listed)[:10]:
        problems.append(f"{extra}: on disk but not in metadata.csv")
    if rerender > 0 and records:
        fmt = ds.manifest["format"]
        step = max(1, len(records) // rerender)
        for rec in records[::step][:rerender]:
            sample = render_sample(ds.spec, int(rec["seed"]), int(rec["index"]))
            if hashlib.sha256(encode_image(sample.image, fmt)).hexdigest() != rec["sha256"]:
                problems.append(f"{rec['file_name']}: re-rendering gives different bytes")
    return VerifyReport(len(records), problems)


def dataset_info(path: str | Path) -> dict:
    ds = open_dataset(path)
    records = ds.records()
    lengths: dict[int, int] = {}
    for rec in records:
        lengths[int(rec["length"])] = lengths.get(int(rec["length"]), 0) + 1
    size = sum(f.stat().st_size for f in (ds.root / "images").iterdir())
    packed = ds.root / "packed" / "images.npy"
    return {
        "path": str(ds.root),
        "name": ds.spec.name,
        "backend": ds.spec.backend,
        "n": ds.n,
        "seed": ds.manifest["seed"],
        "format": ds.manifest["format"],
        "image": ds.manifest["image"],
        "charset": ds.manifest["charset"],
        "lengths": dict(sorted(lengths.items())),
        "spec_digest": ds.manifest["spec_digest"],
        "metadata_sha256": ds.manifest["metadata_sha256"],
        "bytes_on_disk": size,
        "packed": packed.exists(),
        "generator": ds.manifest.get("generator"),
    }


def pack_dataset(path: str | Path, progress: Callable[[int], None] | None = None) -> Path:
    """Write ``packed/images.npy`` (uint8 grayscale, N x H x W, memmap-able) and
    ``packed/labels.json`` so training reads need no PNG decoding."""
    from PIL import Image

    ds = open_dataset(path)
    records = ds.records()
    h, w = ds.spec.height, ds.spec.width
    folder = ds.root / "packed"
    folder.mkdir(exist_ok=True)
    tmp = folder / ".images.npy.tmp"
    arr = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.uint8, shape=(len(records), h, w))
    for k, rec in enumerate(records):
        with Image.open(ds.root / rec["file_name"]) as im:
            arr[k] = np.asarray(im.convert("L"))
        if progress and k % 1000 == 999:
            progress(1000)
    arr.flush()
    del arr
    os.replace(tmp, folder / "images.npy")
    labels = {
        "texts": [r["text"] for r in records],
        "indices": [int(r["index"]) for r in records],
        "charset": ds.manifest["charset"],
        "metadata_sha256": ds.manifest["metadata_sha256"],
    }
    atomic_write_text(folder / "labels.json", json.dumps(labels) + "\n")
    return folder
