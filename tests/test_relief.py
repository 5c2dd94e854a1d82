"""Glyphs in relief (text.relief, universal.relief): a shaded edge or an extrusion in the text's
colour with a faint outline, the body left as ground. Opt-in, so every other spec keeps its
bytes."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from PIL import Image

from generator import render
from generator.randomize import randomize
from generator.render import touches_edge
from generator.sample import render_sample, sample_rng
from generator.spec import CaptchaSpec, SpecError, TextStyle, UniversalStyle, load_style, preset

RELIEF = "examples/relief.toml"


def _square(side: int = 6, pad: int = 0) -> Image.Image:
    a = np.zeros((side + 2 * pad, side + 2 * pad), np.uint8)
    a[pad : pad + side, pad : pad + side] = 255
    return Image.fromarray(a)


def test_an_engraved_square_keeps_the_edge_the_light_does_not_reach_and_its_outline():
    """A 6x6 square, light along +x, depth 2: the glyph less itself moved 2 px right is
    its two left columns, full ink; the rest of its one-pixel ring at the outline's opacity;
    the 2x2 centre left as ground. Worked by hand."""
    out = np.asarray(render._relieve(_square(), 2, (1, 0), 0.5, extruded=False), np.int32)
    assert out.shape == (6, 6)
    expected = np.zeros((6, 6), np.int32)
    expected[[0, -1], :] = 128  # top and bottom rows of the ring
    expected[:, -1] = 128  # the right column of the ring
    expected[:, :2] = 255  # the shaded edge, two columns wide
    expected[2:4, 2:4] = 0
    expected[1:5, 2:5] = 0
    assert np.array_equal(out, expected)


def test_an_extruded_square_is_a_block_behind_it_and_its_outline():
    """Depth 3 along the diagonal (1, 1): the union of the square moved 1..3 px down-right, less
    the square, is an L-shaped block 3 px thick beyond the square's right and bottom sides (its
    corner cut square where no moved copy reaches); inside, only the ring at its opacity."""
    out = np.asarray(render._relieve(_square(), 3, (1, 1), 0.4, extruded=True), np.int32)
    assert out.shape == (9, 9)  # the square and its 3 px block
    ring = np.zeros((6, 6), bool)
    ring[[0, -1], :] = ring[:, [0, -1]] = True
    assert np.array_equal(out[:6, :6], np.where(ring, 102, 0))
    # The block: every pixel outside the square covered by one of its moved copies.
    moved = np.zeros((9, 9), bool)
    for k in (1, 2, 3):
        moved[k : k + 6, k : k + 6] = True
    block = moved.copy()
    block[:6, :6] = False
    assert np.array_equal(out >= 255, block)
    assert out[8, 0] == 0 and out[0, 8] == 0  # corners no copy reaches


def test_strokes_along_the_light_get_no_edge_only_their_outline():
    """A horizontal bar lit along its own length: engraved, only its left end is shaded; the
    long top and bottom edges are outline only, as on an embossed face."""
    bar = np.zeros((4, 20), np.uint8)
    bar[:, :] = 255
    out = np.asarray(render._relieve(Image.fromarray(bar), 1, (1, 0), 0.4, extruded=False))
    assert (out[:, 0] == 255).all()
    assert (out[0, 1:] == 102).all() and (out[-1, 1:] == 102).all()
    assert (out[1:3, 1:-1] == 0).all()


def test_relief_is_drawn_only_where_a_spec_opts_in():
    plain = preset("universal")

    def drawn(spec, n: int = 300) -> list:
        return [randomize(spec, sample_rng(7, i)) for i in range(n)]

    assert not any(s.text.relief for s in drawn(plain))
    forced = [s for s in drawn(load_style(RELIEF), 200) if s.backend == "native"]
    assert forced and all(s.text.relief == 1.0 and s.text.hollow == 0.0 for s in forced)
    assert {s.text.relief_depth[1] for s in forced} == {1, 2, 3}
    # Small text: 1 px only, where a deeper edge would fill its counters.
    assert all(
        s.text.relief_depth == (1, 1)
        for s in forced
        if s.text.font_size[0] < 20  # randomize's OUTLINE_MIN_SIZE
    )
    held = dataclasses.replace(plain, universal=UniversalStyle(relief=1.0, hold_out=("relief",)))
    assert not any(s.text.relief for s in drawn(held, 100))
    share = dataclasses.replace(plain, universal=UniversalStyle(relief=0.3))
    assert 0.2 < np.mean([s.text.relief == 1.0 for s in drawn(share, 400)]) < 0.36


def test_a_relief_is_not_a_filled_glyph():
    """The same glyph at the same seed, filled and in relief: the relief's full ink is a small
    part of the filled glyph's (an edge, not a body)."""
    base = CaptchaSpec(
        width=120, height=60, text=TextStyle(charset="O", length=(1, 1), font_size=(44, 44))
    )
    relief = dataclasses.replace(base, text=dataclasses.replace(base.text, relief=1.0))
    filled = render_sample(base, 0, 0, with_text_layer=True).text_layer.coverage
    relieved = render_sample(relief, 0, 0, with_text_layer=True).text_layer.coverage
    assert 0 < np.count_nonzero(relieved >= 0.5) < 0.6 * np.count_nonzero(filled >= 0.5)


def test_the_relief_family_renders_whole_and_repeats():
    spec = load_style(RELIEF)
    assert spec.digest() != preset("universal").digest()
    for i in range(12):
        a, b = render_sample(spec, 4, i, with_text_layer=True), render_sample(spec, 4, i)
        assert np.array_equal(np.asarray(a.image), np.asarray(b.image))
        assert a.text_layer.glyphs_pasted == len(a.text)
        assert not touches_edge(a.text_layer.coverage)
    with pytest.raises(SpecError, match="relief"):
        dataclasses.replace(preset("universal"), universal=UniversalStyle(relief=2.0))
    easy = preset("easy")
    with pytest.raises(SpecError, match="relief_depth"):
        dataclasses.replace(easy, text=dataclasses.replace(easy.text, relief_depth=(0, 2)))


def _relief_by_sets(glyph: np.ndarray, depth: int, step, outline: float, extruded: bool):
    """The relief worked out pixel by pixel on sets of coordinates, as an independent oracle:
    the shaded set (the glyph less its copy moved ``depth`` px, or the copies moved 1..depth px
    less the glyph), full ink; the glyph's pixels with a neighbour outside it, at the outline's
    opacity; cropped to what is inked."""
    body = {(int(y), int(x)) for y, x in zip(*np.nonzero(glyph), strict=True)}
    dy, dx = step[1], step[0]
    if extruded:
        moved = {(y + k * dy, x + k * dx) for y, x in body for k in range(1, depth + 1)}
        shaded = moved - body
    else:
        shaded = body - {(y + depth * dy, x + depth * dx) for y, x in body}
    ring = {
        (y, x)
        for y, x in body
        if any((y + a, x + b) not in body for a in (-1, 0, 1) for b in (-1, 0, 1))
    }
    inked = shaded | ring
    top, left = min(y for y, _ in inked), min(x for _, x in inked)
    h = max(y for y, _ in inked) - top + 1
    w = max(x for _, x in inked) - left + 1
    out = np.zeros((h, w), np.int32)
    faint = int(np.round(np.float32(outline) * np.float32(255)))
    for y, x in ring:
        out[y - top, x - left] = faint
    for y, x in shaded:
        out[y - top, x - left] = 255
    return out


@settings(max_examples=120, deadline=None)
@given(
    arrays(np.bool_, st.tuples(st.integers(1, 12), st.integers(1, 12))),
    st.integers(1, 4),
    st.sampled_from(render._COMPASS),
    st.floats(0.3, 0.6),
    st.booleans(),
)
def test_a_relief_matches_its_definition_on_sets_for_any_glyph(
    glyph, depth, step, outline, extruded
):
    assume(glyph.any())
    mask = Image.fromarray(glyph.astype(np.uint8) * 255)
    got = np.asarray(render._relieve(mask, depth, step, outline, extruded), np.int32)
    assert np.array_equal(got, _relief_by_sets(glyph, depth, step, outline, extruded))
