import json
import os
import pickle
import subprocess
import sys

import numpy as np
import pytest
import torch
from conftest import tiny
from PIL import Image, ImageDraw

from crnn.checkpoint import CheckpointError, load_model, save_model
from crnn.data import DataError, GeneratorBatches, preprocess
from crnn.decode import greedy_decode
from crnn.model import CRNN, ModelConfig, ModelConfigError, parameter_count
from crnn.recognizer import ImageInputError, Recognizer
from crnn.train import TrainError, train
from generator.charset import Charset
from generator.dataset import RunConfig, make_dataset
from generator.sample import render_sample
from generator.seeds import SeedRangeError
from generator.spec import preset

CHARS = preset("easy").charset.chars


def test_presets_shapes_and_sizes():
    for arch, lo, hi in (("tiny", 1e5, 3e5), ("small", 5e5, 2e6), ("crnn", 6e6, 1e7)):
        model = CRNN(ModelConfig(arch=arch, charset=CHARS, width=100))
        assert lo < parameter_count(model) < hi, arch
        out = model(torch.zeros(2, 1, 32, 100))
        assert out.shape == (2, 25, len(CHARS) + 1)
        assert torch.allclose(out.exp().sum(-1), torch.ones(2, 25), atol=1e-5)


def test_sequence_length_is_checked_against_the_longest_label():
    ModelConfig(width=44, max_label=6)  # T = 11 = 2*6 - 1: just enough for "AAAAAA"
    with pytest.raises(ModelConfigError, match="T = 10 frames, too few for labels of 6"):
        ModelConfig(width=40, max_label=6)
    with pytest.raises(ModelConfigError, match="multiple of 4"):
        ModelConfig(width=99)
    with pytest.raises(ModelConfigError, match="unknown arch"):
        ModelConfig(arch="huge")


def test_model_overfits_a_fixed_batch():
    torch.manual_seed(0)
    charset = Charset(CHARS)
    stream = GeneratorBatches([preset("easy")], 0, 16, charset, 32, 96)
    images, targets, lengths, texts = stream.batch(0)
    model = CRNN(ModelConfig(arch="tiny", charset=CHARS, width=96))
    opt = torch.optim.AdamW(model.parameters(), 3e-3)
    ctc = torch.nn.CTCLoss(zero_infinity=True)
    frames = torch.full((16,), 24)

    def read() -> list[str]:
        model.eval()
        with torch.no_grad():
            decoded = [d.text for d in greedy_decode(model(images).numpy(), CHARS)]
        model.train()
        return decoded

    for step in range(1, 601):
        loss = ctc(model(images).transpose(0, 1), targets, frames, lengths)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 25 == 0 and read() == texts:
            break
    assert read() == texts


def test_checkpoint_round_trip_gives_identical_logits(tmp_path):
    torch.manual_seed(1)
    model = CRNN(ModelConfig(arch="tiny", charset=CHARS)).eval()
    save_model(tmp_path, model, {"note": "x"})
    loaded, document = load_model(tmp_path)
    x = torch.randn(3, 1, 32, 96)
    assert torch.equal(model(x), loaded(x))
    assert document["note"] == "x" and document["model"]["arch"] == "tiny"
    assert load_model(tmp_path / "model.safetensors")[1] == document


def test_pickles_are_refused(tmp_path):
    model = CRNN(ModelConfig(arch="tiny", charset=CHARS))
    torch.save(model.state_dict(), tmp_path / "weights.pt")
    with pytest.raises(CheckpointError, match="safetensors"):
        load_model(tmp_path / "weights.pt")
    # A pickle renamed to look like safetensors is caught by its magic bytes.
    (tmp_path / "model.safetensors").write_bytes(pickle.dumps({"a": 1}))
    (tmp_path / "config.json").write_text(json.dumps({"model": {"arch": "tiny"}}))
    with pytest.raises(CheckpointError, match="pickle"):
        load_model(tmp_path)
    with pytest.raises(CheckpointError, match="not found"):
        load_model(tmp_path / "nope")


def test_resume_lands_on_the_same_weights(tmp_path):
    straight = train(tiny(out=tmp_path / "straight", steps=6, val_every=3))

    class Crash(Exception):
        pass

    def crash_after_3(step):
        if step == 4:  # the state of step 3 is on disk; step 4 is lost with the crash
            raise Crash

    with pytest.raises(Crash):
        train(tiny(out=tmp_path / "resumed", steps=6, val_every=3), on_step=crash_after_3)
    resumed = train(tiny(out=tmp_path / "resumed", steps=6, val_every=3, resume=True))
    a, _ = load_model(straight.out)
    b, _ = load_model(resumed.out)
    for (name, pa), pb in zip(a.state_dict().items(), b.state_dict().values(), strict=True):
        assert torch.equal(pa, pb), name
    log = (tmp_path / "resumed" / "log.csv").read_text().splitlines()
    assert log[0].startswith("step,") and log[-1].startswith("6,")


def test_training_writes_log_curve_and_checkpoint(tmp_path):
    result = train(tiny(out=tmp_path / "run"))
    for name in ("model.safetensors", "config.json", "log.csv", "curve.png", "state.json"):
        assert (tmp_path / "run" / name).exists(), name
    document = json.loads((tmp_path / "run" / "config.json").read_text())
    assert document["charset"] == CHARS and document["styles"] == ["easy"]
    assert document["style_digests"]["easy"] == preset("easy").digest()
    assert 0 <= result.best_val_seq_acc <= 1


def test_training_on_a_dataset_on_disk(tmp_path):
    make_dataset(RunConfig(spec=preset("easy"), seed=1, n=40), tmp_path / "d")
    result = train(tiny(out=tmp_path / "run", data=tmp_path / "d", styles=()))
    assert result.steps == 4
    document = json.loads((tmp_path / "run" / "config.json").read_text())
    assert document["data"] == str(tmp_path / "d")


def test_bad_training_inputs(tmp_path):
    with pytest.raises(SeedRangeError):
        train(tiny(out=tmp_path / "a", seed=2**48))
    with pytest.raises(Exception, match="dataset directory not found"):
        train(tiny(out=tmp_path / "b", data=tmp_path / "missing", styles=()))
    digits = preset("easy").with_overrides(text={"charset": "digits"})
    make_dataset(RunConfig(spec=digits, seed=1, n=20), tmp_path / "digits")
    with pytest.raises(DataError, match="outside the data's charset"):
        train(tiny(out=tmp_path / "c", data=tmp_path / "digits", styles=("easy",)))
    train(tiny(out=tmp_path / "d", steps=2))
    with pytest.raises(TrainError, match="already holds a model"):
        train(tiny(out=tmp_path / "d", steps=2))
    with pytest.raises(TrainError, match="--steps"):
        train(tiny(out=tmp_path / "e", steps=0))


@pytest.fixture(scope="module")
def trained_model(tmp_path_factory):
    out = tmp_path_factory.mktemp("m")
    train(tiny(out=out, steps=3, val_every=3))
    return out


def test_recognizer_matches_the_raw_model(trained_model):
    rec = Recognizer.load(trained_model)
    raw, _ = load_model(trained_model)
    images = [render_sample(preset("medium"), 0, i).image for i in range(5)]
    x = torch.from_numpy(np.stack([preprocess(im, 32, 96) for im in images]))
    with torch.no_grad():
        expected = raw(x).numpy()
    np.testing.assert_allclose(rec.log_probs(images), expected, atol=1e-4)


def test_recognizer_rejects_bad_images(trained_model, tmp_path):
    rec = Recognizer.load(trained_model)
    (tmp_path / "text.png").write_text("not an image")
    Image.new("L", (8, 8)).save(tmp_path / "small.png")
    Image.new("L", (600, 20)).save(tmp_path / "wide.png")
    for name, message in (
        ("text.png", "cannot read image"),
        ("small.png", "too small"),
        ("wide.png", "far from the 160x60"),
        ("missing.png", "image not found"),
    ):
        with pytest.raises(ImageInputError, match=message):
            rec.predict([tmp_path / name])


def test_onnx_export_parity(trained_model, tmp_path):
    ort = pytest.importorskip("onnxruntime")
    from crnn.export import export_onnx

    model, _ = load_model(trained_model)
    export_onnx(model, tmp_path / "m.onnx")
    session = ort.InferenceSession(str(tmp_path / "m.onnx"))
    rec = Recognizer.load(trained_model)
    images = [render_sample(preset("hard"), 5, i).image for i in range(200)]
    x = np.stack([preprocess(im, 32, 96) for im in images])
    theirs = session.run(None, {"images": x})[0]
    ours = rec.log_probs(images)
    np.testing.assert_allclose(theirs, ours, atol=1e-3)
    assert [d.text for d in greedy_decode(theirs, CHARS)] == [
        d.text for d in greedy_decode(ours, CHARS)
    ]


def test_ddp_two_processes_with_gloo(tmp_path):
    """torchrun, 2 CPU processes, gloo: both ranks train; rank 0 writes the checkpoint."""
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--nproc_per_node",
        "2",
        "--standalone",
        "-m",
        "crnn.cli",
        "train",
        "--arch",
        "tiny",
        "-d",
        "easy",
        "--steps",
        "3",
        "--batch-size",
        "4",
        "--val-every",
        "3",
        "--val-size",
        "4",
        "--workers",
        "0",
        "--threads",
        "1",
        "--out",
        str(tmp_path / "ddp"),
        "-q",
    ]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=240, env=env)
    assert result.returncode == 0, result.stderr[-2000:]
    assert (tmp_path / "ddp" / "model.safetensors").exists()
    log = (tmp_path / "ddp" / "log.csv").read_text().splitlines()
    # 2 ranks x batch 4 per step: the log counts global samples.
    assert log[-1].split(",")[:2] == ["3", "24"]


def test_cli_errors_are_one_line(tmp_path, capsys):
    from crnn.cli import main

    cases = [
        (["predict", "x.png", "--model", str(tmp_path / "none")], "model not found"),
        (["predict", "x.png", "--decoder", "beam:0"], "beam width must be between 1 and 1000"),
        (["train", "--data", str(tmp_path / "none"), "--out", str(tmp_path / "o")], "not found"),
        (["train", "--weights", "1,x", "--out", str(tmp_path / "o")], "--weights"),
        (["train", "--arch", "huge", "--steps", "1", "--out", str(tmp_path / "o")], "unknown arch"),
    ]
    for argv, message in cases:
        with pytest.raises(SystemExit) as done:
            main(argv)
        err = capsys.readouterr().err
        assert done.value.code != 0
        assert len(err.strip().splitlines()) == 1 and message in err, err


def test_predict_cli_prints_one_line_per_image(trained_model, tmp_path, capsys):
    from crnn.cli import main

    paths = []
    for i in range(3):
        render_sample(preset("easy"), 0, i).image.save(tmp_path / f"{i}.png")
        paths.append(str(tmp_path / f"{i}.png"))
    main(["predict", *paths, "--model", str(trained_model), "--decoder", "beam:5"])
    header, *lines = capsys.readouterr().out.strip().splitlines()
    assert header == "path\ttext\tconfidence"
    assert [line.split("\t")[0] for line in lines] == paths
    assert all(0.0 <= float(line.split("\t")[2]) <= 1.0 for line in lines)


def test_fine_tuning_keeps_the_rows_of_shared_characters(tmp_path):
    from crnn.train import transfer_weights

    torch.manual_seed(0)
    source = CRNN(ModelConfig(arch="tiny", charset="ABC123"))
    target = CRNN(ModelConfig(arch="tiny", charset="XA1"))
    fresh_x = target.head.weight[1].clone()
    assert transfer_weights(source, target) == 3  # blank, A, 1
    assert torch.equal(target.head.weight[0], source.head.weight[0])
    assert torch.equal(target.head.weight[2], source.head.weight[1])  # A
    assert torch.equal(target.head.weight[3], source.head.weight[4])  # 1
    assert torch.equal(target.head.weight[1], fresh_x)  # X: no source row, left as initialised
    assert torch.equal(target.rnn.weight_ih_l0, source.rnn.weight_ih_l0)


def test_init_fine_tunes_and_a_constant_schedule_extends_bit_exactly(trained_model, tmp_path):
    cfg = dict(init=str(trained_model), schedule="constant", val_every=3)
    train(tiny(out=tmp_path / "once", steps=6, **cfg))
    train(tiny(out=tmp_path / "twice", steps=3, **cfg))
    train(tiny(out=tmp_path / "twice", steps=6, resume=True, **cfg))
    from safetensors.torch import load_file

    _, doc = load_model(tmp_path / "twice")
    assert doc["model"]["arch"] == "tiny" and doc["train_args"]["init"] == str(trained_model)
    # The final training state (weights and optimizer), not just the best checkpoint.
    a, b = (load_file(tmp_path / run / "state.safetensors") for run in ("once", "twice"))
    assert a.keys() == b.keys()
    for key, value in a.items():
        assert torch.equal(value, b[key]), key


def test_onnx_file_stands_alone(trained_model, tmp_path):
    """The export carries its metadata; `crnn predict --model m.onnx` never imports torch and
    reads what the torch model reads."""
    pytest.importorskip("onnxruntime")
    from crnn.cli import main

    main(["export", "--onnx", str(tmp_path / "m.onnx"), "--model", str(trained_model)])
    import onnx

    meta = {p.key: p.value for p in onnx.load(str(tmp_path / "m.onnx")).metadata_props}
    assert meta["charset"] == CHARS and meta["input_width"] == "96" and meta["blank_index"] == "0"
    paths = []
    for i in range(4):
        render_sample(preset("easy"), 1, i).image.save(tmp_path / f"{i}.png")
        paths.append(str(tmp_path / f"{i}.png"))
    code = (
        "import sys; from crnn.cli import main\n"
        "try:\n    main(sys.argv[1:])\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
        "assert 'torch' not in sys.modules, 'the ONNX path imported torch'\n"
    )
    cmd = [sys.executable, "-c", code, "predict", *paths, "--model", str(tmp_path / "m.onnx")]
    onnx_rows = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    expected = [d.text for d in Recognizer.load(trained_model).predict(paths)]
    assert [row.split("\t")[1] for row in onnx_rows.splitlines()[1:]] == expected


@pytest.mark.parametrize("which", ["grey", "colour"])
def test_readme_onnxruntime_snippet_runs(trained_model, tmp_path, which):
    """The README's onnxruntime snippet, extracted and run as a user would: on a grey reader, and
    on the shipped colour `universal` with captchas whose clutter differs from the text in hue."""
    pytest.importorskip("onnxruntime")
    from pathlib import Path

    from crnn.cli import main
    from generator.spec import load_style

    root = Path(__file__).resolve().parent.parent
    readme = (root / "README.md").read_text()
    snippet = readme.split("<!-- onnx-snippet -->")[1].split("```python")[1].split("```")[0]
    model = str(trained_model) if which == "grey" else "universal"
    main(["export", "--onnx", str(tmp_path / "model.onnx"), "--model", model])
    style = (
        preset("easy") if which == "grey" else load_style(str(root / "examples/hue-clutter.toml"))
    )
    reader = Recognizer.load(model)
    for index in range(1 if which == "grey" else 3):
        image = render_sample(style, 2, index).image
        image.save(tmp_path / "captcha.png")
        out = subprocess.run(
            [sys.executable, "-c", snippet], cwd=tmp_path, capture_output=True, text=True,
            check=True,
        ).stdout.strip()  # fmt: skip
        assert out == reader.predict([image])[0].text


def test_public_dataset_and_collate_feed_ctc_loss(tmp_path):
    from torch.utils.data import DataLoader

    from crnn.data import CaptchaDataset, collate_ctc

    make_dataset(RunConfig(spec=preset("easy"), seed=4, n=12), tmp_path / "d")
    flips = []
    ds = CaptchaDataset(tmp_path / "d", transform=lambda im: flips.append(1) or im)
    image, ids, length, text = ds[3]
    assert image.shape == (1, 32, 128) and length == len(text) == len(ids)
    assert ds.charset.decode(ids.tolist()) == text and flips == [1]
    batches = [list(b[3]) for b in DataLoader(ds, batch_size=5, collate_fn=collate_ctc)]
    assert batches == [[r["text"] for r in ds.records[k : k + 5]] for k in (0, 5, 10)]
    images, targets, lengths, _ = collate_ctc([ds[0], ds[1]])
    model = CRNN(ModelConfig(arch="tiny", charset=ds.charset.chars, width=128))
    log_probs = model(images).transpose(0, 1)
    loss = torch.nn.CTCLoss()(log_probs, targets, torch.full((2,), 32), lengths)
    assert torch.isfinite(loss)


@pytest.mark.parametrize(
    "resize, variant",
    [
        ("stretch", ""),
        ("pad", ""),
        ("crop", ""),
        ("crop", "letterboxed"),
        ("crop", "framed"),
        ("crop", "transparent"),
        ("crop", "letterboxed-jpeg"),
        ("crop", "framed-jpeg"),
    ],
)
def test_readme_snippet_prepares_the_input_as_the_library_does(tmp_path, resize, variant):
    """The snippet's own preprocessing, run against a stand-in onnxruntime that records the
    input it is given, equals crnn.preprocess for every resize mode (crop included: small text
    pasted off-centre in a big canvas; that canvas letterboxed in black bands; and its dark ink
    on a transparent ground; the bands and the frame served as JPEG, no longer flat)."""
    import io
    from pathlib import Path

    from crnn.preprocess import model_pixels, normalise, read_image

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    snippet = readme.split("<!-- onnx-snippet -->")[1].split("```python")[1].split("```")[0]
    (tmp_path / "onnxruntime.py").write_text(
        "import json, numpy as np\n"
        "class InferenceSession:\n"
        "    def __init__(self, path):\n"
        "        meta = json.load(open('meta.json'))\n"
        "        self.meta = type('M', (), {'custom_metadata_map': meta})()\n"
        "    def get_modelmeta(self):\n"
        "        return self.meta\n"
        "    def run(self, names, feeds):\n"
        "        np.save('input.npy', feeds['images'])\n"
        "        return [np.zeros((1, 32, 5), np.float32)]\n"
    )
    meta = {"input_height": "32", "input_width": "128", "charset": "ABCD", "resize": resize}
    (tmp_path / "meta.json").write_text(json.dumps(meta))
    canvas = Image.new("L", (300, 120), 235)
    canvas.paste(render_sample(preset("easy"), 2, 0).image.convert("L").resize((80, 30)), (40, 70))
    if variant.startswith("letterboxed"):
        boxed = Image.new("L", (360, 200), 0)
        boxed.paste(canvas, (20, 40))
        canvas = boxed
    if variant.startswith("framed"):  # a 1 px black border, as kaptcha draws by default
        canvas = canvas.copy()
        ImageDraw.Draw(canvas).rectangle([0, 0, canvas.width - 1, canvas.height - 1], outline=0)
    if variant == "transparent":  # black ink, opacity from darkness, on see-through black
        ink = Image.new("RGBA", canvas.size, (0, 0, 0, 0))
        ink.putalpha(Image.eval(canvas, lambda v: 255 - v))
        canvas = ink
    if variant.endswith("-jpeg"):  # kaptcha's default: the seams ring
        data = io.BytesIO()
        canvas.save(data, "JPEG", quality=75)
        canvas = Image.open(io.BytesIO(data.getvalue()))
    canvas.save(tmp_path / "captcha.png")
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    subprocess.run([sys.executable, "-c", snippet], cwd=tmp_path, env=env, check=True)
    expected = normalise(model_pixels(read_image(tmp_path / "captcha.png"), 32, 128, resize))
    np.testing.assert_allclose(np.load(tmp_path / "input.npy")[0, 0], expected, atol=1e-5)


def test_a_curriculum_in_steps_stays_put_when_a_run_is_extended(tmp_path):
    """--warmup-steps fixes the curriculum's length: 3 steps then 3 more (resumed) equal 6 in
    one go, where a share of --steps would move the warm-up's end as the run grows."""
    from safetensors.torch import load_file

    cfg = dict(styles=("medium",), warmup_style="easy", warmup_steps=3, schedule="constant",
               val_every=3)  # fmt: skip
    train(tiny(out=tmp_path / "once", steps=6, **cfg))
    train(tiny(out=tmp_path / "twice", steps=3, **cfg))
    train(tiny(out=tmp_path / "twice", steps=6, resume=True, **cfg))
    train(tiny(out=tmp_path / "none", steps=6, **{**cfg, "warmup_steps": 0}))
    once, twice, none = (
        load_file(tmp_path / run / "state.safetensors") for run in ("once", "twice", "none")
    )
    assert all(torch.equal(once[k], twice[k]) for k in once)
    assert not all(torch.equal(once[k], none[k]) for k in once)  # the warm-up was trained on
    with pytest.raises(TrainError, match="--warmup-steps must be 0 or more"):
        train(tiny(out=tmp_path / "bad", warmup_steps=-1))


def test_a_style_repeated_by_the_mixture_weights_is_rendered_once(monkeypatch):
    """--weights 3,1 lists `easy` three times: its validation samples are rendered once and
    repeated, and the set equals rendering every entry (the independent oracle: render_sample
    called per entry, as before the reuse)."""
    import crnn.data as data

    easy, medium = preset("easy"), preset("medium")
    specs = [easy, easy, medium, easy]
    expected = [
        (preprocess(s.image, 32, 96, "crop"), s.text, spec.name)
        for spec in specs
        for s in (render_sample(spec, 11, i) for i in range(3))
    ]
    calls = []

    def counting(spec, seed, index):
        calls.append(spec.name)
        return render_sample(spec, seed, index)

    monkeypatch.setattr(data, "render_sample", counting)
    images, texts, names = data.render_eval_set(specs, 11, 3, 32, 96, "crop")
    assert calls == ["easy"] * 3 + ["medium"] * 3
    assert texts == [t for _, t, _ in expected] and names == [n for *_, n in expected]
    assert np.array_equal(images.numpy(), np.stack([a for a, _, _ in expected]))
