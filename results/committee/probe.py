"""Probe: do several shipped readers, read together, beat the best one alone?

    PYTHONPATH=. python results/committee/probe.py --first 19200 --n 200 \
        > results/committee/probe.txt

Each reader reads every test-time view (crnn.views) of validation-seed samples; a committee
decodes the union of its members' views with crnn.decode.ensemble (every member's greedy
reading of every view is a candidate, scored exactly by every view of every member, the highest
mean log-probability wins). Single readers with greedy+tta are the same computation with one
member, so the rows are comparable. A probe on draws reserved for probes (19,200 on), not a
decision: a committee is adopted only by a rule written before a fresh draw.
"""

from __future__ import annotations

import argparse
import itertools

import numpy as np
import torch

from benchmark.evalsets import validation_sets
from benchmark.model_choice import paired
from benchmark.stats import mcnemar_exact
from crnn.decode import ensemble, greedy_decode
from crnn.recognizer import Recognizer

READERS = ("universal", "universal-t4-half", "universal-p1-half", "universal-grey", "universal-b1")
STYLES = (
    "universal",
    "examples/full-alphabet/easy.toml",
    "examples/full-alphabet/medium.toml",
    "examples/full-alphabet/hard.toml",
    "examples/full-alphabet/captcha.toml",
    "examples/relief.toml",
    "results/universal-display/display-held.toml",
    "examples/sweep-curve.toml",
    "examples/quad-warp.toml",
    "examples/heavy-clutter.toml",
)
COMMITTEES = (
    [("universal",)]
    + [("universal", r) for r in READERS[1:]]
    + [
        ("universal", "universal-t4-half", "universal-p1-half"),
        ("universal", "universal-grey", "universal-b1"),
        READERS,
    ]
)


def committee_right(views_by_reader: dict, members, chars: str, texts) -> np.ndarray:
    views = list(itertools.chain.from_iterable(views_by_reader[m] for m in members))
    decoded = ensemble(views, [greedy_decode(v, chars) for v in views], chars)
    return np.array([d.text == t for d, t in zip(decoded, texts, strict=True)])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--first", type=int, default=19200)
    parser.add_argument("--n", type=int, default=200)
    args = parser.parse_args()
    torch.set_num_threads(2)
    readers = {m: Recognizer.load(m) for m in READERS}
    chars = readers["universal"].chars
    right: dict[tuple, dict[str, np.ndarray]] = {c: {} for c in COMMITTEES}
    for name, images, texts in validation_sets(STYLES, args.n, args.first):
        views = {m: rec.view_log_probs(images) for m, rec in readers.items()}
        for c in COMMITTEES:
            right[c][name] = committee_right(views, c, chars, texts)
    names = list(right[COMMITTEES[0]])
    print(f"validation samples {args.first}-{args.first + args.n - 1} per style; greedy+tta "
          "over every member's six views; vs `universal` alone: right only by the committee / "
          "only by universal, exact McNemar p over every style")  # fmt: skip
    print()
    short = [n.replace(" (validation)", "") for n in names]
    print("| committee | " + " | ".join(short) + " | mean | vs universal | p |")
    print("|---|" + "---|" * (len(names) + 3))
    base = right[COMMITTEES[0]]
    for c in COMMITTEES:
        accs = [right[c][n].mean() for n in names]
        both = [paired(base[n], right[c][n]) for n in names]
        gained, lost = sum(b[0] for b in both), sum(b[1] for b in both)
        cells = " | ".join(f"{a:.3f}" for a in accs)
        p = mcnemar_exact(gained, lost)
        print(f"| {' + '.join(c)} | {cells} | {np.mean(accs):.3f} | +{gained}/-{lost} | {p:.2g} |")


if __name__ == "__main__":
    main()
