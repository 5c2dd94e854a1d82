"""Which characters one reader misreads on a folder where another read the whole label right.

    python results/foreign/svg_lost_glyphs.py results/foreign/universal-t5-svg-captcha \
        results/foreign/universal-t8r-half-svg-captcha > results/foreign/svg_lost_glyphs.txt
    python results/foreign/svg_lost_glyphs.py results/foreign/universal-t5-svg-captcha \
        results/foreign/universal-svg-captcha > results/foreign/svg_lost_glyphs-t9-half.txt

Reads two `bench run` folders' predictions.csv (the same images, greedy+tta), and prints the
images right only by the first, the character substitutions in them (where the lengths agree),
and per character how often each reader reads it right in place over every image whose reading
has the label's length: a diagnosis of what a new reader gave back, not a decision.
"""

from __future__ import annotations

import csv
import sys
from collections import Counter
from pathlib import Path

DECODER = "greedy+tta"


def load(folder: Path) -> dict[int, tuple[str, str]]:
    file = folder / "predictions.csv"
    try:
        with open(file, newline="") as f:
            rows = [r for r in csv.DictReader(f) if r["decoder"] == DECODER]
        reads = {int(r["index"]): (r["text"], r["prediction"]) for r in rows}
    except (OSError, KeyError, ValueError, TypeError, csv.Error) as error:
        sys.exit(f"svg_lost_glyphs: {file} is not a bench predictions file: {error}")
    if not reads:
        sys.exit(f"svg_lost_glyphs: {file} has no {DECODER} rows")
    return reads


def per_char(reads: dict[int, tuple[str, str]]) -> dict[str, tuple[int, int]]:
    right, seen = Counter(), Counter()
    for text, pred in reads.values():
        if len(text) != len(pred):
            continue
        for t, p in zip(text, pred, strict=True):
            seen[t] += 1
            right[t] += t == p
    return {c: (right[c], seen[c]) for c in seen}


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit("usage: svg_lost_glyphs.py FIRST_RUN SECOND_RUN")
    first_dir, second_dir = map(Path, sys.argv[1:])
    first, second = load(first_dir), load(second_dir)
    if first.keys() != second.keys() or any(first[i][0] != second[i][0] for i in first):
        sys.exit("svg_lost_glyphs: the two folders did not read the same labelled images")
    lost = [i for i in sorted(first) if first[i][0] == first[i][1] != second[i][1]]
    swaps: Counter = Counter()
    for i in lost:
        text, pred = second[i]
        if len(text) == len(pred):
            swaps.update((t, p) for t, p in zip(text, pred, strict=True) if t != p)
        else:
            swaps[("length", f"{len(pred) - len(text):+d}")] += 1
    print(f"# {DECODER}: right by {first_dir} only: {len(lost)} images\n")
    print("substitutions in them (label -> second reader), most common first:")
    for (t, p), n in swaps.most_common():
        print(f"  {t} -> {p}: {n}")
    a, b = per_char(first), per_char(second)
    print("\nper character, right in place (first / second reader), largest loss first:")
    order = sorted(a, key=lambda c: (b[c][0] - a[c][0], c))
    for c in order:
        (ra, n), (rb, _) = a[c], b[c]
        if ra != rb:
            print(f"  {c}: {ra}/{n} -> {rb}/{b[c][1]} ({rb - ra:+d})")


if __name__ == "__main__":
    main()
