"""The built wheel works on its own: installed into a fresh environment, run from a folder
outside the checkout, it reads a captcha with the shipped model, runs a small benchmark and
exports ONNX. Dependencies come from the test environment (linked, not copied); the project's
own code comes only from the wheel."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from crnn.registry import WHEEL_MODELS

ROOT = Path(__file__).resolve().parent.parent


def run(cmd, cwd, env=None):
    result = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, f"{cmd}: {result.stderr[-2000:]}"
    return result.stdout


@pytest.mark.slow
def test_the_wheel_alone_reads_benchmarks_and_exports(tmp_path):
    dist = tmp_path / "dist"
    build = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation"]
    run([*build, "-q", "-w", str(dist), str(ROOT)], cwd=tmp_path)
    wheel = next(dist.glob("captchabench-*.whl"))
    # The wheel carries the default reader and the reference, nothing else PyPI would weigh.
    with zipfile.ZipFile(wheel) as archive:
        weights = {n for n in archive.namelist() if n.endswith("model.safetensors")}
    assert weights == {f"crnn/pretrained/{m}/model.safetensors" for m in WHEEL_MODELS}
    assert wheel.stat().st_size < 40e6, wheel.stat().st_size
    venv = tmp_path / "fresh"
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=tmp_path)
    site = next((venv / "lib").glob("python*/site-packages"))
    # Install the wheel's files (what pip does, minus the resolver) ...
    run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site),
         str(wheel)], cwd=tmp_path)  # fmt: skip
    # ... and see the test environment's dependencies, but not the checkout.
    deps = [p for p in sys.path if p.endswith("site-packages")]
    (site / "_deps.pth").write_text("\n".join(deps) + "\n")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["CAPTCHABENCH_CACHE"] = str(tmp_path / "cache")
    python = str(venv / "bin" / "python")
    where = run([python, "-c", "import crnn, generator; print(crnn.__file__)"], tmp_path, env)
    assert where.startswith(str(site)), where
    work = tmp_path / "elsewhere"
    work.mkdir()

    def cli(package, *args):  # what the console scripts run
        code = f"from {package}.cli import main; main()"
        return run([python, "-c", code, *args], work, env)

    cli("generator", "make", "--n", "3", "-d", "easy", "--out", "ds", "-q")
    out = cli("crnn", "predict", "ds/images/0000/000000.png")
    assert out.splitlines()[1].startswith("ds/images/0000/000000.png\t")
    cli("benchmark", "run", "-d", "easy", "--n", "20", "--decoders", "greedy", "-o", "rep")
    assert (work / "rep" / "report.md").exists()
    cli("crnn", "export", "--onnx", "m.onnx")
    assert (work / "m.onnx").stat().st_size > 100_000
