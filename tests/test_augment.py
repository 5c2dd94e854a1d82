"""Few-shot augmentation: seeded, bounded, and it keeps what the glyphs say."""

from __future__ import annotations

import numpy as np
import pytest

from crnn.augment import augment, augment_strong, augmenter
from crnn.recognizer import Recognizer
from crnn.train import TrainError, train
from generator.sample import render_sample
from generator.spec import preset


def _images(n: int):
    samples = [render_sample(preset("easy"), 5, i) for i in range(n)]
    return [s.image for s in samples], [s.text for s in samples]


@pytest.mark.parametrize("fn", [augment, augment_strong])
def test_same_seed_same_pixels(fn):
    image = _images(1)[0][0]
    a = fn(image, np.random.default_rng(3))
    b = fn(image, np.random.default_rng(3))
    c = fn(image, np.random.default_rng(4))
    assert a.tobytes() == b.tobytes() and a.tobytes() != c.tobytes()
    assert a.mode == image.mode  # grey stays grey, colour stays colour


def test_strong_augmentation_keeps_what_the_glyphs_say():
    """An independent oracle: the shipped reader reads easy captchas perfectly; if a variation
    moved glyphs out of the picture or turned one into another, it would stop reading them."""
    images, texts = _images(40)
    reader = Recognizer.load("universal")
    rng = np.random.default_rng(0)
    varied = [augment_strong(im, rng) for im in images]
    assert np.mean([np.asarray(v).std() > 10 for v in varied]) == 1.0  # ink survives
    plain = sum(r.text == t for r, t in zip(reader.predict(images), texts, strict=True))
    strong = sum(r.text == t for r, t in zip(reader.predict(varied), texts, strict=True))
    assert plain >= 38 and strong >= 32, (plain, strong)  # measured: 40 and 35


def test_unknown_strength_is_refused(tmp_path):
    assert augmenter("none")(_images(1)[0][0], None) is not None
    with pytest.raises(ValueError, match="one of none, mild, strong"):
        augmenter("wild")
    from conftest import tiny

    with pytest.raises(TrainError, match="--augment must be one of none, mild, strong"):
        train(tiny(out=tmp_path / "run", augment="wild"))


@pytest.mark.parametrize("fn", [augment, augment_strong])
def test_colour_images_stay_colour_and_move_as_their_grey_does(fn):
    """A colour reader's k-shot images keep their colour; the draws are the same as for the
    grey image, so the RGB result's luminance is the grey result's picture (up to rounding, and
    to channels the contrast jitter clips where luminance does not: hence correlation)."""
    rgb = render_sample(preset("universal"), 8, 3).image.convert("RGB")
    coloured = fn(rgb, np.random.default_rng(5))
    grey = fn(rgb.convert("L"), np.random.default_rng(5))
    assert coloured.mode == "RGB" and coloured.size == grey.size
    a = np.asarray(coloured.convert("L"), np.float32).ravel()
    b = np.asarray(grey, np.float32).ravel()
    assert np.corrcoef(a, b)[0, 1] > 0.97
    other = np.asarray(fn(rgb.convert("L"), np.random.default_rng(6)), np.float32).ravel()
    if other.shape == b.shape:  # another draw moves the glyphs: far less alike
        assert np.corrcoef(a, other)[0, 1] < np.corrcoef(a, b)[0, 1] - 0.05
    spread = np.asarray(coloured, np.int16)
    assert (spread.max(axis=2) - spread.min(axis=2)).max() > 20  # still in colour


@pytest.mark.parametrize(
    ("mode", "kept"), [("LA", "L"), ("I;16", "L"), ("1", "L"), ("RGBA", "RGB"), ("P", "RGB")]
)
def test_grey_modes_stay_grey_and_colour_modes_become_rgb(mode, kept):
    image = render_sample(preset("easy"), 5, 0).image.convert(mode)
    assert augment(image, np.random.default_rng(0)).mode == kept
