"""The weights' moving average: the formula by hand, bit-exact resume, and what gets saved."""

import pytest
import torch
from safetensors.torch import load_file
from torch import nn

from crnn.checkpoint import load_model, load_training_model
from crnn.ema import WeightAverage, ema_decay
from crnn.train import TrainError, train
from tests.conftest import tiny


def test_decay_warms_up_then_holds():
    assert ema_decay(0.999, 1) == pytest.approx(2 / 11)
    assert ema_decay(0.999, 10) == pytest.approx(11 / 20)
    assert ema_decay(0.9, 1000) == 0.9  # (1001 / 1010 > 0.9)


def test_average_follows_the_formula_by_hand():
    layer = nn.BatchNorm1d(1)
    with torch.no_grad():
        layer.weight.fill_(1.0)
    avg = WeightAverage(layer, decay=0.5)
    values = [3.0, 5.0, 9.0]
    for k, v in enumerate(values, start=1):
        with torch.no_grad():
            layer.weight.fill_(v)
        layer.num_batches_tracked.fill_(10 * k)
        avg.update(layer)
    # By hand: the warm-up decays 2/11, 3/12, 4/13 are all under 0.5.
    e = 1.0
    for d, v in zip((2 / 11, 3 / 12, 4 / 13), values, strict=True):
        e = d * e + (1 - d) * v
    assert avg.model.weight.item() == pytest.approx(e)
    assert avg.model.num_batches_tracked.item() == 30  # integer buffers are copied, not averaged
    assert not avg.model.weight.requires_grad and layer.weight.item() == 9.0


def test_training_keeps_the_average_resumes_it_exactly_and_saves_it(tmp_path):
    cfg = dict(schedule="constant", val_every=3, ema=0.9)
    train(tiny(out=tmp_path / "once", steps=6, **cfg))
    train(tiny(out=tmp_path / "twice", steps=3, **cfg))
    train(tiny(out=tmp_path / "twice", steps=6, resume=True, **cfg))
    a, b = (load_file(tmp_path / run / "state.safetensors") for run in ("once", "twice"))
    assert a.keys() == b.keys() and any(k.startswith("ema.") for k in a)
    for key, value in a.items():
        assert torch.equal(value, b[key]), key
    raw = load_training_model(tmp_path / "once")
    averaged = load_training_model(tmp_path / "once", averaged=True)
    weights = {k: v for k, v in a.items() if k.startswith("ema.")}
    for name, value in averaged.state_dict().items():
        assert torch.equal(value, weights[f"ema.{name}"]), name
    assert not torch.equal(raw.head.weight, averaged.head.weight)
    # The saved model is the average as it stood at its validation (step 3 or 6).
    saved, doc = load_model(tmp_path / "once")
    if doc["step"] == 6:
        assert torch.equal(saved.head.weight, averaged.head.weight)
    else:
        assert not torch.equal(saved.head.weight, raw.head.weight)


def test_without_ema_nothing_changes(tmp_path):
    train(tiny(out=tmp_path / "run", steps=3, schedule="constant"))
    state = load_file(tmp_path / "run" / "state.safetensors")
    assert not any(k.startswith("ema.") for k in state)
    raw = load_training_model(tmp_path / "run")
    averaged = load_training_model(tmp_path / "run", averaged=True)  # none kept: the raw weights
    assert torch.equal(raw.head.weight, averaged.head.weight)


@pytest.mark.parametrize("bad", [1.0, -0.1, 1.5])
def test_bad_decay_is_one_line(tmp_path, bad):
    with pytest.raises(TrainError, match="--ema must be 0 \\(off\\) or between 0 and 1"):
        train(tiny(out=tmp_path / "run", ema=bad))
