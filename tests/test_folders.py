"""Labelled folders of real captchas: reading them, evaluating on them, k-shot attacks."""

from __future__ import annotations

import json
import random
from dataclasses import replace

import pytest
from conftest import invoke, tiny
from PIL import Image

from benchmark.attack import AttackConfig, AttackError, Budget, attack_folder
from benchmark.cli import main as bench_main
from benchmark.folders import (
    FolderError,
    fit_labels,
    held_out_split,
    open_image_folder,
    open_labelled_folder,
)
from crnn.train import train

CHARS = "23456789ABCDEFGH"


def captcha_folder(root, n=40, label_file="labels.csv", seed=1):
    """Images drawn by the captcha package itself (another renderer than ours), labelled."""
    from captcha.image import ImageCaptcha

    from generator.captcha_backend import seeded_captcha

    rnd = random.Random(seed)
    root.mkdir(parents=True)
    rows = []
    with seeded_captcha(4 + seed):
        gen = ImageCaptcha(width=160, height=60)
        for i in range(n):
            text = "".join(rnd.choice(CHARS) for _ in range(4))
            gen.generate_image(text).save(root / f"c{i:03d}.png")
            rows.append((f"c{i:03d}.png", text))
    if label_file.endswith(".csv"):
        lines = ["file_name,text", *(f"{f},{t}" for f, t in rows)]
    else:
        lines = [json.dumps({"file_name": f, "text": t}) for f, t in rows]
    (root / label_file).write_text("\n".join(lines) + "\n")
    return rows


@pytest.fixture(scope="module")
def tiny_reader(tmp_path_factory):
    out = tmp_path_factory.mktemp("reader") / "run"
    train(tiny(out=out, steps=3, val_every=3))
    return out


@pytest.mark.parametrize("label_file", ["labels.csv", "metadata.csv", "metadata.jsonl"])
def test_folders_are_read_with_string_labels(tmp_path, label_file):
    rows = captcha_folder(tmp_path / "f", n=6, label_file=label_file)
    folder = open_labelled_folder(tmp_path / "f")
    assert folder.texts == [t for _, t in rows] and folder.images[0].shape == (60, 160)
    assert open_labelled_folder(tmp_path / "f").digest == folder.digest


def test_bad_folders_say_what_is_wrong(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(FolderError, match="holds no labels"):
        open_labelled_folder(tmp_path / "empty")
    captcha_folder(tmp_path / "f", n=3)
    labels = tmp_path / "f" / "labels.csv"
    text = labels.read_text()
    labels.write_text(text + "gone.png,ABCD\n")
    with pytest.raises(FolderError, match=r"lists gone\.png, which is missing"):
        open_labelled_folder(tmp_path / "f")
    labels.write_text(text + "../outside.png,ABCD\n")
    with pytest.raises(FolderError, match="points outside the folder"):
        open_labelled_folder(tmp_path / "f")
    labels.write_text("name,label\nc000.png,AB\n")
    with pytest.raises(FolderError, match="file_name and text"):
        open_labelled_folder(tmp_path / "f")
    labels.write_text(text)
    folder = open_labelled_folder(tmp_path / "f")
    folder.texts[0] = "#" + folder.texts[0][1:]
    with pytest.raises(FolderError, match=r"cannot output: '#'; relabel"):
        fit_labels(folder, CHARS, "m")
    folder.texts[0] = "c" + folder.texts[0][1:]
    with pytest.raises(FolderError, match=r"cannot output: 'c' \(other-case forms"):
        fit_labels(folder, CHARS + "ab", "m")  # a reader that tells case apart: no folding


def test_a_case_insensitive_reader_gets_its_labels_in_its_case(tmp_path):
    rows = captcha_folder(tmp_path / "f", n=6)
    folder = open_labelled_folder(tmp_path / "f")
    folder.texts[1] = folder.texts[1].lower()
    folder.texts[4] = folder.texts[4][:2] + folder.texts[4][2:].lower()
    fitted, changed = fit_labels(folder, CHARS, "m")
    assert fitted.texts == [t for _, t in rows]
    assert changed == (rows[1][1] != rows[1][1].lower()) + (
        rows[4][1][2:] != rows[4][1][2:].lower()
    )
    assert fitted.images is folder.images and fitted.digest == folder.digest
    lower_reader = "0123456789abcdefgh"
    assert fit_labels(fitted, lower_reader, "m")[0].texts == [t.lower() for _, t in rows]


def test_held_out_split_is_fixed_and_disjoint():
    pool, test = held_out_split(100, 0.3, seed=0)
    assert len(test) == 30 and not set(pool) & set(test) and len(pool) + len(test) == 100
    assert held_out_split(100, 0.3, seed=0) == (pool, test)


def test_bench_run_reads_a_labelled_folder(tiny_reader, tmp_path, capsys):
    rows = captcha_folder(tmp_path / "real", n=12)
    argv = ["run", "--data", str(tmp_path / "real"), "--model", str(tiny_reader)]
    code, _, err = invoke(
        bench_main, [*argv, "--decoders", "greedy", "-o", str(tmp_path / "r")], capsys
    )
    assert code in (0, None), err
    metrics = json.loads((tmp_path / "r" / "metrics.json").read_text())
    assert [r["level"] for r in metrics["rows"]] == ["real"] and metrics["rows"][0]["n"] == 12
    assert (tmp_path / "r" / "figures" / "misreads.png").exists()

    # The same folder labelled in lowercase reads the same: the reader is case-insensitive.
    labels = tmp_path / "real" / "labels.csv"
    labels.write_text(labels.read_text().lower())  # file names c000.png… are lowercase already
    code, out, err = invoke(
        bench_main, [*argv, "--decoders", "greedy", "-o", str(tmp_path / "r2")], capsys
    )
    assert code in (0, None), err
    letters = sum(any(c.isalpha() for c in t) for _, t in rows)
    assert f"{letters} labels put in the reader's case" in out
    # Every sample's label (folded back to the original capitals) and reading are the same.
    first, second = ((tmp_path / r / "predictions.csv").read_text() for r in ("r", "r2"))
    assert second == first and rows[0][1] in first


SHOTS = [(0, 0), (10, 0), (10, 1)]


def test_the_interpolating_attacker_reads_the_fine_tuned_reader_moved_back(tiny_reader, tmp_path):
    """Its reader is exactly interpolate(shipped, the fine-tuner's reader, alpha), alpha chosen
    on held-back images by a second fine-tuning whose cost it carries; at k = 0 it is the
    shipped reader; the report says alpha."""
    from benchmark.attack import _load_pretrained, kshot_steps, read_accuracy
    from benchmark.attack_report import write_attack_report
    from benchmark.evalsets import folder_eval_set
    from crnn.checkpoint import load_training_model
    from crnn.interpolate import ALPHAS, interpolate

    captcha_folder(tmp_path / "real", n=30)
    folder = open_labelled_folder(tmp_path / "real")
    config = AttackConfig(out=tmp_path / "a", budget=Budget(samples=1), init=str(tiny_reader),
                          batch_size=8, threads=1)  # fmt: skip
    result = attack_folder(folder, config, shots=[0, 10], draws=1)
    ft0, ft10, ip0, ip10 = result.points
    assert (ip0.attacker, ip0.correct, ip0.alpha) == ("interpolate", ft0.correct, None)
    assert ip10.alpha in ALPHAS
    assert ip10.steps == ft10.steps + kshot_steps(8, 8)  # the fit on 8 of the 10 images
    assert ip10.cpu_minutes > ft10.cpu_minutes
    shipped, _ = _load_pretrained(str(tiny_reader))
    tuned = load_training_model(tmp_path / "a" / "real" / "k10-draw0", averaged=True)
    _, test_idx = held_out_split(folder.n, 0.3, 0)
    evalset = folder_eval_set(folder.subset(test_idx))
    reader = config.reader_for(tuned)
    assert read_accuracy(interpolate(shipped, tuned, ip10.alpha), evalset, reader) == ip10.correct
    report = write_attack_report([result], config, "bench attack --data real").read_text()
    assert f"| interpolate | 10, α = {ip10.alpha:g} |" in report and "WiSE-FT" in report
    # The study behind the rule re-derives the attacker's choice and both ends of the line.
    from benchmark.attack import ALPHA_RULE
    from benchmark.interpolation_choice import study

    table = {
        row.split(" | ")[0].strip("| "): row.split(" | ")[1].strip(" |")
        for row in study(tmp_path / "real", tmp_path / "a")
        if row.startswith("| ") and " k = " not in row
    }
    assert float(table[ALPHA_RULE]) == pytest.approx(ip10.accuracy, abs=1e-3)
    assert float(table["alpha = 1"]) == pytest.approx(ft10.accuracy, abs=1e-3)
    assert float(table["alpha = 0"]) == pytest.approx(ft0.accuracy, abs=1e-3)
    # Recorded again later (its point lost, both runs kept): the same reading, the same cost.
    points_file = tmp_path / "a" / "real" / "points.json"
    doc = json.loads(points_file.read_text())
    doc["points"] = [
        p for p in doc["points"] if p["attacker"] != "interpolate" or p["samples"] == 0
    ]
    points_file.write_text(json.dumps(doc))
    again = attack_folder(folder, config, shots=[0, 10], draws=1).points[3]
    assert (again.correct, again.alpha, again.cpu_minutes) == (
        ip10.correct,
        ip10.alpha,
        ip10.cpu_minutes,
    )
    (tmp_path / "a" / "real" / "k10-draw0-fit" / "attack-cpu.json").write_text(
        '{"cpu_minutes": "x"}'
    )
    points_file.write_text(json.dumps(doc))
    with pytest.raises(AttackError, match=r"attack-cpu\.json.*delete"):
        attack_folder(folder, config, shots=[0, 10], draws=1)
    off = AttackConfig(out=tmp_path / "b", budget=Budget(samples=1), init=str(tiny_reader),
                       batch_size=8, threads=1, interpolate=False)  # fmt: skip
    assert {p.attacker for p in attack_folder(folder, off, shots=[0], draws=1).points} == {
        "finetune"
    }


def test_k_shot_attack_draws_resumes_and_refuses_too_many_shots(tiny_reader, tmp_path):
    captcha_folder(tmp_path / "real", n=30)
    folder = open_labelled_folder(tmp_path / "real")
    config = AttackConfig(out=tmp_path / "a", budget=Budget(samples=1), init=str(tiny_reader),
                          batch_size=8, threads=1)  # fmt: skip
    result = attack_folder(folder, config, shots=[0, 10], draws=2)
    got = [(p.attacker, p.samples, p.draw) for p in result.points]
    assert got == [(a, k, d) for a in ("finetune", "interpolate") for k, d in SHOTS]
    assert all(p.n == 9 for p in result.points)  # 30 % of 30 held out
    pooled = result.curve("finetune")
    assert [p.samples for p in pooled] == [0, 10] and pooled[1].n == 18
    again = attack_folder(folder, config, shots=[0, 10], draws=2)
    assert [(p.correct, p.alpha) for p in again.points] == [
        (p.correct, p.alpha) for p in result.points
    ]
    with pytest.raises(AttackError, match="more than the 21 images left for training"):
        attack_folder(folder, config, shots=[0, 30], draws=1)


def test_bench_attack_on_a_folder_without_labels_is_one_line(tmp_path, capsys):
    (tmp_path / "nolabels").mkdir()
    Image.new("L", (160, 60)).save(tmp_path / "nolabels" / "a.png")
    code, _, err = invoke(
        bench_main,
        ["attack", "--data", str(tmp_path / "nolabels"), "-o", str(tmp_path / "o")],
        capsys,
    )
    assert code not in (0, None) and "holds no labels" in err and len(err.strip().splitlines()) == 1


def test_foreign_captcha_folder_regenerates_byte_for_byte():
    """benchmark/foreign.py seeds the captcha package (which draws from `secrets`): the same
    seed draws the same captcha, another seed another one. (The script leaves its seeded
    stand-in in place, as a script may; the test puts the package's own back.)"""
    import io
    import random

    import captcha.image as ci

    from benchmark import foreign

    original = ci.secrets

    def draw(seed):
        random.seed(seed)
        image, text = foreign._captcha_default(None)("A1O0")
        assert text == "A1O0"
        buf = io.BytesIO()
        image.convert("RGB").save(buf, "PNG")
        return buf.getvalue()

    try:
        assert draw(2026) == draw(2026)
        assert draw(2026) != draw(2027)
    finally:
        ci.secrets = original


def test_self_training_reads_unlabelled_images_and_trains_on_the_confident_ones(tmp_path):
    """The self-trainer: universal (or its fine-tuned copy) labels captchas it was never told
    the answers of; confident readings, right far more often than not, join the k labelled
    ones; points resume, settings are keyed, and a test image among them is refused."""
    import shutil

    from benchmark.attack import pseudo_labels, selftrain_steps
    from benchmark.attack_report import write_attack_report
    from crnn.checkpoint import load_model
    from crnn.registry import resolve_model

    captcha_folder(tmp_path / "real", n=30)
    truth = dict(captcha_folder(tmp_path / "unlabelled", n=24, seed=2))
    (tmp_path / "unlabelled" / "labels.csv").unlink()  # an attacker has no answers
    folder = open_labelled_folder(tmp_path / "real")
    pool = open_image_folder(tmp_path / "unlabelled")
    assert pool.n == 24 and pool.names[0] == "c000.png"
    config = AttackConfig(out=tmp_path / "a", budget=Budget(samples=1), init="universal",
                          batch_size=4, threads=1, pseudo_confidence=0.7,
                          interpolate=False)  # fmt: skip
    universal, _ = load_model(resolve_model("universal").path)
    images, texts = pseudo_labels(universal, pool.images, config)
    kept = [
        t for t, im in zip(pool.names, pool.images, strict=True) if any(im is x for x in images)
    ]
    assert len(texts) >= 6 and len(kept) == len(texts)
    right = sum(truth[name] == text for name, text in zip(kept, texts, strict=True))
    assert right / len(texts) >= 0.8  # confident readings are mostly right (here: all but few)
    result = attack_folder(folder, config, shots=[0, 10], draws=1, unlabelled=pool)
    got = [(p.attacker, p.samples) for p in result.points]
    assert got == [("finetune", 0), ("finetune", 10), ("selftrain", 0), ("selftrain", 10)]
    _, ft10, st0, st10 = result.points
    assert st0.steps == selftrain_steps(0, len(texts), config)  # k = 0: universal's own labels
    assert st10.cpu_minutes >= ft10.cpu_minutes > 0  # the teacher's training is paid for too
    again = attack_folder(folder, config, shots=[0, 10], draws=1, unlabelled=pool)
    assert [p.correct for p in again.points] == [p.correct for p in result.points]
    # A fresh clone has the points but not the runs: the teacher is re-made bit for bit.
    points_file = tmp_path / "a" / "real" / "points.json"
    doc = json.loads(points_file.read_text())
    doc["points"] = [p for p in doc["points"] if (p["attacker"], p["samples"]) != ("selftrain", 10)]
    points_file.write_text(json.dumps(doc))
    for run in ("k10-draw0", "k10-draw0-self"):
        shutil.rmtree(tmp_path / "a" / "real" / run)
    remade = attack_folder(folder, config, shots=[0, 10], draws=1, unlabelled=pool)
    assert [p.correct for p in remade.points] == [p.correct for p in result.points]
    report = write_attack_report([result], config, "bench attack --data real").read_text()
    assert "| selftrain | 10 |" in report and "confidence ≥ 0.7" in report
    stricter = AttackConfig(out=tmp_path / "a", budget=Budget(samples=1), init="universal",
                            batch_size=4, threads=1, pseudo_confidence=0.9,
                            interpolate=False)  # fmt: skip
    with pytest.raises(AttackError, match="pseudo_confidence"):
        attack_folder(folder, stricter, shots=[0], draws=1, unlabelled=pool)
    # A test image among the unlabelled ones would let the attacker train on the test.
    _, test_idx = held_out_split(folder.n, 0.3, 0)
    shutil.copy(tmp_path / "real" / folder.names[test_idx[0]], tmp_path / "unlabelled" / "x.png")
    with pytest.raises(AttackError, match=r"1 of the images in .* are also in the held-out test"):
        attack_folder(folder, config, shots=[0], draws=1, unlabelled=open_image_folder(
            tmp_path / "unlabelled"))  # fmt: skip


def test_a_captchagen_dataset_folder_is_read_within_its_declared_alphabet(tmp_path, capsys):
    """bench run --data on a captchagen dataset: its dataset.json says what it draws (hard's
    32 characters), so universal reads within them; bare labels declare nothing."""
    from generator.dataset import RunConfig, make_dataset
    from generator.spec import preset

    make_dataset(RunConfig(spec=preset("hard"), seed=5, n=12), tmp_path / "ds")
    folder = open_labelled_folder(tmp_path / "ds")
    assert folder.alphabet == preset("hard").charset.chars
    argv = [
        "run",
        "--data",
        str(tmp_path / "ds"),
        "--decoders",
        "greedy",
        "-o",
        str(tmp_path / "r"),
    ]
    code, _, err = invoke(bench_main, argv, capsys)
    assert code in (0, None), err
    level = json.loads((tmp_path / "r" / "metrics.json").read_text())["levels"][0]
    assert level["read_within_alphabet"] == preset("hard").charset.chars
    captcha_folder(tmp_path / "bare", n=4)
    assert open_labelled_folder(tmp_path / "bare").alphabet is None
    (tmp_path / "ds" / "dataset.json").write_text("{")
    with pytest.raises(FolderError, match=r"dataset\.json"):
        open_labelled_folder(tmp_path / "ds")


def test_a_k_shot_attack_on_a_captchagen_dataset_reads_within_its_alphabet(tmp_path):
    """Its points are read the way bench run reads it (within the declared charset), keyed:
    resuming with --alphabet model is refused rather than mixing two readings."""
    from benchmark.attack import _load_pretrained, read_accuracy
    from benchmark.evalsets import folder_eval_set
    from generator.dataset import RunConfig, make_dataset
    from generator.spec import preset

    make_dataset(RunConfig(spec=preset("hard"), seed=5, n=20), tmp_path / "ds")
    folder = open_labelled_folder(tmp_path / "ds")
    config = AttackConfig(out=tmp_path / "a", budget=Budget(samples=1), threads=1)
    point = attack_folder(folder, config, [0], 1, 0.5).points[0]
    _, test_idx = held_out_split(folder.n, 0.5, 0)
    evalset = folder_eval_set(folder.subset(test_idx))
    universal, _ = _load_pretrained("universal")
    reader = config.reader_for(universal)
    hard = preset("hard").charset.chars
    assert point.correct == read_accuracy(universal, evalset, reader, hard)
    key = json.loads((tmp_path / "a" / "ds" / "points.json").read_text())["key"]
    assert key["alphabet"] == "style"
    with pytest.raises(AttackError, match="alphabet"):
        attack_folder(folder, replace(config, alphabet="model"), [0], 1, 0.5)


def test_foreign_render_only_writes_the_generators_named(tmp_path):
    """`foreign.py render --only` adds one generator's folder without re-rendering (and so
    rewriting) the others; what it writes is a labelled folder the readers open."""
    import random

    import captcha.image as ci

    from benchmark import foreign
    from benchmark.folders import open_labelled_folder

    original = ci.secrets
    state = random.getstate()
    try:
        foreign.render(tmp_path, n=3, seed=5, only={"captcha-default"})
    finally:
        ci.secrets, _ = original, random.setstate(state)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["captcha-default"]
    folder = open_labelled_folder(tmp_path / "captcha-default")
    assert len(folder.texts) == 3
    assert all(4 <= len(t) <= 6 and set(t) <= set(foreign.ALPHABET) for t in folder.texts)


def test_validation_sets_are_the_validation_samples_named_by_style():
    """The development scripts' sets: each style's validation samples from index 500, in order."""
    import numpy as np

    from benchmark.evalsets import validation_samples, validation_sets

    sets = validation_sets(("easy", "hard"), 2)
    assert [name for name, _, _ in sets] == ["easy (validation)", "hard (validation)"]
    for (_, images, texts), style in zip(sets, ("easy", "hard"), strict=True):
        samples = validation_samples(style, 2)
        assert texts == [s.text for s in samples]
        assert all(
            np.array_equal(np.asarray(a), np.asarray(s.image))
            for a, s in zip(images, samples, strict=True)
        )
