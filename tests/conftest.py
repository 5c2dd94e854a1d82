import pytest

from crnn.train import TrainConfig
from generator import dataset


@pytest.fixture(autouse=True, scope="session")
def _one_torch_thread_per_worker():
    """The suite runs as 2 xdist workers on 2 cores: more torch threads only oversubscribe."""
    import torch

    torch.set_num_threads(1)


@pytest.fixture
def small_chunks(monkeypatch):
    """Chunks of 40 so resume/shard tests cover many chunks with few images (fork inherits it)."""
    monkeypatch.setattr(dataset, "CHUNK_SIZE", 40)
    return 40


def invoke(main, argv, capsys) -> tuple[int, str, str]:
    """Run a CLI entry point in-process: (exit code, stdout, stderr)."""
    try:
        main(argv)
        code = 0
    except SystemExit as done:
        code = done.code
    out, err = capsys.readouterr()
    return code, out, err


def tiny(**kw) -> TrainConfig:
    """A training config that runs in a second or two: tiny model, a few small steps."""
    defaults = dict(
        arch="tiny",
        styles=("easy",),
        steps=4,
        batch_size=8,
        val_every=2,
        val_size=8,
        workers=0,
        progress=False,
        threads=1,
        log_every=1,
    )
    return TrainConfig(**{**defaults, **kw})


@pytest.fixture(autouse=True)
def _private_eval_cache(tmp_path_factory, monkeypatch):
    """Evaluation sets the tests render go to a temporary folder, never the user's cache."""
    monkeypatch.setenv("CAPTCHABENCH_CACHE", str(tmp_path_factory.getbasetemp() / "evalsets"))
