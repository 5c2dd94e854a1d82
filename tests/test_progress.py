"""Progress in logs: when stderr is not a terminal, long commands print a line at a steady
interval (rate, ETA, fields such as loss and validation accuracy) instead of staying silent."""

from __future__ import annotations

import io
import subprocess
import sys

from generator.progress import Progress


def test_log_lines_carry_count_rate_eta_and_fields():
    out = io.StringIO()
    with Progress(10, unit="step", desc="train", stream=out, interval=0.0) as bar:
        for _ in range(4):
            bar.set_fields(loss=0.5, val_acc=0.25)
            bar.update(1)
    lines = out.getvalue().strip().splitlines()
    assert len(lines) == 5  # one per update at interval 0, and the closing line
    assert lines[1].startswith("train | 2/10 step | 20.0% | ")
    assert "step/s" in lines[1] and "ETA" in lines[1] and "loss 0.5 | val_acc 0.25" in lines[1]
    assert "ETA" not in lines[-1]


def test_quiet_progress_prints_nothing_and_interval_throttles():
    out = io.StringIO()
    with Progress(5, stream=out, disable=True) as bar:
        bar.update(5)
    assert out.getvalue() == ""
    out = io.StringIO()
    with Progress(1000, stream=out, interval=3600) as bar:
        bar.update(999)
    assert len(out.getvalue().splitlines()) == 1  # only the closing line


def test_make_piped_into_a_log_prints_progress_lines(tmp_path):
    cmd = [sys.executable, "-m", "generator.cli", "make", "--n", "600", "-d", "easy",
           "--workers", "1", "--out", str(tmp_path / "d")]  # fmt: skip
    env = {"CAPTCHABENCH_PROGRESS_INTERVAL": "0", "PATH": "/usr/bin:/bin"}
    result = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("easy | ")]
    assert len(lines) >= 2 and "img/s" in lines[0] and "/600 img" in lines[-1]


def test_training_in_a_log_reports_loss_and_validation_accuracy(tmp_path, capsys, monkeypatch):
    from conftest import tiny

    from crnn.train import train

    monkeypatch.setenv("CAPTCHABENCH_PROGRESS_INTERVAL", "0")
    train(tiny(out=tmp_path / "run", steps=4, val_every=2, progress=True))
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("train |")]
    assert len(lines) >= 4
    assert "loss" in lines[-1] and "val_acc" in lines[-1] and "4/4 step" in lines[-1]
