import json
import math

import pandas as pd
import pytest
from conftest import invoke, tiny

from benchmark.metrics import (
    MISSING,
    accuracy_by_length,
    confusions,
    coverage_curve,
    expected_calibration_error,
)
from benchmark.stats import mcnemar_exact, wilson_interval
from crnn.metrics import char_accuracy, character_error_rate, normalized_edit_distance
from crnn.train import TrainConfig, train
from generator.seeds import BENCHMARK_SEED, VALIDATION_SEED, SeedRangeError, check_training_seed


def test_wilson_interval_against_hand_computation():
    # p = .8, n = 10, z = 1.96: centre .71676, half-width .22658 (worked by hand)
    lo, hi = wilson_interval(8, 10)
    assert math.isclose(lo, 0.49016, abs_tol=1e-4) and math.isclose(hi, 0.94334, abs_tol=1e-4)
    lo, hi = wilson_interval(0, 10)
    assert lo == 0.0 and math.isclose(hi, 0.27753, abs_tol=1e-4)
    assert wilson_interval(0, 0) == (0.0, 1.0)
    for k in range(0, 31):
        lo, hi = wilson_interval(k, 30)
        assert 0.0 <= lo <= k / 30 <= hi <= 1.0


def test_mcnemar_exact_against_binomial_tails():
    assert mcnemar_exact(1, 6) == pytest.approx(2 * (1 + 7) / 2**7)  # 0.125
    assert mcnemar_exact(0, 5) == pytest.approx(2 / 2**5)  # 0.0625
    assert mcnemar_exact(3, 3) == 1.0
    assert mcnemar_exact(0, 0) == 1.0
    assert mcnemar_exact(2, 20) == mcnemar_exact(20, 2) < 0.001


def test_edit_distance_metrics():
    assert normalized_edit_distance("ABC", "ABD") == pytest.approx(1 / 3)
    assert normalized_edit_distance("AB", "ABCD") == pytest.approx(2 / 4)
    assert normalized_edit_distance("", "") == 0.0
    assert char_accuracy(["ABC", "XY"], ["ABD", "XY"]) == pytest.approx((2 / 3 + 1) / 2)
    assert character_error_rate(["ABC", "XY"], ["ABD", ""]) == pytest.approx(3 / 5)


def test_ece_coverage_length_confusions_by_hand():
    # Bin .9: 2 samples, accuracy .5 -> |.5-.9| x 2/4 = .2; bin .1: |0-.1| x 2/4 = .05.
    assert expected_calibration_error([0.9, 0.9, 0.1, 0.1], [1, 0, 0, 0]) == pytest.approx(0.25)
    curve = coverage_curve([0.9, 0.8, 0.8, 0.1], [1, 1, 0, 0])
    assert [(p["threshold"], p["coverage"], round(p["accuracy"], 3)) for p in curve] == [
        (0.9, 0.25, 1.0),
        (0.8, 0.75, 0.667),
        (0.1, 1.0, 0.5),
    ]
    by = accuracy_by_length(["AB", "CD", "EFG"], ["AB", "CX", "EFG"])
    assert by == {
        2: {"n": 2, "correct": 1, "accuracy": 0.5},
        3: {"n": 1, "correct": 1, "accuracy": 1.0},
    }
    assert confusions(["AB", "CD", "EF"], ["AX", "C", "EFG"]) == [
        ("B", "X", 1),
        ("D", MISSING, 1),
        (MISSING, "G", 1),
    ]


def test_reserved_seed_ranges_are_refused_for_training(tmp_path):
    for seed in (VALIDATION_SEED, BENCHMARK_SEED, -1):
        with pytest.raises(SeedRangeError, match="reserved"):
            check_training_seed(seed)
    with pytest.raises(SeedRangeError):
        train(TrainConfig(out=tmp_path / "x", seed=BENCHMARK_SEED, progress=False))


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    out = tmp_path_factory.mktemp("model")
    train(tiny(out=out, steps=3, val_every=3))
    return out


def bench(argv, capsys):
    from benchmark.cli import main

    return invoke(main, argv, capsys)


def test_end_to_end_bench_run_writes_every_report_file(tiny_model, tmp_path, capsys):
    out = tmp_path / "report"
    argv = [
        "run",
        "--model",
        str(tiny_model),
        "-d",
        "easy,hard",
        "--n",
        "24",
        "--decoders",
        "greedy,beam:3",
        "--out",
        str(out),
        "--cache",
        str(tmp_path / "cache"),
    ]
    code, text, err = bench(argv, capsys)
    assert code == 0, err
    assert "  easy done" in text and "  hard done" in text
    for name in ("report.md", "metrics.csv", "metrics.json"):
        assert (out / name).stat().st_size > 0, name
    for fig in ("accuracy_by_level", "accuracy_vs_beam", "reliability", "coverage", "misreads"):
        assert (out / "figures" / f"{fig}.png").stat().st_size > 1000, fig
    df = pd.read_csv(out / "metrics.csv")
    assert list(zip(df.level, df.decoder, strict=True)) == [
        ("easy", "greedy"),
        ("easy", "beam:3"),
        ("hard", "greedy"),
        ("hard", "beam:3"),
    ]
    assert (df.n == 24).all() and df.seq_acc.between(0, 1).all()
    assert (df.seq_acc_lo <= df.seq_acc).all() and (df.seq_acc <= df.seq_acc_hi).all()
    document = json.loads((out / "metrics.json").read_text())
    assert document["provenance"]["benchmark_seed"] == BENCHMARK_SEED
    assert set(document["provenance"]["evalsets"]) == {"easy", "hard"}
    report = (out / "report.md").read_text()
    assert "McNemar" in report and " ".join(argv[:2]) in report
    # The cached evaluation set is reused: a second run gives the same digests.
    code, text, _ = bench(
        [*argv[:-4], "--out", str(tmp_path / "again"), "--cache", str(tmp_path / "cache"), "-q"],
        capsys,
    )
    # --quiet: no progress lines, still the summary and where the report went.
    assert code == 0 and "done" not in text and "wrote" in text and text.startswith("easy ")
    again = json.loads((tmp_path / "again" / "metrics.json").read_text())
    assert again["provenance"]["evalsets"] == document["provenance"]["evalsets"]
    code, text, _ = bench(["compare", str(out), str(tmp_path / "again")], capsys)
    assert code == 0 and "+0.000" in text and (tmp_path / "again" / "compare.md").exists()
    assert "| yes | 0 | 0 | 1 |" in text  # same model, same samples: no discordant pair
    # Every sample's reading, consistent with the summary table.
    preds = pd.read_csv(out / "predictions.csv", dtype={"text": str, "prediction": str})
    assert len(preds) == 2 * 2 * 24
    summary = preds.groupby(["level", "decoder"], sort=False).correct.mean()
    assert summary.tolist() == pytest.approx(df.seq_acc.tolist())
    easy_greedy = preds[(preds.level == "easy") & (preds.decoder == "greedy")]
    assert sorted(easy_greedy["index"]) == list(range(24))  # sample indices in the eval set
    assert (preds.correct == (preds.text == preds.prediction.fillna(""))).all()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["run", "-d", "impossible"], "unknown difficulty 'impossible'"),
        (["run", "--model", "/no/such/model"], "model not found"),
        (["run", "--n", "0"], "--n must be a number of samples from 1"),
        (["run", "--decoders", "greedy,beam:0"], "beam width must be between 1 and 1000"),
        (["run", "--decoders", "beem:5"], "unknown decoder"),
        (["compare", "/no/a", "/no/b"], "holds no metrics.json"),
    ],
)
def test_bad_inputs_are_one_line(argv, message, capsys):
    code, _, err = bench(argv, capsys)
    assert code != 0
    assert len(err.strip().splitlines()) == 1 and message in err, err


def test_matrix_reuses_a_trained_model_only_for_the_same_settings(tmp_path, capsys):
    common = ["matrix", "--levels", "easy", "--arch", "tiny", "--n", "4"]
    common += ["--runs", str(tmp_path / "runs"), "--cache", str(tmp_path / "cache")]
    code, out, err = bench([*common, "--train-steps", "1", "--out", str(tmp_path / "a")], capsys)
    assert code == 0, err
    assert "training on easy (1 steps)" in out
    code, out, err = bench([*common, "--train-steps", "1", "--out", str(tmp_path / "b")], capsys)
    assert code == 0, err
    assert "training" not in out  # same settings: the finished run is reused
    assert (tmp_path / "a" / "matrix.json").read_text() == (
        tmp_path / "b" / "matrix.json"
    ).read_text()
    code, out, err = bench([*common, "--train-steps", "2", "--out", str(tmp_path / "c")], capsys)
    assert code == 0, err
    assert "training on easy (2 steps)" in out  # other settings: never the cached model
    assert "2 steps of 64" in (tmp_path / "c" / "matrix.md").read_text()
    assert len(list((tmp_path / "runs").iterdir())) == 2


def _fake_report(folder, digest, correct):
    """A minimal `bench run` directory: one level/decoder row and its per-sample readings."""
    folder.mkdir()
    row = {"level": "hard", "decoder": "greedy", "evalset_digest": digest}
    row |= {"seq_acc": sum(correct) / len(correct), "char_acc": 0.5, "ms_per_image_batch1": 1.0}
    (folder / "metrics.json").write_text(json.dumps({"rows": [row]}))
    pd.DataFrame(
        {
            "level": "hard",
            "index": range(len(correct)),
            "text": "AB12",
            "decoder": "greedy",
            "prediction": ["AB12" if c else "AB1" for c in correct],
            "confidence": 0.5,
            "correct": correct,
        }
    ).to_csv(folder / "predictions.csv", index=False)


def test_compare_runs_mcnemar_on_the_samples_both_reports_read(tmp_path, capsys):
    # B reads 6 samples A misread and misreads none A read: p = 2 / 2**6 by hand.
    a = [True] * 10 + [False] * 6 + [False] * 4
    b = [True] * 10 + [True] * 6 + [False] * 4
    _fake_report(tmp_path / "a", "set1", a)
    _fake_report(tmp_path / "b", "set1", b)
    code, text, err = bench(["compare", str(tmp_path / "a"), str(tmp_path / "b")], capsys)
    assert code == 0, err
    row = next(line for line in text.splitlines() if line.startswith("| hard | greedy"))
    assert row.endswith("| yes | 0 | 6 | 0.0312 |"), row
    assert mcnemar_exact(0, 6) == pytest.approx(0.03125)
    # another eval set: accuracies can be shown side by side, but no paired test
    _fake_report(tmp_path / "c", "set2", b)
    code, text, _ = bench(["compare", str(tmp_path / "a"), str(tmp_path / "c")], capsys)
    row = next(line for line in text.splitlines() if line.startswith("| hard | greedy"))
    assert row.endswith("| **no** | — | — | — |"), row


def test_bench_run_reads_a_style_within_its_alphabet(tmp_path, capsys):
    """universal writes 0, 1, I and O; hard draws none. Read within hard's alphabet, no answer
    uses them, and every answer the whole alphabet gave without them is unchanged (the best
    path held none of them, so masking them moves no frame's argmax)."""
    out = {}
    for alphabet in ("style", "model"):
        out[alphabet] = tmp_path / alphabet
        argv = ["run", "-d", "hard", "--n", "40", "--decoders", "greedy", "--alphabet", alphabet,
                "-o", str(out[alphabet]), "--cache", str(tmp_path / "cache")]  # fmt: skip
        code, _, err = bench(argv, capsys)
        assert code == 0, err
    read = {a: pd.read_csv(o / "predictions.csv", keep_default_na=False) for a, o in out.items()}
    within, whole = read["style"].prediction.tolist(), read["model"].prediction.tolist()
    assert not any(set(p) & set("01IO") for p in within)
    kept = [(w, m) for w, m in zip(within, whole, strict=True) if not set(m) & set("01IO")]
    assert kept and all(w == m for w, m in kept)
    assert (
        "read within the style's alphabet (32 characters; the model's 01IO"
        in (out["style"] / "report.md").read_text()
    )
    levels = json.loads((out["style"] / "metrics.json").read_text())["levels"]
    assert len(levels[0]["read_within_alphabet"]) == 32
    code, _, err = bench(["run", "-d", "hard", "--alphabet", "mine"], capsys)
    assert code == 2 and "--alphabet must be style or model" in err
