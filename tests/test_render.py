import io
import random

import numpy as np
import pytest

from generator.captcha_backend import seeded_captcha
from generator.render import touches_edge
from generator.sample import labels, render_sample
from generator.spec import preset, preset_names

FIDELITY_SAMPLES = 1000


def png(image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


@pytest.mark.parametrize("name", preset_names())
def test_same_seed_same_bytes_and_independent_of_order(name):
    spec = preset(name)
    forward = [png(render_sample(spec, 7, i).image) for i in range(6)]
    backward = [png(render_sample(spec, 7, i).image) for i in reversed(range(6))][::-1]
    assert forward == backward
    assert len(set(forward)) == 6
    assert png(render_sample(spec, 8, 0).image) != forward[0]


@pytest.mark.parametrize("name", preset_names())
def test_no_glyph_clipped_and_every_glyph_drawn(name):
    """Label fidelity on 1,000 samples per preset: ink never touches the canvas edge (the text
    layer is checked after warp and blur), every character of the label was pasted, and the
    label uses only the charset within the length range."""
    spec = preset(name)
    clipped = []
    for i in range(FIDELITY_SAMPLES):
        s = render_sample(spec, 123, i, with_text_layer=True)
        assert s.text_layer.glyphs_pasted == len(s.text)
        assert spec.text.length[0] <= len(s.text) <= spec.text.length[1]
        assert s.text in spec.charset
        # The text is really there (the captcha package draws dark colours semi-transparent).
        assert s.text_layer.coverage.max() > 0.3
        if touches_edge(s.text_layer.coverage):
            clipped.append(i)
    assert clipped == []


def test_edge_detector_sees_clipping():
    coverage = np.zeros((60, 160), np.float32)
    assert not touches_edge(coverage)
    coverage[0, 50] = 1.0
    assert touches_edge(coverage)


def test_labels_without_rendering_match_rendered_labels():
    spec = preset("hard")
    assert labels(spec, 3, range(20)) == [render_sample(spec, 3, i).text for i in range(20)]


def test_captcha_backend_ignores_global_random_and_secrets():
    spec = preset("captcha")
    first = png(render_sample(spec, 1, 5).image)
    random.seed(999)
    import secrets

    secrets.token_bytes(16)
    assert png(render_sample(spec, 1, 5).image) == first


def test_seeded_captcha_restores_the_package_module():
    import secrets

    import captcha.image as ci

    with seeded_captcha(3):
        assert ci.secrets is not secrets
    assert ci.secrets is secrets


def test_grayscale_and_sizes():
    spec = preset("medium").with_overrides(grayscale=True, width=200, height=64)
    im = render_sample(spec, 0, 0).image
    assert im.mode == "L"
    assert im.size == (200, 64)


def test_mixed_draws_many_styles():
    styles = {render_sample(preset("mixed"), 0, i).style for i in range(60)}
    assert "captcha" in styles
    assert len(styles) > 20


def test_strong_blur_and_elastic_warp_still_keep_ink_off_the_edge():
    """The margin follows the blur kernel's real reach and the elastic field's exact bound."""
    spec = preset("hard").with_overrides(warp={"blur": (2.5, 3.0), "elastic": 6.0})
    for i in range(200):
        s = render_sample(spec, 9, i, with_text_layer=True)
        assert not touches_edge(s.text_layer.coverage), i


@pytest.mark.parametrize("clutter_contrast", [0, 100])
def test_dark_clutter_stands_out_more_than_the_text(clutter_contrast):
    """noise.clutter_contrast draws lines and curves beyond the text's luminance, away from the
    background; at 0 they are in the text's colour. Measured off the text's own pixels."""
    spec = preset("easy").with_overrides(
        color={"background": (230, 230), "text": (120, 120), "min_contrast": 90,
               "saturation": 0},
        noise={"lines": (2, 2), "curves": (1, 1), "line_width": (2, 2), "dots": (0, 0),
               "clutter_contrast": clutter_contrast, "max_weight": 0.0},
        warp={"blur": (0.0, 0.0)},
    )  # fmt: skip
    for i in range(5):
        s = render_sample(spec, 7, i, with_text_layer=True)
        gray = np.asarray(s.image.convert("L"), np.float32)
        off_text = gray[s.text_layer.coverage == 0]
        assert off_text.min() == pytest.approx(120 - clutter_contrast, abs=3)
