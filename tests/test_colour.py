"""Colour input: RGB readers grown from grey ones (crnn colour), RGB preprocessing and caches,
and hue-only clutter (noise.clutter_hue) that only such a reader can tell from the text."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image
from safetensors.torch import load_file

from crnn.checkpoint import CheckpointError, load_model, save_model
from crnn.colour import LUMA, ColourError, colour_model, to_colour
from crnn.model import CRNN, ModelConfig, ModelConfigError
from crnn.preprocess import model_pixels, preprocess, preprocess_batch
from crnn.recognizer import Recognizer
from generator.render import _isoluminant
from generator.sample import render_sample
from generator.spec import NoiseStyle, preset

CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _grey_model(seed: int = 0) -> CRNN:
    torch.manual_seed(seed)
    model = CRNN(ModelConfig(arch="tiny", charset=CHARS, width=128, resize="crop"))
    # Non-trivial BatchNorm statistics, so folding them is exercised too.
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
    return model.eval()


def _luma(rgb) -> float:
    return sum(w * v for w, v in zip(LUMA, rgb, strict=True))


def test_grown_reader_reads_grey_images_exactly_as_the_grey_one():
    grey = _grey_model()
    colour = to_colour(grey)
    assert colour.config.channels == 3 and colour.cnn[0].weight.shape[1] == 3
    # Grey captchas given as RGB (R = G = B): the weighted kernels sum to the grey kernel.
    images = [
        render_sample(preset("hard"), 3, i).image.convert("L").convert("RGB") for i in range(12)
    ]
    a = Recognizer(grey, {}).log_probs(images)
    b = Recognizer(colour, {}).log_probs(images)
    np.testing.assert_allclose(a, b, atol=1e-4)


def test_grown_reader_sees_luminance_of_colour_images_up_to_rounding():
    """On colour images the RGB input, weighted by the luma coefficients, is the grey input up
    to PIL's rounding of each resized channel (one grey level at most, normalised)."""
    spec = preset("universal")
    for i in range(6):
        image = render_sample(spec, 11, i).image.convert("RGB")
        rgb = preprocess(image, 32, 128, "crop", channels=3)
        grey = preprocess(image, 32, 128, "crop")
        assert rgb.shape == (3, 32, 128) and grey.shape == (1, 32, 128)
        weighted = sum(w * rgb[k] for k, w in enumerate(LUMA))
        inside = np.abs(weighted - grey[0])
        # Padding columns take per-channel medians; compare where the image itself lies.
        assert np.median(inside) <= 2 * 1.0 / 255 + 1e-6


def test_channels_first_layout_for_a_known_picture():
    """A 2x4 picture with a red left half and a blue right half, stretched to 32x8."""
    arr = np.zeros((2, 4, 3), np.uint8)
    arr[:, :2, 0] = 255
    arr[:, 2:, 2] = 255
    x = preprocess_batch([arr], 32, 8, "stretch", channels=3)
    assert x.shape == (1, 3, 32, 8)
    assert x[0, 0, :, 0].min() == 1.0 and x[0, 2, :, 0].max() == -1.0  # red, not blue
    assert x[0, 2, :, -1].min() == 1.0 and x[0, 0, :, -1].max() == -1.0  # blue, not red


def test_pad_fills_each_channel_with_its_border_median():
    image = Image.new("RGB", (20, 32), (200, 40, 90))
    pixels = model_pixels(image, 32, 64, "pad", channels=3)
    assert pixels.shape == (32, 64, 3)
    np.testing.assert_array_equal(pixels[:, 0], np.tile([200, 40, 90], (32, 1)))


def test_channels_are_validated_and_grey_metadata_is_unchanged():
    with pytest.raises(ModelConfigError, match="channels"):
        ModelConfig(channels=2)
    # A grey reader's config dict is exactly what it was before colour input existed.
    assert "channels" not in ModelConfig().to_dict()
    assert ModelConfig(channels=3).to_dict()["channels"] == 3
    with pytest.raises(ColourError, match="already"):
        to_colour(to_colour(_grey_model()))


def test_colour_model_round_trips_and_a_lying_config_is_refused(tmp_path):
    save_model(tmp_path / "grey", _grey_model(), {"source_size": [160, 60]})
    out = colour_model(str(tmp_path / "grey"), tmp_path / "rgb")
    model, document = load_model(out)
    assert model.config.channels == 3
    assert document["coloured"]["source"] == str(tmp_path / "grey")
    with pytest.raises(ColourError, match="already holds a model"):
        colour_model(str(tmp_path / "grey"), tmp_path / "rgb")
    # config.json claiming grey for RGB weights: one clear error, not a shape traceback.
    config = json.loads((out / "config.json").read_text())
    del config["model"]["channels"]
    (out / "config.json").write_text(json.dumps(config))
    with pytest.raises(CheckpointError, match="channels"):
        load_model(out)


def test_colour_training_prerenders_rgb_and_trains(tmp_path):
    from crnn.train import train
    from tests.conftest import tiny

    save_model(tmp_path / "grey", _grey_model(), {"source_size": [160, 60]})
    colour_model(str(tmp_path / "grey"), tmp_path / "rgb")
    run = tmp_path / "run"
    train(tiny(out=run, init=str(tmp_path / "rgb"), styles=("universal",), prerender=16))
    pixels = np.load(run / "prerender" / "images.npy")
    assert pixels.shape == (16, 32, 128, 3)
    assert json.loads((run / "prerender" / "labels.json").read_text())["key"]["channels"] == 3
    # The cache holds what the preprocessing makes of the stream's samples, in colour.
    first = render_sample(preset("universal"), 0, 0).image
    np.testing.assert_array_equal(
        pixels[0], np.rint(model_pixels(first, 32, 128, "crop", channels=3))
    )
    model, _ = load_model(run)
    assert model.config.channels == 3


@settings(max_examples=200, deadline=None)
@given(st.floats(0, 255), st.integers(0, 2**32 - 1))
def test_isoluminant_colours_keep_the_luminance(lum, seed):
    from generator.render import _Uniforms

    rgb = _isoluminant(_Uniforms(np.random.default_rng(seed)), lum)
    assert all(0 <= v <= 255 for v in rgb)
    assert abs(_luma(rgb) - lum) <= 0.75  # one rounding per channel
    if 60 <= lum <= 200:  # room for colour at every hue: far from grey, not a tint
        assert max(rgb) - min(rgb) >= 60


def _flat_spec(clutter_hue: float):
    base = preset("easy")
    return dataclasses.replace(
        base,
        grayscale=False,
        color=dataclasses.replace(base.color, text=(110, 110), saturation=0, background=(230, 230)),
        noise=NoiseStyle(dots=(0, 0), curves=(2, 2), line_width=(3, 3), clutter_hue=clutter_hue),
        warp=dataclasses.replace(base.warp, blur=(0.0, 0.0)),
    )


def test_hue_clutter_is_as_light_as_the_text_but_coloured():
    """Grey text (110) on a flat ground: with clutter_hue the curves' core pixels are strongly
    coloured and, in luminance, the text's own grey — a grey reader sees text-coloured curves."""
    for i in range(4):
        arr = np.asarray(render_sample(_flat_spec(1.0), 5, i).image.convert("RGB"), np.float32)
        chroma = arr.max(axis=2) - arr.min(axis=2)
        core = arr[chroma >= 0.9 * chroma.max()]
        assert chroma.max() >= 60 and len(core) >= 10
        assert abs(np.median(core @ np.array(LUMA)) - 110) <= 3
        # Without it, nothing in the picture is coloured.
        plain = np.asarray(render_sample(_flat_spec(0.0), 5, i).image.convert("RGB"), np.int16)
        assert (plain.max(axis=2) - plain.min(axis=2)).max() == 0


def test_universal_draws_hue_clutter_only_where_a_spec_opts_in():
    base = preset("universal")

    def coloured_clutter(spec) -> int:
        from generator.randomize import randomize
        from generator.sample import sample_rng

        return sum(randomize(spec, sample_rng(0, i)).noise.clutter_hue > 0 for i in range(80))

    assert coloured_clutter(base) == 0
    assert 10 <= coloured_clutter(base.with_overrides(universal={"clutter_hue": 0.3})) <= 40
    forced = base.with_overrides(universal={"only": "clutter_hue"})
    assert coloured_clutter(forced) == 80
    from generator.randomize import randomize
    from generator.sample import sample_rng

    drawn = [randomize(forced, sample_rng(0, i)).noise for i in range(20)]
    # At least one curve, lines and curves as heavy as the renderer lets them (the text's stroke).
    assert all(n.curves[0] >= 1 and n.line_width == (8, 8) for n in drawn)
    held = base.with_overrides(universal={"clutter_hue": 1.0, "hold_out": ("clutter_hue",)})
    assert coloured_clutter(held) == 0


def test_onnx_export_of_a_colour_reader_reads_as_torch_does(tmp_path):
    pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    from crnn.export import export_onnx
    from crnn.onnx_reader import OnnxReader

    colour = to_colour(_grey_model(seed=2))
    export_onnx(colour, tmp_path / "m.onnx", document={"source_size": [160, 60]})
    reader = OnnxReader(tmp_path / "m.onnx")
    assert reader.channels == 3
    images = [render_sample(preset("universal"), 4, i).image for i in range(16)]
    np.testing.assert_allclose(
        reader.log_probs(images), Recognizer(colour, {}).log_probs(images), atol=1e-3
    )


def test_first_conv_lr_moves_the_first_kernel_at_its_own_rate(tmp_path):
    """Two runs from the same colour reader, same seed and data, differ only in the first
    convolution's rate: with 30x its kernel moves much farther from the luma split, and the
    optimizer's groups carry the two rates the schedule then follows."""
    from crnn.checkpoint import load_training_state
    from crnn.train import train
    from tests.conftest import tiny

    save_model(tmp_path / "grey", _grey_model(), {"source_size": [160, 60]})
    colour_model(str(tmp_path / "grey"), tmp_path / "rgb")
    start = load_model(tmp_path / "rgb")[0].cnn[0].weight.detach().clone()
    moved = {}
    for scale in (1.0, 30.0):
        run = tmp_path / f"run{scale:g}"
        train(tiny(out=run, init=str(tmp_path / "rgb"), styles=("easy",), lr=1e-4,
                   first_conv_lr=scale, steps=6, val_every=6))  # fmt: skip
        meta = json.loads((run / "state.json").read_text())
        assert len(meta["param_groups"]) == (1 if scale == 1 else 2)
        weights = load_file(run / "state.safetensors")["model.cnn.0.weight"]
        moved[scale] = float((weights - start).norm() / start.norm())
    assert moved[30.0] > 10 * moved[1.0] > 0
    # Resuming with another split is one clear error, not an optimizer traceback.
    model, _ = load_model(tmp_path / "run30")
    optimizer = torch.optim.AdamW(model.parameters())
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1.0)
    with pytest.raises(CheckpointError, match="first-conv-lr"):
        load_training_state(tmp_path / "run30", model, optimizer, scheduler)


@pytest.mark.parametrize("style", ["medium", "universal"])  # packed and file-read sets
def test_colour_eval_sets_are_the_grey_sets_in_colour(style):
    from benchmark.evalsets import get_eval_set

    grey = get_eval_set(preset(style), 6)
    colour = get_eval_set(preset(style), 6, colour=True)
    assert colour.root == grey.root and colour.texts == grey.texts
    for g, c in zip(grey.images, colour.images, strict=True):
        assert c.shape == (*np.asarray(g).shape, 3)
        np.testing.assert_array_equal(np.asarray(Image.fromarray(c).convert("L")), g)


def test_a_colour_reader_trains_from_scratch_with_channels_3(tmp_path):
    from crnn.train import train
    from tests.conftest import tiny

    train(tiny(out=tmp_path / "rgb", channels=3, steps=2, val_every=2))
    model, _ = load_model(tmp_path / "rgb")
    assert model.config.channels == 3 and model.cnn[0].weight.shape[1] == 3
    images = [render_sample(preset("easy"), 1, i).image.convert("RGB") for i in range(3)]
    assert Recognizer(model, {}).log_probs(images).shape[0] == 3
    # The grey default is unchanged.
    train(tiny(out=tmp_path / "grey", steps=2, val_every=2))
    assert load_model(tmp_path / "grey")[0].cnn[0].weight.shape[1] == 1
