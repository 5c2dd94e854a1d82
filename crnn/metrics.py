"""Text-recognition metrics shared by validation and the benchmark harness.

Character accuracy follows ICDAR 2019: ``1 - ED(gt, pred) / max(len(gt), len(pred))`` per
sample, averaged (1 when both strings are empty). Edit distance is rapidfuzz's Levenshtein.
"""

from __future__ import annotations

from collections.abc import Sequence

from rapidfuzz.distance import Levenshtein


def normalized_edit_distance(truth: str, pred: str) -> float:
    longest = max(len(truth), len(pred))
    return Levenshtein.distance(truth, pred) / longest if longest else 0.0


def sequence_accuracy(truths: Sequence[str], preds: Sequence[str]) -> float:
    _same_length(truths, preds)
    return sum(t == p for t, p in zip(truths, preds, strict=True)) / len(truths) if truths else 0.0


def char_accuracy(truths: Sequence[str], preds: Sequence[str]) -> float:
    """Mean of 1 - NED (ICDAR 2019)."""
    _same_length(truths, preds)
    if not truths:
        return 0.0
    total = sum(1.0 - normalized_edit_distance(t, p) for t, p in zip(truths, preds, strict=True))
    return total / len(truths)


def character_error_rate(truths: Sequence[str], preds: Sequence[str]) -> float:
    """Total edit distance over total reference characters (corpus CER)."""
    _same_length(truths, preds)
    chars = sum(len(t) for t in truths)
    edits = sum(Levenshtein.distance(t, p) for t, p in zip(truths, preds, strict=True))
    return edits / chars if chars else 0.0


def _same_length(truths: Sequence[str], preds: Sequence[str]) -> None:
    if len(truths) != len(preds):
        raise ValueError(f"{len(truths)} references but {len(preds)} predictions")
