"""Weight-space interpolation (WiSE-FT) and the choice of how far to move."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmark.attack import HELD_BACK_MIN, held_back
from crnn.interpolate import ALPHAS, InterpolationError, choose_alpha, interpolate
from crnn.model import CRNN, ModelConfig


def pair(seed: int = 0) -> tuple[CRNN, CRNN]:
    """Two models of one shape with different weights and BatchNorm statistics."""
    torch.manual_seed(seed)
    start, tuned = CRNN(ModelConfig(arch="tiny")), CRNN(ModelConfig(arch="tiny"))
    for module in tuned.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.uniform_(-1, 1)
            module.running_var.uniform_(0.5, 2)
            module.num_batches_tracked.fill_(7)
    return start.eval(), tuned.eval()


def test_the_ends_are_the_two_models_and_the_middle_their_mean():
    start, tuned = pair()
    x = torch.randn(2, 1, 32, 96)
    with torch.inference_mode():
        assert torch.equal(interpolate(start, tuned, 0.0)(x), start(x))
        assert torch.equal(interpolate(start, tuned, 1.0)(x), tuned(x))
    half = interpolate(start, tuned, 0.5).state_dict()
    a, b = start.state_dict(), tuned.state_dict()
    for name, value in half.items():
        if value.is_floating_point():  # weights and running statistics alike
            torch.testing.assert_close(value, (a[name] + b[name]) / 2)
        else:  # counters come from the fine-tuned model
            assert torch.equal(value, b[name])
    # Neither input is touched.
    assert all(torch.equal(v, a[k]) for k, v in start.state_dict().items())


def test_only_a_model_and_its_own_copy_interpolate():
    start, _ = pair()
    other = CRNN(ModelConfig(arch="tiny", charset="0123456789"))
    with pytest.raises(InterpolationError, match="differ in shape or alphabet"):
        interpolate(start, other, 0.5)
    with pytest.raises(InterpolationError, match="between 0 and 1"):
        interpolate(start, start, 1.5)
    # The longest label is a recorded limit, not a weight: a fine-tuning may change it.
    longer = CRNN(ModelConfig(arch="tiny", max_label=8))
    longer.load_state_dict(start.state_dict())
    interpolate(start, longer, 0.5)


@settings(max_examples=15, deadline=None)
@given(target=st.floats(0, 1), sharpness=st.floats(0.5, 20))
def test_the_choice_is_the_grid_point_scoring_best(target, sharpness):
    """A score peaked at ``target`` along the line: the chosen alpha is the grid point nearest
    to it (computed by hand from one weight's position), and every alpha's score comes back."""
    start, tuned = pair()
    name = "head.weight"
    a, b = start.state_dict()[name].flatten()[0], tuned.state_dict()[name].flatten()[0]

    def score(model: CRNN) -> np.ndarray:
        w = model.state_dict()[name].flatten()[0]
        where = float((w - a) / (b - a))  # recovers the alpha this model was made with
        return -sharpness * (where - target) ** 2

    alpha, scores = choose_alpha(start, tuned, score)
    nearest = min(ALPHAS, key=lambda x: abs(x - target))
    assert abs(alpha - target) <= abs(nearest - target) + 1e-5  # a midpoint may go either way
    assert len(scores) == len(ALPHAS) and max(scores) == pytest.approx(scores[ALPHAS.index(alpha)])


def test_ties_go_to_the_start_and_tuples_compare_in_order():
    start, tuned = pair()
    assert choose_alpha(start, tuned, lambda m: 0.0)[0] == 0.0
    # (readings right, log-probability): the count decides, the log-probability breaks ties.
    rated = iter([(1, -3.0), (2, -9.0), (2, -4.0), (1, -1.0), (0, -0.5)])
    alpha, scores = choose_alpha(start, tuned, lambda m: next(rated))
    assert alpha == 0.5 and scores[2] == (2, -4.0)


@given(k=st.integers(2, 400), draw=st.integers(0, 5), seed=st.integers(0, 3))
def test_held_back_splits_the_k_images_in_two_fixed_parts(k, draw, seed):
    fit, held = held_back(k, draw, seed)
    assert sorted(fit + held) == list(range(k))
    assert len(held) == max(HELD_BACK_MIN, round(0.2 * k))
    assert held_back(k, draw, seed) == (fit, held)


def test_crnn_interpolate_writes_a_loadable_mix_and_refuses_bad_input(tmp_path, capsys):
    from conftest import invoke, tiny

    from crnn.checkpoint import load_model
    from crnn.cli import main as crnn_main
    from crnn.train import train

    train(tiny(out=tmp_path / "start", steps=2, val_every=2))
    train(tiny(out=tmp_path / "tuned", steps=2, val_every=2, init=str(tmp_path / "start"),
               seed=3))  # fmt: skip
    argv = ["interpolate", str(tmp_path / "tuned"), "--model", str(tmp_path / "start"),
            "--alpha", "0.25", "-o", str(tmp_path / "mix")]  # fmt: skip
    code, out, err = invoke(crnn_main, argv, capsys)
    assert code in (0, None), err
    assert out.strip() == f"wrote {tmp_path / 'mix'} (alpha 0.25)"
    mix, document = load_model(tmp_path / "mix")
    start, _ = load_model(tmp_path / "start")
    tuned, _ = load_model(tmp_path / "tuned")
    for name, value in mix.state_dict().items():
        if value.is_floating_point():
            a, b = start.state_dict()[name], tuned.state_dict()[name]
            torch.testing.assert_close(value, 0.75 * a + 0.25 * b)
    assert document["interpolated"]["alpha"] == 0.25
    assert document["charset"] == load_model(tmp_path / "tuned")[1]["charset"]
    before = (tmp_path / "mix" / "model.safetensors").read_bytes()
    code, _, err = invoke(crnn_main, argv, capsys)  # a second run would replace the first
    assert (
        code not in (0, None)
        and "already holds a model" in err
        and err.count("\n") == 1
        and "Traceback" not in err
    )
    assert (tmp_path / "mix" / "model.safetensors").read_bytes() == before
    train(tiny(out=tmp_path / "small", steps=2, val_every=2, arch="small"))
    bad = ["interpolate", str(tmp_path / "small"), "--model", str(tmp_path / "start"),
           "-o", str(tmp_path / "bad")]  # fmt: skip
    code, _, err = invoke(crnn_main, bad, capsys)
    assert code not in (0, None) and "differ in shape or alphabet" in err
    assert not (tmp_path / "bad").exists()


def test_a_bad_alpha_is_refused_before_any_model_is_read(tmp_path, capsys):
    """The models named here do not exist: the answer is about --alpha, so it was checked first."""
    from conftest import invoke

    from crnn.cli import main as crnn_main

    for alpha in ("1.5", "-0.1", "nan"):
        argv = ["interpolate", str(tmp_path / "none"), "--model", str(tmp_path / "nothing"),
                "--alpha", alpha, "-o", str(tmp_path / "mix")]  # fmt: skip
        code, _, err = invoke(crnn_main, argv, capsys)
        assert code not in (0, None) and err.count("\n") == 1, err
        assert "alpha must be between 0 and 1" in err and "Traceback" not in err
    assert not (tmp_path / "mix").exists()


def test_a_soup_is_the_weighted_mean_of_its_ingredients_tensor_by_tensor():
    """Three ingredients, weights 2, 1, 1: every float tensor is (2a + b + c) / 4 worked out
    here from the state dicts; counters come from the last; equal weights of two are the
    midpoint interpolate draws."""
    from crnn.interpolate import average

    a, b = pair(0)
    _, c = pair(1)
    soup = average([a, b, c], [2, 1, 1])
    sa, sb, sc = a.state_dict(), b.state_dict(), c.state_dict()
    for name, value in soup.state_dict().items():
        if value.is_floating_point():
            torch.testing.assert_close(value, (2 * sa[name] + sb[name] + sc[name]) / 4)
        else:
            assert torch.equal(value, sc[name])
    x = torch.randn(2, 1, 32, 96)
    with torch.no_grad():
        torch.testing.assert_close(
            average([a, b], [1, 1])(x), interpolate(a, b, 0.5)(x), atol=1e-5, rtol=1e-5
        )
        # a weight of 0 leaves its ingredient out
        torch.testing.assert_close(average([a, b], [0, 3])(x), b(x), atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize(
    "weights, message",
    [
        ([1.0], "two or more"),
        ([1.0, 1.0, 1.0], "a weight for each"),
        ([1.0, -0.5], "non-negative"),
        ([0.0, 0.0], "not all 0"),
        ([1.0, float("nan")], "non-negative"),
        ([1.0, float("inf")], "finite"),
    ],
)
def test_a_soup_refuses_weights_it_cannot_mean(weights, message):
    from crnn.interpolate import average

    a, b = pair()
    models = [a, b] if len(weights) != 1 else [a]
    with pytest.raises(InterpolationError, match=message):
        average(models, weights)


def test_crnn_soup_writes_a_loadable_mean_with_its_ingredients_and_refuses_bad_input(
    tmp_path, capsys
):
    from conftest import invoke, tiny

    from crnn.checkpoint import load_model, weights_digest
    from crnn.cli import main as crnn_main
    from crnn.train import train

    train(tiny(out=tmp_path / "start", steps=2, val_every=2))
    for seed in (3, 4):
        train(tiny(out=tmp_path / f"t{seed}", steps=2, val_every=2, init=str(tmp_path / "start"),
                   seed=seed))  # fmt: skip
    names = [str(tmp_path / n) for n in ("start", "t3", "t4")]
    argv = ["soup", *names, "--weights", "1,1,2", "-o", str(tmp_path / "soup")]
    code, out, err = invoke(crnn_main, argv, capsys)
    assert code in (0, None), err
    assert out.strip() == f"wrote {tmp_path / 'soup'} (3 models)"
    soup, document = load_model(tmp_path / "soup")
    parts = [load_model(n)[0].state_dict() for n in names]
    for name, value in soup.state_dict().items():
        if value.is_floating_point():
            expected = (parts[0][name] + parts[1][name] + 2 * parts[2][name]) / 4
            torch.testing.assert_close(value, expected)
    assert [i["weight"] for i in document["soup"]] == [1.0, 1.0, 2.0]
    assert [i["weights"] for i in document["soup"]] == [
        weights_digest(tmp_path / n / "model.safetensors") for n in ("start", "t3", "t4")
    ]
    before = (tmp_path / "soup" / "model.safetensors").read_bytes()
    for bad, says in [
        (argv, "already holds a model"),
        (["soup", *names, "--weights", "1,x,1", "-o", str(tmp_path / "b")], "must be numbers"),
        (["soup", *names, "--weights", "1,1", "-o", str(tmp_path / "b")], "a weight for each"),
        (["soup", names[0], "-o", str(tmp_path / "b")], "two or more"),
    ]:
        code, _, err = invoke(crnn_main, bad, capsys)
        assert code not in (0, None) and says in err, err
        assert err.count("\n") == 1 and "Traceback" not in err
    assert (tmp_path / "soup" / "model.safetensors").read_bytes() == before
    assert not (tmp_path / "b").exists()


def test_task_arithmetic_adds_each_change_from_its_own_start():
    """base + s * ((t1 - s1) + (t2 - s2)) worked out from the state dicts, with a running
    variance the sum would take below 0 kept at 1e-5, and counters from the base; one change
    added whole gives back the fine-tune."""
    from crnn.interpolate import add_task_vectors

    base, t1 = pair(0)
    s1, t2 = pair(1)
    _, s2 = pair(2)
    with torch.no_grad():  # make t2's variance far below s2's: the sum would go negative
        for m2, m_s2 in zip(t2.modules(), s2.modules(), strict=True):
            if isinstance(m2, torch.nn.BatchNorm2d):
                m2.running_var.fill_(0.1)
                m_s2.running_var.fill_(50.0)
    merged = add_task_vectors(base, [(t1, s1), (t2, s2)], 0.5)
    b, a1, b1, a2, b2 = (m.state_dict() for m in (base, t1, s1, t2, s2))
    for name, value in merged.state_dict().items():
        if not value.is_floating_point():
            assert torch.equal(value, b[name])
            continue
        expected = b[name] + 0.5 * ((a1[name] - b1[name]) + (a2[name] - b2[name]))
        if name.endswith("running_var"):
            assert (expected < 0).any()  # the case the clamp is for
            expected = expected.clamp_min(1e-5)
        torch.testing.assert_close(value, expected)
    whole = add_task_vectors(s1, [(t1, s1)], 1.0)
    x = torch.randn(2, 1, 32, 96)
    with torch.no_grad():
        torch.testing.assert_close(whole(x), t1(x), atol=1e-5, rtol=1e-5)
    for scale in (0.0, -1.0, float("nan"), float("inf")):
        with pytest.raises(InterpolationError, match="scale must be"):
            add_task_vectors(base, [(t1, s1)], scale)


def test_crnn_merge_writes_the_sum_and_refuses_bad_input(tmp_path, capsys):
    from conftest import invoke, tiny

    from crnn.checkpoint import load_model
    from crnn.cli import main as crnn_main
    from crnn.train import train

    train(tiny(out=tmp_path / "start", steps=2, val_every=2))
    train(tiny(out=tmp_path / "tuned", steps=2, val_every=2, init=str(tmp_path / "start"),
               seed=3))  # fmt: skip
    start, tuned = str(tmp_path / "start"), str(tmp_path / "tuned")
    argv = ["merge", "--model", start, "-t", f"{tuned}={start}", "-t", f"{tuned}={start}",
            "--scale", "0.25", "-o", str(tmp_path / "m")]  # fmt: skip
    code, out, err = invoke(crnn_main, argv, capsys)
    assert code in (0, None), err
    assert out.strip() == f"wrote {tmp_path / 'm'} (2 changes at scale 0.25)"
    merged, document = load_model(tmp_path / "m")
    a, b = load_model(start)[0].state_dict(), load_model(tuned)[0].state_dict()
    for name, value in merged.state_dict().items():
        if value.is_floating_point():  # start + 0.25 * 2 * (tuned - start): the midpoint
            torch.testing.assert_close(value, (a[name] + b[name]) / 2)
    assert document["merged"]["scale"] == 0.25 and len(document["merged"]["tasks"]) == 2
    for bad, says in [
        (argv, "already holds a model"),
        (["merge", "-t", tuned, "-o", str(tmp_path / "b")], "TUNED=START"),
        (["merge", "-t", f"{tuned}={start}", "--scale", "0", "-o", str(tmp_path / "b")],
         "scale must be"),
    ]:  # fmt: skip
        code, _, err = invoke(crnn_main, bad, capsys)
        assert code not in (0, None) and says in err, err
        assert err.count("\n") == 1 and "Traceback" not in err
    assert not (tmp_path / "b").exists()
