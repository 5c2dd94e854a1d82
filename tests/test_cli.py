import json
import subprocess
import sys

import pytest
from conftest import invoke

from generator.cli import main


def run(argv, capsys):
    return invoke(main, argv, capsys)


def ok(argv, capsys):
    code, out, err = run(argv, capsys)
    assert code in (0, None), err
    return out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["make", "--n", "0"], "--n must be a positive number of images"),
        (["make", "--n", "-5"], "--n must be a positive number of images"),
        (["make", "--difficulty", "impossible"], "unknown difficulty 'impossible'"),
        (["make", "--n", "abc"], "Invalid value for '--n'"),
        (["make", "--config", "missing.toml"], "spec file not found"),
        (["make", "--format", "gif"], "--format 'gif' is not one of"),
        (["make", "--shard", "3/2"], "--shard 3/2"),
        (["make", "-d", "easy", "-c", "x.toml"], "either --difficulty or --config"),
        (["verify", "nowhere"], "dataset directory not found"),
        (["info", "nowhere"], "dataset directory not found"),
        (["presets", "nope"], "unknown difficulty 'nope'"),
        (["make", "--bogus"], "No such option: --bogus"),
    ],
)
def test_bad_input_is_one_line_on_stderr(argv, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = run(argv, capsys)
    assert code != 0
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("captchagen: error: ")
    assert message in lines[0]
    assert "Traceback" not in err


def test_bad_spec_file_and_output_file(capsys, tmp_path):
    spec = tmp_path / "s.toml"
    spec.write_text("[text]\nlength = [40, 50]\n")
    code, _, err = run(["make", "--config", str(spec), "--out", str(tmp_path / "o")], capsys)
    assert code == 2 and "cannot hold 50 characters" in err
    (tmp_path / "afile").write_text("keep me")
    code, _, err = run(["make", "--n", "5", "--out", str(tmp_path / "afile")], capsys)
    assert code == 2 and "is a file" in err
    assert (tmp_path / "afile").read_text() == "keep me"


def test_make_verify_info_pack_preview(capsys, tmp_path):
    out = tmp_path / "d"
    ok(["make", "--n", "30", "-d", "hard", "--out", str(out), "-q", "--workers", "2"], capsys)
    assert "OK, 30 images" in ok(["verify", str(out), "--rerender", "3"], capsys)
    info = json.loads(ok(["info", str(out), "--json"], capsys))
    assert info["n"] == 30 and info["name"] == "hard"
    ok(["pack", str(out)], capsys)
    assert (out / "packed" / "images.npy").exists()
    # Re-running the finished command is a no-op that still succeeds.
    assert "0 rendered now" in ok(
        ["make", "--n", "30", "-d", "hard", "--out", str(out), "-q"], capsys
    )
    ok(
        ["preview", "-d", "all", "--out", str(tmp_path / "p.png"), "--rows", "1", "--cols", "2"],
        capsys,
    )
    assert (tmp_path / "p.png").stat().st_size > 1000


def test_presets_listing_and_dump_round_trip(capsys, tmp_path):
    listing = ok(["presets"], capsys)
    for name in ("easy", "medium", "hard", "extreme", "captcha", "mixed"):
        assert name in listing
    dumped = ok(["presets", "extreme"], capsys)
    (tmp_path / "x.toml").write_text(dumped)
    out = tmp_path / "d"
    ok(["make", "--n", "5", "-c", str(tmp_path / "x.toml"), "--out", str(out), "-q"], capsys)
    assert json.loads((out / "dataset.json").read_text())["spec"]["name"] == "extreme"


def test_help_is_complete_and_does_not_import_torch():
    code = (
        "import sys; from generator.cli import main\n"
        "try:\n    main(['make', '--help'])\nexcept SystemExit: pass\n"
        "assert 'torch' not in sys.modules, 'captchagen imported torch'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    for option in ("--n", "--difficulty", "--config", "--out", "--seed", "--workers", "--shard"):
        assert option in result.stdout


def test_ctrl_c_is_one_line_and_a_nonzero_exit(tmp_path):
    import signal
    import time

    cmd = [sys.executable, "-m", "generator.cli", "make", "--n", "20000", "-d", "hard",
           "--out", str(tmp_path / "d"), "-q", "--workers", "1"]  # fmt: skip
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    journals = tmp_path / "d" / ".captchagen" / "chunks"
    deadline = time.time() + 60
    while time.time() < deadline and not (journals.exists() and any(journals.iterdir())):
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert err.strip().splitlines() == [
        "captchagen: error: interrupted; re-run the same command to resume"
    ]


@pytest.mark.parametrize("prog", ["generator", "crnn", "benchmark"])
def test_every_cli_has_version_completion_and_a_quiet_bare_call(prog):
    code = f"from {prog}.cli import main; main()"
    version = subprocess.run(
        [sys.executable, "-c", code, "--version"], capture_output=True, text=True
    )
    assert version.returncode == 0 and version.stdout.startswith("captchabench ")
    helped = subprocess.run([sys.executable, "-c", code, "--help"], capture_output=True, text=True)
    assert "--install-completion" in helped.stdout
    bare = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert bare.returncode == 0 and "Usage:" in bare.stdout and bare.stderr == ""


def test_difficulty_means_the_same_everywhere(capsys, tmp_path):
    spec = tmp_path / "mine.toml"
    spec.write_text('preset = "easy"\nname = "mine"\n')
    out = tmp_path / "p.png"
    ok(["preview", "-d", f"easy,{spec}", "--out", str(out), "--rows", "1", "--cols", "1"], capsys)
    code, _, err = run(["make", "-d", "easy,hard", "--out", str(tmp_path / "x")], capsys)
    assert code == 2 and "one style per dataset" in err
    ok(["make", "-d", str(spec), "--n", "3", "--out", str(tmp_path / "m"), "-q"], capsys)
    assert json.loads((tmp_path / "m" / "dataset.json").read_text())["spec"]["name"] == "mine"
