"""Seed ranges: training never sees a validation or benchmark sample.

Samples are keyed by (seed, index) through ``SeedSequence([seed, index])``, so two different seeds
give independent samples. Training runs may use seeds below ``RESERVED_SEED_MIN``; seeds from there
up are reserved, one per purpose, and the trainer refuses them.
"""

from __future__ import annotations

from .errors import UserError

RESERVED_SEED_MIN = 2**48
VALIDATION_SEED = RESERVED_SEED_MIN  # the trainer's held-out set
BENCHMARK_SEED = RESERVED_SEED_MIN + 1  # `bench run` evaluation sets


class SeedRangeError(UserError):
    """A training seed inside the range reserved for evaluation."""


def check_training_seed(seed: int) -> int:
    if not 0 <= seed < RESERVED_SEED_MIN:
        raise SeedRangeError(
            f"training seed {seed} is outside [0, 2**48): seeds from 2**48 up are reserved for "
            "validation and benchmark sets"
        )
    return seed
