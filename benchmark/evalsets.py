"""Evaluation sets: captchagen datasets rendered from the reserved benchmark seed, cached on disk.

A set is identified by its style's digest and size, and reported by the digest of its
metadata.jsonl (which holds every image's checksum). No training run can draw these samples:
training seeds must be below 2**48 (generator.seeds), the benchmark seed is above.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from generator import RENDER_VERSION
from generator.dataset import (
    FORMAT_VERSION,
    DatasetError,
    RunConfig,
    load_packed,
    make_dataset,
    open_dataset,
    pack_dataset,
    read_grey,
)
from generator.errors import UserError
from generator.seeds import BENCHMARK_SEED
from generator.spec import CaptchaSpec, resolve_styles


def default_cache() -> Path:
    """The user's cache folder (platformdirs: ~/.cache/captchabench/evalsets on Linux), so an
    installed ``bench`` never litters the current directory; CAPTCHABENCH_CACHE overrides it."""
    import os

    from platformdirs import user_cache_path

    override = os.environ.get("CAPTCHABENCH_CACHE")
    return Path(override) if override else user_cache_path("captchabench") / "evalsets"


MAX_EVAL_N = 1_000_000  # samples per level: packed in memory at evaluation time
LEVELS = ("easy", "medium", "hard", "extreme")
# Settings are chosen on validation-seed samples from this index on: past the trainer's own
# validation samples (0..val_size), and never an evaluation set (those use BENCHMARK_SEED).
VALIDATION_FIRST_INDEX = 500


def validation_samples(style, n: int, first: int = VALIDATION_FIRST_INDEX) -> list:
    """``n`` validation-seed samples (generator.sample.Sample) of a preset or spec file (or a
    loaded spec), from index ``first`` (500: past the trainers' own validation samples)."""
    from generator.sample import render_sample
    from generator.seeds import VALIDATION_SEED
    from generator.spec import CaptchaSpec, load_style

    spec = style if isinstance(style, CaptchaSpec) else load_style(style)
    if first < VALIDATION_FIRST_INDEX:
        raise EvalSetError(
            f"validation samples start at index {VALIDATION_FIRST_INDEX} (below it: the "
            f"trainers' own validation samples), got {first}"
        )
    return [render_sample(spec, VALIDATION_SEED, first + i) for i in range(n)]


def validation_sets(
    styles, n: int, first: int = VALIDATION_FIRST_INDEX
) -> list[tuple[str, list, list[str]]]:
    """(name, images, texts) of ``n`` validation samples per style, named "NAME (validation)"
    by the style's own name: the sets the development scripts choose a setting on."""
    from generator.spec import load_style

    sets = []
    for style in styles:
        spec = load_style(style)  # once: its name and its samples
        samples = validation_samples(spec, n, first)
        sets.append(
            (f"{spec.name} (validation)", [s.image for s in samples], [s.text for s in samples])
        )
    return sets


# --alphabet: read within the target's alphabet (a style's charset, a dataset's declared one),
# or let the model answer any character it knows.
ALPHABETS = ("style", "model")


class EvalSetError(UserError):
    pass


@dataclass
class EvalSet:
    name: str
    spec: CaptchaSpec | None  # None for a labelled folder of real captchas
    root: Path
    digest: str  # sha256 of metadata.jsonl
    texts: list[str]
    indices: list[int]
    # uint8 (N, H, W); a list when sizes differ, or of (H, W, 3) arrays for a colour reader
    images: np.ndarray | list[np.ndarray]
    declared_alphabet: str | None = None  # a folder's own (a captchagen dataset's charset)

    @property
    def alphabet(self) -> str | None:
        """The characters this set can hold, where known: a style's charset, or what a
        captchagen dataset folder declares; None for a folder of bare labels."""
        return self.spec.charset.chars if self.spec is not None else self.declared_alphabet

    @property
    def n(self) -> int:
        return len(self.texts)


def _render(config: RunConfig, root: Path, workers: int) -> None:
    """Render (or repair) an evaluation set, with a progress bar or, in a log, periodic lines."""
    from generator.progress import Progress

    with Progress(config.n, unit="img", desc=f"eval set {config.spec.name}") as bar:
        make_dataset(config, root, workers=workers, wait=True, progress=bar.update)


def folder_eval_set(folder) -> EvalSet:
    """A labelled folder (benchmark.folders) as an evaluation set."""
    return EvalSet(
        folder.name,
        None,
        folder.root,
        folder.digest,
        folder.texts,
        list(range(folder.n)),
        folder.images,
        folder.alphabet,
    )


def resolve_levels(text: str) -> list[CaptchaSpec]:
    """``all``, a comma list of preset names, or spec files."""
    specs = resolve_styles(text)
    names = [s.name for s in specs]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise EvalSetError(f"level {twice[0]!r} is listed twice (levels are named by spec name)")
    return specs


def _read_checked(
    root: Path, mode: str = "L"
) -> tuple[list[str], list[int], list[np.ndarray]] | None:
    """Texts, indices and grey (``mode`` "RGB": colour) images of a finished set, every image
    checked against its recorded sha256; None if any is missing or damaged."""
    try:
        records = open_dataset(root).records()
        images = [read_grey(root, rec, mode) for rec in records]
    except (OSError, DatasetError):
        return None
    return [r["text"] for r in records], [int(r["index"]) for r in records], images


def _unpacked(config: RunConfig, root: Path, workers: int, mode: str = "L"):
    """A set read from its files: a variable-size one (no packed array can hold it), or any set
    in colour (``mode`` "RGB"; the packed array holds luminance only)."""
    checked = _read_checked(root, mode) if (root / "metadata.jsonl").exists() else None
    if checked is None:
        if root.exists():
            print(f"bench: {root} is incomplete or damaged; re-rendering it", file=sys.stderr)
        _render(config, root, workers)  # renders what is missing, repairs what is damaged
        checked = _read_checked(root, mode)
        if checked is None:  # pragma: no cover - just rendered and verified by make
            raise EvalSetError(f"{root}: the evaluation set does not read back")
    return checked


def _packed(config: RunConfig, root: Path, workers: int):
    if not (root / "packed" / "labels.json").exists():
        _render(config, root, workers)
        pack_dataset(root)
    try:
        labels, images = load_packed(root)
    except DatasetError as err:
        # "Same eval set" must mean same pixels: a cache that fails its digests is rebuilt
        # from the samples' pure function (damaged images re-rendered, then re-packed).
        print(f"bench: {err}; re-rendering that evaluation set", file=sys.stderr)
        _render(config, root, workers)
        pack_dataset(root)
        labels, images = load_packed(root)
    return labels["texts"], labels["indices"], images


def get_eval_set(
    spec: CaptchaSpec, n: int, cache: Path | None = None, workers: int = 1, colour: bool = False
) -> EvalSet:
    """The cached evaluation set of ``n`` samples of ``spec`` (rendered, or repaired, first);
    ``colour``: its images as RGB arrays, read once from their checked files (the packed cache
    a grey reader uses holds luminance only)."""
    if n <= 0:
        raise EvalSetError(f"--n must be a positive number of samples, got {n}")
    # Keyed on the renderer version too: a renderer change must not reuse stale images.
    root = (
        Path(cache or default_cache())
        / f"{spec.name}-{spec.digest()}-r{RENDER_VERSION}-f{FORMAT_VERSION}-n{n}"
    )
    config = RunConfig(spec=spec, seed=BENCHMARK_SEED, n=n, evaluation=True)
    if colour:
        texts, indices, images = _unpacked(config, root, workers, "RGB")
    else:
        read = _packed if spec.fixed_canvas else _unpacked
        texts, indices, images = read(config, root, workers)
    ds = open_dataset(root)
    return EvalSet(spec.name, spec, root, ds.manifest["metadata_sha256"], texts, indices, images)
