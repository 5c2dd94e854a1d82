"""A hostile user's sweep over the three CLIs: every bad invocation exits non-zero with at most two
lines on stderr, no traceback, and leaves every file that existed before byte-identical.

Each case is (CLI, argv, set-up, expected message fragment). The set-up damages a copy of a small
real workspace (a dataset, a trained run, a bench report) the way a user or a disk might.
"""

from __future__ import annotations

import hashlib
import json
import pickle
import shutil
import struct
import zlib
from pathlib import Path

import pytest
from conftest import invoke, tiny

from benchmark.cli import main as bench_main
from crnn.cli import main as crnn_main
from crnn.train import train
from generator.cli import main as gen_main
from generator.dataset import RunConfig, make_dataset
from generator.seeds import BENCHMARK_SEED
from generator.spec import preset

MAINS = {"captchagen": gen_main, "crnn": crnn_main, "bench": bench_main}


@pytest.fixture(scope="module")
def workspace_template(tmp_path_factory) -> Path:
    """ds/: a finished 20-image dataset; run/: a finished tiny training run; report/: a bench
    report; eval/: a dataset rendered from the reserved benchmark seed."""
    root = tmp_path_factory.mktemp("template")
    make_dataset(RunConfig(spec=preset("easy"), seed=1, n=20), root / "ds")
    make_dataset(
        RunConfig(spec=preset("easy"), seed=BENCHMARK_SEED, n=20, evaluation=True), root / "eval"
    )
    train(tiny(out=root / "run", steps=2, val_every=2))
    (root / "report").mkdir()
    row = {"level": "easy", "decoder": "greedy", "seq_acc": 0.5, "char_acc": 0.5}
    row |= {"ms_per_image_batch1": 1.0, "evalset_digest": "x"}
    (root / "report" / "metrics.json").write_text(json.dumps({"rows": [row]}))
    return root


# --- set-ups: each takes the workspace folder and damages something in it ---------------------


def write(rel: str, content: str | bytes):
    def setup(ws: Path) -> None:
        path = ws / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())

    return setup


def edit_json(rel: str, change):
    def setup(ws: Path) -> None:
        path = ws / rel
        path.write_text(json.dumps(change(json.loads(path.read_text()))))

    return setup


def edit_model(**model):
    return edit_json("run/config.json", lambda d: {**d, "model": {**d["model"], **model}})


def make_universal(ws: Path) -> None:
    make_dataset(RunConfig(spec=preset("universal"), seed=1, n=3), ws / "u")


def both(*setups):
    def setup(ws: Path) -> None:
        for s in setups:
            s(ws)

    return setup


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width`` x ``height``: enough for a decompression bomb check."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64))


DEEP = "[" * 100_000 + "]" * 100_000
PICKLE = pickle.dumps({"weights": [1, 2, 3]})
MAKE = ["make", "--n", "5", "-q", "--out", "{ws}/new"]
TRAIN = ["train", "--arch", "tiny", "--steps", "2", "--batch-size", "4", "-q"]
RUN = ["--model", "{ws}/run"]


def spec_case(name: str, content: str, message: str, suffix: str = ".json"):
    return (
        "captchagen",
        ["make", "-c", f"{{ws}}/{name}{suffix}", *MAKE[1:]],
        write(f"{name}{suffix}", content),
        message,
    )


CASES = [
    # --- captchagen make: numbers
    ("captchagen", [*MAKE, "--n", "0"], None, "--n must be a positive"),
    ("captchagen", [*MAKE, "--n", "-5"], None, "--n must be a positive"),
    ("captchagen", [*MAKE, "--n", "1000000000000"], None, "up to 1,000,000,000"),
    ("captchagen", [*MAKE, "--n", "abc"], None, "Invalid value for '--n'"),
    ("captchagen", [*MAKE, "--seed", "-1"], None, "--seed must be between 0"),
    ("captchagen", [*MAKE, "--seed", str(BENCHMARK_SEED)], None, "reserved for evaluation"),
    ("captchagen", [*MAKE, "--seed", str(2**53)], None, "--seed must be between 0"),
    ("captchagen", [*MAKE, "--workers", "-1"], None, "--workers must be >= 0"),
    ("captchagen", [*MAKE, "--format", "gif"], None, "--format 'gif' is not one of"),
    ("captchagen", [*MAKE, "--shard", "3/2"], None, "--shard 3/2"),
    ("captchagen", [*MAKE, "--shard", "x"], None, "--shard must look like K/N"),
    ("captchagen", [*MAKE, "-d", "impossible"], None, "unknown difficulty"),
    ("captchagen", [*MAKE, "-d", "easy", "-c", "x.toml"], None, "either --difficulty or"),
    # --- captchagen make: hostile spec files
    spec_case("list", "[1, 2]", "must be a table"),
    spec_case("string", '"hello"', "must be a table"),
    spec_case("preset5", '{"preset": 5}', "preset must be a preset name"),
    spec_case("presetlist", '{"preset": ["easy"]}', "preset must be a preset name"),
    spec_case("deep", DEEP, "nested too deeply"),
    spec_case("deeptoml", "a = " + "[" * 100_000 + "]" * 100_000, "nested too deeply", ".toml"),
    spec_case("badtoml", "[text\nlength = 3", "is not valid TOML", ".toml"),
    spec_case("nonutf8", b'{"name": "\xff"}', "UTF-8"),
    spec_case("traversal", '{"name": "../../x"}', "name = '../../x' must be"),
    spec_case("absolute", '{"name": "/tmp/x"}', "name = '/tmp/x' must be"),
    spec_case("dotname", '{"name": ".hidden"}', "must be 1-64 letters"),
    spec_case("combining", '{"text": {"charset": "ab\\u0301"}}', "combining marks"),
    spec_case("unknown", '{"txt": {}}', "unknown key txt"),
    spec_case("badtype", '{"text": {"length": "five"}}', "text.length must be a list"),
    spec_case("toolong", '{"text": {"length": [40, 50]}}', "cannot hold 50 characters"),
    spec_case(
        "unread",
        '{"preset": "captcha", "noise": {"lines": [2, 3]}}',
        "backend 'captcha' never reads noise.lines (backend 'native' does)",
    ),
    ("captchagen", ["make", "-c", "{ws}/missing.json", *MAKE[1:]], None, "spec file not found"),
    # --- captchagen make: the output directory
    ("captchagen", [*MAKE[:-1], "{ws}/afile"], write("afile", "keep me"), "is a file"),
    (
        "captchagen",
        [*MAKE[:-1], "{ws}/foreign"],
        write("foreign/notes.txt", "mine"),
        "not empty and is not a captchagen dataset",
    ),
    (
        "captchagen",
        ["make", "--n", "20", "-d", "easy", "--seed", "2", "--out", "{ws}/ds", "-q"],
        None,
        "already holds a different dataset",
    ),
    (
        "captchagen",
        ["make", "--n", "20", "-d", "easy", "--seed", "1", "--out", "{ws}/ds", "-q"],
        write("ds/.captchagen/run.json", "[]"),
        "must be a table",
    ),
    (
        "captchagen",
        ["make", "--n", "20", "-d", "easy", "--seed", "1", "--out", "{ws}/ds", "-q"],
        write("ds/.captchagen/chunks/chunk-000000.jsonl", "garbage\n"),
        "is damaged",
    ),
    # --- captchagen verify / info / pack / preview / presets
    ("captchagen", ["verify", "{ws}/nowhere"], None, "dataset directory not found"),
    ("captchagen", ["info", "{ws}/nowhere"], None, "dataset directory not found"),
    ("captchagen", ["verify", "{ws}/ds"], write("ds/dataset.json", "[]"), "must be a table"),
    ("captchagen", ["info", "{ws}/ds"], write("ds/dataset.json", "[]"), "must be a table"),
    (
        "captchagen",
        ["verify", "{ws}/ds"],
        edit_json("ds/dataset.json", lambda d: d.pop("seed") and d),
        "seed is missing",
    ),
    (
        "captchagen",
        ["verify", "{ws}/ds"],
        edit_json("ds/dataset.json", lambda d: {**d, "spec": []}),
        "spec must be a table",
    ),
    ("captchagen", ["verify", "{ws}/ds"], write("ds/dataset.json", DEEP), "nested too deeply"),
    (
        "captchagen",
        ["verify", "{ws}/ds"],
        write("ds/metadata.jsonl", "a,b\n1,2\n"),
        "is not valid JSON",
    ),
    (
        "captchagen",
        ["info", "{ws}/ds"],
        write("ds/metadata.jsonl", "a,b\n1,2\n"),
        "is not valid JSON",
    ),
    ("captchagen", ["info", "{ws}/ds"], write("ds/metadata.jsonl", b"\xff\xfe\x00"), "UTF-8"),
    (
        "captchagen",
        ["verify", "{ws}/ds"],
        write("ds/images/0000/000003.png", b"junk"),
        "problem(s) in 20 images",
    ),
    (
        "captchagen",
        ["verify", "{ws}/ds"],
        write("ds/images/0000/.000004.png.x1.tmp", b""),
        "problem(s) in 20 images",
    ),
    (
        "captchagen",
        ["pack", "{ws}/ds"],
        write("ds/images/0000/000003.png", b"junk"),
        "fails its checksum",
    ),
    ("captchagen", ["preview", "--out", "{ws}/ds"], None, "is a directory"),
    ("captchagen", ["presets", "nope"], None, "unknown difficulty 'nope'"),
    ("captchagen", ["presets", "easy", "--format", "yaml"], None, "--format must be toml or json"),
    # --- crnn predict / info / export
    (
        "crnn",
        ["predict", "{ws}/bomb.png", *RUN],
        write("bomb.png", png_header_only(24000, 9000)),
        "too large to be a captcha",
    ),
    ("crnn", ["predict", "{ws}/missing.png", *RUN], None, "image not found"),
    (
        "crnn",
        ["predict", "{ws}/emptydir", *RUN],
        lambda ws: (ws / "emptydir").mkdir(),
        "holds no images",
    ),
    ("crnn", ["predict", "{ws}/nothing*.png", *RUN], None, "no file matches"),
    ("crnn", ["predict", "{ws}/ds", *RUN, "--format", "xml"], None, "--format must be"),
    ("crnn", ["predict", "{ws}/notes.png", *RUN], write("notes.png", "text"), "cannot read image"),
    (
        "crnn",
        ["predict", "{ws}/ds/images/0000/000000.png", "--model", "{ws}/w.pt"],
        write("w.pt", PICKLE),
        "pickle",
    ),
    (
        "crnn",
        ["predict", "{ws}/ds/images/0000/000000.png", "--model", "{ws}/p/model.safetensors"],
        both(write("p/model.safetensors", PICKLE), write("p/config.json", "{}")),
        "pickle",
    ),
    (
        "crnn",
        ["predict", "{ws}/ds/images/0000/000000.png", *RUN],
        edit_model(charset="0123456789"),
        "does not match",
    ),
    (
        "crnn",
        ["predict", "{ws}/ds/images/0000/000000.png", *RUN],
        edit_model(arch="small"),
        "does not match",
    ),
    (
        "crnn",
        ["predict", "{ws}/ds/images/0000/000000.png", *RUN],
        edit_model(width=128),
        "width 128",
    ),
    ("crnn", ["info", *RUN], edit_model(width=128), "width 128"),
    (
        "crnn",
        ["predict", "{ws}/ds/images/0000/000000.png", *RUN],
        edit_json("run/config.json", lambda d: {**d, "source_size": [0, 0]}),
        "source_size",
    ),
    (
        "crnn",
        ["predict", "{ws}/ds/images/0000/000000.png", *RUN],
        edit_json("run/config.json", lambda d: {**d, "source_size": "abc"}),
        "source_size",
    ),
    ("crnn", ["info", *RUN], write("run/config.json", DEEP), "nested too deeply"),
    ("crnn", ["info", *RUN], write("run/config.json", "[]"), "must be a table"),
    (
        "crnn",
        ["info", *RUN],
        edit_json("run/config.json", lambda d: {**d, "model": {"x": 1}}),
        "model.arch is missing",
    ),
    (
        "crnn",
        ["predict", "{ws}/ds/images/0000/000000.png", *RUN, "--decoder", "beamx"],
        None,
        "unknown decoder 'beamx'",
    ),
    (
        "crnn",
        ["predict", "{ws}/ds/images/0000/000000.png", *RUN, "--decoder", "beam5"],
        None,
        "unknown decoder 'beam5'",
    ),
    (
        "crnn",
        ["predict", "{ws}/ds/images/0000/000000.png", *RUN, "--decoder", "beam:x"],
        None,
        "beam width must be an integer",
    ),
    (
        "crnn",
        ["export", "--onnx", "{ws}/m.onnx", "--model", "{ws}/w.pt"],
        write("w.pt", PICKLE),
        "pickle",
    ),
    # --- crnn train
    ("crnn", [*TRAIN, "--out", "{ws}/t", "--val-every", "0"], None, "--val-every must be"),
    ("crnn", [*TRAIN, "--out", "{ws}/t", "--lr", "-1"], None, "--lr must be a positive"),
    ("crnn", [*TRAIN, "--out", "{ws}/t", "--lr", "nan"], None, "--lr must be a positive"),
    ("crnn", [*TRAIN, "--out", "{ws}/t", "--val-size", "0"], None, "--val-size must be"),
    ("crnn", [*TRAIN, "--out", "{ws}/t", "--workers", "-1"], None, "--workers must be"),
    ("crnn", [*TRAIN, "--out", "{ws}/t", "--threads", "-1"], None, "--threads must be"),
    ("crnn", [*TRAIN, "--out", "{ws}/t", "--device", "tpu"], None, "--device 'tpu'"),
    ("crnn", [*TRAIN, "--out", "{ws}/t", "--steps", "0"], None, "--steps must be"),
    ("crnn", [*TRAIN, "--out", "{ws}/t", "--seed", str(2**48)], None, "reserved for validation"),
    ("crnn", [*TRAIN, "--out", "{ws}/run"], None, "already holds a model"),
    (
        "crnn",
        [*TRAIN, "--out", "{ws}/copy"],
        lambda ws: shutil.copytree(
            ws / "run", ws / "copy", ignore=shutil.ignore_patterns("state*")
        ),
        "--overwrite",
    ),
    ("crnn", [*TRAIN, "--out", "{ws}/run", "--resume"], None, "already finished all 2 steps"),
    (
        "crnn",
        [*TRAIN, "--steps", "4", "--out", "{ws}/run", "--resume", "--arch", "small"],
        edit_json("run/state.json", lambda d: {**d, "step": 1}),
        "trained with --arch 'tiny'",
    ),
    (
        "crnn",
        [*TRAIN, "--out", "{ws}/run", "--resume"],
        both(
            edit_json("run/state.json", lambda d: {**d, "step": 1}),
            write("run/state.safetensors", PICKLE),
        ),
        "pickle",
    ),
    (
        "crnn",
        [*TRAIN, "--out", "{ws}/run", "--resume"],
        both(
            edit_json("run/state.json", lambda d: {**d, "step": 1}),
            lambda ws: (ws / "run/state.safetensors").write_bytes(
                (ws / "run/state.safetensors").read_bytes()[:300]
            ),
        ),
        "not a safetensors file",
    ),
    (
        "crnn",
        [*TRAIN, "--out", "{ws}/run", "--resume"],
        write("run/state.json", DEEP),
        "nested too deeply",
    ),
    ("crnn", [*TRAIN, "--out", "{ws}/fresh", "--resume"], None, "nothing to resume"),
    ("crnn", [*TRAIN, "--out", "{ws}/t", "--data", "{ws}/eval"], None, "reserved evaluation seed"),
    ("crnn", [*TRAIN, "--out", "{ws}/t", "--data", "{ws}/nowhere"], None, "not found"),
    (
        "crnn",
        [*TRAIN, "--out", "{ws}/t", "--data", "{ws}/ds"],
        write("ds/dataset.json", "[]"),
        "must be a table",
    ),
    # --- bench
    ("bench", ["run", *RUN, "--decoders", "beamx", "-o", "{ws}/b"], None, "unknown decoder"),
    ("bench", ["run", *RUN, "--decoders", "beam5", "-o", "{ws}/b"], None, "unknown decoder"),
    ("bench", ["run", *RUN, "--decoders", "greedy,greedy", "-o", "{ws}/b"], None, "listed twice"),
    ("bench", ["run", *RUN, "-d", "hard,hard", "-o", "{ws}/b"], None, "listed twice"),
    ("bench", ["run", *RUN, "--n", "0", "-o", "{ws}/b"], None, "--n must be a number"),
    ("bench", ["run", "--model", "{ws}/w.pt", "-o", "{ws}/b"], write("w.pt", PICKLE), "pickle"),
    (
        "bench",
        ["run", *RUN, "-d", "{ws}/t.json", "-o", "{ws}/b"],
        write("t.json", '{"name": "../../x"}'),
        "must be 1-64 letters",
    ),
    (
        "bench",
        ["compare", "{ws}/report", "{ws}/other"],
        write("other/metrics.json", "[]"),
        "must be a table",
    ),
    (
        "bench",
        ["compare", "{ws}/report", "{ws}/other"],
        write("other/metrics.json", '{"rows": [{"decoder": "greedy"}]}'),
        "rows[0].level is missing",
    ),
    ("bench", ["compare", "{ws}/report", "{ws}/nowhere"], None, "holds no metrics.json"),
    (
        "bench",
        ["compare", "{ws}/report", "{ws}/report"],
        write("report/predictions.csv", "a\n1\n"),
        "not a bench predictions file",
    ),
    ("bench", ["matrix", "--train-steps", "0", "-o", "{ws}/m"], None, "must be positive"),
    ("bench", ["transfer", "-f", "grid,grid", "--runs", "{ws}/t"], None, "names a family twice"),
    ("bench", ["transfer", "-f", "glitter", "--runs", "{ws}/t"], None, "unknown family"),
    ("bench", ["transfer", "-f", "font:Nope", "--runs", "{ws}/t"], None, "unknown font family"),
    ("bench", ["transfer", "--steps", "0", "--runs", "{ws}/t"], None, "must be positive"),
    ("captchagen", ["legibility", "-n", "0"], None, "Invalid value for '--n'"),
    ("captchagen", ["legibility", "-d", "nope"], None, "unknown difficulty"),
    ("captchagen", ["pack", "{ws}/u"], make_universal, "cannot be packed"),
    ("crnn", ["train", "--prerender", "8", "--out", "{ws}/p"], None, "smaller than one batch"),
    ("crnn", ["train", "--prerender", "-1", "--out", "{ws}/p"], None, "--prerender must be"),
    ("crnn", ["train", "--channels", "2", "--out", "{ws}/p"], None, "--channels must be 1"),
    (
        "crnn",
        [*TRAIN, "--channels", "3", "--init", "universal-grey", "--out", "{ws}/p"],
        None,
        "grow it with `crnn colour` first",
    ),
    (
        "crnn",
        [*TRAIN, "--channels", "1", "--init", "universal", "--out", "{ws}/p"],
        None,
        "universal reads 3 input channels",
    ),
    (
        "crnn",
        ["train", "--prerender", "100", "--data", "{ws}/ds", "--out", "{ws}/p"],
        None,
        "cannot go with --data",
    ),
]


def snapshot(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in root.rglob("*")
        if p.is_file()
    }


def test_the_sweep_is_large_enough():
    assert len(CASES) >= 60
    assert {cli for cli, *_ in CASES} == set(MAINS)


@pytest.mark.parametrize(
    ("cli", "argv", "setup", "message"),
    CASES,
    ids=[f"{c[0]}-{i}-{c[3][:24]}" for i, c in enumerate(CASES)],
)
def test_bad_input(cli, argv, setup, message, workspace_template, tmp_path, capsys, monkeypatch):
    ws = tmp_path / "ws"
    shutil.copytree(workspace_template, ws)
    monkeypatch.chdir(ws)
    if setup is not None:
        setup(ws)
    before = snapshot(ws)
    code, _, err = invoke(MAINS[cli], [a.replace("{ws}", str(ws)) for a in argv], capsys)
    assert code not in (0, None), f"accepted: {err}"
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert 1 <= len(lines) <= 2, err
    assert message in err, err
    after = snapshot(ws)
    changed = [p for p, digest in before.items() if after.get(p) != digest]
    assert not changed, f"changed or removed: {changed}"
