import pytest

from generator import dataset


@pytest.fixture
def small_chunks(monkeypatch):
    """Chunks of 40 so resume/shard tests cover many chunks with few images (fork inherits it)."""
    monkeypatch.setattr(dataset, "CHUNK_SIZE", 40)
    return 40
