"""Heavy clutter (universal.heavy_clutter): at least one curve through the text as heavy as the
text's strokes, in the text's colours. Opt-in, so every other spec keeps its bytes."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from generator.randomize import randomize
from generator.sample import render_sample, sample_rng
from generator.spec import SpecError, UniversalStyle, load_style, preset

HEAVY = "examples/universal-heavy.toml"


def test_universal_draws_heavy_clutter_only_where_a_spec_opts_in():
    plain = preset("universal")

    def heavy(spec, n: int = 200) -> list[bool]:
        drawn = [randomize(spec, sample_rng(3, i)) for i in range(n)]
        return [s.noise.line_width == (8, 8) and s.noise.curves[0] >= 1 for s in drawn]

    assert not any(heavy(plain))
    share = np.mean(heavy(load_style(HEAVY), 400))
    assert 0.2 < share < 0.36  # 0.3 of the native samples (the captcha look draws its own)
    only = dataclasses.replace(plain, universal=UniversalStyle(only="heavy_clutter"))
    assert all(heavy(only, 100))
    held = dataclasses.replace(
        plain, universal=UniversalStyle(heavy_clutter=1.0, hold_out=("heavy_clutter",))
    )
    assert not any(heavy(held, 100))


def test_heavy_curves_are_as_heavy_as_the_text_strokes():
    """The renderer's legibility stats: every forced sample's widest clutter equals the cap
    (the text's stroke width, floored; 8 px at most), where plain universal clutter stays thin."""
    only = dataclasses.replace(preset("universal"), universal=UniversalStyle(only="heavy_clutter"))
    ratios = []
    for i in range(30):
        stats = render_sample(only, 9, i, with_text_layer=True).text_layer.legibility
        cap = max(1, math.floor(stats.stroke_width + 1e-9))
        assert stats.noise_width == min(8, cap)
        ratios.append(stats.noise_width / stats.stroke_width)
    plain = [
        render_sample(preset("universal"), 9, i, with_text_layer=True).text_layer for i in range(30)
    ]
    plain_ratios = [
        t.legibility.noise_width / t.legibility.stroke_width for t in plain if t.legibility
    ]
    assert np.median(ratios) > 0.75 and np.median(ratios) > np.median(plain_ratios) + 0.1


def test_heavy_clutter_specs_have_their_own_digest_and_render_repeatably():
    spec = load_style(HEAVY)
    assert spec.digest() != preset("universal").digest()
    for i in range(10):
        a, b = render_sample(spec, 11, i), render_sample(spec, 11, i)
        assert np.array_equal(np.asarray(a.image), np.asarray(b.image))
    with pytest.raises(SpecError, match="heavy_clutter"):
        dataclasses.replace(preset("universal"), universal=UniversalStyle(heavy_clutter=1.5))
