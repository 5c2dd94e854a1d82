"""Stopping a training run on request: the step under way is finished and saved, --resume lands
where an uninterrupted run does, and the log holds every step once."""

import csv
import os
import signal
import subprocess
import sys
import time

import pytest
import torch
from conftest import tiny

from crnn.checkpoint import load_model, read_training_meta
from crnn.stopping import StopRequests, TrainingStopped, how_to_continue
from crnn.train import train


def logged_steps(run):
    with open(run / "log.csv", newline="") as fh:
        return [int(row["step"]) for row in csv.DictReader(fh)]


def logged_losses(run):
    with open(run / "log.csv", newline="") as fh:
        return [(row["step"], row["loss"], row["val_seq_acc"]) for row in csv.DictReader(fh)]


def same_weights(a, b):
    ma, _ = load_model(a)
    mb, _ = load_model(b)
    for (name, pa), pb in zip(ma.state_dict().items(), mb.state_dict().values(), strict=True):
        assert torch.equal(pa, pb), name


def test_a_first_signal_is_a_request_and_a_second_stops_at_once():
    before = signal.getsignal(signal.SIGINT)
    child = signal.getsignal(signal.SIGCHLD)
    with StopRequests() as stop:
        assert stop.signal_name is None
        os.kill(os.getpid(), signal.SIGTERM)
        assert stop.signal_name == "SIGTERM"
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGINT)
    assert signal.getsignal(signal.SIGINT) is before
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    assert signal.getsignal(signal.SIGCHLD) is child  # quiet only while stopping


def test_each_command_says_how_its_own_user_goes_on():
    expected = r"^stopped by SIGINT after step 3: re-run it$"
    with pytest.raises(TrainingStopped, match=expected), how_to_continue("re-run it"):
        raise TrainingStopped("stopped by SIGINT after step 3")
    with how_to_continue("re-run it"):  # nothing raised, nothing changed
        pass


@pytest.mark.parametrize("stop_at", [4, 3])  # between validations, and on one (already saved)
def test_a_stopped_run_resumes_onto_the_uninterrupted_weights_and_log(tmp_path, stop_at):
    straight = train(tiny(out=tmp_path / "straight", steps=6, val_every=3))

    def ask_to_stop(step):
        if step == stop_at:
            os.kill(os.getpid(), signal.SIGTERM)

    run = tmp_path / "stopped"
    with pytest.raises(TrainingStopped, match=f"after step {stop_at} of 6, its state saved"):
        train(tiny(out=run, steps=6, val_every=3), on_step=ask_to_stop)
    assert read_training_meta(run)["step"] == stop_at
    assert logged_steps(run) == list(range(1, stop_at + 1))
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL

    train(tiny(out=run, steps=6, val_every=3, resume=True))
    same_weights(straight.out, run)
    assert logged_losses(run) == logged_losses(straight.out)


def test_resume_drops_log_rows_logged_past_the_saved_state(tmp_path):
    """A crash (no chance to save) at step 5: state of step 3 on disk, rows 1-4 in the log;
    steps 4-6 are trained again and each step appears once."""
    straight = train(tiny(out=tmp_path / "straight", steps=6, val_every=3))

    class Crash(Exception):
        pass

    def crash(step):
        if step == 5:
            raise Crash

    run = tmp_path / "crashed"
    with pytest.raises(Crash):
        train(tiny(out=run, steps=6, val_every=3), on_step=crash)
    assert logged_steps(run) == [1, 2, 3, 4]
    train(tiny(out=run, steps=6, val_every=3, resume=True))
    assert logged_losses(run) == logged_losses(straight.out)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_to_the_process_group_with_render_workers(tmp_path, sig):
    """Ctrl-C (SIGINT) or kill -- -PGID (SIGTERM) reaches the render workers too: one line,
    exit 130, a saved state, and --resume goes on from it."""
    run = tmp_path / "run"
    args = ["train", "--arch", "tiny", "--steps", "4000", "--schedule", "constant",
            "--batch-size", "4", "--val-every", "50", "--val-size", "4", "--workers", "1",
            "--threads", "1", "-q", "--out", str(run)]  # fmt: skip
    cmd = [sys.executable, "-m", "crnn.cli", *args]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True, env=env, start_new_session=True)
    deadline = time.monotonic() + 120
    while not (run / "state.json").exists():
        assert proc.poll() is None and time.monotonic() < deadline, "training did not start"
        time.sleep(0.2)
    os.killpg(proc.pid, sig)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and f"stopped by {sig.name}" in lines[0] and "--resume" in lines[0]
    saved = read_training_meta(run)["step"]
    assert 50 <= saved < 4000 and logged_steps(run)[-1] <= saved + 25

    more = [*cmd[:-2], "--out", str(run), "--resume"]
    more[more.index("4000")] = str(saved + 10)  # a constant rate: the run extends
    done = subprocess.run(more, capture_output=True, text=True, env=env, timeout=240)
    assert done.returncode == 0, done.stderr[-2000:]
    steps = logged_steps(run)
    assert steps == sorted(set(steps)) and steps[-1] == saved + 10


class _WorkerIgnoresCtrlC(torch.utils.data.IterableDataset):
    def __iter__(self):
        yield signal.getsignal(signal.SIGINT) is signal.SIG_IGN


def test_render_workers_leave_ctrl_c_to_the_trainer():
    from crnn.data import loader

    assert next(iter(loader(_WorkerIgnoresCtrlC(), 1))) is True  # the worker ignores it
    assert signal.getsignal(signal.SIGINT) is not signal.SIG_IGN  # the trainer's own is untouched
