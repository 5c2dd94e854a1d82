"""benchmark.view_choice: parsing a view set, and forward selection on hand-made readings."""

import numpy as np
import pytest

from benchmark.view_choice import Cache, choose, parse_views
from crnn.decode import greedy_decode
from crnn.views import View
from generator.errors import UserError


def test_parse_views():
    assert parse_views("rotate=6;shear=-0.2,hscale=1.3") == [
        View(rotate=6),
        View(shear=-0.2, hscale=1.3),
    ]
    assert parse_views("hscale=1.3,clip=0.3") == [View(hscale=1.3, clip=0.3)]
    for bad in ("rotat=6", "rotate", "rotate=six"):
        with pytest.raises(UserError):
            parse_views(bad)


def _reads(p_a: float, p_b: float, frames: int = 4) -> np.ndarray:
    """(2, frames, 3) log-probabilities over blank, 'a', 'b' for two images: blank everywhere but
    frame 1, where 'a' has ``p_a`` and 'b' ``p_b``."""
    lp = np.full((frames, 3), np.log(0.01))
    lp[:, 0] = np.log(0.98)
    lp[1] = np.log([1 - p_a - p_b, p_a, p_b])
    return np.stack([lp, lp])


def test_forward_selection_adds_the_view_that_fixes_most():
    """Both images read 'a'. The base view is fairly sure of 'b' (0.9 vs 0.08); candidate 1
    leans to 'a' (0.6 vs 0.38), candidate 2 is sure of 'a' (0.98). Mean log-probabilities of the
    frame-1 choice, by hand: base + 1: a (ln .08 + ln .6) / 2 = -1.52 < b (ln .9 + ln .38) / 2
    = -0.54, still 'b'; base + 2: a -1.27 > b (ln .9 + ln .01) / 2 = -2.36, 'a'. So the sure view
    is chosen first, alone it reads both right, and the weak one alone reads none."""
    texts = ["a", "a"]
    logs = [_reads(0.08, 0.9), _reads(0.6, 0.38), _reads(0.98, 0.01)]
    cache = Cache.__new__(Cache)  # the readings by hand, no model
    cache.chars = "ab"
    cache.views = [View(), View(rotate=6), View(rotate=-6)]
    cache.sets = {"s": (logs, [greedy_decode(lp, "ab") for lp in logs], texts)}
    result = choose(cache, [0], [1, 2], 2, {"all": ["s"]})
    assert result["base"]["mean"] == 0.0
    assert result["alone"][View(rotate=6).name]["mean"] == 0.0
    assert result["alone"][View(rotate=-6).name]["mean"] == 1.0
    assert [r["added"] for r in result["forward"]] == [View(rotate=-6).name, View(rotate=6).name]
    assert result["forward"][-1]["means"]["all"] == 1.0
