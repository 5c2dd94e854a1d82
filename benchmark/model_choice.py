"""Which of several readers to ship, decided on validation-seed samples only.

    python -m benchmark.model_choice --models universal,runs/a,runs/b
        [--styles universal,examples/full-alphabet/easy.toml,...] [--n 300] [--first 500]
        [--out results/NAME/validation]

Reads ``n`` validation-seed samples (index ``first``, 500 by default, on: past every
trainer's own validation samples, never an evaluation set, never a third-party captcha) of
each style with every model, greedy and greedy+tta (the default decoder), and prints a table
of sequence accuracy per style and the mean over styles, with each model's difference from the
first on the same images (paired: readings right by one and wrong by the other, both ways, and
the exact McNemar p of those counts over every set together). A
new default reader is chosen here; the benchmark levels and the third-party folders then
report it. A second decision after a first should use a fresh draw (``--first``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch

from benchmark.evalsets import VALIDATION_FIRST_INDEX, validation_sets
from benchmark.stats import mcnemar_exact
from crnn.decode import parse_decoder
from crnn.recognizer import Recognizer
from generator.errors import UserError
from generator.io import atomic_write_text

# The universal reader's training mixture (README, "The universal model").
DEFAULT_STYLES = ",".join(
    ["universal"]
    + [f"examples/full-alphabet/{s}.toml" for s in ("easy", "medium", "hard", "captcha")]
)
DECODERS = ("greedy", "greedy+tta")


def read_right(rec: Recognizer, images, texts) -> dict[str, np.ndarray]:
    """Per decoder, a boolean per image: whether it reads the image exactly. The views are
    computed once: the first is exactly the plain reading greedy decodes."""
    views = rec.view_log_probs(images)
    inputs = {"greedy": views[0], "greedy+tta": views}
    right = {}
    for decoder in DECODERS:
        decoded = parse_decoder(decoder).decode(inputs[decoder], rec.chars)
        right[decoder] = np.array([d.text == t for d, t in zip(decoded, texts, strict=True)])
    return right


def paired(base: np.ndarray, other: np.ndarray) -> tuple[int, int]:
    """(read right only by ``other``, read right only by ``base``) on the same images."""
    return int((other & ~base).sum()), int((base & ~other).sum())


def table(models: list[str], sets: list[str], right: dict, decoder: str) -> list[str]:
    lines = [
        f"{decoder}: sequence accuracy; last columns: mean over sets, and against the first model "
        "(exact two-sided McNemar p over every set's images, and the images read right only by "
        "this model / only by the first).",
        "",
        "| model | " + " | ".join(sets) + " | mean | p vs first | vs first |",
        "|---|" + "---|" * (len(sets) + 3),
    ]
    for m in models:
        accs = [right[m][s][decoder].mean() for s in sets]
        both = [paired(right[models[0]][s][decoder], right[m][s][decoder]) for s in sets]
        gained, lost = sum(b[0] for b in both), sum(b[1] for b in both)
        cells = " | ".join(f"{a:.3f}" for a in accs)
        p = mcnemar_exact(gained, lost)
        lines.append(f"| {m} | {cells} | {np.mean(accs):.3f} | {p:.2g} | +{gained} / -{lost} |")
    return lines


def add_draw_arguments(parser: argparse.ArgumentParser, n: int) -> None:
    """--models, --styles, --n and --first: which readers read which validation draw."""
    parser.add_argument("--models", required=True, help="comma list: names, run dirs, files")
    parser.add_argument("--styles", default=DEFAULT_STYLES, help="comma list of styles")
    parser.add_argument("--n", type=int, default=n, help="validation samples per style")
    parser.add_argument(
        "--first",
        type=int,
        default=VALIDATION_FIRST_INDEX,
        help="index of the first validation sample (a fresh draw for a second decision)",
    )


def checked_draw(parser: argparse.ArgumentParser, args) -> tuple[list[str], list[str]]:
    """The models and styles named, once --n and --first are known to make a draw (one line
    and exit 2 otherwise; an empty list of styles too)."""
    if args.n < 1:
        parser.error("--n must be at least 1")
    if args.first < 0:
        parser.error("--first must be 0 or more")
    models = [m for m in args.models.split(",") if m]
    styles = [s for s in args.styles.split(",") if s]
    if not styles:
        parser.error("give at least one model and one style")
    return models, styles


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="benchmark.model_choice", description=__doc__)
    add_draw_arguments(parser, n=300)
    parser.add_argument("--out", type=Path, help="write OUT.txt and OUT.json")
    args = parser.parse_args(argv)
    models, styles = checked_draw(parser, args)
    if not models:
        parser.error("give at least one model and one style")
    torch.set_num_threads(2)
    try:
        readers = {m: Recognizer.load(m) for m in models}  # bad input: before any rendering
        sets = validation_sets(styles, args.n, args.first)
        right = {m: {} for m in models}
        for name, images, texts in sets:
            for m, rec in readers.items():
                right[m][name] = read_right(rec, images, texts)
            print(name, {m: float(right[m][name]["greedy+tta"].mean()) for m in models},
                  file=sys.stderr, flush=True)  # fmt: skip
    except (UserError, OSError) as err:
        sys.exit(f"model_choice: error: {err}")
    names = [name for name, _, _ in sets]
    lines = [
        "`python -m benchmark.model_choice "
        + " ".join(sys.argv[1:] if argv is None else argv)
        + "`",
        "",
    ]
    for decoder in DECODERS:
        lines += [*table(models, names, right, decoder), ""]
    text = "\n".join(lines)
    print(text)
    if args.out:
        document = {
            m: {s: {d: float(v.mean()) for d, v in per.items()} for s, per in right[m].items()}
            for m in models
        }
        atomic_write_text(args.out.with_suffix(".txt"), text)
        atomic_write_text(args.out.with_suffix(".json"), json.dumps(document, indent=2) + "\n")


if __name__ == "__main__":
    main()
