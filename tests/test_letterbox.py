"""How a captcha's canvas reaches the crop: flat bands padding it out to a bigger canvas are cut
first, and nothing else is (crnn.preprocess.letterbox); a transparent ground is laid on a colour
its ink shows on (crnn.preprocess.on_ground)."""

import io

import numpy as np
from PIL import Image, ImageDraw

from crnn.preprocess import letterbox, model_pixels, on_ground
from generator.sample import render_sample
from generator.spec import load_style, preset


def _boxed(inner: np.ndarray, top=30, left=20, bottom=25, right=25, colour=0) -> np.ndarray:
    h, w = inner.shape
    out = np.full((top + h + bottom, left + w + right), colour, np.uint8)
    out[top : top + h, left : left + w] = inner
    return out


def test_black_bands_are_cut_by_hand():
    inner = np.full((40, 180), 200, np.uint8)
    inner[10:30, 20:160:20] = 30  # a few strokes
    a = _boxed(inner)
    assert letterbox(a) == (20, 30, 20 + 180, 30 + 40)
    assert letterbox(_boxed(inner, colour=255)) == (20, 30, 200, 70)  # white bands too
    thin = _boxed(inner, left=2, right=0)  # 2 columns on one side: as a stem at the edge; kept
    assert letterbox(thin)[0] == 0


def test_a_thin_frame_round_the_canvas_is_cut_by_hand():
    """A 1 px black frame (kaptcha draws one by default) round a light canvas with small text
    in its middle: the frame's edges would hold the content box to the whole canvas."""
    a = np.full((120, 300), 235, np.uint8)
    a[50:70, 120:180:10] = 20
    a[0, :], a[-1, :], a[:, 0], a[:, -1] = 0, 0, 0, 0
    assert letterbox(a) == (1, 1, 299, 119)
    grey_frame = np.full((120, 300), 235, np.uint8)
    grey_frame[50:70, 120:180:10] = 20
    grey_frame[:2], grey_frame[-2:], grey_frame[:, :2], grey_frame[:, -2:] = 120, 120, 120, 120
    assert letterbox(grey_frame) == (2, 2, 298, 118)


def test_a_framed_captcha_in_a_big_canvas_reaches_the_model_as_the_unframed_one():
    sample = render_sample(preset("medium"), 4, 3).image.convert("RGB")
    ground = tuple(int(v) for v in np.median(np.asarray(sample).reshape(-1, 3), axis=0))
    canvas = Image.new("RGB", (sample.width * 2, sample.height * 2), ground)
    canvas.paste(sample, (sample.width // 2, sample.height // 2))
    framed = canvas.copy()
    ImageDraw.Draw(framed).rectangle([0, 0, canvas.width - 1, canvas.height - 1], outline=0)
    np.testing.assert_array_equal(
        model_pixels(framed, 32, 128, "crop", channels=3),
        model_pixels(
            canvas.crop((1, 1, canvas.width - 1, canvas.height - 1)), 32, 128, "crop", channels=3
        ),
    )


def test_a_captchas_own_flat_ground_is_no_band():
    a = np.full((60, 160), 230, np.uint8)
    a[20:40, 30:130:12] = 20  # text in the middle of a flat ground
    assert letterbox(a) == (0, 0, 160, 60)
    assert letterbox(np.zeros((30, 40), np.uint8)) == (0, 0, 40, 30)  # all flat: nothing cut
    halves = np.zeros((40, 60), np.uint8)
    halves[20:] = 255  # two flat halves: each a band ending on the other; nothing left to keep
    assert letterbox(halves) == (0, 0, 60, 40)
    assert letterbox(halves.T.copy()) == (0, 0, 40, 60)


def test_a_band_crossed_by_a_line_or_not_ending_on_a_seam_stays():
    inner = np.full((40, 180), 200, np.uint8)
    a = _boxed(inner)
    a[5, 50:100] = 120  # a line across the top band: it is no longer flat from the edge
    assert letterbox(a)[1] == 0
    lined = np.full((60, 160), 230, np.uint8)
    lined[50:53, 10:150] = 20  # a straight line 3 px thick near the bottom: no seam
    lined[20:40, 30:130:12] = 20
    assert letterbox(lined) == (0, 0, 160, 60)
    half = _boxed(inner)
    half[30, 100:] = 0  # the seam row is band-coloured over 45 % of its width
    assert letterbox(half)[1] == 0


def _jpeg(image: Image.Image, quality: int = 75) -> np.ndarray:
    data = io.BytesIO()
    image.save(data, "JPEG", quality=quality)
    return np.asarray(Image.open(io.BytesIO(data.getvalue())).convert("L"))


def test_bands_and_frames_served_as_jpeg_are_cut_too():
    """JPEG rings along a seam, so no band is exactly flat any more (kaptcha serves JPEG):
    the cut still lands on the seam, within the row or two the ringing blurs."""
    sample = render_sample(preset("medium"), 4, 3).image.convert("RGB")
    w, h = sample.size
    for quality in (90, 75, 50):
        boxed = Image.new("RGB", (w, h + 70), (0, 0, 0))
        boxed.paste(sample, (0, 40))
        left, top, right, bottom = letterbox(_jpeg(boxed, quality))
        assert (left, right) == (0, w) and abs(top - 40) <= 1 and abs(bottom - (40 + h)) <= 1
        ground = tuple(int(v) for v in np.median(np.asarray(sample).reshape(-1, 3), axis=0))
        canvas = Image.new("RGB", (w * 2, h * 2), ground)
        canvas.paste(sample, (w // 2, h // 2))
        ImageDraw.Draw(canvas).rectangle([0, 0, 2 * w - 1, 2 * h - 1], outline=(0, 0, 0))
        assert letterbox(_jpeg(canvas, quality)) == (1, 1, 2 * w - 1, 2 * h - 1), quality


def test_a_gradient_ground_is_no_band():
    """Its first rows are within a JPEG's tolerance of one colour, and the rows after them are
    not: but they drift there a level at a time, where a seam steps."""
    a = np.repeat(np.linspace(255, 120, 60).astype(np.uint8)[:, None], 160, axis=1)
    a[20:40, 30:130:12] = 20
    assert letterbox(a) == (0, 0, 160, 60)
    assert letterbox(a.T.copy()) == (0, 0, 60, 160)


def test_the_model_input_of_a_letterboxed_captcha_is_the_captchas_own():
    image = render_sample(preset("hard"), 3, 1).image
    for channels in (1, 3):
        plain = np.asarray(image.convert("L" if channels == 1 else "RGB"))
        pad = ((40, 50), (30, 20)) + (((0, 0),) if channels == 3 else ())
        boxed = Image.fromarray(np.pad(plain, pad))
        np.testing.assert_array_equal(
            model_pixels(boxed, 32, 128, "crop", channels=channels),
            model_pixels(image, 32, 128, "crop", channels=channels),
        )


def test_no_sample_of_our_styles_is_letterboxed():
    """The styles the readers train on keep their model input (checked on 1,000 samples of
    every preset and example when the band rule was written; here a few of each kind)."""
    for style in ("universal", "easy", "captcha", "examples/universal-cells.toml"):
        spec = load_style(style) if style.endswith(".toml") else preset(style)
        for i in range(40):
            a = np.asarray(render_sample(spec, 13, i).image.convert("L"))
            assert letterbox(a) == (0, 0, a.shape[1], a.shape[0]), (style, i)


def _on_see_through(ink_rgb: tuple[int, int, int]) -> tuple[Image.Image, str]:
    """An easy captcha as ink of one colour whose opacity is its darkness, on a fully
    transparent ground holding black (what most encoders write behind alpha 0)."""
    sample = render_sample(preset("easy"), 5, 2)
    grey = sample.image.convert("L")
    ground = float(np.median(np.asarray(grey)))  # the ground: fully transparent
    rgba = Image.new("RGBA", grey.size, (*ink_rgb, 0))
    rgba.putalpha(Image.eval(grey, lambda v: round(max(0.0, ground - v) / ground * 255)))
    return rgba, sample.text


def test_transparent_captchas_are_laid_on_a_ground_their_ink_shows_on():
    dark, _ = _on_see_through((0, 0, 0))
    laid = np.asarray(on_ground(dark).convert("L"))
    assert laid[0, 0] == 255 and laid.min() < 60  # white ground, dark ink
    light, _ = _on_see_through((255, 255, 255))
    laid = np.asarray(on_ground(light).convert("L"))
    assert laid[0, 0] == 0 and laid.max() > 200  # black ground, light ink
    # By hand: 40 % opaque mid-grey ink (lum 100 < 127.5: dark) on white: 0.4*100 + 0.6*255 = 193.
    one = Image.new("LA", (4, 4), (100, 102))
    assert np.asarray(on_ground(one).convert("L"))[0, 0] == 193
    opaque = render_sample(preset("easy"), 5, 2).image.convert("RGBA")
    assert on_ground(opaque) is opaque  # nothing see-through: as it is
    plain = render_sample(preset("easy"), 5, 2).image
    assert on_ground(plain) is plain


def test_the_reader_reads_dark_ink_on_a_transparent_png(tmp_path):
    """Dropping the alpha channel would leave black ink on the black a transparent pixel holds:
    nothing to read. Laid on white, it reads as the opaque captcha does."""
    from crnn.recognizer import Recognizer

    image, text = _on_see_through((0, 0, 0))
    image.save(tmp_path / "see-through.png")
    assert np.asarray(image.convert("L")).max() == 0  # what dropping alpha alone would show
    reading = Recognizer.load("universal").predict([tmp_path / "see-through.png"], "greedy")
    assert reading[0].text == text
    gif = image.convert("RGB").convert("P")
    gif.info["transparency"] = 0
    assert on_ground(gif).mode == "RGB"
