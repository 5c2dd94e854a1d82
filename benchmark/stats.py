"""Small-sample statistics for accuracy figures: Wilson intervals and McNemar's exact test."""

from __future__ import annotations

import math

Z95 = 1.959963984540054


def wilson_interval(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion (95 % by default); (0, 1) when n = 0."""
    if n == 0:
        return 0.0, 1.0
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    # Exact arithmetic puts p inside; rounding can leave it 1e-17 outside at p = 0 or 1.
    return min(p, max(0.0, centre - half)), max(p, min(1.0, centre + half))


def discordant_pairs(a_right, b_right) -> tuple[int, int]:
    """(samples only A got right, samples only B got right) of two paired correctness lists."""
    pairs = list(zip(a_right, b_right, strict=True))
    return sum(a and not b for a, b in pairs), sum(b and not a for a, b in pairs)


def mcnemar_exact(only_a: int, only_b: int) -> float:
    """Two-sided exact McNemar p-value from the discordant pairs: samples only A (a decoder, a
    model) got right, and samples only B got right. 1.0 when there are none."""
    n = only_a + only_b
    if n == 0:
        return 1.0
    k = min(only_a, only_b)
    tail = sum(math.comb(n, i) for i in range(k + 1)) / 2**n
    return min(1.0, 2 * tail)
