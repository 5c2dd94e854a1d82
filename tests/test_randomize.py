"""The universal style draws every dial independently, over the promised ranges."""

from __future__ import annotations

import numpy as np

from generator.randomize import draw_case, randomize
from generator.sample import render_sample, sample_rng
from generator.spec import preset


def test_dials_span_their_ranges_and_vary_independently():
    base = preset("universal")
    styles = [randomize(base, sample_rng(5, i)) for i in range(600)]
    native = [s for s in styles if s.backend == "native"]
    widths = [s.width for s in styles]
    heights = [s.height for s in styles]
    assert min(widths) == 80 and max(widths) == 320
    assert min(heights) <= 32 and max(heights) >= 98
    assert 0.06 < sum(s.backend == "captcha" for s in styles) / len(styles) < 0.2
    assert any(s.color.background[0] < 110 for s in native), "no inverted sample"
    assert any(s.text.hollow for s in native) and any(s.text.lowercase for s in native)
    assert {s.text.weight for s in native} >= {(-1, -1), (0, 0), (1, 1), (2, 2)}
    share = [s.text.font_size[1] / s.height for s in native]
    assert min(share) < 0.5 and max(share) > 0.85, "text height as a share of the canvas"
    for dial in ("dots", "lines", "curves", "cuts"):
        assert 0.1 < np.mean([getattr(s.noise, dial) != (0, 0) for s in native]) < 0.7, dial
    # Independence: knowing one dial says little about another (|correlation| small).
    grain = np.array([s.color.grain > 0 for s in native], float)
    cuts = np.array([s.noise.cuts != (0, 0) for s in native], float)
    size = np.array([s.text.font_size[1] for s in native], float)
    assert abs(np.corrcoef(grain, cuts)[0, 1]) < 0.15
    assert abs(np.corrcoef(grain, size)[0, 1]) < 0.15


def test_lowercase_is_drawn_but_the_label_stays_as_drawn_from_the_charset():
    assert draw_case("AB1C", 0.0, np.random.default_rng(0)) == "AB1C"
    drawn = draw_case("ABCDEFGH12", 1.0, np.random.default_rng(0))
    assert drawn == "abcdefgh12"
    spec = preset("universal")
    for i in range(50):
        sample = render_sample(spec, 9, i)
        assert sample.text == sample.text.upper() and sample.text in spec.charset
        again = render_sample(spec, 9, i)
        assert np.array_equal(np.asarray(sample.image), np.asarray(again.image))
