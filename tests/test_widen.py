"""Net2WiderNet: a widened reader computes what the narrow one did, and can learn apart from it."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from crnn.checkpoint import load_model, save_model
from crnn.cli import main as crnn_main
from crnn.model import ARCHS, CRNN, Arch, ModelConfig
from crnn.widen import WidenError, widen, widen_model

# A one-LSTM-layer widening of `tiny`, so the one-layer path is covered as fast as possible.
TINY_WIDE = Arch((9, 20, 32, 40, 64, 70, 80), hidden=96, lstm_layers=1)


@pytest.fixture(autouse=True)
def tiny_wide(monkeypatch):
    monkeypatch.setitem(ARCHS, "tiny-wide", TINY_WIDE)


def trained_looking(arch: str, seed: int = 0) -> CRNN:
    """A model whose BatchNorm statistics are not the identity (as after training)."""
    torch.manual_seed(seed)
    model = CRNN(ModelConfig(arch=arch, width=64))
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.uniform_(-1, 1)
            module.running_var.uniform_(0.5, 2)
            module.weight.data.uniform_(0.5, 1.5)
            module.bias.data.uniform_(-0.5, 0.5)
    return model.eval()


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_without_noise_the_wide_model_reads_exactly_as_the_narrow_one(seed):
    narrow = trained_looking("tiny", seed % 1000)
    wide = widen(narrow, "tiny-wide", seed=seed, noise=0.0)
    x = torch.randn(3, 1, 32, 64)
    with torch.inference_mode():
        torch.testing.assert_close(wide(x), narrow(x), atol=2e-5, rtol=0)
    assert sum(p.numel() for p in wide.parameters()) > sum(p.numel() for p in narrow.parameters())


def test_two_lstm_layers_and_the_shipped_widening_keep_the_function():
    narrow = trained_looking("small")
    wide = widen(narrow, "medium", noise=0.0)
    assert wide.rnn.hidden_size == ARCHS["medium"].hidden and wide.rnn.num_layers == 2
    x = torch.randn(2, 1, 32, 64)
    with torch.inference_mode():
        torch.testing.assert_close(wide(x), narrow(x), atol=2e-5, rtol=0)


def test_a_colour_reader_widens_with_its_three_input_channels():
    from crnn.colour import to_colour

    narrow = to_colour(trained_looking("tiny"))
    wide = widen(narrow, "tiny-wide", noise=0.0)
    assert wide.config.channels == 3 and wide.cnn[0].weight.shape[1] == 3
    x = torch.randn(3, 3, 32, 64)  # channels that differ: each must keep its own kernel
    with torch.inference_mode():
        torch.testing.assert_close(wide(x), narrow(x), atol=2e-5, rtol=0)


def test_the_original_units_keep_their_weights_and_copies_are_perturbed():
    narrow = trained_looking("tiny")
    exact, noisy = widen(narrow, "tiny-wide", noise=0.0), widen(narrow, "tiny-wide", noise=0.05)
    old = narrow.cnn[0].weight.shape[0]
    # The first conv reads the image itself: its originals are untouched, its copies moved.
    assert torch.equal(noisy.cnn[0].weight[:old], narrow.cnn[0].weight)
    assert not torch.equal(exact.cnn[0].weight[old:], noisy.cnn[0].weight[old:])
    x = torch.randn(2, 1, 32, 64)
    with torch.inference_mode():
        gap = (noisy(x) - narrow(x)).abs().max().item()
    assert 0 < gap < 1.0  # close to the narrow model, not equal to it


def copies_gradients(noise: float) -> tuple[torch.Tensor, torch.Tensor]:
    """The first conv's gradient for its first unit and for the first wide unit copying it."""
    narrow = trained_looking("tiny")
    wide = widen(narrow, "tiny-wide", seed=3, noise=noise).train()
    old = narrow.cnn[0].weight.shape[0]
    g = range(old, wide.cnn[0].weight.shape[0])
    # Which old unit each copy copies: the one its weights equal when there is no noise.
    exact = widen(narrow, "tiny-wide", seed=3, noise=0.0).cnn[0].weight
    pairs = [(j, k) for j in g for k in range(old) if torch.equal(exact[j], exact[k])]
    assert pairs, "every copy copies some original"
    torch.manual_seed(0)
    wide(torch.randn(4, 1, 32, 64)).sum().backward()
    j, k = pairs[0]
    return wide.cnn[0].weight.grad[j], wide.cnn[0].weight.grad[k]


def test_noise_is_what_lets_a_copy_learn_apart_from_its_original():
    copy_grad, original_grad = copies_gradients(0.0)
    torch.testing.assert_close(copy_grad, original_grad)  # symmetric: they would never part
    copy_grad, original_grad = copies_gradients(0.05)
    assert not torch.allclose(copy_grad, original_grad)


def test_narrower_or_deeper_targets_and_unknown_archs_are_refused():
    small = trained_looking("small")
    with pytest.raises(WidenError, match=r"not a widening of small.*conv 1: 16 -> 8"):
        widen(small, "tiny")
    with pytest.raises(WidenError, match="LSTM layers"):
        widen(trained_looking("tiny"), "medium")  # one LSTM layer -> two
    with pytest.raises(WidenError, match="unknown arch"):
        widen(small, "huge")


def test_widen_model_writes_a_run_directory_train_can_start_from(tmp_path):
    narrow = trained_looking("tiny")
    save_model(tmp_path / "narrow", narrow, {"charset": narrow.config.charset})
    out = widen_model(str(tmp_path / "narrow"), "tiny-wide", tmp_path / "wide", noise=0.0)
    wide, document = load_model(out)
    assert wide.config.arch == "tiny-wide" and document["widened"]["source_arch"] == "tiny"
    assert document["parameters"] == sum(p.numel() for p in wide.parameters())
    x = torch.randn(1, 1, 32, 64)
    with torch.inference_mode():
        torch.testing.assert_close(wide.eval()(x), narrow(x), atol=2e-5, rtol=0)
    with pytest.raises(WidenError, match="already holds a model"):
        widen_model(str(tmp_path / "narrow"), "tiny-wide", tmp_path / "wide")


def test_cli_bad_input_is_one_line(tmp_path, capsys):
    for argv, message in [
        (["widen", "huge", "-o", str(tmp_path / "w")], "unknown arch 'huge'"),
        (["widen", "medium", "-o", str(tmp_path / "w"), "--noise", "nan"], "noise must be"),
        (["widen", "medium", "-o", str(tmp_path / "w"), "--model", "nope"], "model not found"),
    ]:
        with pytest.raises(SystemExit) as exit_info:
            crnn_main(argv)
        assert exit_info.value.code != 0
        err = capsys.readouterr().err.strip()
        assert message in err and "\n" not in err and "Traceback" not in err
