import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from generator import RENDER_VERSION, dataset
from generator.dataset import (
    DatasetError,
    RunConfig,
    dataset_info,
    make_dataset,
    open_dataset,
    pack_dataset,
    parse_shard,
    verify_dataset,
)
from generator.sample import render_sample
from generator.spec import preset


def tree(root: Path) -> dict[str, str]:
    """Every file under root (state folder excluded) -> sha256."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".captchagen" not in p.parts
    }


def config(n=100, name="easy", seed=5):
    return RunConfig(spec=preset(name), seed=seed, n=n)


def test_layout_labels_and_manifest(tmp_path, small_chunks):
    cfg = config(n=90, name="medium")
    result = make_dataset(cfg, tmp_path / "d")
    assert result.complete and result.written == 90
    lines = (tmp_path / "d" / "metadata.jsonl").read_text(encoding="utf-8").splitlines()
    rows = [json.loads(line) for line in lines]
    assert [r["index"] for r in rows] == list(range(90))
    assert rows[0]["file_name"] == "images/0000/000000.png"
    assert all(isinstance(r["text"], str) for r in rows)
    for r in rows[:10]:
        sample = render_sample(cfg.spec, 5, int(r["index"]))
        assert r["text"] == sample.text
        with Image.open(tmp_path / "d" / r["file_name"]) as im:
            assert np.array_equal(np.asarray(im), np.asarray(sample.image))
    manifest = json.loads((tmp_path / "d" / "dataset.json").read_text())
    assert manifest["n"] == 90 and manifest["seed"] == 5
    assert manifest["spec_digest"] == cfg.spec.digest()
    assert manifest["render_version"] == RENDER_VERSION
    assert open_dataset(tmp_path / "d").spec == cfg.spec


def test_images_are_spread_over_folders_of_bounded_size(tmp_path, small_chunks, monkeypatch):
    monkeypatch.setattr(dataset, "FILES_PER_FOLDER", 40)
    make_dataset(config(n=90), tmp_path / "d")
    folders = sorted(p for p in (tmp_path / "d" / "images").iterdir())
    assert [p.name for p in folders] == ["0000", "0001", "0002"]
    assert [len(list(p.iterdir())) for p in folders] == [40, 40, 10]
    assert verify_dataset(tmp_path / "d").ok


def test_two_runs_workers_and_shards_give_identical_bytes(tmp_path, small_chunks):
    cfg = config(n=130)
    make_dataset(cfg, tmp_path / "one")
    make_dataset(cfg, tmp_path / "again")
    make_dataset(cfg, tmp_path / "two_workers", workers=2)
    shard0 = make_dataset(cfg, tmp_path / "sharded", shard=(0, 2))
    assert not shard0.complete and not (tmp_path / "sharded" / "dataset.json").exists()
    assert make_dataset(cfg, tmp_path / "sharded", shard=(1, 2)).complete
    # Shards rendered in separate folders merge by copying, then any run writes the manifest.
    make_dataset(cfg, tmp_path / "a", shard=(0, 3))
    make_dataset(cfg, tmp_path / "b", shard=(1, 3))
    make_dataset(cfg, tmp_path / "c", shard=(2, 3))
    merged = tmp_path / "merged"
    for part in "abc":
        subprocess.run(["cp", "-rn", f"{tmp_path / part}/.", str(merged)], check=True)
    assert make_dataset(cfg, merged).written == 0
    reference = tree(tmp_path / "one")
    assert len(reference) == 130 + 2
    for other in ("again", "two_workers", "sharded", "merged"):
        assert tree(tmp_path / other) == reference, other


def test_resume_redoes_only_unfinished_chunks(tmp_path, small_chunks):
    cfg = config(n=200)
    clean = tmp_path / "clean"
    make_dataset(cfg, clean)
    out = tmp_path / "crashed"
    make_dataset(cfg, out)
    # Simulate a crash: manifest not yet written, two chunks without journal (one with half its
    # images, one with none), a stray temporary from an interrupted atomic write.
    (out / "dataset.json").unlink()
    (out / "metadata.jsonl").unlink()
    for chunk in (1, 3):
        (out / ".captchagen" / "chunks" / f"chunk-{chunk:06d}.jsonl").unlink()
    for i in range(120, 160):
        (out / f"images/0000/{i:06d}.png").unlink()
    (out / "images" / "0000" / ".000121.png.abc.tmp").write_bytes(b"partial")
    result = make_dataset(cfg, out)
    assert result.written == 80
    assert tree(out) == tree(clean)
    assert verify_dataset(out).ok


def test_resume_after_sigkill(tmp_path):
    """Kill a real `captchagen make` mid-run with SIGKILL, re-run it, compare with a clean run."""
    args = ["--n", "1500", "--difficulty", "easy", "--seed", "3", "--workers", "1", "-q"]
    cmd = [sys.executable, "-m", "generator.cli", "make", *args]
    out = tmp_path / "killed"
    proc = subprocess.Popen([*cmd, "--out", str(out)])
    journals = out / ".captchagen" / "chunks"
    deadline = time.time() + 60
    while time.time() < deadline and not (journals.exists() and any(journals.iterdir())):
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (out / "dataset.json").exists(), "the run finished before it could be killed"
    subprocess.run([*cmd, "--out", str(out)], check=True)
    subprocess.run([*cmd, "--out", str(tmp_path / "clean")], check=True)
    assert tree(out) == tree(tmp_path / "clean")
    assert verify_dataset(out).ok


def test_directory_holding_another_spec_is_refused_and_left_intact(tmp_path, small_chunks):
    out = tmp_path / "d"
    make_dataset(config(n=50), out)
    before = tree(out)
    for other in (config(n=50, name="hard"), config(n=50, seed=6), config(n=60)):
        with pytest.raises(DatasetError, match="already holds a different dataset"):
            make_dataset(other, out)
    assert tree(out) == before
    (tmp_path / "foreign").mkdir()
    (tmp_path / "foreign" / "notes.txt").write_text("mine")
    with pytest.raises(DatasetError, match="not empty and is not a captchagen dataset"):
        make_dataset(config(n=10), tmp_path / "foreign")
    (tmp_path / "file").write_text("x")
    with pytest.raises(DatasetError, match="is a file"):
        make_dataset(config(n=10), tmp_path / "file")


@pytest.mark.parametrize("n", [0, -3])
def test_bad_counts(n):
    with pytest.raises(DatasetError, match="positive"):
        config(n=n)


def test_shard_parsing():
    assert parse_shard(None) == (0, 1)
    assert parse_shard("2/4") == (2, 4)
    for bad in ("4/4", "x/2", "1", "-1/2", "0/0"):
        with pytest.raises(DatasetError):
            parse_shard(bad)


def test_verify_finds_tampering(tmp_path, small_chunks):
    out = tmp_path / "d"
    make_dataset(config(n=60), out)
    report = verify_dataset(out, rerender=5)
    assert report.ok and report.checked == 60
    (out / "images/0000/000003.png").write_bytes(b"garbage")
    (out / "images/0000/000004.png").unlink()
    (out / "images/0000/999999.png").write_bytes(b"extra")
    problems = verify_dataset(out).problems
    assert any("000003.png: checksum mismatch" in p for p in problems)
    assert any("000004.png: missing" in p for p in problems)
    assert any("999999.png: on disk but not in metadata.jsonl" in p for p in problems)


def test_incomplete_or_foreign_directory_cannot_be_opened(tmp_path, small_chunks):
    with pytest.raises(DatasetError, match="not found"):
        open_dataset(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetError, match="not a captchagen dataset"):
        open_dataset(tmp_path / "empty")
    make_dataset(config(n=80), tmp_path / "part", shard=(0, 2))
    with pytest.raises(DatasetError, match="incomplete"):
        open_dataset(tmp_path / "part")


def test_pack_and_info(tmp_path, small_chunks):
    out = tmp_path / "d"
    make_dataset(config(n=45, name="hard"), out)
    folder = pack_dataset(out)
    arr = np.load(folder / "images.npy", mmap_mode="r")
    labels = json.loads((folder / "labels.json").read_text())
    assert arr.shape == (45, 60, 160) and arr.dtype == np.uint8
    sample = render_sample(preset("hard"), 5, 7)
    assert np.array_equal(arr[7], np.asarray(sample.image.convert("L")))
    assert labels["texts"][7] == sample.text
    info = dataset_info(out)
    assert info["n"] == 45 and info["packed"] and sum(info["lengths"].values()) == 45


def test_written_files_honour_the_umask(tmp_path, small_chunks):
    old = os.umask(0o022)
    try:
        make_dataset(config(n=3), tmp_path / "d")
    finally:
        os.umask(old)
    for name in ("images/0000/000000.png", "metadata.jsonl", "dataset.json"):
        assert (tmp_path / "d" / name).stat().st_mode & 0o777 == 0o644


def test_shard_auto_reads_slurm_and_kubernetes():
    slurm = {
        "SLURM_ARRAY_TASK_ID": "12",
        "SLURM_ARRAY_TASK_MIN": "10",
        "SLURM_ARRAY_TASK_COUNT": "4",
    }
    assert parse_shard("auto", slurm) == (2, 4)
    assert parse_shard("auto", {"JOB_COMPLETION_INDEX": "3", "JOB_COMPLETIONS": "8"}) == (3, 8)
    for env, message in (
        ({}, "no Slurm array"),
        ({"JOB_COMPLETION_INDEX": "3"}, "JOB_COMPLETIONS is not set"),
        ({"SLURM_ARRAY_TASK_ID": "x", "SLURM_ARRAY_TASK_COUNT": "2"}, "is not a number"),
        ({"JOB_COMPLETION_INDEX": "9", "JOB_COMPLETIONS": "8"}, "out of range"),
    ):
        with pytest.raises(DatasetError, match=message):
            parse_shard("auto", env)
