"""Legibility rules: the measurements, the renderer's enforcement, and every preset's bounds."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from typer.testing import CliRunner

from generator import legibility
from generator.cli import app
from generator.ink import ink_overlap, stroke_width
from generator.spec import (
    CaptchaSpec,
    ColorStyle,
    NoiseStyle,
    TextStyle,
    WarpStyle,
    preset,
    save_spec,
)
from generator.stream import render_sample

# `extreme` as it was before the legibility rules (render version 3): noise strokes as heavy as
# the text, contrast measured from the background's base only, glyphs overlapping at will.
OLD_EXTREME = CaptchaSpec(
    name="old-extreme",
    text=TextStyle(
        font_size=(32, 44),
        spacing=(-0.38, -0.15),
        rotation=45.0,
        shear=0.45,
        perspective=0.2,
        scale_jitter=0.2,
        baseline_jitter=1.0,
        max_overlap=1.0,
    ),
    color=ColorStyle(
        background=(110, 255), text=(0, 170), min_contrast=60, per_char=True, gradient=120
    ),
    noise=NoiseStyle(
        dots=(60, 110),
        dot_size=(1, 4),
        lines=(1, 3),
        curves=(2, 3),
        line_width=(2, 3),
        grid=0.6,
        speckle=0.05,
        max_weight=0.0,
    ),
    warp=WarpStyle(
        wave_amplitude=(3.0, 5.0), wave_period=(35.0, 80.0), elastic=2.5, blur=(0.5, 1.0)
    ),
)


def test_stroke_width_of_hand_drawn_bars():
    bar = np.zeros((10, 50), np.uint8)
    bar[3:6, 5:45] = 255  # 3 x 40: area 120, perimeter 2 * (3 + 40) = 86
    assert stroke_width(bar) == pytest.approx(2 * 120 / 86)
    square = np.full((4, 4), 255, np.uint8)  # touches the border: area 16, perimeter 16
    assert stroke_width(square) == pytest.approx(2.0)
    assert stroke_width(np.zeros((5, 5), np.uint8)) == 0.0
    faint = np.full((4, 4), 100, np.uint8)  # under the ink threshold
    assert stroke_width(faint) == 0.0


def test_ink_overlap_by_hand():
    a = np.zeros((10, 10), np.uint8)
    a[:, :] = 200
    b = np.full((10, 10), 100, np.uint8)
    assert ink_overlap(a, (0, 0), b, (0, 0)) == pytest.approx(1.0)  # min is b everywhere
    # b shifted right by 4: 6 x 10 shared columns of min 100, over b's total 100 * 100.
    assert ink_overlap(a, (0, 0), b, (4, 0)) == pytest.approx(60 * 100 / (100 * 100))
    assert ink_overlap(a, (0, 0), b, (4, 0), totals=(20000, 10000)) == pytest.approx(0.6)
    assert ink_overlap(a, (0, 0), b, (10, 0)) == 0.0
    assert ink_overlap(a, (0, 0), b, (3, -8)) == pytest.approx(7 * 2 * 100 / 10000)


@pytest.mark.parametrize("name", ["easy", "medium", "hard", "extreme", "mixed", "universal"])
def test_every_preset_meets_its_bounds(name):
    got = legibility.check(preset(name), n=120, seed=3)
    assert got.n > 80
    assert got.violations == ()


def test_the_old_extreme_is_flagged():
    got = legibility.summarise(
        "old", legibility.measure(OLD_EXTREME, 60), legibility.LEVELS["extreme"]
    )
    assert any("noise heavier" in v for v in got.violations)
    assert any("overlap" in v for v in got.violations)
    # (its contrast is repaired by today's renderer, which measures it against the gradient)


def _contrast_spec(**color) -> CaptchaSpec:
    return CaptchaSpec(
        name="contrast",
        grayscale=True,
        text=TextStyle(rotation=0, shear=0, scale_jitter=0, baseline_jitter=0),
        color=ColorStyle(saturation=0, **color),
        noise=NoiseStyle(dots=(0, 0)),
        warp=WarpStyle(blur=(0.0, 0.0)),
    )


def test_text_keeps_its_contrast_against_the_whole_gradient():
    """Independent oracle: full-ink text pixels against every pure background pixel."""
    spec = _contrast_spec(background=(120, 255), text=(0, 255), min_contrast=70, gradient=120)
    for i in range(40):
        s = render_sample(spec, 5, i, with_text_layer=True)
        pixels = np.asarray(s.image, np.float32)
        coverage = s.text_layer.coverage
        ink, ground = pixels[coverage >= 0.999], pixels[coverage == 0]
        lo, hi = float(ground.min()), float(ground.max())
        distance = np.maximum.reduce([lo - ink, ink - hi, np.zeros_like(ink)])
        assert float(distance.min()) >= 70 - 1  # luminance is stored as an integer


def test_noise_is_capped_at_the_text_stroke():
    loud = NoiseStyle(dots=(0, 0), lines=(2, 2), curves=(2, 2), line_width=(8, 8), max_weight=0.5)
    spec = CaptchaSpec(name="loud", noise=loud)
    for i in range(30):
        stats = render_sample(spec, 1, i, with_text_layer=True).text_layer.legibility
        assert stats.noise_width == max(1, int(0.5 * stats.stroke_width + 1e-9))
    uncapped = replace(spec, noise=replace(loud, max_weight=0.0))
    stats = render_sample(uncapped, 1, 0, with_text_layer=True).text_layer.legibility
    assert stats.noise_width == 8


def test_overlap_limit_widens_gaps():
    crowded = TextStyle(spacing=(-0.6, -0.5), max_overlap=1.0)
    free = CaptchaSpec(name="crowded", text=crowded)
    limited = replace(free, text=replace(crowded, max_overlap=0.2))
    free_overlaps = [
        render_sample(free, 2, i, with_text_layer=True).text_layer.legibility.overlap
        for i in range(30)
    ]
    limited_stats = [
        render_sample(limited, 2, i, with_text_layer=True).text_layer for i in range(30)
    ]
    assert max(free_overlaps) > 0.3
    assert max(layer.legibility.overlap for layer in limited_stats) <= 0.2
    # Wider gaps still fit the canvas: nothing clipped.
    for layer in limited_stats:
        ring = np.concatenate([layer.coverage[0], layer.coverage[-1]])
        assert (ring <= 0.2).all()


def test_legibility_cli(tmp_path):
    runner = CliRunner()
    ok = runner.invoke(app, ["legibility", "-d", "easy,hard", "-n", "20"])
    assert ok.exit_code == 0, ok.output
    assert "easy" in ok.output and "legible" in ok.output
    path = tmp_path / "old.toml"
    save_spec(OLD_EXTREME, path)
    bad = runner.invoke(app, ["legibility", "-d", str(path), "-n", "30"])
    assert bad.exit_code == 1
    assert "not legible" in bad.output
