"""CTC decoder speed, measured side by side on the same logits in one run.

    python -m benchmark.perf_decode [--model NAME_OR_DIR] [--n 2000] [--difficulty medium]
        [--decoders greedy,beam:1,beam:5,beam:10,beam:20]

Renders N captchas, runs the model once (batched forward, timed), then decodes the same
log-probabilities with each decoder (``beam:K+len``, ``+lexicon``, ``+lm`` take the style's
length range, word list and an LM whose weights are tuned on validation samples, as in
``bench run``), and fast-ctc-decode (Rust, when installed) at width 10 with the same per-frame
pruning threshold. Prints per-sample time, the ratio to greedy, and the evaluation slowdown
(forward + decode) / (forward + greedy).
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
    parser.add_argument("--model", default=None, help="name, run directory or .safetensors")
    parser.add_argument("--decoders", default="greedy,beam:1,beam:5,beam:10,beam:20")
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--difficulty", default="medium")
    parser.add_argument("--out", type=Path, help="write the figures as JSON here")
    args = parser.parse_args()

    import torch

    from benchmark.harness import decode_context
    from crnn.data import render_eval_set
    from crnn.decode import DEFAULT_TOKEN_MIN_LOGP, greedy_decode, parse_decoders
    from crnn.metrics import sequence_accuracy
    from crnn.recognizer import Recognizer
    from crnn.registry import DEFAULT_MODEL
    from generator.seeds import BENCHMARK_SEED
    from generator.spec import load_style

    rec = Recognizer.load(args.model)
    cfg = rec.config
    spec = load_style(args.difficulty)
    decoders = parse_decoders(args.decoders)
    images, texts, _ = render_eval_set(
        [spec], BENCHMARK_SEED, args.n, cfg.height, cfg.width, cfg.resize, cfg.channels
    )
    rec.log_probs_of(images[:256])  # warm-up
    forward = _time(lambda: rec.log_probs_of(images), repeats=2) / args.n
    log_probs = rec.log_probs_of(images)
    chars = rec.chars

    context = decode_context(rec, spec, decoders) if any(d.modifiers for d in decoders) else None
    rows = []
    greedy_s = _time(lambda: greedy_decode(log_probs, chars), repeats=3) / args.n
    greedy_acc = sequence_accuracy(texts, [d.text for d in greedy_decode(log_probs, chars)])
    rows.append(("greedy", greedy_s, greedy_acc))
    for decoder in decoders:
        if decoder.name == "greedy":
            continue

        def run(d=decoder):
            return d.decode(log_probs, chars, context=context)

        rows.append(
            (decoder.name, _time(run) / args.n, sequence_accuracy(texts, [x.text for x in run()]))
        )
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
        "model": f"{args.model or DEFAULT_MODEL} ({cfg.arch}, {cfg.width} px, {cfg.resize})",
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
