"""Test-time views, measured side by side: each view alone, and their ensemble (+tta).

    python -m benchmark.perf_views [--model universal] [--n 300] [--out results/views/NAME]

Reads *validation-seed* samples (indices 500.. of VALIDATION_SEED: not the trainer's first
validation samples, never an evaluation set) of easy, medium, hard, universal and captcha — the
data the views were chosen on — and prints sequence accuracy per view, greedy vs greedy+tta,
and the forward cost (views x one pass). Third-party captchas are not read here: they are a
held-out check (`bench run --data ... --decoders greedy,greedy+tta`).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np
import torch

from benchmark.evalsets import validation_samples
from crnn.decode import ensemble, greedy_decode
from crnn.recognizer import Recognizer
from crnn.views import VIEWS, check_resize, view_batches
from generator.errors import UserError
from generator.io import atomic_write_text

STYLES = ("easy", "medium", "hard", "universal", "captcha")


def measure(rec: Recognizer, style: str, n: int) -> dict:
    samples = validation_samples(style, n)
    texts = [s.text for s in samples]
    cfg = rec.config
    batches = view_batches(
        [s.image for s in samples], cfg.height, cfg.width, cfg.resize, channels=cfg.channels
    )
    t0 = time.perf_counter()
    log_probs = [rec.log_probs_of(torch.from_numpy(b)) for b in batches]
    forward_ms = (time.perf_counter() - t0) / n * 1e3
    decoded = [greedy_decode(lp, rec.chars) for lp in log_probs]
    t0 = time.perf_counter()
    joined = ensemble(log_probs, decoded, rec.chars)
    ensemble_ms = (time.perf_counter() - t0) / n * 1e3

    def accuracy(readings) -> float:
        return float(np.mean([d.text == t for d, t in zip(readings, texts, strict=True)]))

    return {
        "style": style,
        "n": n,
        "views": {v.name: accuracy(d) for v, d in zip(VIEWS, decoded, strict=True)},
        "greedy": accuracy(decoded[0]),
        "greedy+tta": accuracy(joined),
        "forward_ms_all_views": forward_ms,
        "ensemble_ms": ensemble_ms,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=None, help="name, run directory or .safetensors")
    parser.add_argument("--n", type=int, default=300, help="samples per style")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", type=Path, default=None, help="write OUT.json and OUT.txt")
    args = parser.parse_args()
    if args.n < 1 or args.threads < 1:
        parser.error("--n and --threads must be at least 1")
    torch.set_num_threads(args.threads)
    try:
        rec = Recognizer.load(args.model)
        check_resize(rec.resize)
    except UserError as err:
        sys.exit(f"perf_views: {err}")
    rows = [measure(rec, style, args.n) for style in STYLES]
    lines = [
        f"model {args.model or 'universal'}; {args.n} validation-seed samples per style; "
        f"{platform.processor() or platform.machine()}, {args.threads} thread(s)",
        "style      greedy  greedy+tta  gain   " + "  ".join(f"[{v.name}]" for v in VIEWS),
    ]
    for r in rows:
        gain = r["greedy+tta"] - r["greedy"]
        per_view = "  ".join(f"{a:.3f}" for a in r["views"].values())
        lines.append(
            f"{r['style']:10} {r['greedy']:.3f}   {r['greedy+tta']:.3f}       {gain:+.3f}  "
            f"{per_view}   ({r['forward_ms_all_views']:.1f} ms forward for {len(VIEWS)} views, "
            f"{r['ensemble_ms']:.2f} ms ensemble per image)"
        )
    text = "\n".join(lines)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(args.out.with_suffix(".txt"), text + "\n")
        atomic_write_text(args.out.with_suffix(".json"), json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
