"""Leave-one-out transfer: held-out families never drawn, forced ones always, the rest unmoved."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from benchmark.harness import evaluate
from benchmark.transfer import (
    OPT_IN_SHARE,
    TransferConfig,
    TransferError,
    fold_specs,
    font_families,
    run_transfer,
    write_report,
)
from crnn.decode import parse_decoders
from crnn.recognizer import Recognizer
from generator.randomize import randomize
from generator.spec import FAMILIES, SpecError, UniversalStyle, dump_spec, preset, spec_from_dict
from generator.stream import render_sample

UNIVERSAL = preset("universal")


def _styles(spec, n=150):
    return [randomize(spec, np.random.default_rng(i)) for i in range(n)]


def _shows(style, family: str) -> bool:
    n, c, w = style.noise, style.color, style.warp
    return {
        "captcha": style.backend == "captcha",
        "curves": n.curves != (0, 0),
        "lines": n.lines != (0, 0),
        "grid": n.grid > 0,
        "salt_pepper": n.salt_pepper > 0,
        "jpeg": w.jpeg != (0, 0),
        "gradient": c.gradient > 0,
        "dark_clutter": n.clutter_contrast > 0,
    }[family]


@pytest.mark.parametrize(
    "family", ["captcha", "curves", "lines", "grid", "salt_pepper", "dark_clutter", "jpeg"]
)
def test_held_out_never_shows_and_only_always_does(family):
    held, only = fold_specs(family)
    assert not any(_shows(s, family) for s in _styles(held))
    assert all(_shows(s, family) for s in _styles(only))
    assert any(_shows(s, family) for s in _styles(UNIVERSAL))  # the family is really drawn


def test_holding_out_one_family_leaves_every_other_dial_where_it_was():
    held, _ = fold_specs("curves")
    for i in range(100):
        a = randomize(UNIVERSAL, np.random.default_rng(i))
        b = randomize(held, np.random.default_rng(i))
        if a.backend == "captcha":
            assert b.backend == "captcha" and a.width == b.width
            continue
        assert dataclasses.replace(b.noise, curves=a.noise.curves) == a.noise
        assert (a.text, a.color, a.warp, a.width, a.height) == (
            b.text,
            b.color,
            b.warp,
            b.width,
            b.height,
        )


def test_font_folds_split_the_pool():
    families = font_families()
    assert len(families) >= 15
    held, only = fold_specs("font:AmaticSC")
    assert set(only.text.fonts) == set(families["AmaticSC"])
    assert not set(held.text.fonts) & set(only.text.fonts)
    assert set(held.text.fonts) | set(only.text.fonts) == {f for v in families.values() for f in v}
    sample = render_sample(only, 0, 1)
    assert sample.image.size[0] >= 80
    with pytest.raises(TransferError, match="unknown font family"):
        fold_specs("font:Nope")
    with pytest.raises(TransferError, match="unknown family"):
        fold_specs("sparkles")


def test_spec_section_validates_and_round_trips():
    spec = dataclasses.replace(UNIVERSAL, universal=UniversalStyle(hold_out=("grid", "jpeg")))
    import tomllib

    again = spec_from_dict(tomllib.loads(dump_spec(spec)))
    assert again == spec and again.digest() == spec.digest() != UNIVERSAL.digest()
    with pytest.raises(SpecError, match="unknown family"):
        dataclasses.replace(UNIVERSAL, universal=UniversalStyle(hold_out=("glitter",)))
    with pytest.raises(SpecError, match="both held out"):
        dataclasses.replace(UNIVERSAL, universal=UniversalStyle(hold_out=("grid",), only="grid"))
    assert "captcha" in FAMILIES


def test_transfer_experiment_end_to_end(tmp_path):
    config = TransferConfig(
        folds=("grid",), steps=2, n=6, arch="tiny", width=64, runs=tmp_path / "runs"
    )
    result = run_transfer(config, log=lambda _: None)
    (row,) = result["rows"]
    assert row["family"] == "grid" and row["test_set"] == "universal-only-grid"
    for key in ("baseline", "held_out", "held_out_on_universal"):
        assert 0.0 <= row[key] <= 1.0
    trained = sorted(p.name for p in (tmp_path / "runs").iterdir())
    assert len(trained) == 2 and all((tmp_path / "runs" / p / "done").exists() for p in trained)
    text = write_report(result, tmp_path / "report", "bench transfer -f grid")
    assert "| grid |" in text
    assert (
        json.loads((tmp_path / "report" / "transfer.json").read_text())["rows"][0]["family"]
        == "grid"
    )
    # A second run reuses both models (no training: nothing in the runs folder changes).
    stamps = {p: (tmp_path / "runs" / p / "model.safetensors").stat().st_mtime_ns for p in trained}
    run_transfer(config, log=lambda _: None)
    assert stamps == {
        p: (tmp_path / "runs" / p / "model.safetensors").stat().st_mtime_ns for p in trained
    }


def test_opt_in_folds_turn_the_roles(tmp_path):
    """The universal stream never draws an opt-in family, so its fold trains the reader that
    sees it; the plain baseline is the one that never did (a baseline that "saw everything"
    would be a lie there). clutter_hue needs a colour reader and is refused in one line."""
    trained, only = fold_specs("tumble")
    assert trained.universal.tumble == OPT_IN_SHARE and only.universal.only == "tumble"
    with pytest.raises(TransferError, match="hue alone"):
        fold_specs("clutter_hue")
    config = TransferConfig(
        folds=("tumble",), steps=2, n=6, arch="tiny", width=64, runs=tmp_path / "runs"
    )
    result = run_transfer(config, log=lambda _: None)
    (row,) = result["rows"]
    assert row["opt_in"] and row["test_set"] == "universal-only-tumble"
    assert sorted(p.name.split("-tiny")[0] for p in (tmp_path / "runs").iterdir()) == [
        "universal",
        "universal-with-tumble",
    ]
    # The reader that never saw it is the baseline: its reading of the tumble set is the
    # baseline reader's, read again here.
    baseline = Recognizer.load(
        next(p for p in (tmp_path / "runs").iterdir() if p.name.startswith("universal-tiny"))
    )
    again = evaluate(baseline, [only], 6, parse_decoders("greedy"), None).levels[0]
    assert row["held_out"] == again.decoders[0].seq_acc
    text = write_report(result, tmp_path / "report", "bench transfer -f tumble")
    assert "| tumble * |" in text


def test_variable_size_eval_sets_read_their_files_and_repair_damage(tmp_path):
    from benchmark.evalsets import get_eval_set
    from generator.dataset import DatasetError, pack_dataset

    first = get_eval_set(UNIVERSAL, 8, cache=tmp_path)
    assert len({im.shape for im in first.images}) > 1  # sizes really differ
    victim = next((first.root / "images").rglob("*.png"))
    victim.write_bytes(b"not a png")
    again = get_eval_set(UNIVERSAL, 8, cache=tmp_path)
    assert again.digest == first.digest
    assert all(np.array_equal(a, b) for a, b in zip(first.images, again.images, strict=True))
    with pytest.raises(DatasetError, match="cannot be packed"):
        pack_dataset(first.root)
