"""Labels are strings for every reader: Hugging Face ``datasets`` (imagefolder), pandas with the
documented snippet, and the project's own reader. Digit-only labels keep their leading zeros and
number-like labels (``1e5``, ``NaN``, ``0x1F``) stay text."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest

from generator.dataset import RunConfig, make_dataset, metadata_line, open_dataset
from generator.spec import preset

NUMBER_LIKE = ["0012", "1e5", "NaN", "0x1F", "null", "nan", "007", "1_000", "-0", "inf"]


@pytest.fixture(scope="module")
def digits_dataset(tmp_path_factory):
    spec = preset("easy").with_overrides(name="digits", text={"charset": "digits"})
    out = tmp_path_factory.mktemp("labels") / "digits"
    make_dataset(RunConfig(spec=spec, seed=3, n=200), out)
    truth = [r["text"] for r in open_dataset(out).records()]
    assert any(t.startswith("0") for t in truth), "the sample needs labels with leading zeros"
    return out, truth


@pytest.fixture
def number_like_folder(digits_dataset, tmp_path):
    """An imagefolder whose labels are number-like strings, written by the project's writer."""
    source, _ = digits_dataset
    rows = [json.loads(line) for line in (source / "metadata.jsonl").read_text().splitlines()]
    out = tmp_path / "numberlike"
    shutil.copytree(source / "images", out / "images")
    picked = [dict(rows[k], text=text, length=len(text)) for k, text in enumerate(NUMBER_LIKE)]
    (out / "metadata.jsonl").write_text("".join(metadata_line(r) for r in picked))
    for row in rows[len(NUMBER_LIKE) :]:
        (out / row["file_name"]).unlink()
    return out


def _load_hf(folder, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "hf-cache"))
    datasets = pytest.importorskip("datasets")
    ds = datasets.load_dataset(
        "imagefolder", data_dir=str(folder), split="train", cache_dir=str(tmp_path / "hf")
    )
    return ds


def test_hugging_face_imagefolder_keeps_digit_labels(digits_dataset, tmp_path, monkeypatch):
    folder, truth = digits_dataset
    ds = _load_hf(folder, tmp_path, monkeypatch)
    assert ds.features["text"].dtype == "string"
    assert sorted(zip(ds["index"], ds["text"], strict=True)) == list(enumerate(truth))
    assert ds[0]["image"].size == (160, 60)


def test_every_reader_keeps_number_like_labels(number_like_folder, tmp_path, monkeypatch):
    ds = _load_hf(number_like_folder, tmp_path, monkeypatch)
    assert sorted(ds["text"]) == sorted(NUMBER_LIKE)
    # The README's pandas snippet: pandas alone would turn "0012" into 12.
    df = pd.read_json(number_like_folder / "metadata.jsonl", lines=True, dtype={"text": str})
    assert list(df["text"]) == NUMBER_LIKE
    lines = (number_like_folder / "metadata.jsonl").read_text().splitlines()
    from generator.dataset import parse_metadata_line

    assert [parse_metadata_line(line, "x")["text"] for line in lines] == NUMBER_LIKE
