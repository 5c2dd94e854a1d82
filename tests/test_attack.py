"""bench attack: effort curves that resume, reproduce, and report thresholds honestly."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import invoke

from benchmark.attack import (
    AttackConfig,
    AttackError,
    Budget,
    attack_style,
    cpu_seconds,
    fits_budget,
    parse_budget,
)
from benchmark.attack_report import verdict, write_attack_report
from benchmark.cli import main as bench_main
from crnn.checkpoint import load_training_model
from generator.spec import preset


def test_budget_parsing():
    assert parse_budget("30000") == Budget(samples=30000)
    assert parse_budget("100k") == Budget(samples=100_000)
    assert parse_budget("1M") == Budget(samples=1_000_000)
    assert parse_budget("20min") == Budget(minutes=20)
    assert parse_budget("1.5h") == Budget(minutes=90)
    for bad in ("", "abc", "0", "-5", "10 parsecs"):
        with pytest.raises(AttackError):
            parse_budget(bad)


def test_curve_resumes_reproduces_and_reports(tmp_path):
    def config(out):
        return AttackConfig(out=out, budget=Budget(samples=100), arch="tiny", n_eval=16,
                            batch_size=16, threads=1, init="reference")  # fmt: skip

    spec = preset("easy")
    first = attack_style(spec, "easy", config(tmp_path / "a"))
    assert [(p.attacker, p.samples) for p in first.points] == [
        ("finetune", 0), ("finetune", 100), ("scratch", 0), ("scratch", 100)
    ]  # fmt: skip
    # The shipped reference reads easy perfectly: broken at effort 0, as shipped.
    assert first.points[0].accuracy > 0.9 and first.effort_to("finetune", 0.01).samples == 0
    assert first.points[2].accuracy == 0.0  # an untrained model reads nothing
    # The fine-tuner keeps the pretrained reader's input (the reference stretches); the
    # from-scratch model crops to the content.
    runs = tmp_path / "a" / "easy"
    assert load_training_model(runs / "run-finetune").config.resize == "stretch"
    assert load_training_model(runs / "run-scratch").config.resize == "crop"
    state = (tmp_path / "a" / "easy" / "run-finetune" / "state.safetensors").read_bytes()
    again = attack_style(spec, "easy", config(tmp_path / "a"))  # resumes: nothing to train
    assert (tmp_path / "a" / "easy" / "run-finetune" / "state.safetensors").read_bytes() == state
    assert [p.correct for p in again.points] == [p.correct for p in first.points]
    elsewhere = attack_style(spec, "easy", config(tmp_path / "b"))  # same seed, same numbers
    assert [p.correct for p in elsewhere.points] == [p.correct for p in first.points]
    report = write_attack_report([first], config(tmp_path / "a"), "bench attack -d easy")
    text = report.read_text()
    assert "| finetune | 100 |" in text and "attack.png" in text
    doc = json.loads((tmp_path / "a" / "attack.json").read_text())
    assert doc["styles"][0]["effort_to"]["1%"] == {"finetune": 0, "scratch": None}
    assert "broken" in verdict(first, "100 samples")
    # One attacker extended alone (a bigger budget) keeps the other's recorded points.
    more = AttackConfig(out=tmp_path / "a", budget=Budget(samples=300), arch="tiny", n_eval=16,
                        batch_size=16, threads=1, init="reference",
                        attackers=("finetune",))  # fmt: skip
    extended = attack_style(spec, "easy", more)
    assert [(p.attacker, p.samples) for p in extended.points] == [
        ("finetune", 0), ("finetune", 100), ("finetune", 300), ("scratch", 0), ("scratch", 100)
    ]  # fmt: skip
    assert [p.correct for p in extended.points[:2]] == [p.correct for p in first.points[:2]]
    # The same folder with other settings (a re-tuned style, another learning rate) is refused:
    # resuming would splice two different curves together.
    retuned = preset("easy").with_overrides(text={"rotation": 20.0})
    with pytest.raises(AttackError, match="other settings \\(evalset, target\\)"):
        attack_style(retuned, "easy", config(tmp_path / "a"))
    faster = AttackConfig(out=tmp_path / "a", budget=Budget(samples=100), arch="tiny",
                          n_eval=16, batch_size=16, threads=1, init="reference",
                          lr_finetune=5e-4)  # fmt: skip
    with pytest.raises(AttackError, match="lr_finetune"):
        attack_style(spec, "easy", faster)
    raw = AttackConfig(out=tmp_path / "a", budget=Budget(samples=100), arch="tiny",
                       n_eval=16, batch_size=16, threads=1, init="reference", ema=0.0)  # fmt: skip
    with pytest.raises(AttackError, match="\\(ema\\)"):
        attack_style(spec, "easy", raw)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["attack", "--budget", "abc"], "--budget 'abc'"),
        (["attack", "--attackers", "wizard"], "--attackers must name"),
        (["attack", "--init", "nowhere"], "model not found: nowhere"),
        (["attack", "--n", "0"], "--n must be a number"),
        (["attack", "--seed", str(2**48)], "reserved"),
        (["attack", "-d", "impossible"], "unknown difficulty"),
        (["attack", "--ema", "1"], "--ema must be 0 (off) or between 0 and 1"),
        (["attack", "--workers", "-1"], "--workers must be 0 or more"),
        (["attack", "--scratch-warmup", "-5"], "--scratch-warmup must be 0 or more"),
        (["attack", "--passes", "0"], "--passes must be at least 1"),
        (["attack", "--augment", "wild"], "--augment must be one of none, mild, strong"),
        (["attack", "--alphabet", "mine"], "--alphabet must be style or model"),
        (["attack", "--unlabelled", "somewhere"], "--unlabelled goes with --data"),
        (["attack", "--pseudo-confidence", "0"], "--pseudo-confidence must be in (0, 1]"),
        (["attack", "--pseudo-passes", "0"], "--pseudo-passes at least 1"),
    ],
)
def test_bad_attack_input_is_one_line(argv, message, capsys, tmp_path):
    code, _, err = invoke(bench_main, [*argv, "-o", str(tmp_path / "o")], capsys)
    assert code not in (0, None)
    assert len(err.strip().splitlines()) == 1 and message in err, err


def test_cpu_time_counts_render_workers():
    """A worker process's CPU time is the attacker's too (once it has finished)."""
    burn = "import time\nt = time.process_time()\nwhile time.process_time() - t < 0.3: pass"
    t0 = cpu_seconds()
    subprocess.run([sys.executable, "-c", burn], check=True)
    assert cpu_seconds() - t0 >= 0.3


def test_a_cpu_budget_never_starts_a_segment_that_would_overrun_it():
    minutes = Budget(minutes=10)
    assert fits_budget(minutes, 0.0, 0, 100)  # nothing measured yet
    assert fits_budget(minutes, 2.0, 10_000, 30_000)  # 2 + 20k x 0.2 ms = 6 min
    assert not fits_budget(minutes, 5.0, 10_000, 30_000)  # 5 + 10 = 15 > 10 x 1.25
    assert fits_budget(minutes, 5.0, 10_000, 20_000)  # 10 <= 12.5
    assert not fits_budget(minutes, 10.0, 10_000, 10_001)  # spent
    assert fits_budget(Budget(samples=100), 1e9, 1, 100)  # sample budgets: the points decide


def test_the_scratch_curriculum_writes_the_targets_alphabet_in_easys_look():
    from benchmark.attack import warmup_spec

    digits = preset("hard").with_overrides(text={"charset": "digits", "length": (3, 3)})
    warm = warmup_spec(digits)
    assert warm.charset.chars == "0123456789" and warm.text.length == (3, 3)
    easy = preset("easy")
    assert (warm.noise, warm.warp, warm.color) == (easy.noise, easy.warp, easy.color)
    assert warm.text.rotation == easy.text.rotation != digits.text.rotation
    with pytest.raises(AttackError, match="--scratch-warmup"):
        AttackConfig(out=".", budget=Budget(samples=1), scratch_warmup=-1)


def test_kshot_steps_follow_the_passes():
    from benchmark.attack import kshot_steps

    assert kshot_steps(300, 32) == 375  # 40 passes over 300 images, 32 a batch
    assert kshot_steps(300, 32, passes=120) == 1125
    assert kshot_steps(10, 32) == 150  # a floor: few images still need time to adapt
    assert kshot_steps(1000, 32, passes=1000) == 3125  # a ceiling: 100 passes over 1,000
    with pytest.raises(AttackError, match="--passes"):
        AttackConfig(out=".", budget=Budget(samples=1), passes=0)


def test_a_folder_written_before_a_setting_existed_resumes_with_its_old_value(tmp_path):
    """An attack folder whose key predates --scratch-warmup was made without a warm-up: it
    resumes with --scratch-warmup 0 and is refused with the new default."""
    from benchmark.attack import _attack_key, _load_points, _save_points

    old = AttackConfig(out=tmp_path, budget=Budget(samples=1), scratch_warmup=0)
    key = _attack_key("t", "e", old)
    written = {k: v for k, v in key.items() if k != "scratch_warmup"}
    _save_points(tmp_path / "points.json", [], written)
    assert _load_points(tmp_path / "points.json", key) == []
    new = _attack_key("t", "e", AttackConfig(out=tmp_path, budget=Budget(samples=1)))
    with pytest.raises(AttackError, match=r"other settings \(scratch_warmup\)"):
        _load_points(tmp_path / "points.json", new)


def test_effort_points_are_read_with_views_where_the_model_keeps_its_aspect(tmp_path):
    """--decoder auto reads a crop/pad model with greedy+tta and a stretch model greedy; a
    folder written before --decoder existed was read greedy, and resumes only so."""
    from benchmark.attack import _attack_key, _load_points, _save_points, read_accuracy
    from benchmark.evalsets import get_eval_set
    from crnn.recognizer import Recognizer

    auto = AttackConfig(out=tmp_path, budget=Budget(samples=1))
    universal, reference = Recognizer.load("universal"), Recognizer.load("reference")
    assert auto.reader_for(universal.model).name == "greedy+tta"
    assert auto.reader_for(reference.model).name == "greedy"
    assert AttackConfig(out=".", budget=Budget(samples=1), decoder="BEAM:5+tta").decoder == (
        "beam:5+tta"
    )
    for bad in ("beam:5+lexicon", "nonsense", "greedy+len"):
        with pytest.raises(AttackError, match="--decoder"):
            AttackConfig(out=".", budget=Budget(samples=1), decoder=bad)
    # The count matches the Recognizer's own +tta reading of the same images.
    evalset = get_eval_set(preset("medium"), 24, cache=tmp_path / "cache")
    views = auto.reader_for(universal.model)
    from PIL import Image

    readings = universal.predict([Image.fromarray(a) for a in evalset.images], views)
    expected = sum(d.text == t for d, t in zip(readings, evalset.texts, strict=True))
    assert read_accuracy(universal.model, evalset, views) == expected
    # Old folders: no "decoder" in their key means greedy.
    greedy = _attack_key("t", "e", AttackConfig(out=tmp_path, budget=Budget(samples=1),
                                                decoder="greedy"))  # fmt: skip
    _save_points(tmp_path / "points.json", [], {k: v for k, v in greedy.items() if k != "decoder"})
    assert _load_points(tmp_path / "points.json", greedy) == []
    with pytest.raises(AttackError, match=r"other settings \(decoder\)"):
        _load_points(tmp_path / "points.json", _attack_key("t", "e", auto))


def test_a_folder_made_from_other_init_weights_is_refused(tmp_path):
    """`--init universal` names whatever the package ships: a folder made from an older
    universal model must not be extended by the new one."""
    from benchmark.attack import _attack_key, _load_points, _save_points
    from crnn.checkpoint import weights_digest
    from crnn.registry import resolve_model

    config = AttackConfig(out=tmp_path, budget=Budget(samples=1))
    key = _attack_key("t", "e", config)
    assert key["init_weights"] == weights_digest(resolve_model("universal").path)
    assert key["init_weights"] != _attack_key("t", "e", AttackConfig(
        out=tmp_path, budget=Budget(samples=1), init="reference"))["init_weights"]  # fmt: skip
    _save_points(tmp_path / "points.json", [], {**key, "init_weights": "0" * 16})
    with pytest.raises(AttackError, match=r"other settings \(init_weights\)"):
        _load_points(tmp_path / "points.json", key)
    _save_points(tmp_path / "old.json", [], {k: v for k, v in key.items() if k != "init_weights"})
    with pytest.raises(AttackError, match=r"init_weights"):
        _load_points(tmp_path / "old.json", key)


def test_a_styles_effort_points_are_read_within_its_alphabet(tmp_path):
    """universal on hard (no 0, 1, I, O): --alphabet style reads as the harness does within the
    style's alphabet; model reads the whole; folders written before the setting read whole."""
    from benchmark.attack import (
        _attack_key,
        _load_points,
        _save_points,
        read_accuracy,
        target_alphabet,
    )
    from benchmark.evalsets import get_eval_set
    from benchmark.harness import evaluate
    from crnn.decode import parse_decoder
    from crnn.recognizer import Recognizer

    universal = Recognizer.load("universal")
    # In colour, as the attack and the harness read it for a colour reader (a grey copy read by
    # one path and colour by the other agreed on these 30 only by chance).
    evalset = get_eval_set(preset("hard"), 30, cache=tmp_path / "cache", colour=True)
    style = AttackConfig(out=tmp_path, budget=Budget(samples=1))
    whole = AttackConfig(out=tmp_path, budget=Budget(samples=1), alphabet="model")
    alphabet = target_alphabet(universal.model, evalset, style)
    assert alphabet == preset("hard").charset.chars and len(alphabet) == 32
    assert target_alphabet(universal.model, evalset, whole) is None
    greedy = parse_decoder("greedy")
    for within in (True, False):
        bench = evaluate(universal, [preset("hard")], 30, [greedy], tmp_path / "cache",
                         within_alphabet=within).levels[0].decoders[0]  # fmt: skip
        correct = read_accuracy(universal.model, evalset, greedy, alphabet if within else None)
        assert correct == round(bench.seq_acc * 30)
    # Folders written before --alphabet existed were read with the whole alphabet.
    key = _attack_key("t", "e", whole, alphabet="model")
    _save_points(tmp_path / "points.json", [], {k: v for k, v in key.items() if k != "alphabet"})
    assert _load_points(tmp_path / "points.json", key) == []
    with pytest.raises(AttackError, match=r"other settings \(alphabet\)"):
        _load_points(tmp_path / "points.json", _attack_key("t", "e", style, alphabet="style"))


def test_the_verdict_names_the_attacker_that_reached_half_first():
    from benchmark.attack import Point, StyleAttack

    result = StyleAttack("s", "d", "e", [
        Point("finetune", 0, 0, 30, 100, 0.0), Point("finetune", 100, 10, 45, 100, 0.5),
        Point("finetune", 300, 30, 55, 100, 1.4), Point("selftrain", 0, 10, 40, 100, 0.6),
        Point("selftrain", 100, 20, 50, 100, 1.7),
    ])  # fmt: skip
    line = verdict(result, "k ≤ 300")
    assert "50 % after 100 samples (1.7 CPU-min) (selftrain)" in line
    assert "after 0 (as shipped) by the finetune attacker" in line
