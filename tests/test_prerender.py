"""Pre-rendered training sets (crnn train --prerender): bytes, reuse, integrity, batches."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import tiny

from crnn.preprocess import model_pixels, normalise
from crnn.prerender import CachedBatches, build
from crnn.train import TrainError, train
from generator.charset import Charset
from generator.sample import render_sample
from generator.spec import preset

SPECS = [preset("easy"), preset("medium")]


def test_cache_holds_the_streams_samples_at_model_size(tmp_path):
    pixels, texts = build(SPECS, 7, 30, 32, 96, "stretch", tmp_path, workers=2)
    assert pixels.shape == (30, 32, 96) and pixels.dtype == np.uint8
    for i in (0, 1, 17, 29):  # oracle: the pure sample function and the model's preprocessing
        sample = render_sample(SPECS[i % 2], 7, i)
        assert texts[i] == sample.text
        assert np.array_equal(pixels[i], np.rint(model_pixels(sample.image, 32, 96)))


def test_cache_is_reused_only_when_intact_and_identical(tmp_path):
    build(SPECS, 7, 20, 32, 96, "stretch", tmp_path, workers=1)
    images = tmp_path / "prerender" / "images.npy"
    stamp = images.stat().st_mtime_ns
    build(SPECS, 7, 20, 32, 96, "stretch", tmp_path, workers=1)
    assert images.stat().st_mtime_ns == stamp  # reused
    # One flipped pixel: the digest no longer matches, so the set is rendered again.
    data = np.load(images)
    good = data.copy()
    data[3, 5, 5] ^= 0xFF
    np.save(images, data)
    pixels, _ = build(SPECS, 7, 20, 32, 96, "stretch", tmp_path, workers=1)
    assert np.array_equal(pixels, good)
    # A different request (seed) replaces it; garbage labels are not trusted either.
    other, _ = build(SPECS, 8, 20, 32, 96, "stretch", tmp_path, workers=1)
    assert not np.array_equal(other, good)
    (tmp_path / "prerender" / "labels.json").write_text(json.dumps({"key": 1}))
    again, _ = build(SPECS, 8, 20, 32, 96, "stretch", tmp_path, workers=1)
    assert np.array_equal(again, other)


def test_batches_cover_every_sample_once_per_epoch(tmp_path):
    pixels, texts = build(SPECS, 3, 24, 32, 96, "stretch", tmp_path, workers=1)
    charset = Charset(preset("easy").charset.chars)
    stream = CachedBatches(pixels, texts, 0, 8, charset, 32, 96)
    seen = [t for j in range(3) for t in stream.batch(j)[3]]
    assert sorted(seen) == sorted(texts)
    images, targets, lengths, batch_texts = stream.batch(4)  # epoch 2, a new order
    assert images.shape == (8, 1, 32, 96)
    assert int(lengths.sum()) == len(targets) == sum(len(t) for t in batch_texts)
    k = texts.index(batch_texts[0])
    assert np.allclose(images[0, 0].numpy(), normalise(pixels[k]))
    again = CachedBatches(pixels, texts, 0, 8, charset, 32, 96).batch(4)
    assert again[3] == batch_texts  # a pure function of (seed, j)


def test_training_on_a_prerendered_set(tmp_path):
    result = train(tiny(out=tmp_path / "run", prerender=16, curriculum=0.5))
    assert result.steps == 4
    document = json.loads((tmp_path / "run" / "config.json").read_text())
    assert document["train_args"]["prerender"] == 16
    assert (tmp_path / "run" / "prerender" / "images.npy").exists()
    with pytest.raises(TrainError, match="smaller than one batch"):
        train(tiny(out=tmp_path / "small", prerender=4))
    with pytest.raises(TrainError, match="--prerender must be"):
        train(tiny(out=tmp_path / "negative", prerender=-1))
