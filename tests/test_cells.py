"""Background cells (color.cells, universal.cells): one background cell per glyph, each glyph
darker or lighter than its own cell; opt-in, so every earlier spec renders and hashes as before."""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pytest

from generator.randomize import randomize
from generator.render import render_native
from generator.sample import fonts_for, render_sample, sample_rng
from generator.spec import (
    ColorStyle,
    NoiseStyle,
    SpecError,
    TextStyle,
    UniversalStyle,
    WarpStyle,
    load_style,
    preset,
    preset_names,
)

# Each preset's digest as it was before the cells fields existed (render version 5): caches,
# manifests and attack-resume keys made before them still match.
DIGESTS_BEFORE_CELLS = {
    "captcha": "6ac37da03ed3b0ce",
    "easy": "056d18c513467af6",
    "extreme": "05dbc5f41c398986",
    "hard": "d440902d79b91b5c",
    "medium": "c5c920d7284e8f82",
    "mixed": "90654126967027f6",
    "universal": "bc70588d9bc5dfc5",
    "words-hard": "d8e2266e44df6e56",
    "words-medium": "9ba40fce28d98b7e",
}


def test_specs_that_do_not_use_cells_keep_their_digests():
    assert {name: preset(name).digest() for name in preset_names()} == DIGESTS_BEFORE_CELLS
    assert load_style("examples/full-alphabet/hard.toml").digest() == "da36f5e06553b3b6"
    with_cells = dataclasses.replace(
        preset("easy"), color=dataclasses.replace(preset("easy").color, cells=1.0)
    )
    assert with_cells.digest() != preset("easy").digest()
    assert load_style("examples/universal-cells.toml").digest() != preset("universal").digest()


def _flat_cells_spec(length: int) -> object:
    """Grey, flat background, no noise, warp or blur: the only background changes are cells."""
    base = preset("easy")
    return dataclasses.replace(
        base,
        width=220,
        height=60,
        grayscale=True,
        text=TextStyle(
            charset="upper_digits",
            length=(length, length),
            font_size=(30, 34),
            spacing=(0.2, 0.3),
            rotation=0.0,
        ),
        color=ColorStyle(
            background=(200, 200), text=(0, 60), min_contrast=70, saturation=0, cells=1.0
        ),
        noise=NoiseStyle(dots=(0, 0)),
        warp=WarpStyle(blur=(0.0, 0.0)),
    )


def _render(spec, text: str, seed: int):
    image, layer = render_native(
        spec, text, fonts_for(spec), np.random.default_rng(seed), with_text_layer=True
    )
    return np.asarray(image, np.int16), layer


@pytest.mark.parametrize("seed", range(6))
def test_every_glyph_sits_on_its_own_cell_with_contrast_to_it(seed):
    spec = _flat_cells_spec(4)
    pixels, layer = _render(spec, "A7KX", seed)
    # The top row holds no ink (layout keeps a margin): its runs of equal grey are the cells.
    row = pixels[0]
    edges = [0, *(np.flatnonzero(np.diff(row)) + 1).tolist(), len(row)]
    assert len(edges) - 1 == 4, f"expected one cell per glyph, got runs at {edges}"
    for left, right in itertools.pairwise(edges):
        level = int(row[left])
        band, coverage = pixels[:, left:right], layer.coverage[:, left:right]
        assert (band[coverage == 0] == level).all(), "a cell is one flat grey"
        assert (coverage > 0.5).sum() > 20, "a cell without its glyph"
        # Fully covered glyph pixels are the glyph's own grey, min_contrast away from its cell.
        inked = band[coverage >= 0.999]
        assert inked.size and np.abs(inked - level).min() >= spec.color.min_contrast - 1
    assert layer.legibility.contrast >= spec.color.min_contrast - 1e-6


def test_polarity_varies_from_glyph_to_glyph():
    spec = _flat_cells_spec(5)
    lighter = darker = 0
    for seed in range(12):
        pixels, layer = _render(spec, "B3M8Q", seed)
        ink = layer.coverage > 0.95
        for column in np.flatnonzero(ink.any(axis=0)):
            glyph = np.median(pixels[:, column][ink[:, column]])
            lighter += glyph > pixels[0, column]
            darker += glyph < pixels[0, column]
    assert lighter > 50 and darker > 50


def test_universal_draws_cells_only_where_a_spec_opts_in():
    plain = preset("universal")
    cells = load_style("examples/universal-cells.toml")
    native = [randomize(cells, sample_rng(3, i)) for i in range(200)]
    native = [s for s in native if s.backend == "native"]
    assert native and all(s.color.cells == 1.0 for s in native)
    assert all(s.text.spacing[0] >= 0.1 for s in native)
    assert not any(randomize(plain, sample_rng(3, i)).color.cells for i in range(200))
    half = dataclasses.replace(plain, universal=UniversalStyle(cells=0.5))
    share = np.mean([randomize(half, sample_rng(4, i)).color.cells for i in range(400)])
    assert 0.35 < share < 0.55  # 0.5 of the native samples (the captcha look has none)
    held = dataclasses.replace(cells, universal=UniversalStyle(cells=1.0, hold_out=("cells",)))
    assert not any(randomize(held, sample_rng(3, i)).color.cells for i in range(100))
    only = dataclasses.replace(plain, universal=UniversalStyle(only="cells"))
    assert all(randomize(only, sample_rng(3, i)).color.cells == 1.0 for i in range(100))


def test_cells_samples_render_whole_and_repeat_exactly():
    spec = load_style("examples/universal-cells.toml")
    for i in range(40):
        sample = render_sample(spec, 11, i)
        again = render_sample(spec, 11, i)
        assert np.array_equal(np.asarray(sample.image), np.asarray(again.image))
        assert sample.text in spec.charset


def test_cells_out_of_range_is_refused():
    easy = preset("easy")
    with pytest.raises(SpecError, match="cells"):
        dataclasses.replace(easy, color=dataclasses.replace(easy.color, cells=1.5))
    with pytest.raises(SpecError, match="cells"):
        dataclasses.replace(easy, universal=UniversalStyle(cells=-0.1))
