"""results/universal-g1/slim-tree.sh: what a lent GPU call would send, cut to what the run reads,
and put back exactly. A mistake here would stage the deletion of every recorded result, so the
round trip is checked on a throwaway repository laid out like this one."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "results" / "universal-g1" / "slim-tree.sh"

FILES = {
    "crnn/model.py": "code",
    "crnn/pretrained/universal/model.safetensors": "shipped",
    "crnn/pretrained/reference/model.safetensors": "reference",
    "crnn/pretrained/universal-t5/model.safetensors": "archived reader",
    "results/README.md": "index",
    "results/universal-t1/t9-run/model.safetensors": "archived weights",
    "results/universal-t1/common.sh": "shared steps",
    "results/universal-large/gpu_run.sh": "run script",
    "results/universal-large/README.md": "report",
    "results/universal-display/display-train.fonts.json": "[]",
    "results/universal-display/display-held.toml": "style",
    "results/universal-display/d1/metrics.json": "{}",
    "results/universal-relief/display-broad-relief.toml": "style",
    "results/universal-relief/p1/predictions.csv": "rows",
}
KEPT = {
    "crnn/model.py",
    "crnn/pretrained/universal/model.safetensors",
    "crnn/pretrained/reference/model.safetensors",
    "results/universal-large/gpu_run.sh",
    "results/universal-t1/common.sh",
    "results/universal-display/display-train.fonts.json",
    "results/universal-display/display-held.toml",
    "results/universal-relief/display-broad-relief.toml",
    "results/universal-g1/slim-tree.sh",
}


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, check=True, capture_output=True, text=True
    ).stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    for rel, text in FILES.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    script = tmp_path / "results" / "universal-g1" / "slim-tree.sh"
    script.parent.mkdir(parents=True)
    shutil.copy(SCRIPT, script)
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", "-A")
    git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "tree")
    return tmp_path


def slim(repo: Path, verb: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", "results/universal-g1/slim-tree.sh", verb],
        cwd=repo,
        capture_output=True,
        text=True,
    )


def sent(repo: Path) -> set[str]:
    """What a device call sends before its carry: tracked plus untracked-not-ignored files."""
    listed = git(repo, "ls-files", "--cached", "--others", "--exclude-standard")
    return set(listed.split())


def test_on_sends_only_what_the_run_reads_and_off_restores_the_index(repo: Path):
    head = git(repo, "ls-files")
    assert sent(repo) == set(FILES) | {"results/universal-g1/slim-tree.sh"}

    on = slim(repo, "on")
    assert on.returncode == 0, on.stderr
    assert sent(repo) == KEPT
    assert "MiB would travel" in on.stdout
    # Nothing left the disk; only the index and the local exclude file changed.
    assert all((repo / rel).read_text() == text for rel, text in FILES.items())
    assert not (repo / ".gitignore").exists()  # never a tracked ignore file

    again = slim(repo, "on")
    assert again.returncode == 1 and "already on" in again.stderr

    off = slim(repo, "off")
    assert off.returncode == 0, off.stderr
    assert git(repo, "ls-files") == head
    assert git(repo, "status", "--porcelain") == ""
    assert "slim-tree" not in (repo / ".git" / "info" / "exclude").read_text()


def test_off_without_on_changes_nothing(repo: Path):
    head = git(repo, "ls-files")
    assert slim(repo, "off").returncode == 0
    assert git(repo, "ls-files") == head and git(repo, "status", "--porcelain") == ""


def test_an_unknown_verb_is_refused_in_one_line(repo: Path):
    result = slim(repo, "maybe")
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert "usage" in result.stderr
