"""Two runs of one recipe, each read against the same base on the same draws: how far apart
are their points? (README, "How repeatable is a verdict?")

    python results/universal-t1/rebuild_spread.py results/universal-t1/t7 \
        results/universal-t1/t7-rebuilt --base-levels results/universal-run

For every style of every read evaluate-t7.sh makes (greedy+tta), and every level, prints the
points each run scores against the base, and the second run minus the first. The base's own
figures must agree between the two folders (the same draws read by the same reader), which is
checked, so any difference is the runs'.

Then, where both folders hold third-party reads (``foreign-*``, each a ``bench run`` of the same
evaluation set, checked by its digest), the two runs side by side on the same images: accuracy,
the images only one of them reads, and the exact McNemar p of those counts.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

from bars import TTA, _levels, _pair

from benchmark.stats import mcnemar_exact

READS = ("validation", "families", "relief-faces", "weak-families")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("first", type=Path)
    parser.add_argument("second", type=Path)
    parser.add_argument("--base-levels", type=Path, required=True)
    args = parser.parse_args()
    rows = []
    for read in READS:
        base_a, cand_a = _pair(args.first / f"{read}.json")
        base_b, cand_b = _pair(args.second / f"{read}.json")
        if base_a != base_b:
            sys.exit(f"rebuild_spread: the base reads differently in the two {read}.json files")
        for style in base_a:
            a = 100 * (cand_a[style] - base_a[style])
            b = 100 * (cand_b[style] - base_b[style])
            rows.append((read, style, a, b))
    base = _levels(args.base_levels)
    for folder in (args.first, args.second):
        if not (folder / "levels" / "metrics.csv").exists():
            sys.exit(f"rebuild_spread: {folder}/levels/metrics.csv is missing")
    first, second = _levels(args.first / "levels"), _levels(args.second / "levels")
    for level in ("easy", "medium", "hard", "extreme"):
        for decoder in ("greedy", TTA):
            key = (level, decoder)
            a, b = 100 * (first[key] - base[key]), 100 * (second[key] - base[key])
            rows.append(("levels", f"{level} {decoder}", a, b))
    print(f"# {args.first.name} and {args.second.name}: points against the same base\n")
    print(f"| read | style | {args.first.name} | {args.second.name} | second − first |")
    print("|---|---|---|---|---|")
    for read, style, a, b in rows:
        print(f"| {read} | {style} | {a:+.1f} | {b:+.1f} | {b - a:+.1f} |")
    gaps = [abs(b - a) for *_, a, b in rows]
    print(
        f"\n{len(rows)} figures; |second − first|: mean {sum(gaps) / len(gaps):.2f} points, "
        f"largest {max(gaps):.1f}"
    )
    for line in foreign_table(args.first, args.second):
        print(line)


def _foreign_reads(folder: Path) -> tuple[str, dict[int, bool]]:
    """(evaluation-set digest, greedy+tta right or wrong by image index) of one bench run."""
    with open(folder / "metrics.csv", newline="") as f:
        digests = {r["evalset_digest"] for r in csv.DictReader(f)}
    if len(digests) != 1:
        sys.exit(f"rebuild_spread: {folder}/metrics.csv names {len(digests)} evaluation sets")
    with open(folder / "predictions.csv", newline="") as f:
        right = {
            int(r["index"]): r["correct"] == "True"
            for r in csv.DictReader(f)
            if r["decoder"] == TTA
        }
    return digests.pop(), right


def foreign_table(first: Path, second: Path) -> list[str]:
    names = sorted(
        p.name for p in first.glob("foreign-*") if (second / p.name / "predictions.csv").exists()
    )
    if not names:
        return []
    lines = [
        f"\n## Third-party folders ({TTA}, the two runs on the same images)\n",
        f"| folder | n | {first.name} | {second.name} | only first / only second | McNemar p |",
        "|---|---|---|---|---|---|",
    ]
    for name in names:
        digest_a, a = _foreign_reads(first / name)
        digest_b, b = _foreign_reads(second / name)
        if digest_a != digest_b or a.keys() != b.keys():
            sys.exit(f"rebuild_spread: {name} was not read on the same images in both folders")
        only_a = sum(a[i] and not b[i] for i in a)
        only_b = sum(b[i] and not a[i] for i in a)
        n = len(a)
        lines.append(
            f"| {name.removeprefix('foreign-')} | {n} | {sum(a.values()) / n:.3f} | "
            f"{sum(b.values()) / n:.3f} | {only_a} / {only_b} | "
            f"{mcnemar_exact(only_a, only_b):.2g} |"
        )
    return lines


if __name__ == "__main__":
    main()
