"""CTC decoder speed, measured side by side on the same logits in one run.

    python -m benchmark.perf_decode [--model RUN_DIR] [--n 2000] [--difficulty medium]

Renders N captchas, runs the model once (batched forward, timed), then decodes the same
log-probabilities with greedy, our prefix beam search at widths 1, 5, 10, 20, and fast-ctc-decode
(Rust, when installed) at width 10 with the same per-frame pruning threshold. Prints per-sample
time, the ratio to greedy, and the evaluation slowdown (forward + decode) / (forward + greedy)
that the issue's 1.5x bound is about.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

from generator.io import atomic_write_text


def _time(fn, repeats: int = 1) -> float:
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--difficulty", default="medium")
    parser.add_argument("--out", type=Path, help="write the figures as JSON here")
    args = parser.parse_args()

    import torch

    from crnn.data import render_eval_set
    from crnn.decode import DEFAULT_TOKEN_MIN_LOGP, beam_decode, greedy_decode
    from crnn.metrics import sequence_accuracy
    from crnn.recognizer import Recognizer
    from generator.seeds import BENCHMARK_SEED
    from generator.spec import preset

    rec = Recognizer.load(args.model)
    cfg = rec.config
    images, texts, _ = render_eval_set(
        [preset(args.difficulty)], BENCHMARK_SEED, args.n, cfg.height, cfg.width
    )
    rec.log_probs_of(images[:256])  # warm-up
    forward = _time(lambda: rec.log_probs_of(images), repeats=2) / args.n
    log_probs = rec.log_probs_of(images)
    chars = rec.chars

    rows = []
    greedy_s = _time(lambda: greedy_decode(log_probs, chars), repeats=3) / args.n
    greedy_acc = sequence_accuracy(texts, [d.text for d in greedy_decode(log_probs, chars)])
    rows.append(("greedy", greedy_s, greedy_acc))
    for width in (1, 5, 10, 20):
        t = _time(lambda w=width: beam_decode(log_probs, chars, w)) / args.n
        acc = sequence_accuracy(texts, [d.text for d in beam_decode(log_probs, chars, width)])
        rows.append((f"beam:{width}", t, acc))
    try:
        import fast_ctc_decode

        probs = np.exp(log_probs).astype(np.float32)
        alphabet = ["_", *chars]
        cut = float(np.exp(DEFAULT_TOKEN_MIN_LOGP))  # the same pruning as ours

        def run_fast():
            return [fast_ctc_decode.beam_search(p, alphabet, 10, cut)[0] for p in probs]

        t = _time(run_fast) / args.n
        rows.append(("fast-ctc-decode beam:10", t, sequence_accuracy(texts, run_fast())))
    except ImportError:
        pass

    report = {
        "command": "python -m benchmark.perf_decode " + " ".join(sys.argv[1:]),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}",
        "model": cfg.arch,
        "n": args.n,
        "difficulty": args.difficulty,
        "forward_ms_per_image": forward * 1e3,
        "decoders": [],
    }
    print(f"$ {report['command']}  # {report['machine']}")
    print(f"model forward (batched): {forward * 1e3:.3f} ms/image ({1 / forward:.0f} images/s)")
    print(f"{'decoder':26} {'ms/image':>9} {'x greedy':>9} {'eval slowdown':>14} {'seq acc':>8}")
    for name, t, acc in rows:
        slowdown = (forward + t) / (forward + greedy_s)
        print(f"{name:26} {t * 1e3:9.4f} {t / greedy_s:9.1f} {slowdown:14.2f} {acc:8.4f}")
        report["decoders"].append(
            {
                "decoder": name,
                "ms_per_image": t * 1e3,
                "x_greedy": t / greedy_s,
                "eval_slowdown": slowdown,
                "seq_acc": acc,
            }
        )
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(args.out, json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
