"""Colour channels as test-time views: a measured lead, not (yet) a decoder.

    python -m benchmark.perf_colour_views [--model universal] [--n 300] [--data DIR ...]
                                          [--out results/views/colour]

Every reader here sees one grey channel, luminance. A captcha whose clutter differs from its
text in hue rather than brightness (wheezy.captcha draws a blue curve through grey text) loses
that difference in luminance, but keeps it in some colour channel. This reads each image four
ways — luminance, red, green, blue, each as the grey input — greedy, and lets the four vote as
the +tta ensemble does (every view's reading is a candidate, every view scores every candidate;
crnn.decode.ensemble); then greedy+tta (the six crop/width views of crnn.views, on luminance)
beside greedy+tta with the red, green and blue channels as three more views. Sets:
validation-seed samples 500.. of easy, medium, hard, universal and
captcha (where any such view would have to be chosen), and any labelled folders given with
--data, read from their files in colour (benchmark.folders reads them grey).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from benchmark.evalsets import validation_sets
from benchmark.folders import open_labelled_folder
from crnn.decode import ensemble, greedy_decode
from crnn.recognizer import Recognizer
from generator.errors import UserError
from generator.io import atomic_write_text

STYLES = ("easy", "medium", "hard", "universal", "captcha")
CHANNELS = ("luminance", "red", "green", "blue")


def channel_views(images: list[Image.Image]) -> dict[str, list[Image.Image]]:
    rgb = [im.convert("RGB") for im in images]
    views = {"luminance": [im.convert("L") for im in rgb]}
    for band, name in enumerate(CHANNELS[1:]):
        views[name] = [im.getchannel(band) for im in rgb]
    return views


def measure(rec: Recognizer, images: list[Image.Image], texts: list[str]) -> dict:
    truth = [t.upper() for t in texts]  # the reader is case-insensitive
    channels = channel_views(images)
    log_probs = {name: rec.log_probs(view) for name, view in channels.items()}
    decoded = {name: greedy_decode(lp, rec.chars) for name, lp in log_probs.items()}

    def accuracy(readings) -> float:
        return float(np.mean([d.text == t for d, t in zip(readings, truth, strict=True)]))

    row = {name: accuracy(decoded[name]) for name in CHANNELS}
    voted = ensemble([log_probs[c] for c in CHANNELS], [decoded[c] for c in CHANNELS], rec.chars)
    row["four channels, voting"] = accuracy(voted)
    # What matters for a decoder: do the channels add to the views greedy+tta already has?
    tta = rec.view_log_probs(channels["luminance"])
    tta_decoded = [greedy_decode(lp, rec.chars) for lp in tta]
    row["greedy+tta"] = accuracy(ensemble(tta, tta_decoded, rec.chars))
    extra = [c for c in CHANNELS if c != "luminance"]
    row["greedy+tta + red, green, blue"] = accuracy(
        ensemble(
            [*tta, *(log_probs[c] for c in extra)],
            [*tta_decoded, *(decoded[c] for c in extra)],
            rec.chars,
        )
    )
    row["n"] = len(texts)
    return row


def folder_images(root: Path) -> tuple[list[Image.Image], list[str]]:
    """A labelled folder's images in colour."""
    folder = open_labelled_folder(root, colour=True)
    return [Image.fromarray(a) for a in folder.images], folder.texts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=None)
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--data", type=Path, nargs="*", default=[])
    parser.add_argument("--out", type=Path, default=None, help="writes OUT.txt and OUT.json")
    args = parser.parse_args()
    if args.n < 1:
        parser.error("--n must be at least 1")
    torch.set_num_threads(1)
    try:
        rec = Recognizer.load(args.model)
        folders = [(root.name, *folder_images(root)) for root in args.data]  # bad input: now
        rows = {}
        for name, images, texts in validation_sets(STYLES, args.n) + folders:
            rows[name] = measure(rec, images, texts)
            print(name, rows[name], file=sys.stderr, flush=True)
    except (UserError, OSError) as err:
        sys.exit(f"perf_colour_views: error: {err}")
    columns = [*CHANNELS, "four channels, voting", "greedy+tta", "greedy+tta + red, green, blue"]
    lines = [
        "`python -m benchmark.perf_colour_views " + " ".join(sys.argv[1:]) + "`",
        "",
        f"Greedy sequence accuracy of `{args.model or 'universal'}` per grey input, and the four "
        "voting (+tta's ensemble).",
        "",
        "| set | n | " + " | ".join(columns) + " |",
        "|---|---|" + "---|" * len(columns),
    ]
    for name, row in rows.items():
        cells = " | ".join(f"{row[c]:.3f}" for c in columns)
        lines.append(f"| {name} | {row['n']} | {cells} |")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        atomic_write_text(args.out.with_suffix(".txt"), text)
        atomic_write_text(args.out.with_suffix(".json"), json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
