"""How often are a reader's confident readings right? The basis of `bench attack
--pseudo-confidence`: the self-trainer keeps readings at least that sure as labels.

    python -m benchmark.pseudo_calibration [--model universal] [--n 300] [--data DIR ...]

For each threshold: the share of images read at least that confidently, and how many of those
readings are right. Reads validation-seed samples 500.. of `medium`, `hard` and `extreme` (never
an evaluation set), and any labelled folders given with --data (development folders; a test
folder here would choose the threshold on the test).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from benchmark.evalsets import validation_sets
from benchmark.folders import open_labelled_folder
from crnn.decode import parse_decoder
from crnn.recognizer import Recognizer
from crnn.views import default_decoder
from generator.errors import UserError

STYLES = ("medium", "hard", "extreme")
THRESHOLDS = (0.5, 0.6, 0.7, 0.8, 0.9)


def calibration(rec: Recognizer, images, texts) -> dict:
    decoder = parse_decoder(default_decoder(rec.resize))
    decoded = rec.predict(images, decoder)
    conf = np.array([d.confidence for d in decoded])
    right = np.array([d.text == t for d, t in zip(decoded, texts, strict=True)])
    row = {"n": len(texts), "accuracy": float(right.mean()), "decoder": decoder.name}
    for t in THRESHOLDS:
        kept = conf >= t
        row[t] = (float(kept.mean()), float(right[kept].mean()) if kept.any() else None)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=None)
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--data", type=Path, nargs="*", default=[])
    args = parser.parse_args()
    if args.n < 1:
        parser.error("--n must be at least 1")
    torch.set_num_threads(1)
    try:
        rec = Recognizer.load(args.model)
        sets = validation_sets(STYLES, args.n)
        for folder_path in args.data:
            folder = open_labelled_folder(folder_path, colour=rec.config.channels == 3)
            images = [Image.fromarray(a) for a in folder.images[: args.n]]
            sets.append((f"{folder_path} (first {len(images)})", images, folder.texts[: args.n]))
        rows = [(name, calibration(rec, images, texts)) for name, images, texts in sets]
    except UserError as err:
        sys.exit(f"pseudo_calibration: {err}")
    head = "  ".join(f"≥{t:.1f}: kept / right" for t in THRESHOLDS)
    print(f"model {args.model or 'universal'}, read {rows[0][1]['decoder']}")
    print(f"{'set':42} accuracy  {head}")
    for name, row in rows:
        cells = "  ".join(
            f"     {k:.2f} / {'  –  ' if r is None else f'{r:.3f}'}"
            for k, r in (row[t] for t in THRESHOLDS)
        )
        print(f"{name:42} {row['accuracy']:.3f}    {cells}")


if __name__ == "__main__":
    main()
