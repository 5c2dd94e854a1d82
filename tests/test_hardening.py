"""Concurrency, interruption, damage and tampering: the writer and the caches never mix, lose or
trust bad data. Each test here failed on the code before the hardening round."""

from __future__ import annotations

import errno
import hashlib
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import save

from benchmark.evalsets import get_eval_set
from crnn.checkpoint import _load_tensors, sniff_format
from generator.dataset import RunConfig, make_dataset, open_dataset, verify_dataset
from generator.io import atomic_write_bytes, atomic_writer
from generator.spec import preset

MAKE = [sys.executable, "-m", "generator.cli", "make", "-d", "medium", "--workers", "1", "-q"]


def tree(root: Path) -> dict[str, str]:
    """Every visible file's digest (the state folder holds locks and journals, not data)."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in root.rglob("*")
        if p.is_file() and ".captchagen" not in p.parts
    }


def test_concurrent_makes_into_one_directory_never_mix(tmp_path):
    """Two different datasets started together: one wins, the other is refused with one line;
    the same dataset started twice: never a deleted or 0-byte temporary. Repeated 10 times."""
    for trial in range(10):
        out = tmp_path / f"mix{trial}"
        same = trial % 2 == 1
        procs = [
            subprocess.Popen(
                [*MAKE, "--n", "600", "--seed", "1" if same else str(seed), "--out", str(out)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for seed in (1, 2)
        ]
        results = [(p.wait(timeout=120), p.stderr.read()) for p in procs]
        winners = [code for code, _ in results if code == 0]
        assert winners, results
        for code, err in results:
            assert "Traceback" not in err
            if code != 0:
                assert len(err.strip().splitlines()) == 1, err
                assert "different dataset" in err or "being written by another" in err, err
        report = verify_dataset(out)
        assert report.ok, report.problems[:5]
        seeds = {r["seed"] for r in open_dataset(out).records()}
        assert len(seeds) == 1, f"trial {trial} mixed seeds {seeds}"
        assert not list((out / "images").rglob(".*.tmp"))


KILLER = textwrap.dedent(
    """
    import os, signal, sys
    from generator.cli import main
    calls, kill_at = [0], int(sys.argv[1])
    def hooked(original):
        def call(*args, **kwargs):
            calls[0] += 1
            if calls[0] == kill_at:
                os.kill(os.getpid(), signal.SIGKILL)
            return original(*args, **kwargs)
        return call
    for name in ("mkdir", "open", "replace"):
        setattr(os, name, hooked(getattr(os, name)))
    main(sys.argv[2:])
    """
)


def test_a_kill_at_any_start_up_write_leaves_a_resumable_directory(tmp_path):
    """SIGKILL before the 1st, 2nd, … file-system change of a fresh `make` (directory, lock,
    temporary, rename): the same command must then finish with the clean run's bytes."""
    args = ["make", "--n", "3", "-d", "easy", "--workers", "1", "-q"]
    clean = tmp_path / "clean"
    subprocess.run([sys.executable, "-m", "generator.cli", *args, "--out", str(clean)], check=True)
    for kill_at in range(1, 40):
        out = tmp_path / f"k{kill_at}"
        cmd = [sys.executable, "-c", KILLER, str(kill_at), *args, "--out", str(out)]
        killed = subprocess.run(cmd, capture_output=True).returncode == -9
        rerun = subprocess.run([*cmd[:3], "0", *cmd[4:]], capture_output=True, text=True)
        assert rerun.returncode == 0, (kill_at, rerun.stderr)
        assert tree(out) == tree(clean), kill_at
        if not killed:  # the whole run needed fewer changes than kill_at: every point was hit
            break
    else:
        pytest.fail("the run made more file-system changes than the test covers")
    assert kill_at > 10


def test_rerunning_make_repairs_a_damaged_finished_dataset(tmp_path):
    cfg = RunConfig(spec=preset("easy"), seed=4, n=30)
    make_dataset(cfg, tmp_path / "clean")
    out = tmp_path / "d"
    make_dataset(cfg, out)
    (out / "images" / "0000" / "000003.png").unlink()
    (out / "images" / "0000" / "000007.png").write_bytes(b"not a png")
    assert not verify_dataset(out).ok
    result = make_dataset(cfg, out)
    assert result.repaired == 2 and result.written == 0
    assert verify_dataset(out).ok
    assert tree(out) == tree(tmp_path / "clean")


def test_tampered_evaluation_cache_is_rerendered_not_trusted(tmp_path, capsys):
    spec = preset("easy")
    first = get_eval_set(spec, 12, tmp_path)
    pixels = first.images.copy()
    packed = np.load(first.root / "packed" / "images.npy", mmap_mode="r+")
    packed[:] = 255  # every pixel white, the header (and so the shape) untouched
    packed.flush()
    del packed
    again = get_eval_set(spec, 12, tmp_path)
    assert "does not hold the pixels it was packed with" in capsys.readouterr().err
    np.testing.assert_array_equal(again.images, pixels)
    assert again.digest == first.digest
    # Tampered images and pixels together: the images are re-rendered from their pure function.
    (first.root / "images" / "0000" / "000001.png").write_bytes(b"junk")
    np.save(first.root / "packed" / "images.npy", np.zeros_like(pixels))
    np.testing.assert_array_equal(get_eval_set(spec, 12, tmp_path).images, pixels)


def test_safetensors_whose_header_length_starts_with_0x80_is_not_a_pickle(tmp_path):
    tensors = {"w": torch.arange(4, dtype=torch.float32)}
    for pad in range(300):
        data = save(tensors, {"pad": "x" * pad})
        if data[0] == 0x80:
            break
    else:
        pytest.fail("no padding gave a header length with low byte 0x80")
    path = tmp_path / "model.safetensors"
    path.write_bytes(data)
    assert sniff_format(path) == "safetensors"
    assert torch.equal(_load_tensors(path)["w"], tensors["w"])


def test_every_published_file_gets_the_same_permissions(tmp_path):
    from conftest import tiny

    from crnn.train import train

    old = os.umask(0o022)
    try:
        train(tiny(out=tmp_path / "run", steps=2, val_every=2))
    finally:
        os.umask(old)
    modes = {p.name: p.stat().st_mode & 0o777 for p in (tmp_path / "run").iterdir()}
    assert set(modes.values()) == {0o644}, modes


def test_a_full_disk_names_the_file(tmp_path):
    target = tmp_path / "x.bin"
    with pytest.raises(OSError) as err, atomic_writer(target):
        raise OSError(errno.ENOSPC, "No space left on device")
    assert err.value.filename == str(target)
    assert not list(tmp_path.iterdir()), "the temporary was left behind"
    atomic_write_bytes(target, b"ok")
    assert target.read_bytes() == b"ok"


def test_greedy_only_bench_run_prints_no_warning(tmp_path, capsys):
    import warnings

    from conftest import invoke, tiny

    from benchmark.cli import main as bench_main
    from crnn.train import train

    train(tiny(out=tmp_path / "run", steps=2, val_every=2))
    argv = [
        "run",
        "-d",
        "easy",
        "--n",
        "8",
        "--decoders",
        "greedy",
        "--model",
        str(tmp_path / "run"),
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        code, _, err = invoke(
            bench_main, [*argv, "-o", str(tmp_path / "b"), "--cache", str(tmp_path)], capsys
        )
    assert code in (0, None), err
    assert "Warning" not in err and all(line.startswith("eval set ") for line in err.splitlines())


def test_an_os_error_is_one_line_naming_the_path_first(tmp_path, capsys):
    from conftest import invoke

    from generator.cli import main as captchagen_main

    (tmp_path / "a-file").write_bytes(b"")
    out = tmp_path / "a-file" / "out"
    code, _, err = invoke(captchagen_main, ["make", "--n", "2", "-o", str(out)], capsys)
    assert code == 1
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"captchagen: error: {out}") and err.rstrip().endswith(
        ": Not a directory"
    )
