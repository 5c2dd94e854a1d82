"""The greedy soup (benchmark.soup): its choice against one worked out by hand, and its command."""

from __future__ import annotations

import json

import pytest
import torch

from benchmark.soup import greedy_soup
from crnn.model import CRNN, ModelConfig


def constant_model(value: float) -> CRNN:
    """A tiny model whose every float parameter is ``value``: a soup of such models has every
    parameter equal to the mean of their values, which a hand computation can follow."""
    net = CRNN(ModelConfig(arch="tiny")).eval()
    with torch.no_grad():
        for p in net.parameters():
            p.fill_(value)
    return net


def test_the_greedy_soup_takes_what_does_not_lower_its_score_in_rank_order():
    """Score: minus the distance of the mean parameter from 1.5. Alone: A (1) -0.5, B (0) -1.5,
    C (3) -1.5, D (10) -8.5; ranked A, B, C (B first: given first, tied), D. Soup A: -0.5.
    With B the mean is 0.5 (-1.0): left. With C it is 2.0 (-0.5, not lower): taken. With D,
    (1 + 3 + 10) / 3 = 4.67 (-3.17): left. The soup is A and C, its parameters 2.0."""
    values = {"A": 1.0, "B": 0.0, "C": 3.0, "D": 10.0}
    models = {n: (constant_model(v), {}) for n, v in values.items()}

    def score(net, _doc):
        return -abs(next(net.parameters()).mean().item() - 1.5)

    choice, soup = greedy_soup(models, score)
    assert [name for name, _ in choice.ranked] == ["A", "B", "C", "D"]
    assert [(s.ingredient, s.taken) for s in choice.steps] == [
        ("A", True), ("B", False), ("C", True), ("D", False)
    ]  # fmt: skip
    assert [round(s.soup, 4) for s in choice.steps] == [-0.5, -1.0, -0.5, -3.1667]
    assert choice.taken == ["A", "C"]
    for p in soup.parameters():
        torch.testing.assert_close(p, torch.full_like(p, 2.0))


def said(code, err: str) -> str:
    """What reaches stderr: sys.exit(message) prints its message there when the process ends."""
    return err + (code + "\n" if isinstance(code, str) else "")


def test_the_command_writes_its_choice_and_the_soup_and_refuses_bad_input(tmp_path, capsys):
    from conftest import invoke, tiny

    from benchmark.soup import main
    from crnn.checkpoint import load_model
    from crnn.train import train

    train(tiny(out=tmp_path / "start", steps=2, val_every=2))
    train(tiny(out=tmp_path / "tuned", steps=2, val_every=2, init=str(tmp_path / "start"),
               seed=3))  # fmt: skip
    models = f"{tmp_path / 'start'},{tmp_path / 'tuned'}"
    argv = ["--models", models, "--styles", "easy", "--n", "4", "--first", "500",
            "--out", str(tmp_path / "choice"), "--write", str(tmp_path / "soup")]  # fmt: skip
    code, out, err = invoke(main, argv, capsys)
    assert code in (0, None), err
    document = json.loads((tmp_path / "choice.json").read_text())
    assert document["taken"][0] == document["steps"][0]["ingredient"]
    assert len(document["steps"]) == 2 and f"wrote {tmp_path / 'soup'}" in out
    _, config = load_model(tmp_path / "soup")
    assert [i["model"] for i in config["soup"]] == document["taken"]
    before = (tmp_path / "soup" / "model.safetensors").read_bytes()
    code, _, err = invoke(main, argv, capsys)  # --write never replaces a model
    err = said(code, err)
    assert code not in (0, None) and "already holds a model" in err and "Traceback" not in err
    assert (tmp_path / "soup" / "model.safetensors").read_bytes() == before
    train(tiny(out=tmp_path / "small", steps=2, val_every=2, arch="small"))
    bad = ["--models", f"{tmp_path / 'start'},{tmp_path / 'small'}", "--n", "4"]
    code, _, err = invoke(main, bad, capsys)
    err = said(code, err)
    assert code not in (0, None) and "differ in shape or alphabet" in err
    assert err.count("\n") == 1 and "Traceback" not in err


REFUSED = [
    ["--models", "universal"],
    ["--models", "universal,universal"],
    ["--models", "universal,universal-b1", "--n", "0"],
]


@pytest.mark.parametrize("argv", REFUSED)
def test_the_command_refuses_too_few_or_repeated_models_and_bad_counts(argv, capsys):
    from conftest import invoke

    from benchmark.soup import main

    code, _, err = invoke(main, argv, capsys)
    assert code not in (0, None) and "Traceback" not in err
