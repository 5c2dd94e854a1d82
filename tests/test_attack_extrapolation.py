"""benchmark.attack_extrapolation: fits checked against curves whose reach is known by hand."""

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmark.attack_extrapolation import extrapolate, main


def _points(samples, accuracy, minutes_per_sample=1e-4):
    return [
        {"samples": s, "accuracy": a, "cpu_minutes": s * minutes_per_sample}
        for s, a in zip(samples, accuracy, strict=True)
    ]


def test_a_log_linear_curve_reaches_where_its_line_does():
    # accuracy = 0.1 + 0.1 * log10(samples): 0.9 at 10**8 samples, 10**4 CPU-minutes there.
    samples = [1e3, 1e4, 1e5]
    reach = extrapolate(_points(samples, [0.4, 0.5, 0.6]), 0.9, 1000)["log-linear"]
    assert reach.samples == pytest.approx(1e8, rel=1e-6)
    assert reach.cpu_minutes == pytest.approx(1e4, rel=1e-6)


@settings(max_examples=40, deadline=None)
@given(
    scale=st.floats(0.5, 5.0),
    exponent=st.floats(0.05, 0.6),
    target=st.floats(0.5, 0.99),
)
def test_an_error_power_law_reaches_where_its_law_does(scale, exponent, target):
    # error = scale * samples**-exponent, sampled where it is a valid accuracy.
    samples = [s for s in (1e4, 3e4, 1e5, 3e5, 1e6) if scale * s**-exponent < 1]
    if len(samples) < 2:
        return
    accuracy = [1 - scale * s**-exponent for s in samples]
    reach = extrapolate(_points(samples, accuracy), target, 1e4)["error power law"]
    expected = ((1 - target) / scale) ** (-1 / exponent)
    assert reach.samples == pytest.approx(expected, rel=1e-6)


def test_a_curve_that_does_not_climb_never_reaches():
    reach = extrapolate(_points([1e4, 1e5], [0.5, 0.5]), 0.9, 1e4)
    assert math.isinf(reach["log-linear"].samples)
    assert math.isinf(reach["error power law"].samples)


def test_warm_up_zeros_are_left_out_of_the_fit():
    # A from-scratch curve at 0 through its warm-up, then on the line 0.1 + 0.1 * log10(s).
    points = _points([1e4, 3e4, 1e5, 1e6], [0.0, 0.0, 0.6, 0.7])
    reach = extrapolate(points, 0.9, 1e4)["log-linear"]
    assert reach.samples == pytest.approx(1e8, rel=1e-6)


def test_the_table_and_bad_files(tmp_path, capsys):
    attack = {
        "points": [
            {"style": "hard", "attacker": "finetune", "draw": 0, **p}
            for p in _points([1e3, 1e4, 1e5], [0.4, 0.5, 0.6])
        ]
    }
    good = tmp_path / "a" / "attack.json"
    good.parent.mkdir()
    good.write_text(json.dumps(attack))
    out = tmp_path / "table.md"
    assert main([str(good), "--from-samples", "1000", "--out", str(out)]) == 0
    text = out.read_text()
    assert "| a (hard) | finetune | 1k–100k (3) | 0.600 at 100k" in text
    assert "100M samples, 166.7 CPU-hours" in text  # 1e8 samples at 1e-4 CPU-min each
    capsys.readouterr()

    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({"points": [{"style": "hard"}]}))
    assert main([str(broken)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not an attack.json" in err
    assert main([str(good), "--target", "1.5"]) == 2
