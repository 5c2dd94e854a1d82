"""Decoders that use structure: length ranges, lexicons and a character language model."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crnn.decode import (
    DecodeContext,
    DecoderError,
    parse_decoder,
    prefix_beam_search,
    sequence_log_probs,
)
from crnn.lm import END, CharNgram

CHARS = "ABC"


def random_log_probs(seed: int, frames: int, classes: int = 4) -> np.ndarray:
    logits = np.random.default_rng(seed).normal(0, 2, size=(frames, classes))
    return logits - np.logaddexp.reduce(logits, axis=1, keepdims=True)


def test_ngram_probabilities_match_hand_counts():
    # Words AB, AC, B padded as ^AB$, ^AC$, ^B$ (bigram model).
    lm = CharNgram(["AB", "AC", "B"], CHARS, order=2)
    # Unigram level: A 2, B 2, C 1, $ 3 of 8 tokens, 4 types: P(A) = (2 + 4/4) / (8 + 4).
    uniform = 1 / 4
    unigram_a = (2 + 4 * uniform) / (8 + 4)
    assert lm._wb("", "A") == pytest.approx(unigram_a)
    # After ^: A twice, B once (2 types): P(A | ^) = (2 + 2 * P(A)) / (3 + 2).
    assert lm.prob("", "A") == pytest.approx((2 + 2 * unigram_a) / 5)
    # After A: B once, C once: P(B | A) = (1 + 2 * P(B)) / (2 + 2).
    unigram_b = (2 + 4 * uniform) / 12
    assert lm.prob("A", "B") == pytest.approx((1 + 2 * unigram_b) / 4)
    for history in ("", "A", "B", "C", "AB", "CCC"):
        assert sum(lm.prob(history, c) for c in CHARS + END) == pytest.approx(1.0)


def test_decoder_names_are_parsed_strictly():
    assert parse_decoder("beam:10+lexicon").name == "beam:10+lexicon"
    assert parse_decoder("beam:5+lm+len").name == "beam:5+len+lm"
    for bad in ("beam:10+lexcon", "beam:10+lm+lm", "greedy+lm", "beam+lm", "beam:x+len"):
        with pytest.raises(DecoderError):
            parse_decoder(bad)
    with pytest.raises(DecoderError, match="needs a word list"):
        parse_decoder("beam:3+lexicon").decode(random_log_probs(0, 6)[None], CHARS)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000), st.integers(3, 9))
def test_lexicon_beam_never_answers_a_non_word(seed, frames):
    words = ("AB", "BCA", "CAB", "A")
    ctx = DecodeContext(words=words)
    out = parse_decoder("beam:4+lexicon").decode(
        random_log_probs(seed, frames)[None], CHARS, context=ctx
    )
    assert out[0].text in words or out[0].text == ""


def test_lm_beam_equals_brute_force_over_every_string():
    """Unpruned, an LM-fused beam finds the string maximising CTC score + alpha LM + beta len."""
    lm = CharNgram(["AB", "ABC", "CA", "BB"], CHARS, order=2)
    alpha, beta = 0.8, 0.3
    strings = ["".join(p) for n in range(0, 6) for p in itertools.product(CHARS, repeat=n)]
    ids = [[CHARS.index(c) + 1 for c in s] for s in strings]
    lm_scores = [sum(lm.logp(s[:i], c) for i, c in enumerate(s)) + lm.logp(s, END) for s in strings]
    for seed in range(12):
        lp = random_log_probs(seed, 5)
        acoustic = sequence_log_probs(np.broadcast_to(lp, (len(strings), *lp.shape)), ids)
        fused = acoustic + alpha * np.array(lm_scores) + beta * np.array([len(s) for s in strings])
        best = int(np.argmax(np.where(np.isfinite(acoustic), fused, -np.inf)))
        found = prefix_beam_search(lp, CHARS, beam_width=10_000, token_min_logp=-math.inf,
                                   lm=lm, alpha=alpha, beta=beta)  # fmt: skip
        assert found[0].text == strings[best], seed
        assert found[0].log_prob == pytest.approx(acoustic[best])


def test_alpha_zero_reproduces_plain_beam():
    lm = CharNgram(["ABC", "CAB"], CHARS, order=3)
    for seed in range(20):
        lp = random_log_probs(seed, 8)
        plain = prefix_beam_search(lp, CHARS, 5, n_best=3)
        fused = prefix_beam_search(lp, CHARS, 5, n_best=3, lm=lm, alpha=0.0, beta=0.0)
        assert [(d.text, d.log_prob) for d in plain] == [(d.text, d.log_prob) for d in fused]


def test_length_constraint_from_the_context():
    lp = random_log_probs(3, 9)
    out = parse_decoder("beam:8+len").decode(lp[None], CHARS, context=DecodeContext(length=(3, 3)))
    assert len(out[0].text) in (0, 3)


def test_bench_run_compares_structure_aware_decoders_on_words(tmp_path, capsys, monkeypatch):
    """The harness builds each level's context (length, word list, LM tuned on validation
    samples), skips what does not apply to random strings, and reports it."""
    import json

    from conftest import invoke, tiny

    from benchmark import harness
    from benchmark.cli import main as bench_main
    from crnn.train import train

    monkeypatch.setattr(harness, "VALIDATION_SAMPLES", 8)
    monkeypatch.setattr(harness, "ALPHAS", (0.0, 0.5))
    monkeypatch.setattr(harness, "BETAS", (0.0,))
    train(tiny(out=tmp_path / "m", styles=("words-medium",), steps=2, val_every=2))
    decoders = "greedy,beam:4,beam:4+len,beam:4+lexicon,beam:4+lm"
    letters = tmp_path / "letters.json"  # random uppercase strings: no word list
    letters.write_text('{"preset": "easy", "name": "letters", "text": {"charset": "upper"}}')
    argv = ["run", "-d", f"words-medium,{letters}", "--n", "12", "--decoders", decoders,
            "--model", str(tmp_path / "m"), "-o", str(tmp_path / "r")]  # fmt: skip
    code, _, err = invoke(bench_main, argv, capsys)
    assert code in (0, None), err
    metrics = json.loads((tmp_path / "r" / "metrics.json").read_text())
    level = metrics["levels"][0]
    assert {d["decoder"] for d in level["decoders"]} == set(decoders.split(","))
    assert level["decode_context"]["lexicon_words"] == 2048
    assert level["decode_context"]["alpha"] in (0.0, 0.5)
    report = (tmp_path / "r" / "report.md").read_text()
    assert "accuracy gained per ms" in report and "words-medium" in report
    lexicon_rows = [r["level"] for r in metrics["rows"] if r["decoder"] == "beam:4+lexicon"]
    assert lexicon_rows == ["words-medium"]
    assert metrics["levels"][1]["not_applicable"] == [
        "beam:4+lexicon: not applicable, letters has no word list",
        "beam:4+lm: not applicable, letters has no word list",
    ]


def test_predict_with_a_lexicon_only_answers_words(tmp_path, capsys):
    from conftest import invoke, tiny

    from crnn.cli import main as crnn_main
    from crnn.train import train
    from generator.sample import render_sample
    from generator.spec import preset

    train(tiny(out=tmp_path / "m", styles=("words-medium",), steps=2, val_every=2))
    (tmp_path / "words.txt").write_text("apple\nbanana\ncherry\n")
    paths = []
    for i in range(3):
        render_sample(preset("words-medium"), 0, i).image.save(tmp_path / f"{i}.png")
        paths.append(str(tmp_path / f"{i}.png"))
    argv = ["predict", *paths, "--model", str(tmp_path / "m"), "--decoder", "beam:5+lexicon+lm",
            "--lexicon", str(tmp_path / "words.txt"), "--format", "csv"]  # fmt: skip
    code, out, err = invoke(crnn_main, argv, capsys)
    assert code in (0, None), err
    answers = [line.split(",")[1] for line in out.strip().splitlines()[1:]]
    assert len(answers) == 3 and set(answers) <= {"APPLE", "BANANA", "CHERRY", ""}
    code, _, err = invoke(crnn_main, ["predict", paths[0], "--model", str(tmp_path / "m"),
                                      "--decoder", "beam:5+lexicon"], capsys)  # fmt: skip
    assert code not in (0, None) and "needs a word list" in err


def test_lm_weights_are_tuned_within_the_alphabet_the_level_is_read_in(monkeypatch):
    """The tuner reads validation samples under the level's constraints (its alphabet), so the
    weights it picks are the best for the reading the evaluation set will get."""
    from benchmark import harness
    from crnn.decode import Constraints, DecoderSpec
    from crnn.recognizer import Recognizer
    from generator.spec import preset

    monkeypatch.setattr(harness, "VALIDATION_SAMPLES", 4)
    monkeypatch.setattr(harness, "ALPHAS", (0.0, 0.5))
    monkeypatch.setattr(harness, "BETAS", (0.0,))
    seen = []
    real = DecoderSpec.decode

    def spy(self, log_probs, chars, constraints=None, context=None):
        seen.append(constraints)
        return real(self, log_probs, chars, constraints, context)

    monkeypatch.setattr(DecoderSpec, "decode", spy)
    rec = Recognizer.load("universal")
    spec = preset("words-medium")
    within = Constraints(allowed=spec.charset.chars)
    harness.decode_context(rec, spec, [parse_decoder("beam:4+lm")], within)
    assert len(seen) == 2 and all(c == within for c in seen)
