import itertools

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from torch.utils.data import DataLoader

from generator.sample import render_sample
from generator.spec import preset
from generator.stream import shard_indices, stream
from generator.torch_stream import CaptchaIterableDataset


@given(
    start=st.integers(0, 1000),
    length=st.integers(0, 300),
    consumers=st.integers(1, 9),
)
def test_shards_cover_the_range_exactly_once(start, length, consumers):
    stop = start + length
    seen = [i for c in range(consumers) for i in shard_indices(start, stop, c, consumers)]
    assert sorted(seen) == list(range(start, stop))


@given(consumers=st.integers(1, 8), take=st.integers(1, 50))
def test_endless_shards_are_disjoint_and_gapless(consumers, take):
    parts = [
        list(itertools.islice(shard_indices(10, None, c, consumers), take))
        for c in range(consumers)
    ]
    merged = sorted(i for p in parts for i in p)
    assert merged == list(range(10, 10 + consumers * take))


def test_stream_is_deterministic_and_matches_render():
    spec = preset("medium")
    a = [s.text for s in itertools.islice(stream(spec, 9), 12)]
    b = [s.text for s in itertools.islice(stream(spec, 9), 12)]
    assert a == b == [render_sample(spec, 9, i).text for i in range(12)]


def _to_tuple(sample):
    return sample.index, sample.text, np.asarray(sample.image.convert("L"))


def test_dataloader_workers_split_without_duplicates():
    specs = [preset("easy"), preset("hard")]
    ds = CaptchaIterableDataset(specs, seed=4, start=100, stop=160, transform=_to_tuple)
    loader = DataLoader(ds, batch_size=None, num_workers=2)
    got = list(loader)
    indices = sorted(int(i) for i, _, _ in got)
    assert indices == list(range(100, 160))
    # Same content as the sequential stream, and levels alternate by index.
    by_index = {int(i): (t, img) for i, t, img in got}
    for i in (100, 101, 137):
        sample = render_sample(specs[i % 2], 4, i)
        assert by_index[i][0] == sample.text
        assert np.array_equal(by_index[i][1], np.asarray(sample.image.convert("L")))
