"""benchmark.model_choice: paired counts by hand, and a run end to end on tiny models."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from benchmark.model_choice import main, paired
from benchmark.stats import mcnemar_exact
from crnn.checkpoint import save_model
from crnn.model import CRNN, ModelConfig


def test_paired_counts_by_hand():
    base = np.array([True, True, False, False, True])
    other = np.array([True, False, True, True, False])
    assert paired(base, other) == (2, 2)
    assert paired(base, base) == (0, 0)


def test_end_to_end_on_two_tiny_models(tmp_path, capsys):
    charset = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    for name, seed in (("a", 0), ("b", 1)):
        torch.manual_seed(seed)
        model = CRNN(ModelConfig(arch="tiny", charset=charset, width=128, resize="crop"))
        save_model(tmp_path / name, model, {"charset": charset})
    out = tmp_path / "choice"
    main(["--models", f"{tmp_path / 'a'},{tmp_path / 'b'}", "--styles", "easy", "--n", "3",
          "--out", str(out)])  # fmt: skip
    document = json.loads(out.with_suffix(".json").read_text())
    assert set(document) == {str(tmp_path / "a"), str(tmp_path / "b")}
    assert set(document[str(tmp_path / "a")]) == {"easy (validation)"}
    text = out.with_suffix(".txt").read_text()
    first_row = next(line for line in text.splitlines() if line.startswith(f"| {tmp_path / 'a'}"))
    assert first_row.endswith("+0 / -0 |")  # the first model against itself
    # the p column is the exact McNemar test of the row's own paired counts
    for line in text.splitlines():
        if line.startswith(f"| {tmp_path / 'b'}"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            gained, lost = (int(x) for x in cells[-1].lstrip("+").split(" / -"))
            assert cells[-2] == f"{mcnemar_exact(gained, lost):.2g}"
    assert first_row.split("|")[-3].strip() == "1"  # no discordant images: p = 1


def test_a_missing_model_is_one_line(tmp_path):
    with pytest.raises(SystemExit) as exit_info:
        main(["--models", str(tmp_path / "nope"), "--n", "2"])
    assert "model not found" in str(exit_info.value.code)


def test_a_fresh_validation_draw_continues_the_same_sequence():
    from benchmark.evalsets import EvalSetError, validation_samples

    long = validation_samples("easy", 4, first=500)
    fresh = validation_samples("easy", 2, first=502)
    assert [s.text for s in fresh] == [s.text for s in long[2:]]
    assert fresh[0].image.tobytes() == long[2].image.tobytes()
    with pytest.raises(EvalSetError, match="start at index 500"):
        validation_samples("easy", 1, first=499)  # the trainers' own validation samples
