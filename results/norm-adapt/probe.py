"""Batch-norm statistics re-estimated: does the shipped reader read better with them? (a probe)

    PYTHONPATH=. python results/norm-adapt/probe.py --unlabelled data/unlabelled-norm \
        > results/norm-adapt/probe.txt

Two ways to move only the running means and variances of the reader's batch-norm layers, its
weights untouched (``torch.optim.swa_utils.update_bn``: the exact mean over the batches given):

A. **On its own training mixture.** The shipped reader is a midpoint (``crnn interpolate``) of
   two fine-tunes, and its statistics are the midpoint of theirs, not the statistics of the
   midpoint's own activations; SWA and model soups re-estimate them after averaging weights.
   4,096 samples of t9's mixture (results/universal-t1/t9-run/config.json) from a training seed
   no run used, then read on validation-seed samples from 32,200 (no decision read them): the
   five training styles and relief, 300 each.
B. **On the target's unlabelled images (AdaBN, Li et al. 2016).** Statistics from 1,000
   unlabelled captchas of one third-party generator (rendered with seed 4242; the test folders
   are seed 2026's), then the 400 test images of that generator read. Label-free, so a rung an
   attacker with scraped captchas could climb; not a zero-shot figure.

Each is paired against the shipped reader on the same images (images right only by one or the
other, exact McNemar p). Decides nothing: a probe of a known technique, written up in
results/norm-adapt/README.md.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch.optim.swa_utils import update_bn

from benchmark.evalsets import validation_sets
from benchmark.folders import open_labelled_folder
from benchmark.model_choice import read_right
from benchmark.stats import mcnemar_exact
from crnn.checkpoint import load_model
from crnn.data import GeneratorBatches
from crnn.preprocess import preprocess_batch, read_image
from crnn.recognizer import Recognizer
from crnn.registry import resolve_model
from generator.charset import Charset
from generator.errors import UserError
from generator.spec import load_style

MIXTURE = Path("results/universal-t1/t9-run/config.json")
TRAINING_STYLES = [
    "universal",
    *(f"examples/full-alphabet/{s}.toml" for s in ("easy", "medium", "hard", "captcha")),
    "examples/relief.toml",
]
FOLDERS = ("wheezy", "captcha-default", "claptcha", "django-simple", "multicolor", "svg-captcha")
RECALIBRATION_SEED = 900_001  # a training seed no run of this project used
BATCH = 64


def load_shipped(name: str):
    return load_model(resolve_model(name).path)


def on_mixture(model, samples: int) -> None:
    """Part A: statistics from ``samples`` samples of t9's training mixture, in place."""
    styles = json.loads(MIXTURE.read_text())["train_args"]["styles"]
    c = model.config
    stream = GeneratorBatches(
        [load_style(s) for s in styles], RECALIBRATION_SEED, BATCH, Charset(c.charset),
        c.height, c.width, stop_batch=samples // BATCH, resize=c.resize, channels=c.channels,
    )  # fmt: skip
    update_bn((batch[0] for batch in stream), model)
    model.eval()


def on_images(model, images: list[np.ndarray]) -> None:
    """Part B: statistics from unlabelled images, read as the reader reads them, in place."""
    c = model.config

    def batches():
        for k in range(0, len(images), BATCH):
            part = images[k : k + BATCH]
            yield torch.from_numpy(
                preprocess_batch(part, c.height, c.width, c.resize, channels=c.channels)
            )

    update_bn(batches(), model)
    model.eval()


def unlabelled_images(folder: Path, colour: bool) -> list[np.ndarray]:
    files = sorted(p for p in folder.iterdir() if p.suffix == ".png")
    if not files:
        raise UserError(f"{folder} holds no .png images")
    # As a labelled folder is read (benchmark.folders): one decode, then grey or RGB.
    return [np.asarray(read_image(p).convert("RGB" if colour else "L")) for p in files]


def pair_line(name: str, base: dict, other: dict) -> str:
    cells = []
    for decoder in ("greedy", "greedy+tta"):
        a, b = base[decoder], other[decoder]
        only_other, only_base = int((b & ~a).sum()), int((a & ~b).sum())
        p = mcnemar_exact(only_base, only_other)
        cells.append(f"{a.mean():.3f} → {b.mean():.3f} ({only_base}/{only_other}, p {p:.2g})")
    return f"| {name} | " + " | ".join(cells) + " |"


HEADER = (
    "| set | greedy: shipped → adapted (right only by shipped / only by adapted, p) "
    "| greedy+tta: the same |\n|---|---|---|"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="universal")
    parser.add_argument("--samples", type=int, default=4096, help="part A's mixture samples")
    parser.add_argument("--n", type=int, default=300, help="part A's samples per style")
    parser.add_argument("--first", type=int, default=32_200, help="part A's first index")
    parser.add_argument("--unlabelled", type=Path, required=True, help="part B: FOLDER/<name>/")
    parser.add_argument("--data", type=Path, default=Path("data/foreign"))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--part", choices=("A", "B", "both"), default="both")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    if args.part in ("B", "both"):  # before part A's ten minutes, not after them
        for name in FOLDERS:
            if not (args.unlabelled / name).is_dir():
                raise UserError(
                    f"{args.unlabelled / name} is not a folder (README: the command that makes it)"
                )
    base_model, document = load_shipped(args.model)
    shipped = Recognizer(base_model, document)
    colour = base_model.config.channels == 3

    if args.part in ("A", "both"):
        part_a(args, shipped, document)
    if args.part in ("B", "both"):
        part_b(args, shipped, document, colour)


def part_a(args, shipped, document) -> None:
    print(f"# Part A: `{args.model}` with statistics from {args.samples:,} samples of t9's "
          f"mixture (seed {RECALIBRATION_SEED}); validation samples {args.first:,}–"
          f"{args.first + args.n - 1:,}\n")  # fmt: skip
    model, _ = load_shipped(args.model)
    on_mixture(model, args.samples)
    adapted = Recognizer(model, document)
    print(HEADER)
    for name, images, texts in validation_sets(TRAINING_STYLES, args.n, args.first):
        print(pair_line(name, read_right(shipped, images, texts),
                        read_right(adapted, images, texts)), flush=True)  # fmt: skip


def part_b(args, shipped, document, colour) -> None:
    print(
        f"\n# Part B: `{args.model}` with statistics from each generator's unlabelled "
        f"images ({args.unlabelled}/<name>), read on its 400 test images ({args.data})\n"
    )
    print(HEADER)
    for name in FOLDERS:
        unlabelled = unlabelled_images(args.unlabelled / name, colour)
        test = open_labelled_folder(args.data / name, colour=colour)
        pictures = [Image.fromarray(a) for a in test.images]  # what Recognizer reads
        model, _ = load_shipped(args.model)
        on_images(model, unlabelled)
        adapted = Recognizer(model, document)
        label = f"{name} ({len(unlabelled):,} unlabelled)"
        print(pair_line(label, read_right(shipped, pictures, test.texts),
                        read_right(adapted, pictures, test.texts)), flush=True)  # fmt: skip


if __name__ == "__main__":
    try:
        main()
    except UserError as error:
        sys.exit(f"probe: {error}")
