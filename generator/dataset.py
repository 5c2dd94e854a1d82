"""Datasets on disk: a crash-safe, resumable, shardable writer; verify; info; pack.

Layout of ``DIR``::

    images/0004/042137.png      one file per sample, named by index, 10,000 per folder
    metadata.jsonl              {"file_name", "text", "index", "seed", "style", "length",
                                "sha256"} per line: Hugging Face imagefolder metadata
    dataset.json                spec, seed, n, format, digest of metadata.jsonl (written last)
    packed/images.npy, labels.json   optional uint8 (N, H, W) memmap for fast training reads
    .captchagen/run.json        what this directory is being filled with
    .captchagen/chunks/*.jsonl  one journal per finished chunk of samples

Metadata is JSON Lines, not CSV, because a label is a string: CSV readers (pandas, and Hugging
Face ``datasets``, which reads CSV metadata through pandas) turn ``0012`` into 12 and ``NaN`` into
a missing value; JSON keeps ``"0012"`` a string in every reader.

Samples are rendered in chunks. A chunk's images are written atomically, then its journal, so a
chunk with a journal is complete; a run killed at any moment (even SIGKILL) resumes by redoing
the chunks without one. Rendering is a pure function of (spec, seed, index), so redone images
are byte-identical and shards written by different processes or machines merge by copying.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import UserError
from .io import (
    atomic_write_bytes,
    atomic_write_text,
    atomic_writer,
    remove_stale_temporaries,
    stale_temporaries,
)
from .jsonfile import JsonFileError, check_shape, parse_json, read_json
from .lock import Lock, held
from .png import encode_png
from .sample import MAX_SEED, render_sample
from .seeds import RESERVED_SEED_MIN
from .shards import SHARD_FORMATS, encode_shard, read_member, shard_name, split_name
from .spec import CaptchaSpec, spec_from_dict
from .version import RENDER_VERSION, __version__

FORMATS = {"png": "PNG", "jpg": "JPEG", "webp": "WEBP"}  # one file per image
ALL_FORMATS = (*FORMATS, *SHARD_FORMATS)  # ... or one WebDataset / Parquet shard per chunk
CHUNK_SIZE = 500
METADATA = "metadata.jsonl"
FORMAT_VERSION = 2  # 1: metadata.csv and one flat images/ folder
FILES_PER_FOLDER = 10_000  # keeps directory listings and file systems fast at 100M images
STATE_DIR = ".captchagen"


class DatasetError(UserError):
    """A dataset request that cannot be honoured; the message says why in one line."""


# Work must start promptly and bookkeeping stay small (one journal per chunk): above this, render
# several datasets (or shards of one run) instead.
MAX_N = 1_000_000_000


@dataclass(frozen=True)
class RunConfig:
    spec: CaptchaSpec
    seed: int
    n: int
    format: str = "png"
    # Reserved seeds (validation and benchmark sets) are only for evaluation sets, which the
    # benchmark renders itself; `captchagen make` and every training path refuse them.
    evaluation: bool = False

    def __post_init__(self) -> None:
        if not 0 < self.n <= MAX_N:
            raise DatasetError(
                f"--n must be a positive number of images up to {MAX_N:,}, got {self.n}"
            )
        top = MAX_SEED if self.evaluation else RESERVED_SEED_MIN - 1
        if not 0 <= self.seed <= top:
            reserved = "" if self.evaluation else " (2**48 and up are reserved for evaluation)"
            raise DatasetError(f"--seed must be between 0 and {top}, got {self.seed}{reserved}")
        if self.format not in ALL_FORMATS:
            raise DatasetError(f"--format {self.format!r} is not one of {', '.join(ALL_FORMATS)}")
        if self.format == "parquet":
            try:
                import pyarrow  # noqa: F401 - checked before any work starts
            except ImportError:
                raise DatasetError(
                    "--format parquet needs pyarrow: pip install 'captchabench[parquet]'"
                ) from None

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

    def chunk_range(self, chunk: int) -> range:
        return range(chunk * CHUNK_SIZE, min((chunk + 1) * CHUNK_SIZE, self.n))

    @property
    def sharded(self) -> bool:
        return self.format in SHARD_FORMATS

    def file_name(self, index: int) -> str:
        digits = max(6, len(str(self.n - 1)))
        if self.sharded:
            return f"{shard_name(index // CHUNK_SIZE, self.format)}#{index:0{digits}d}.png"
        folder_digits = max(4, len(str((self.n - 1) // FILES_PER_FOLDER)))
        folder = index // FILES_PER_FOLDER
        return f"images/{folder:0{folder_digits}d}/{index:0{digits}d}.{self.format}"


def parse_shard(text: str | None, environ: dict[str, str] | None = None) -> tuple[int, int]:
    """``"K/N"`` (0-based K) -> (K, N); None -> the whole run; ``auto`` -> from the scheduler:
    a Slurm job array (SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_COUNT, SLURM_ARRAY_TASK_MIN) or a
    Kubernetes indexed Job (JOB_COMPLETION_INDEX, with the Job's completions in
    JOB_COMPLETIONS, which the pod spec sets)."""
    if text is None:
        return 0, 1
    if text == "auto":
        return _scheduler_shard(os.environ if environ is None else environ)
    try:
        k, n = (int(p) for p in text.split("/"))
    except ValueError:
        raise DatasetError(f"--shard must look like K/N (e.g. 0/4), got {text!r}") from None
    if n < 1 or not 0 <= k < n:
        raise DatasetError(f"--shard {text}: need 0 <= K < N")
    return k, n


def _scheduler_shard(env) -> tuple[int, int]:
    def number(name: str) -> int:
        try:
            return int(env[name])
        except ValueError:
            raise DatasetError(f"--shard auto: {name}={env[name]!r} is not a number") from None

    if "SLURM_ARRAY_TASK_ID" in env:
        if "SLURM_ARRAY_TASK_COUNT" not in env:
            raise DatasetError("--shard auto: SLURM_ARRAY_TASK_COUNT is not set")
        k = (
            number("SLURM_ARRAY_TASK_ID") - number("SLURM_ARRAY_TASK_MIN")
            if ("SLURM_ARRAY_TASK_MIN" in env)
            else number("SLURM_ARRAY_TASK_ID")
        )
        n = number("SLURM_ARRAY_TASK_COUNT")
    elif "JOB_COMPLETION_INDEX" in env:
        if "JOB_COMPLETIONS" not in env:
            raise DatasetError(
                "--shard auto: JOB_COMPLETIONS is not set (set it in the pod spec to the Job's "
                "completions)"
            )
        k, n = number("JOB_COMPLETION_INDEX"), number("JOB_COMPLETIONS")
    else:
        raise DatasetError(
            "--shard auto: no Slurm array (SLURM_ARRAY_TASK_ID) or Kubernetes indexed Job "
            "(JOB_COMPLETION_INDEX) in the environment; give --shard K/N"
        )
    if n < 1 or not 0 <= k < n:
        raise DatasetError(f"--shard auto: shard {k} of {n} is out of range")
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


def _chunks_dir(out: Path) -> Path:
    return _state(out) / "chunks"


def _chunk_journal(out: Path, chunk: int) -> Path:
    return _chunks_dir(out) / f"chunk-{chunk:06d}.jsonl"


def _journaled(out: Path) -> set[int]:
    """Chunks with a journal, from one directory listing (a stat per chunk would take hours at
    a billion images)."""
    try:
        names = os.listdir(_chunks_dir(out))
    except FileNotFoundError:
        return set()
    return {
        int(name[6:-6])
        for name in names
        if name.startswith("chunk-") and name.endswith(".jsonl") and name[6:-6].isdigit()
    }


def _render_rows(
    config: RunConfig, out: Path, indices: range | list[int], blobs: list[bytes] | None = None
) -> list[dict]:
    """Render and encode these samples; write each image file atomically, or (shard formats)
    collect the bytes into ``blobs``. Returns their metadata rows."""
    rows = []
    folders: set[Path] = set()
    for index in indices:
        sample = render_sample(config.spec, config.seed, index)
        data = encode_image(sample.image, "png" if config.sharded else config.format)
        name = config.file_name(index)
        if blobs is not None:
            blobs.append(data)
        else:
            target = out / name
            if target.parent not in folders:
                target.parent.mkdir(exist_ok=True)
                folders.add(target.parent)
            atomic_write_bytes(target, data)
        rows.append(
            {"file_name": name, "text": sample.text, "index": index, "seed": config.seed,
             "style": sample.style, "length": len(sample.text),
             "sha256": hashlib.sha256(data).hexdigest()}
        )  # fmt: skip
    return rows


def metadata_line(row: dict) -> str:
    return json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n"


def _render_chunk(job: tuple[RunConfig, str, int]) -> int:
    """Worker: render, write and journal one chunk; returns how many images it wrote."""
    config, out_str, chunk = job
    out = Path(out_str)
    if config.sharded:
        blobs: list[bytes] = []
        rows = _render_rows(config, out, config.chunk_range(chunk), blobs)
        (out / "shards").mkdir(exist_ok=True)
        atomic_write_bytes(
            out / shard_name(chunk, config.format), encode_shard(config.format, rows, blobs)
        )
    else:
        rows = _render_rows(config, out, config.chunk_range(chunk))
    # The journal last: its presence means every image of the chunk is on disk.
    atomic_write_text(_chunk_journal(out, chunk), "".join(map(metadata_line, rows)))
    return len(rows)


# Set-up writes, in this order, so a kill between any two leaves a directory that the same
# command accepts: (1) OUT/.captchagen/ and its lock files, which alone do not make OUT "taken";
# (2) run.json, atomically, which claims OUT; (3) images/ and chunks/, which every later step
# re-creates if missing.
_LOCK_FILES = ("setup.lock", "writers.lock")


def _is_unclaimed(out: Path) -> bool:
    """OUT holds nothing but what a set-up killed before run.json leaves behind."""
    for entry in out.iterdir():
        if entry.name == STATE_DIR and entry.is_dir():
            for inner in entry.iterdir():
                leftover = inner.name in _LOCK_FILES or inner.name.startswith(".run.json.")
                empty_dir = inner.is_dir() and not any(inner.iterdir())
                if not (leftover or empty_dir or inner.name.startswith("shard-")):
                    return False
        elif not (entry.name == "images" and entry.is_dir() and not any(entry.iterdir())):
            return False
    return True


_RUN_SHAPE = {"spec_digest": str, "seed": int, "n": int, "format": str}


def _prepare(config: RunConfig, out: Path) -> None:
    """Claim ``out`` for this run, or refuse if it holds something else. Call with the set-up
    lock held."""
    run_file = _state(out) / "run.json"
    if run_file.exists():
        try:
            existing = read_json(run_file, _RUN_SHAPE)
        except JsonFileError as err:
            raise DatasetError(f"{err}; move {run_file} aside to start over") from None
        mine = config.identity()
        diffs = [k for k in ("spec_digest", "seed", "n", "format") if existing.get(k) != mine[k]]
        if diffs:
            detail = ", ".join(f"{k} {existing.get(k)!r} != {mine[k]!r}" for k in diffs)
            raise DatasetError(
                f"{out} already holds a different dataset ({detail}); choose another --out"
            )
    else:
        if not _is_unclaimed(out):
            raise DatasetError(f"{out} is not empty and is not a captchagen dataset")
        atomic_write_text(run_file, json.dumps(config.identity(), indent=2) + "\n")
    (out / "images").mkdir(exist_ok=True)
    _chunks_dir(out).mkdir(exist_ok=True)


def _writer_folders(out: Path) -> tuple[Path, ...]:
    """Where ``make`` writes files atomically (so where a kill can leave a temporary)."""
    images = out / "images"
    subfolders = sorted(p for p in images.iterdir() if p.is_dir()) if images.is_dir() else []
    return (out, images, *subfolders, out / "shards", _state(out), _chunks_dir(out))


@dataclass
class MakeResult:
    out: Path
    written: int  # images rendered by this call
    complete: bool  # all shards done and the manifest written
    chunks_done: int
    chunks_total: int
    repaired: int = 0  # damaged or missing images of finished chunks, re-rendered by this call


def make_dataset(
    config: RunConfig,
    out: str | Path,
    *,
    workers: int = 1,
    shard: tuple[int, int] = (0, 1),
    progress: Callable[[int], None] | None = None,
    wait: bool = False,
) -> MakeResult:
    """Render ``config`` into ``out``; resumes whatever an earlier (killed) run left, and
    re-renders images of finished chunks that were deleted or damaged since.

    Concurrent calls on one directory: a different dataset is refused; the same shard of the
    same dataset is refused (or waited for, with ``wait``); different shards run side by side.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise DatasetError(f"output path {out} is a file, not a directory")
    _state(out).mkdir(parents=True, exist_ok=True)
    k, n_shards = shard
    shard_lock = Lock(_state(out) / f"shard-{k}-of-{n_shards}.lock")
    writers = Lock(_state(out) / "writers.lock")
    try:
        with held(_state(out) / "setup.lock"):
            _prepare(config, out)
            if not shard_lock.acquire(wait=False) and not wait:
                what = "" if n_shards == 1 else f"shard {k}/{n_shards} of "
                raise DatasetError(
                    f"{what}{out} is being written by another captchagen process; wait for "
                    "it to finish (or choose another --out)"
                )
        if wait:
            shard_lock.acquire()  # no-op if already held
        with held(_state(out) / "setup.lock"):
            # Temporaries are only stale when no other writer is active: never delete another
            # process's in-flight file.
            if writers.acquire(wait=False):
                for folder in _writer_folders(out):
                    remove_stale_temporaries(folder)
            writers.acquire(shared=True)
        done = _journaled(out)
        mine = range(k, config.n_chunks, n_shards)
        repaired = _repair(config, out, [c for c in mine if c in done], progress)
        written = _render_missing(
            config, out, (c for c in mine if c not in done), workers, progress
        )
        with held(_state(out) / "setup.lock"):
            chunks_done = len(_journaled(out) & set(range(config.n_chunks)))
            complete = chunks_done == config.n_chunks
            if complete:
                _finalise(config, out)
    finally:
        writers.release()
        shard_lock.release()
    return MakeResult(out, written, complete, chunks_done, config.n_chunks, repaired)


def _render_missing(
    config: RunConfig, out: Path, todo, workers: int, progress: Callable[[int], None] | None
) -> int:
    written = 0
    jobs = [(config, str(out), c) for c in todo]
    if workers > 1 and len(jobs) > 1:  # no pool to start when nothing (or one chunk) is left
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
    return written


def _repair(
    config: RunConfig, out: Path, chunks: list[int], progress: Callable[[int], None] | None
) -> int:
    """Re-render the images of finished chunks that are missing or fail their checksum.
    Samples are pure functions of (spec, seed, index), so a repair restores the exact bytes."""
    repaired = 0
    for chunk in chunks:
        rows = _read_journal(out, chunk)
        damaged = []
        for row in rows:
            try:
                ok = hashlib.sha256(read_member(out, row["file_name"])).hexdigest()
                ok = ok == row["sha256"]
            except OSError:
                ok = False
            if not ok:
                damaged.append(row["index"])
        if not damaged:
            continue
        if config.sharded:  # a shard is rewritten whole (same bytes as before)
            _render_chunk((config, str(out), chunk))
        else:
            fresh = _render_rows(config, out, damaged)
            recorded = {r["index"]: r["sha256"] for r in rows}
            if any(r["sha256"] != recorded[r["index"]] for r in fresh):
                raise DatasetError(
                    f"{out}: re-rendering damaged images gives bytes other than the journal "
                    "records (rendered by another captchabench version?); render a new dataset"
                )
        repaired += len(damaged)
        if progress:
            progress(len(damaged))
    return repaired


_ROW_SHAPE = {
    "file_name": str,
    "text": str,
    "index": int,
    "seed": int,
    "style": str,
    "length": int,
    "sha256": str,
}


def parse_metadata_line(line: str, where: str) -> dict:
    """One metadata.jsonl (or journal) line, shape-checked, with a safe file name."""
    row = check_shape(parse_json(line, where), _ROW_SHAPE, where)
    if not _is_image_name(row["file_name"]):
        raise JsonFileError(f"{where}: file_name {row['file_name']!r} is not inside images/")
    return row


def _read_journal(out: Path, chunk: int) -> list[dict]:
    journal = _chunk_journal(out, chunk)
    try:
        lines = journal.read_text(encoding="utf-8").splitlines()
        return [
            parse_metadata_line(line, f"{journal} line {k + 1}") for k, line in enumerate(lines)
        ]
    except (JsonFileError, UnicodeDecodeError) as err:
        raise DatasetError(
            f"{journal} is damaged ({err}); delete it and re-run to render its chunk again"
        ) from None


def todo_count(config: RunConfig, out: str | Path, shard: tuple[int, int] = (0, 1)) -> int:
    """Images the next ``make_dataset`` call would render (for a progress bar's total)."""
    k, n_shards = shard
    done = _journaled(Path(out))
    return sum(
        len(config.chunk_range(c)) for c in range(k, config.n_chunks, n_shards) if c not in done
    )


def _finalise(config: RunConfig, out: Path) -> None:
    """metadata.jsonl streamed from the journals (memory flat in N), then dataset.json."""
    digest = hashlib.sha256()
    with atomic_writer(out / METADATA) as fh:
        for c in range(config.n_chunks):
            block = _chunk_journal(out, c).read_bytes()
            fh.write(block)
            digest.update(block)
    spec = config.spec
    manifest = {
        "format_version": FORMAT_VERSION,
        "generator": f"captchabench {__version__}",
        "render_version": RENDER_VERSION,
        **config.identity(),
        "charset": spec.charset.chars,
        "image": {"width": spec.width, "height": spec.height, "mode": _mode(spec)},
        "metadata": METADATA,
        "metadata_sha256": digest.hexdigest(),
        "evaluation_only": config.seed >= RESERVED_SEED_MIN,
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

    @property
    def evaluation_only(self) -> bool:
        """Rendered from a reserved seed: an evaluation set no training run may read."""
        return bool(self.manifest.get("evaluation_only")) or self.manifest["seed"] >= (
            RESERVED_SEED_MIN
        )

    def records(self) -> list[dict]:
        return list(self.iter_records())

    def iter_records(self) -> Iterator[dict]:
        """metadata.jsonl's rows, shape-checked (a label is always a ``str``, ``"0012"`` too)."""
        path = self.root / METADATA
        try:
            with open(path, encoding="utf-8") as fh:
                for number, line in enumerate(fh, start=1):
                    yield parse_metadata_line(line, f"{path} line {number}")
        except FileNotFoundError:
            raise DatasetError(
                f"{path} is missing; re-run `captchagen make` to rewrite it"
            ) from None
        except UnicodeDecodeError:
            raise DatasetError(f"{path} is not UTF-8 text") from None
        except JsonFileError as err:
            raise DatasetError(f"{err} (a damaged dataset: re-run `captchagen make`)") from None


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
        manifest = read_json(manifest_file, _MANIFEST_SHAPE)
        spec = spec_from_dict(manifest["spec"])
    except UserError as err:
        raise DatasetError(f"{manifest_file} is damaged: {err}") from None
    if manifest["format_version"] != FORMAT_VERSION:
        raise DatasetError(
            f"{root} is in dataset format {manifest['format_version']} (this captchagen reads "
            f"{FORMAT_VERSION}); render it again with `captchagen make`"
        )
    return Dataset(root, manifest, spec)


_MANIFEST_SHAPE = {
    "format_version": int,
    "spec": dict,
    "spec_digest": str,
    "seed": int,
    "n": int,
    "format": str,
    "charset": str,
    "image": {"width": int, "height": int, "mode": str},
    "metadata_sha256": str,
}


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
    try:
        metadata = (ds.root / METADATA).read_bytes()
    except FileNotFoundError:
        raise DatasetError(f"{ds.root / METADATA} is missing; re-run `captchagen make`") from None
    if hashlib.sha256(metadata).hexdigest() != ds.manifest.get("metadata_sha256"):
        problems.append(f"{METADATA} does not match the digest in dataset.json")
    records = ds.records()
    if len(records) != ds.n:
        problems.append(f"{METADATA} lists {len(records)} images, dataset.json says {ds.n}")
    listed = set()
    width, height = ds.spec.width, ds.spec.height
    for k, rec in enumerate(records):
        name = rec["file_name"]
        listed.add(name)
        try:
            data = read_member(ds.root, name)
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
    listed = {split_name(name)[0] for name in listed}
    on_disk = {
        p.relative_to(ds.root).as_posix()
        for folder in ("images", "shards")
        for p in (ds.root / folder).rglob("*")
        if p.is_file() and not p.name.startswith(".")
    }
    for extra in sorted(on_disk - listed)[:10]:
        problems.append(f"{extra}: on disk but not in {METADATA}")
    for folder in _writer_folders(ds.root):
        for tmp in stale_temporaries(folder)[:10]:
            problems.append(
                f"{tmp.relative_to(ds.root)}: stray temporary file from an interrupted writer "
                "(re-run the same `captchagen make` to clean it up)"
            )
    if (ds.root / "packed" / "labels.json").exists():
        try:
            load_packed(ds.root)
        except DatasetError as err:
            problems.append(str(err))
    if rerender > 0 and records:
        fmt = "png" if ds.manifest["format"] in SHARD_FORMATS else ds.manifest["format"]
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
    size = sum(
        f.stat().st_size
        for folder in ("images", "shards")
        for f in (ds.root / folder).rglob("*")
        if f.is_file()
    )
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


def _is_image_name(name: str) -> bool:
    """``images/…`` inside the dataset, or ``shards/NNNNNN.tar#member`` (or .parquet)."""
    path, member = split_name(name)
    parts = path.split("/")
    safe = len(parts) >= 2 and not any(p in ("", ".", "..") for p in parts)
    if member is not None:
        return safe and parts[0] == "shards" and "/" not in member and member not in ("", "..")
    return safe and parts[0] == "images"


def read_grey(root: Path, record: dict, mode: str = "L") -> np.ndarray:
    """One recorded image as a uint8 grey array (``mode`` "RGB": colour), after checking it
    against its sha256."""
    from PIL import Image

    data = read_member(root, record["file_name"])
    if hashlib.sha256(data).hexdigest() != record["sha256"]:
        raise DatasetError(
            f"{root / record['file_name']} fails its checksum; re-run `captchagen make` "
            "with the same arguments to repair it, then pack again"
        )
    with Image.open(io.BytesIO(data)) as im:
        return np.asarray(im.convert(mode))


def pack_dataset(path: str | Path, progress: Callable[[int], None] | None = None) -> Path:
    """Write ``packed/images.npy`` (uint8 grayscale, N x H x W, memmap-able) and
    ``packed/labels.json`` so training reads need no PNG decoding. Each image is checked against
    its recorded checksum first, and the digest of the packed pixels is recorded, so a reader
    can tell that the array still holds exactly these images (``load_packed``)."""

    ds = open_dataset(path)
    if not ds.spec.fixed_canvas:
        raise DatasetError(
            f"{ds.root}: a {ds.spec.name} dataset's images vary in size and cannot be packed into "
            "one array; crnn train --data reads its files (or use crnn train --prerender)"
        )
    records = ds.records()
    h, w = ds.spec.height, ds.spec.width
    folder = ds.root / "packed"
    folder.mkdir(exist_ok=True)
    pixels = hashlib.sha256()
    with atomic_writer(folder / "images.npy") as fh:
        tmp = Path(fh.name)
        arr = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.uint8, shape=(len(records), h, w))
        for k, rec in enumerate(records):
            arr[k] = read_grey(ds.root, rec)
            pixels.update(arr[k].tobytes())
            if progress and k % 1000 == 999:
                progress(1000)
        arr.flush()
        del arr
    labels = {
        "texts": [r["text"] for r in records],
        "indices": [int(r["index"]) for r in records],
        "charset": ds.manifest["charset"],
        "metadata_sha256": ds.manifest["metadata_sha256"],
        "shape": [len(records), h, w],
        "pixels_sha256": pixels.hexdigest(),
    }
    atomic_write_text(folder / "labels.json", json.dumps(labels) + "\n")
    return folder


_LABELS_SHAPE = {
    "texts": [str],
    "indices": [int],
    "charset": str,
    "metadata_sha256": str,
    "shape": [int],
    "pixels_sha256": str,
}


def load_packed(
    path: str | Path, *, check_pixels: bool = True, mmap: bool = False
) -> tuple[dict, np.ndarray]:
    """``packed/labels.json`` and ``packed/images.npy``, checked against the dataset: labels
    against metadata.jsonl's digest, the array's shape, and (``check_pixels``) every pixel
    against the digest recorded when it was packed. Raises DatasetError on any mismatch."""
    ds = open_dataset(path)
    folder = ds.root / "packed"
    stale = f"; run `captchagen pack {ds.root}` again"
    try:
        labels = read_json(folder / "labels.json", _LABELS_SHAPE)
    except JsonFileError as err:
        raise DatasetError(f"{err}{stale}") from None
    if labels["metadata_sha256"] != ds.manifest["metadata_sha256"]:
        raise DatasetError(f"{folder} was packed from other metadata{stale}")
    try:
        images = np.load(folder / "images.npy", mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError) as err:
        raise DatasetError(
            f"{folder / 'images.npy'} is not a packed array ({err}){stale}"
        ) from None
    if (
        images.dtype != np.uint8
        or list(images.shape) != labels["shape"]
        or (len(labels["texts"]) != images.shape[0])
    ):
        raise DatasetError(f"{folder / 'images.npy'} has the wrong shape or type{stale}")
    if check_pixels:
        digest = hashlib.sha256()
        for start in range(0, images.shape[0], 4096):
            digest.update(np.ascontiguousarray(images[start : start + 4096]).tobytes())
        if digest.hexdigest() != labels["pixels_sha256"]:
            raise DatasetError(
                f"{folder / 'images.npy'} does not hold the pixels it was packed with{stale}"
            )
    return labels, (images if mmap else np.array(images))
