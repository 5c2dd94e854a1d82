"""resize = crop: the canvas cut down to its content before the keep-aspect resize."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from crnn.preprocess import CONTENT_MARGIN, content_box, model_pixels
from generator.sample import render_sample
from generator.spec import preset


def _canvas(width, height, background, box, ink):
    a = np.full((height, width), background, dtype=np.uint8)
    x0, y0, x1, y1 = box
    a[y0:y1, x0:x1] = ink
    return a


def test_a_block_on_a_flat_canvas_by_hand():
    a = _canvas(200, 80, 230, (60, 30, 100, 50), 20)
    left, top, right, bottom = content_box(a)
    # Edges sit on rows 29 and 49 and columns 59 and 99 (a pixel is an edge when it differs
    # from its right or lower neighbour); the margin is 0.15 of the edges' height.
    margin = CONTENT_MARGIN * (50 - 29)
    assert (left, top) == (int(59 - margin), int(29 - margin))
    assert left <= 60 and top <= 30 and right >= 100 and bottom >= 50
    assert right - left < 40 + 2 * margin + 4 and bottom - top < 20 + 2 * margin + 4


def test_an_empty_or_smooth_canvas_is_kept_whole():
    assert content_box(np.full((60, 160), 200, np.uint8)) == (0, 0, 160, 60)
    gradient = np.tile(np.linspace(40, 250, 160).astype(np.uint8), (60, 1))  # 1.3 levels/px
    assert content_box(gradient) == (0, 0, 160, 60)


@settings(max_examples=60, deadline=None)
@given(
    width=st.integers(60, 320),
    height=st.integers(30, 120),
    background=st.integers(0, 255),
    contrast=st.integers(40, 200),
    data=st.data(),
)
def test_the_box_always_holds_the_content(width, height, background, contrast, data):
    w = data.draw(st.integers(8, width - 2))
    h = data.draw(st.integers(6, height - 2))
    x0 = data.draw(st.integers(1, width - w - 1))
    y0 = data.draw(st.integers(1, height - h - 1))
    ink = background - contrast if background >= contrast else background + contrast
    a = _canvas(width, height, background, (x0, y0, x0 + w, y0 + h), min(255, max(0, ink)))
    left, top, right, bottom = content_box(a)
    assert left <= x0 and top <= y0 and right >= x0 + w and bottom >= y0 + h
    assert 0 <= left < right <= width and 0 <= top < bottom <= height


def test_crop_mode_is_pad_on_the_cropped_canvas():
    a = _canvas(240, 90, 210, (100, 40, 140, 56), 30)
    image = Image.fromarray(a)
    cropped = image.crop(content_box(a))
    assert np.array_equal(
        model_pixels(image, 32, 128, "crop"), model_pixels(cropped, 32, 128, "pad")
    )
    # The 16 px block fills most of the 32 px input instead of 6 px of it.
    rows = (model_pixels(image, 32, 128, "crop") < 120).any(axis=1).sum()
    assert rows >= 20 and (model_pixels(image, 32, 128, "pad") < 120).any(axis=1).sum() <= 8


def test_no_text_is_cut_from_rendered_captchas():
    """An independent oracle: the renderer's own text coverage map. The box keeps (nearly) all
    of the text's ink on every preset, the broad universal stream included."""
    for name, n in (("universal", 80), ("easy", 20), ("hard", 20), ("captcha", 20)):
        for i in range(n):
            sample = render_sample(preset(name), 4242, i, with_text_layer=True)
            left, top, right, bottom = content_box(np.asarray(sample.image.convert("L")))
            coverage = sample.text_layer.coverage
            kept = coverage[top:bottom, left:right].sum() / coverage.sum()
            assert kept >= 0.97, (name, i, kept)
