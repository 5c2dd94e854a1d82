"""Analysis metrics for a benchmark run: calibration, coverage, per-length accuracy, confusions.
Basic accuracies (sequence, ICDAR character accuracy, CER) live in crnn.metrics."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np
from rapidfuzz.distance import Levenshtein

MISSING = "∅"  # stands for "no character" in a confusion (insertion or deletion)


def calibration_bins(
    confidences: Sequence[float], correct: Sequence[bool], bins: int = 10
) -> list[dict]:
    """Equal-width confidence bins: count, mean confidence and accuracy of each non-empty bin."""
    conf = np.asarray(confidences, dtype=float)
    hit = np.asarray(correct, dtype=float)
    edges = np.linspace(0, 1, bins + 1)
    which = np.clip(np.digitize(conf, edges[1:-1], right=True), 0, bins - 1)
    table = []
    for b in range(bins):
        mask = which == b
        if mask.any():
            table.append(
                {
                    "lo": float(edges[b]),
                    "hi": float(edges[b + 1]),
                    "n": int(mask.sum()),
                    "confidence": float(conf[mask].mean()),
                    "accuracy": float(hit[mask].mean()),
                }
            )
    return table


def expected_calibration_error(
    confidences: Sequence[float], correct: Sequence[bool], bins: int = 10
) -> float:
    """ECE: sum over bins of (bin share) x |accuracy - mean confidence|."""
    n = len(confidences)
    if n == 0:
        return 0.0
    return sum(
        b["n"] / n * abs(b["accuracy"] - b["confidence"])
        for b in calibration_bins(confidences, correct, bins)
    )


def coverage_curve(confidences: Sequence[float], correct: Sequence[bool]) -> list[dict]:
    """Accept only predictions with confidence >= t: for each distinct t (highest first), the share
    accepted and their accuracy. What a captcha owner's attacker trades off."""
    order = np.argsort(-np.asarray(confidences, dtype=float), kind="stable")
    conf = np.asarray(confidences, dtype=float)[order]
    hits = np.cumsum(np.asarray(correct, dtype=float)[order])
    n = len(conf)
    points = []
    for k in range(n):
        if k + 1 < n and conf[k + 1] == conf[k]:
            continue  # a threshold accepts all ties at once
        points.append(
            {
                "threshold": float(conf[k]),
                "coverage": (k + 1) / n,
                "accuracy": float(hits[k] / (k + 1)),
            }
        )
    return points


def accuracy_at_coverage(curve: list[dict], coverage: float) -> float:
    """Accuracy when the most confident ``coverage`` share of predictions is accepted."""
    eligible = [p for p in curve if p["coverage"] >= coverage]
    return eligible[0]["accuracy"] if eligible else float("nan")


def accuracy_by_length(truths: Sequence[str], preds: Sequence[str]) -> dict[int, dict]:
    out: dict[int, dict] = {}
    for t, p in zip(truths, preds, strict=True):
        row = out.setdefault(len(t), {"n": 0, "correct": 0})
        row["n"] += 1
        row["correct"] += t == p
    for row in out.values():
        row["accuracy"] = row["correct"] / row["n"]
    return dict(sorted(out.items()))


def confusions(
    truths: Sequence[str], preds: Sequence[str], top: int = 10
) -> list[tuple[str, str, int]]:
    """Most frequent (true character, read as, count) from a minimal edit alignment; ∅ marks a
    character dropped or added."""
    counts: Counter[tuple[str, str]] = Counter()
    for t, p in zip(truths, preds, strict=True):
        if t == p:
            continue
        for op in Levenshtein.editops(t, p):
            if op.tag == "replace":
                counts[(t[op.src_pos], p[op.dest_pos])] += 1
            elif op.tag == "delete":
                counts[(t[op.src_pos], MISSING)] += 1
            else:
                counts[(MISSING, p[op.dest_pos])] += 1
    return [(a, b, c) for (a, b), c in counts.most_common(top)]
