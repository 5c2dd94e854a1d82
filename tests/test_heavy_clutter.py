"""Heavy clutter (universal.heavy_clutter): at least one curve through the text as heavy as the
text's strokes, in the text's colours. Opt-in, so every other spec keeps its bytes."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from generator import render
from generator.randomize import randomize
from generator.render import touches_edge
from generator.sample import render_sample, sample_rng
from generator.spec import SpecError, UniversalStyle, load_style, preset

HEAVY = "examples/universal-heavy.toml"
BROAD_WARP = "examples/universal-broad-warp.toml"
BROAD_ALL = "examples/universal-broad-all.toml"


def _universal(style: UniversalStyle):
    return dataclasses.replace(preset("universal"), universal=style)


def _drawn(style: UniversalStyle, n: int, seed: int = 2) -> list:
    """The per-sample specs the universal stream draws with ``style``'s shares."""
    spec = _universal(style)
    return [randomize(spec, sample_rng(seed, i)) for i in range(n)]


def _renders_whole_and_repeats(spec, n: int = 12) -> None:
    """Every glyph pasted, none touching the canvas edge (the no-clipping check), and the same
    bytes from the same seed and index."""
    for i in range(n):
        a, b = render_sample(spec, 4, i, with_text_layer=True), render_sample(spec, 4, i)
        assert np.array_equal(np.asarray(a.image), np.asarray(b.image))
        assert a.text_layer.glyphs_pasted == len(a.text)
        assert not touches_edge(a.text_layer.coverage)


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


def test_tumble_turns_glyphs_past_universal_rotation_only_where_opted_in():
    assert all(45 <= s.text.rotation <= 60 for s in _drawn(UniversalStyle(only="tumble"), 100))
    assert max(s.text.rotation for s in _drawn(UniversalStyle(), 300)) <= 35
    drawn = _drawn(UniversalStyle(tumble=0.5), 400, seed=6)
    assert 0.35 < np.mean([s.text.rotation >= 45 for s in drawn]) < 0.55  # the captcha look: none
    # The no-clipping check holds for turned glyphs too.
    _renders_whole_and_repeats(_universal(UniversalStyle(only="tumble")))


def test_quad_warp_pulls_glyph_corners_past_universal_perspective_only_where_opted_in():
    only = UniversalStyle(only="quad_warp")
    assert all(0.2 <= s.text.perspective <= 0.35 for s in _drawn(only, 100))
    assert max(s.text.perspective for s in _drawn(UniversalStyle(), 300)) <= 0.15
    drawn = _drawn(UniversalStyle(quad_warp=0.5), 400, seed=6)
    assert 0.35 < np.mean([s.text.perspective >= 0.2 for s in drawn]) < 0.55
    _renders_whole_and_repeats(_universal(only))


def test_quad_warp_moves_the_corners_as_far_as_drawn():
    """The renderer's corner jitter, measured on the ink: an upright bar pulled with a larger
    perspective spreads its corners further (the mean distance of the warped ink's bounding box
    from the plain one's grows with the dial)."""
    from PIL import Image

    from generator.render import _distort_glyph

    bar = Image.new("L", (20, 40), 255)
    rng = np.random.default_rng(0)

    def spread(p: float) -> float:
        sizes = []
        for _ in range(200):
            jitter = list(rng.uniform(-p, p, 8))
            sizes.append(_distort_glyph(bar, 1.0, 0.0, 0.0, jitter).size)
        return float(np.mean([abs(w - 20) + abs(h - 40) for w, h in sizes]))

    assert spread(0.0) <= 2
    assert spread(0.1) < spread(0.3)
    # Corners move by up to p x 40 px each way: the box grows by about p x 40 x 2/3 per axis.
    assert 0.5 * 0.3 * 40 < spread(0.3) < 2 * 0.3 * 40 * 2


def _faces_and_outlines(monkeypatch, spec, n: int) -> list[tuple[set[str], set[bool]]]:
    """Per sample: the faces its glyphs were rasterised in and whether each was outlined,
    recorded at the renderer's two calls that decide them (_glyph, _restroke)."""
    import generator.render as render

    seen: list[tuple[set[str], set[bool]]] = []
    glyph, restroke = render._glyph, render._restroke

    def record_glyph(path, size, char):
        seen[-1][0].add(path)
        return glyph(path, size, char)

    def record_restroke(mask, weight, hollow):
        seen[-1][1].add(hollow)
        return restroke(mask, weight, hollow)

    monkeypatch.setattr(render, "_glyph", record_glyph)
    monkeypatch.setattr(render, "_restroke", record_restroke)
    for i in range(n):
        seen.append((set(), set()))
        render_sample(spec, 5, i)
    return seen


def test_mixed_faces_draw_a_face_and_outline_per_glyph_only_where_asked(monkeypatch):
    fonts = ("DejaVuSans", "DejaVuSerif", "STIXGeneral", "ComputerModern-Sans", "Lato-Bold")
    base = preset("medium").with_overrides(
        text={"fonts": fonts, "length": (6, 6), "weight": (0, 2), "hollow": 0.3}
    )
    one_face = _faces_and_outlines(monkeypatch, base, 20)
    assert all(len(faces) == 1 for faces, _ in one_face)
    assert all(len(outlined) <= 1 for _, outlined in one_face)  # outlined: all or none
    per_glyph = base.with_overrides(text={"face_per_glyph": 1.0})
    mixed = _faces_and_outlines(monkeypatch, per_glyph, 20)
    # Six glyphs from five faces: one face for all six has odds 5 x (1/5)^6 per sample.
    assert all(len(faces) >= 2 for faces, _ in mixed)
    assert sum(outlined == {True, False} for _, outlined in mixed) >= 10


def test_the_universal_mixed_faces_family_renders_whole_and_repeats():
    only = UniversalStyle(only="mixed_faces")
    assert all(s.text.face_per_glyph == 1.0 for s in _drawn(only, 60) if s.backend == "native")
    assert all(s.text.face_per_glyph == 0 for s in _drawn(UniversalStyle(), 200))
    _renders_whole_and_repeats(_universal(only))


def test_glyph_width_scales_the_glyph_across_only():
    from PIL import Image

    from generator.render import _distort_glyph

    bar = Image.new("L", (20, 40), 255)
    assert _distort_glyph(bar, 1.0, 0.0, 0.0, [0.0] * 8).size == (20, 40)
    assert _distort_glyph(bar, 1.0, 0.0, 0.0, [0.0] * 8, aspect=0.5).size == (10, 40)
    assert _distort_glyph(bar, 1.0, 0.0, 0.0, [0.0] * 8, aspect=1.5).size == (30, 40)
    # Turned a quarter, the narrowed width becomes the height.
    turned = _distort_glyph(bar, 1.0, 90.0, 0.0, [0.0] * 8, aspect=0.5).size
    assert abs(turned[0] - 40) <= 1 and abs(turned[1] - 10) <= 1


def test_the_glyph_width_family_condenses_or_extends_only_where_opted_in():
    only = UniversalStyle(only="glyph_width")
    widths = [s.text.glyph_width for s in _drawn(only, 200)]
    assert all(lo == hi and (0.55 <= lo <= 0.8 or 1.25 <= lo <= 1.6) for lo, hi in widths)
    assert 0.35 < np.mean([lo < 1 for lo, _ in widths]) < 0.65
    assert all(s.text.glyph_width == (1.0, 1.0) for s in _drawn(UniversalStyle(), 200))
    _renders_whole_and_repeats(_universal(only))


def test_the_broad_mixture_draws_every_opt_in_family():
    spec = load_style("examples/universal-broad.toml")
    drawn = [randomize(spec, sample_rng(8, i)) for i in range(300)]
    assert any(s.noise.clutter_hue for s in drawn)
    assert any(s.color.cells for s in drawn)
    assert any(s.text.rotation >= 45 for s in drawn)
    assert any(s.noise.line_width == (8, 8) and not s.noise.clutter_hue for s in drawn)
    warped = [randomize(load_style(BROAD_WARP), sample_rng(8, i)) for i in range(300)]
    assert 0.2 < np.mean([s.text.perspective >= 0.2 for s in warped]) < 0.4
    every = [randomize(load_style(BROAD_ALL), sample_rng(8, i)) for i in range(300)]
    assert any(s.text.perspective >= 0.2 for s in every)
    assert 0.15 < np.mean([s.text.face_per_glyph == 1.0 for s in every]) < 0.3
    assert any(s.color.cells for s in every) and any(s.noise.clutter_hue for s in every)


SWEEP = "examples/sweep-curve.toml"
BROAD_SWEEP = "examples/universal-broad-sweep.toml"


def _sweeping(spec, n: int, seed: int = 5) -> list:
    return [randomize(spec, sample_rng(seed, i)) for i in range(n)]


def test_sweep_curves_are_drawn_only_where_a_spec_opts_in():
    plain = preset("universal")
    assert not any(s.noise.curve_sweep for s in _sweeping(plain, 300))
    forced = _sweeping(load_style(SWEEP), 200)
    native = [s for s in forced if s.backend == "native"]
    assert native and all(s.noise.curve_sweep == 1.0 for s in native)
    # One or two curves, as heavy as the strokes (the renderer caps them there).
    assert all(1 <= s.noise.curves[0] <= s.noise.curves[1] <= 2 for s in native)
    assert all(s.noise.line_width == (8, 8) for s in native)
    # Darker than the text in half of them, beside universal's own dark clutter (a fifth).
    assert 0.45 < np.mean([s.noise.clutter_contrast > 0 for s in native]) < 0.75
    held = dataclasses.replace(
        plain, universal=UniversalStyle(sweep_curve=1.0, hold_out=("sweep_curve",))
    )
    assert not any(s.noise.curve_sweep for s in _sweeping(held, 100))
    every = _sweeping(load_style(BROAD_SWEEP), 400)
    assert 0.2 < np.mean([s.noise.curve_sweep == 1.0 for s in every]) < 0.36
    assert any(s.text.glyph_width != (1.0, 1.0) for s in every)


def test_a_sweeping_curve_spans_more_of_the_height_than_a_band_curve():
    """Against universal's own curves (four control points near the text's band), measured on
    the curves themselves: a sweep's control points alternate between the canvas's top and
    bottom thirds, its ends interpolated, so it spans over half the height in most draws and
    crosses the middle line."""
    u = render._Uniforms(np.random.default_rng(0))
    w, h = 200, 75
    sweeps = [np.array(render._sweep(u, w, h)) for _ in range(300)]
    bands = []
    for _ in range(300):
        ctrl = np.array([(u(0, w), u(h * 0.1, h * 0.9)) for _ in range(4)])
        ctrl[:, 0].sort()
        bands.append(np.array(render._bezier(ctrl)))

    def span(curves):
        return np.median([(c[:, 1].max() - c[:, 1].min()) / h for c in curves])

    assert span(sweeps) > 0.5 and span(sweeps) > span(bands) + 0.15
    assert np.mean([(c[:, 1] < h / 2).any() and (c[:, 1] > h / 2).any() for c in sweeps]) > 0.85
    assert all(c[0, 0] <= 0.2 * w and c[-1, 0] >= 0.8 * w for c in sweeps)  # most of the width


def test_the_sweep_curve_family_renders_whole_and_repeats():
    spec = load_style(SWEEP)
    assert spec.digest() != preset("universal").digest()
    _renders_whole_and_repeats(spec)
    with pytest.raises(SpecError, match="sweep_curve"):
        dataclasses.replace(preset("universal"), universal=UniversalStyle(sweep_curve=2.0))
