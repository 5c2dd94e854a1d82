"""Model speed per preset: training samples/s (synthetic batches, compute only) and batched
inference images/s (BatchNorm folded, channels_last), on CPU and on CUDA when present.

    python -m benchmark.perf_train [--batch 64] [--out results/perf_train.json]

Training throughput here excludes data generation (one DataLoader worker renders ~1,000-2,000
images/s, see perf_generate); `crnn train` end to end is slower by the cost of sharing the cores.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import torch

from generator.io import atomic_write_text


def measure(arch: str, device: torch.device, batch: int, width: int = 96) -> dict:
    from crnn.model import CRNN, ModelConfig, parameter_count
    from crnn.recognizer import fold_batchnorm

    torch.manual_seed(0)
    model = CRNN(ModelConfig(arch=arch, width=width)).to(device)
    opt = torch.optim.AdamW(model.parameters(), 1e-3)
    ctc = torch.nn.CTCLoss(zero_infinity=True)
    x = torch.randn(batch, 1, 32, width, device=device)
    targets = torch.randint(1, model.config.num_classes, (batch * 5,))
    frames = torch.full((batch,), model.config.frames)
    lengths = torch.full((batch,), 5)
    amp = device.type == "cuda"

    def step():
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp):
            out = model(x)
        loss = ctc(out.float().transpose(0, 1), targets, frames, lengths)
        opt.zero_grad()
        loss.backward()
        opt.step()

    for _ in range(3):
        step()
    n = 20 if device.type == "cuda" else 6
    if device.type == "cuda":
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(n):
        step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    train_rate = batch * n / (time.perf_counter() - t0)

    fused = fold_batchnorm(model).to(memory_format=torch.channels_last)
    xb = torch.randn(512 if device.type == "cuda" else 256, 1, 32, width, device=device)
    xb = xb.contiguous(memory_format=torch.channels_last)
    with torch.inference_mode(), torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp):
        fused(xb)
        if device.type == "cuda":
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        reps = 20 if device.type == "cuda" else 4
        for _ in range(reps):
            fused(xb)
        if device.type == "cuda":
            torch.cuda.synchronize()
        infer_rate = len(xb) * reps / (time.perf_counter() - t0)
    return {
        "arch": arch,
        "device": device.type,
        "parameters": parameter_count(model),
        "train_samples_per_s": train_rate,
        "infer_images_per_s": infer_rate,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--archs", default="tiny,small,crnn")
    parser.add_argument("--width", type=int, default=96, help="model input width (height 32)")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    devices = [torch.device("cpu")] + ([torch.device("cuda")] if torch.cuda.is_available() else [])
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    report = {
        "command": "python -m benchmark.perf_train " + " ".join(sys.argv[1:]),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, torch threads "
        f"{torch.get_num_threads()}, GPU: {gpu}",
        "batch": args.batch,
        "width": args.width,
        "results": [],
    }
    print(f"$ {report['command']}  # {report['machine']}")
    print(f"{'arch':6} {'device':6} {'params':>10} {'train img/s':>12} {'infer img/s':>12}")
    for device in devices:
        for arch in args.archs.split(","):
            r = measure(arch, device, args.batch, args.width)
            report["results"].append(r)
            print(
                f"{arch:6} {device.type:6} {r['parameters']:>10,} "
                f"{r['train_samples_per_s']:>12,.0f} {r['infer_images_per_s']:>12,.0f}"
            )
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(args.out, json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
