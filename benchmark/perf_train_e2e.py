"""Training throughput end to end vs compute only, side by side in one run (issue: keep the model
busy on CPU).

Measurements on the same model (``--arch``, small by default; 32 x 128, aspect kept) and the
same style mix:

1. compute only: the model's training step on ready-made tensors (benchmark.perf_train);
2. streamed: ``crnn train`` rendering every sample fresh, in the training process
   (``--workers 0``) and in one DataLoader worker (the default);
3. pre-rendered: ``crnn train --prerender N`` — the N samples rendered once on every core, then
   training steps that only read arrays. Its rendering cost is reported too, and the rate a run
   of E epochs gets once rendering is amortised: 1 / (1/train + 1/(render * E)).

Rates are taken between an early step and the last (DataLoader start-up excluded) with
validation pushed past the end of the run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import torch

from generator.io import atomic_write_text

STYLES = ("universal", "easy", "medium", "hard", "captcha")


def _timed_train(config) -> float:
    """Samples/s between step ``skip`` and the last step of a real training run."""
    from crnn.train import train

    stamps: dict[int, float] = {}
    skip = max(3, config.steps // 10)

    def on_step(step: int) -> None:
        if step in (skip, config.steps):
            stamps[step] = time.perf_counter()

    train(config, on_step)
    return (config.steps - skip) * config.batch_size / (stamps[config.steps] - stamps[skip])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", default="small", help="model preset (small, medium, large)")
    parser.add_argument("--steps", type=int, default=150)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--prerender", type=int, default=4800, help="samples rendered up front")
    parser.add_argument("--out", type=Path, default=None, help="write the figures as JSON here")
    args = parser.parse_args()

    from benchmark.perf_train import measure
    from crnn.prerender import build
    from crnn.train import TrainConfig
    from generator.spec import load_style

    common = dict(
        arch=args.arch,
        styles=STYLES,
        steps=args.steps,
        batch_size=args.batch,
        width=128,
        resize="pad",
        curriculum=0.0,
        val_every=10**9,
        val_size=16,
        progress=False,
        log_every=10**9,
    )
    compute = measure(args.arch, torch.device("cpu"), args.batch, width=128)["train_samples_per_s"]
    with tempfile.TemporaryDirectory() as tmp:
        inline = _timed_train(TrainConfig(out=Path(tmp) / "inline", workers=0, **common))
        streamed = _timed_train(TrainConfig(out=Path(tmp) / "stream", workers=1, **common))
        specs = [load_style(s) for s in STYLES]
        t0 = time.perf_counter()
        build(specs, 0, args.prerender, 32, 128, "pad", Path(tmp) / "pre")
        render_rate = args.prerender / (time.perf_counter() - t0)
        cached = _timed_train(
            TrainConfig(out=Path(tmp) / "pre", workers=1, prerender=args.prerender, **common)
        )
    amortised = {e: 1 / (1 / cached + 1 / (render_rate * e)) for e in (1, 2, 4, 8)}
    command = "python -m benchmark.perf_train_e2e " + " ".join(sys.argv[1:])
    machine = (
        f"{platform.machine()}, {os.cpu_count()} cores, torch threads {torch.get_num_threads()}"
    )
    lines = [
        f"$ {command.strip()}  # {machine}",
        f"model {args.arch} 32x128 (pad), batch {args.batch}, styles {','.join(STYLES)}, "
        f"{args.steps} steps per run",
        f"compute only (ready tensors):           {compute:7.1f} samples/s  (100 %)",
        f"streamed, rendered in-process:          {inline:7.1f} samples/s  "
        f"({100 * inline / compute:.0f} %)",
        f"streamed, 1 render worker:              {streamed:7.1f} samples/s  "
        f"({100 * streamed / compute:.0f} %)",
        f"pre-rendered, training steps:           {cached:7.1f} samples/s  "
        f"({100 * cached / compute:.0f} %)",
        f"pre-rendering on all cores:             {render_rate:7.1f} samples/s",
    ]
    for epochs, rate in amortised.items():
        lines.append(
            f"pre-rendered, {epochs} epoch(s), rendering included: {rate:7.1f} samples/s  "
            f"({100 * rate / compute:.0f} %)"
        )
    print("\n".join(lines))
    if args.out:
        figures = {
            "command": command,
            "machine": machine,
            "arch": args.arch,
            "compute_only": compute,
            "streamed_in_process": inline,
            "streamed": streamed,
            "prerendered_training": cached,
            "prerender_samples_per_s": render_rate,
            "prerendered_amortised": amortised,
        }
        atomic_write_text(args.out, json.dumps(figures, indent=2) + "\n")
        atomic_write_text(args.out.with_suffix(".txt"), "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
