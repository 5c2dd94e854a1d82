"""Images in the modes captchas are served in reach the model as they look: 16-bit and 32-bit
grey, float grey, CMYK JPEGs (crnn.preprocess.eight_bit, applied by read_image, which the torch
reader, the ONNX reader, labelled folders and training datasets all read through)."""

import io

import numpy as np
import pytest
from PIL import Image

from crnn.preprocess import ImageInputError, eight_bit, model_pixels, read_image
from generator.sample import render_sample
from generator.spec import preset


def _png(image: Image.Image) -> bytes:
    data = io.BytesIO()
    image.save(data, "PNG")
    return data.getvalue()


def test_grey_of_every_depth_is_scaled_to_eight_bits_by_hand():
    levels = np.array([[0, 100, 255]], np.uint8)
    sixteen = Image.fromarray(levels.astype(np.uint16) * 257)  # 0, 25700, 65535
    assert sixteen.mode == "I;16"
    assert np.asarray(eight_bit(sixteen)).tolist() == [[0, 100, 255]]
    # PIL's own conversion clips: every level above 255 turns white
    assert np.asarray(sixteen.convert("L")).tolist() == [[0, 255, 255]]
    assert np.asarray(eight_bit(Image.fromarray(levels.astype(np.int32)))).tolist() == [
        [0, 100, 255]
    ]  # 32-bit holding 8-bit levels: as they are
    wide = Image.fromarray(levels.astype(np.int32) * 257)  # 32-bit holding 16-bit levels
    assert np.asarray(eight_bit(wide)).tolist() == [[0, 100, 255]]
    unit = Image.fromarray(np.array([[0.0, 0.5, 1.0]], np.float32))
    assert np.asarray(eight_bit(unit)).tolist() == [[0, 128, 255]]
    rgb = Image.new("RGB", (2, 2), (10, 20, 30))
    assert eight_bit(rgb) is rgb


def test_a_sixteen_bit_png_and_a_cmyk_jpeg_read_as_the_eight_bit_captcha():
    image = render_sample(preset("medium"), 3, 0).image
    grey = np.asarray(image.convert("L"))
    expected = model_pixels(Image.fromarray(grey), 32, 128, "crop")
    sixteen = read_image(_png(Image.fromarray(grey.astype(np.uint16) * 257)))
    np.testing.assert_array_equal(model_pixels(sixteen, 32, 128, "crop"), expected)
    data = io.BytesIO()
    image.convert("CMYK").save(data, "JPEG", quality=95)
    cmyk = read_image(data.getvalue())
    assert cmyk.mode == "RGB"
    got = np.asarray(cmyk, np.float32)
    assert np.abs(got - np.asarray(image.convert("RGB"), np.float32)).mean() < 4  # JPEG's loss


def test_bytes_that_are_no_image_name_no_bytes_in_the_error():
    with pytest.raises(ImageInputError) as err:
        read_image(b"not an image at all")
    assert str(err.value) == "cannot read image given as bytes: not an image file"
