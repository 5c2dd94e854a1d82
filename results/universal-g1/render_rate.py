"""How fast g1's mixture renders beside l1's (results/universal-large), one core, one run.

    PYTHONPATH=. python results/universal-g1/render_rate.py > results/universal-g1/render_rate.txt

A lent GPU is fed by render workers (l1: 15 of them, 3,242 samples/s), so the samples g1 will
see in its budget scale with this rate. Each mixture renders the same 600 sample indices,
weighted as its training weights it, at the shipped reader's input (32×128, crop, RGB), through
the prerender workers' own function, after 40 samples to load the fonts.
"""

from __future__ import annotations

import os
import subprocess
import time

from crnn.prerender import _render_chunk
from generator.spec import load_style

F = "examples/full-alphabet"
L1 = ("universal," + ",".join(f"{F}/{s}.toml" for s in ("easy", "medium", "hard", "captcha")),
      "6,1,1,1,1")  # fmt: skip
N = 600


def g1_mixture() -> tuple[str, str]:
    """G1_STYLES and G1_WEIGHTS as mixture.sh sets them (one source for every g1 script)."""
    here = os.path.dirname(os.path.abspath(__file__))
    out = subprocess.run(
        ["bash", "-c", f'source {here}/mixture.sh && echo "$G1_STYLES" && echo "$G1_WEIGHTS"'],
        check=True, capture_output=True, text=True,
    ).stdout.split()  # fmt: skip
    return out[0], out[1]


def rate(styles: str, weights: str) -> float:
    specs = [load_style(s) for s in styles.split(",")]
    weighted = [
        s for s, w in zip(specs, map(int, weights.split(",")), strict=True) for _ in range(w)
    ]
    _render_chunk((weighted, 424242, 0, 40, 32, 128, "crop", 3))  # fonts loaded
    start = time.perf_counter()
    _render_chunk((weighted, 424242, 1000, 1000 + N, 32, 128, "crop", 3))
    return N / (time.perf_counter() - start)


if __name__ == "__main__":
    for name, mixture in (("l1 (results/universal-large)", L1), ("g1 (mixture.sh)", g1_mixture())):
        print(f"{name}: {rate(*mixture):.1f} samples/s on one core, weighted", flush=True)
