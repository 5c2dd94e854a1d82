"""Test-time views (crnn.views) and their ensemble (crnn.decode.ensemble, the +tta decoders)."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from PIL import Image
from test_decode import log_softmax, oracle

from crnn.decode import DecoderError, ensemble, greedy_decode, parse_decoder, parse_decoders
from crnn.preprocess import content_box, model_pixels, preprocess_batch, turned, turned_inside
from crnn.recognizer import Recognizer
from crnn.views import VIEWS, View, ViewError, view_batches
from generator.sample import render_sample
from generator.spec import preset

views_of_logits = st.tuples(st.integers(1, 3), st.integers(1, 4), st.integers(2, 4)).flatmap(
    lambda vtc: arrays(np.float64, vtc, elements=st.floats(-4, 4, allow_nan=False))
)


@settings(max_examples=120, deadline=None)
@given(views_of_logits)
def test_ensemble_keeps_the_candidate_with_the_best_mean_probability(logits):
    """Oracle: every labelling's exact probability under each view, by enumerating alignments."""
    per_view = [log_softmax(v)[None] for v in logits]  # each view: a batch of one image
    chars = "abc"[: logits.shape[2] - 1]
    decoded = [greedy_decode(lp, chars) for lp in per_view]
    (got,) = ensemble(per_view, decoded, chars)
    truths = [oracle(lp[0], chars) for lp in per_view]
    candidates = {d[0].text for d in decoded}

    def mean_log(text):
        return sum(math.log(t.get(text, 0.0) or 1e-300) for t in truths) / len(truths)

    best = max(mean_log(c) for c in candidates)
    assert got.text in candidates
    assert math.isclose(mean_log(got.text), best, rel_tol=1e-6, abs_tol=1e-6)
    assert math.isclose(got.log_prob, mean_log(got.text), rel_tol=1e-6, abs_tol=1e-6)


def test_one_view_is_the_plain_decoder():
    rng = np.random.default_rng(0)
    lp = log_softmax(rng.normal(0, 3, size=(5, 8, 4)))
    plain = greedy_decode(lp, "abc")
    assert ensemble([lp], [plain], "abc") == plain


def test_a_sure_view_outvotes_a_split_base_view_by_hand():
    """Base view: 'a' 0.45 vs 'b' 0.55 (one frame). Second view: 'a' 0.9, 'b' 0.1. Mean log:
    a = (ln .45 + ln .9) / 2 = -0.452, b = (ln .55 + ln .1) / 2 = -1.450: 'a' wins although the
    base view alone reads 'b'."""
    base = np.log(np.array([[[1e-12, 0.45, 0.55]]]))
    sure = np.log(np.array([[[1e-12, 0.9, 0.1]]]))
    views = [base, sure]
    decoded = [greedy_decode(v, "ab") for v in views]
    assert decoded[0][0].text == "b"
    (got,) = ensemble(views, decoded, "ab")
    assert got.text == "a"
    assert math.isclose(got.log_prob, (math.log(0.45) + math.log(0.9)) / 2, rel_tol=1e-6)


def test_tta_decoder_names_and_misuse():
    assert parse_decoder("greedy+tta").tta and parse_decoder("greedy+tta").name == "greedy+tta"
    spec = parse_decoder("beam:5+tta+lexicon")
    assert (spec.beam_width, spec.modifiers, spec.tta) == (5, ("lexicon",), True)
    assert spec.name == "beam:5+lexicon+tta"
    assert [d.name for d in parse_decoders("greedy,greedy+tta")] == ["greedy", "greedy+tta"]
    for bad in ("greedy+tta+tta", "tta", "greedy+len", "beam:5+tt"):
        with pytest.raises(DecoderError):
            parse_decoder(bad)
    with pytest.raises(DecoderError, match="one batch of log-probabilities per view"):
        parse_decoder("greedy+tta").decode(np.zeros((1, 4, 3)), "ab")


def test_the_first_view_is_what_training_sees():
    images = [render_sample(preset("universal"), 3, i).image for i in range(6)]
    for resize in ("pad", "crop"):
        first = view_batches(images, 32, 128, resize)[0]
        assert np.array_equal(first, preprocess_batch(images, 32, 128, resize))
    assert VIEWS[0] == View()


def test_views_move_the_crop_and_the_width_by_hand():
    a = np.full((80, 200), 230, np.uint8)
    a[30:50, 60:100] = 20  # edges on rows 29..49 and columns 59..99: the box is 21 rows high
    tight, loose = content_box(a, 0.05), content_box(a, 0.3)
    assert tight[0] == int(59 - 0.05 * 21) and loose[0] == int(59 - 0.3 * 21)
    # Pad mode: a 100x32 canvas fills 100 of 128 columns; widened 1.2x, 120 of them.
    canvas = np.zeros((32, 100), np.uint8)
    canvas[[0, -1]] = 255  # white top and bottom rows: the padding (border median) is white
    block = Image.fromarray(canvas)
    for hscale, filled in ((1.0, 100), (1.2, 120)):
        px = model_pixels(block, 32, 128, "pad", hscale=hscale)
        assert int((px[16] < 128).sum()) == filled
    # Stretch ignores the width dial: every image reaches the same input.
    assert np.array_equal(
        model_pixels(block, 32, 128, "stretch", hscale=1.3), model_pixels(block, 32, 128)
    )


def test_tta_refuses_a_stretch_model_in_one_line():
    with pytest.raises(ViewError, match="keeps the aspect ratio"):
        view_batches([np.zeros((60, 160), np.uint8)], 32, 96, "stretch")
    rec = Recognizer.load("reference")
    image = render_sample(preset("easy"), 1, 0).image
    with pytest.raises(ViewError):
        rec.predict([image], "greedy+tta")


def test_tta_reads_easy_captchas_like_the_plain_reader():
    rec = Recognizer.load("universal")
    samples = [render_sample(preset("easy"), 7, i) for i in range(24)]
    images, texts = [s.image for s in samples], [s.text for s in samples]
    plain = [d.text for d in rec.predict(images, "greedy")]
    views = [d.text for d in rec.predict(images, "greedy+tta")]
    assert sum(p == t for p, t in zip(plain, texts, strict=True)) >= 22
    assert sum(v == t for v, t in zip(views, texts, strict=True)) >= 22
    assert all(0.0 < d.confidence <= 1.0 for d in rec.predict(images[:3], "beam:5+tta"))


def test_onnx_reader_reads_views_like_the_torch_reader(tmp_path):
    pytest.importorskip("onnxruntime")
    from crnn.cli import main
    from crnn.onnx_reader import OnnxReader

    main(["export", "--onnx", str(tmp_path / "u.onnx"), "--model", "universal"])
    images = [render_sample(preset("hard"), 11, i).image for i in range(12)]
    theirs = OnnxReader(tmp_path / "u.onnx").view_log_probs(images)
    ours = Recognizer.load("universal").view_log_probs(images)
    assert len(theirs) == len(ours) == len(VIEWS)
    for a, b in zip(theirs, ours, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-3)
    onnx_read = OnnxReader(tmp_path / "u.onnx").read(images, "greedy+tta")
    torch_read = Recognizer.load("universal").predict(images, "greedy+tta")
    assert [d.text for d in onnx_read] == [d.text for d in torch_read]


def test_crnn_predict_reads_with_views_by_default_where_it_can(tmp_path, capsys):
    from conftest import invoke

    from crnn.cli import main

    paths = []
    for i in range(6):
        render_sample(preset("hard"), 2, i).image.save(tmp_path / f"{i}.png")
        paths.append(str(tmp_path / f"{i}.png"))
    for model, decoder in (("universal", "greedy+tta"), ("reference", "greedy")):
        code, out, err = invoke(main, ["predict", *paths, "--model", model], capsys)
        assert code == 0, err
        expected = Recognizer.load(model).predict(paths, decoder)
        rows = [line.split("\t") for line in out.splitlines()[1:]]
        assert [r[1] for r in rows] == [d.text for d in expected]
        assert [float(r[2]) for r in rows] == [round(d.confidence, 4) for d in expected]
    code, _, err = invoke(
        main, ["predict", paths[0], "-m", "reference", "--decoder", "greedy+tta"], capsys
    )
    assert code == 2 and "keeps the aspect ratio" in err and "Traceback" not in err
    # --alphabet: the readings a charset name allows, as the library reads them.
    from crnn.decode import Constraints
    from generator.charset import PRESETS

    code, out, err = invoke(main, ["predict", *paths, "--alphabet", "safe_upper_digits"], capsys)
    assert code == 0, err
    safe = Constraints(allowed=PRESETS["safe_upper_digits"])
    expected = [d.text for d in Recognizer.load("universal").predict(paths, "greedy+tta", safe)]
    assert [line.split("\t")[1] for line in out.splitlines()[1:]] == expected
    code, _, err = invoke(main, ["predict", paths[0], "--alphabet", "abc"], capsys)
    assert code == 2 and "--alphabet: the model cannot write 'abc'" in err


def test_perf_views_answers_bad_input_in_one_line(monkeypatch, capsys):
    from benchmark import perf_views

    for argv, message in (
        (["--model", "nowhere"], "perf_views: model not found: nowhere"),
        (["--model", "reference"], "perf_views: +tta needs a model that keeps the aspect ratio"),
        (["--n", "0"], "--n and --threads must be at least 1"),
    ):
        monkeypatch.setattr("sys.argv", ["perf_views", *argv])
        with pytest.raises(SystemExit) as done:
            perf_views.main()
        code = done.value.code
        text = code if isinstance(code, str) else capsys.readouterr().err
        assert code != 0 and message in text and "Traceback" not in text


def test_time_to_accuracy_answers_bad_configs_in_one_line(monkeypatch, capsys):
    from benchmark import perf_time_to_accuracy as tta

    for argv, message in (
        (["--configs", "small"], "--configs must look like small:128"),
        (["--configs", "huge:128"], "archs are crnn, small, medium, large, tiny"),
        (["--minutes", "0"], "--minutes and --n positive"),
    ):
        monkeypatch.setattr("sys.argv", ["perf_time_to_accuracy", *argv])
        with pytest.raises(SystemExit) as done:
            tta.main()
        assert message in str(done.value.code)


def _bar(width=100, height=40, ground=230) -> Image.Image:
    a = np.full((height, width), ground, np.uint8)
    a[10:30, 45:50] = 20  # a vertical bar, 20 rows high and 5 columns wide
    return Image.fromarray(a)


def test_shear_leans_the_tops_right_by_hand():
    """shear 0.5: a row 19 rows above another moves 0.5 * 19 = 9.5 columns further right; the
    canvas grows by 0.5 * 40 = 20 columns, filled with the border's grey."""
    out = np.asarray(turned(_bar(), shear=0.5))
    assert out.shape == (40, 120)
    top, bottom = (int(np.where(out[y] < 128)[0].min()) for y in (10, 29))
    assert abs((top - bottom) - 9.5) <= 1
    assert out[0, 0] == out[-1, -1] == 230
    back = np.asarray(turned(_bar(), shear=-0.5))
    top, bottom = (int(np.where(back[y] < 128)[0].min()) for y in (10, 29))
    assert abs((bottom - top) - 9.5) <= 1


def test_rotate_turns_the_canvas_counter_clockwise_by_hand():
    """A quarter turn: the 100x40 canvas becomes 40x100 and the vertical bar a horizontal one,
    its rows now the old columns 45..49 counted from the right (100 - 50 .. 100 - 46)."""
    out = np.asarray(turned(_bar(), rotate=90))
    assert out.shape == (100, 40)
    rows = np.where((out < 128).any(axis=1))[0]
    assert (int(rows.min()), int(rows.max())) == (50, 54)


def test_the_crop_ignores_the_seam_of_a_turned_gradient_ground():
    """On a left-to-right gradient (no edge between neighbours) the fill meets the ground's dark
    and bright ends at a turned canvas's border: an edge all round. The crop counts only edges
    inside the canvas, so it still finds the bar."""
    ramp = np.tile(np.linspace(0, 255, 200).astype(np.uint8), (60, 1))
    ramp[20:40, 95:105] = 0
    image = Image.fromarray(ramp)
    turned_image = turned(image, rotate=12)
    gray = np.asarray(turned_image)
    seam = content_box(gray, 0.0)
    left, top, right, bottom = content_box(gray, 0.0, turned_inside(image.size, 12, 0))
    assert seam[2] - seam[0] > 150  # the seam spans the canvas
    assert right - left < 40 and bottom - top < 40  # the bar, turned: about 23 x 22
    px = model_pixels(image, 32, 128, "crop", rotate=12)
    assert (px < 40).sum() > 100  # the bar fills a good part of the input


def test_turned_views_keep_the_plain_view_unchanged():
    images = [render_sample(preset("universal"), 5, i).image for i in range(3)]
    plain, turned_views = view_batches(images, 32, 128, "crop", [View(), View(rotate=6)], 3)
    assert np.array_equal(plain, preprocess_batch(images, 32, 128, "crop", channels=3))
    assert not np.array_equal(plain, turned_views)
    assert View(rotate=-6, shear=0.2).name == "margin 0.15, width x1, rotate -6, shear 0.2"


def test_ink_clipped_brings_a_stronger_curve_to_the_texts_strength_by_hand():
    """Ground 200; text at 120 (departs 80) on 300 pixels, a curve at 60 (departs 140) on 100.
    The ink's 0.3 quantile is the text's 80 and its 0.99 quantile the curve's 140: the curve is
    clipped to 80, then every departure is stretched by 140 / 80 — text and curve both 200 - 140
    = 60, the ground untouched, a faint mark (departs 20, not ink) 200 - 35 = 165."""
    from crnn.preprocess import ink_clipped

    a = np.full((40, 100), 200, np.uint8)
    a[10:13, :] = 120  # 300 text pixels
    a[20, :] = 60  # 100 curve pixels
    a[30, 5] = 180  # a faint mark
    image = Image.fromarray(a)
    out = np.asarray(ink_clipped(image, image, 0.3))
    assert out[11, 50] == 60 and out[20, 50] == 60 and out[0, 0] == 200 and out[30, 5] == 165
    rgb = Image.fromarray(np.stack([a, a, np.full_like(a, 100)], axis=-1))
    out = np.asarray(ink_clipped(rgb, rgb.convert("L"), 0.3))
    ground = out[0, 0]
    assert tuple(ground) == (200, 200, 100)  # each channel about its own border median
    blank = Image.new("L", (40, 20), 200)  # no ink at all: as it is
    assert np.array_equal(np.asarray(ink_clipped(blank, blank, 0.3)), np.asarray(blank))


def test_clipped_views_leave_the_plain_view_alone_and_name_themselves():
    images = [render_sample(preset("universal"), 5, i).image for i in range(3)]
    plain, clipped = view_batches(images, 32, 128, "crop", [View(), View(clip=0.3)], 3)
    assert np.array_equal(plain, preprocess_batch(images, 32, 128, "crop", channels=3))
    assert not np.array_equal(plain, clipped)
    assert View(hscale=1.3, clip=0.3).name == "margin 0.15, width x1.3, ink clipped at q0.3"
