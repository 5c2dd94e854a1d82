"""Which model preset and input width learn fastest per CPU-minute?

    python -m benchmark.perf_time_to_accuracy --configs tiny:128,small:96,small:128 \
        --style medium --minutes 8 --out results/time_to_accuracy

Each ``arch:width`` trains from scratch on ``--style`` (crop input, the `easy` warm-up for the
first 15 % of steps, OneCycle over the whole run, batch 64, one thread, rendering in the
training process) for as many steps as fit ``--minutes`` of CPU time — the rate is measured on
a short probe run first, so every configuration gets the same CPU budget with a schedule that
ends where it should. Each is then read (greedy) on validation-seed samples 500.. of the style:
never an evaluation set. One JSON per configuration lands in OUT/ (so configurations can run as
separate processes side by side); every run prints the table of all of them.

Why `medium` and not `universal`: from scratch, ten CPU-minutes on `universal` left `small` at
width 128 on CTC's blank plateau (loss 3.5, accuracy 0.000 after 67,712 samples; measured
once, record not kept), a result that ranks nothing; `medium` is learned within such a budget.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch

from benchmark.attack import cpu_seconds
from benchmark.evalsets import validation_samples
from crnn.checkpoint import load_model
from crnn.decode import greedy_decode
from crnn.model import ARCHS
from crnn.preprocess import preprocess_batch
from crnn.train import TrainConfig, train
from generator.errors import UserError
from generator.io import atomic_write_text

PROBE_STEPS = (10, 40)  # CPU time between these steps of a probe run gives the rate


def _config(out: Path, arch: str, width: int, steps: int, style: str) -> TrainConfig:
    return TrainConfig(
        out=out, arch=arch, width=width, resize="crop", styles=(style,),
        warmup_style="easy", curriculum=0.15, steps=steps, batch_size=64, val_every=steps,
        val_size=50, workers=0, threads=1, progress=False, overwrite=True,
    )  # fmt: skip


def seconds_per_step(arch: str, width: int, style: str) -> float:
    marks: dict[int, float] = {}

    def mark(step: int) -> None:
        if step in PROBE_STEPS:
            marks[step] = cpu_seconds()

    with tempfile.TemporaryDirectory() as tmp:
        train(_config(Path(tmp), arch, width, PROBE_STEPS[1], style), on_step=mark)
    return (marks[PROBE_STEPS[1]] - marks[PROBE_STEPS[0]]) / (PROBE_STEPS[1] - PROBE_STEPS[0])


def read_accuracy(model, style: str, n: int) -> float:
    samples = validation_samples(style, n)
    cfg = model.config
    x = preprocess_batch(
        [s.image for s in samples], cfg.height, cfg.width, cfg.resize, channels=cfg.channels
    )
    model.eval()
    with torch.inference_mode():
        log_probs = model(torch.from_numpy(x)).float().numpy()
    decoded = greedy_decode(log_probs, cfg.charset)
    return float(np.mean([d.text == s.text for d, s in zip(decoded, samples, strict=True)]))


def measure(arch: str, width: int, style: str, minutes: float, n: int, runs: Path) -> dict:
    per_step = seconds_per_step(arch, width, style)
    steps = max(PROBE_STEPS[1], int(minutes * 60 / per_step))
    t0 = cpu_seconds()
    result = train(_config(runs / f"{style}-{arch}-w{width}", arch, width, steps, style))
    spent = cpu_seconds() - t0
    model, _ = load_model(result.out / "model.safetensors")
    return {
        "arch": arch,
        "width": width,
        "parameters": sum(p.numel() for p in model.parameters()),
        "steps": steps,
        "samples": steps * 64,
        "cpu_minutes": spent / 60,
        "samples_per_cpu_s": steps * 64 / spent,
        "style": style,
        "accuracy": read_accuracy(model, style, n),
        "n": n,
    }


def table(out: Path) -> str:
    rows = [json.loads(p.read_text()) for p in sorted(out.glob("*.json"))]
    rows.sort(key=lambda r: (r["style"], -r["accuracy"]))
    lines = [
        f"{'style':9} {'arch':6} {'width':>5} {'params':>10} {'samples':>8} {'CPU-min':>7} "
        f"{'samples/CPU-s':>13}  accuracy"
    ]
    for r in rows:
        lines.append(
            f"{r['style']:9} {r['arch']:6} {r['width']:5d} {r['parameters']:10,} "
            f"{r['samples']:8,} {r['cpu_minutes']:7.1f} {r['samples_per_cpu_s']:13.0f}  "
            f"{r['accuracy']:.3f}"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--configs", default="tiny:128,small:96,small:128,small:160")
    parser.add_argument("--style", default="medium", help="preset to learn (from scratch)")
    parser.add_argument("--minutes", type=float, default=8.0, help="CPU minutes per config")
    parser.add_argument("--n", type=int, default=300, help="validation samples per style")
    parser.add_argument("--out", type=Path, default=Path("results/time_to_accuracy"))
    parser.add_argument("--runs", type=Path, default=Path("runs/time_to_accuracy"))
    args = parser.parse_args()
    try:
        configs = [(a, int(w)) for a, w in (c.split(":") for c in args.configs.split(","))]
    except ValueError:
        sys.exit(
            f"perf_time_to_accuracy: --configs must look like small:128,tiny:96, "
            f"got {args.configs!r}"
        )
    unknown = [a for a, _ in configs if a not in ARCHS]
    if unknown or args.minutes <= 0 or args.n < 1:
        sys.exit(f"perf_time_to_accuracy: archs are {', '.join(ARCHS)}; --minutes and --n positive")
    torch.set_num_threads(1)
    args.out.mkdir(parents=True, exist_ok=True)
    for arch, width in configs:
        try:
            row = measure(arch, width, args.style, args.minutes, args.n, args.runs)
        except UserError as err:
            sys.exit(f"perf_time_to_accuracy: {err}")
        row["machine"] = f"{platform.machine()}, 1 thread"
        name = f"{args.style}-{arch}-w{width}.json"
        atomic_write_text(args.out / name, json.dumps(row, indent=2) + "\n")
        print(f"{arch}:{width} done: {args.style} {row['accuracy']:.3f}", flush=True)
    text = table(args.out)
    print(text)
    atomic_write_text(args.out / "table.txt", text + "\n")


if __name__ == "__main__":
    main()
