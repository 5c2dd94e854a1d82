import itertools
import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from crnn.decode import (
    Constraints,
    DecoderError,
    beam_decode,
    best_path_tokens,
    greedy_decode,
    parse_decoder,
    parse_decoders,
    prefix_beam_search,
    reading_alphabet,
    sequence_log_probs,
    within_alphabet,
)

NO_PRUNING = float("-inf")


def log_softmax(x: np.ndarray) -> np.ndarray:
    x = x - x.max(axis=-1, keepdims=True)
    return x - np.log(np.exp(x).sum(axis=-1, keepdims=True))


def collapse(path, chars):
    out, prev = [], None
    for k in path:
        if k != prev and k != 0:
            out.append(chars[k - 1])
        prev = k
    return "".join(out)


def oracle(log_probs: np.ndarray, chars: str) -> dict[str, float]:
    """P(labelling) for every labelling, by enumerating all C**T alignments."""
    probs = np.exp(log_probs)
    totals: dict[str, float] = {}
    frames, classes = probs.shape
    for path in itertools.product(range(classes), repeat=frames):
        p = math.prod(probs[t, k] for t, k in enumerate(path))
        key = collapse(path, chars)
        totals[key] = totals.get(key, 0.0) + p
    return totals


logits_small = st.tuples(st.integers(1, 5), st.integers(2, 4)).flatmap(
    lambda tc: arrays(np.float64, tc, elements=st.floats(-4, 4, allow_nan=False))
)


@settings(max_examples=150, deadline=None)
@given(logits_small)
def test_wide_beam_finds_the_exact_most_probable_labelling(logits):
    lp = log_softmax(logits)
    chars = "abc"[: lp.shape[1] - 1]
    truth = oracle(lp, chars)
    best_text = max(truth, key=truth.get)
    hyps = prefix_beam_search(lp, chars, beam_width=10_000, n_best=5, token_min_logp=NO_PRUNING)
    assert math.isclose(math.exp(hyps[0].log_prob), truth[best_text], rel_tol=1e-9)
    assert math.isclose(truth[hyps[0].text], truth[best_text], rel_tol=1e-9)
    # Every n-best entry carries the exact probability of its string, in decreasing order.
    for h in hyps:
        assert math.isclose(math.exp(h.log_prob), truth[h.text], rel_tol=1e-9)
    assert [h.log_prob for h in hyps] == sorted((h.log_prob for h in hyps), reverse=True)


@settings(max_examples=150, deadline=None)
@given(logits_small)
def test_forward_algorithm_matches_enumeration(logits):
    lp = log_softmax(logits)
    chars = "abc"[: lp.shape[1] - 1]
    truth = oracle(lp, chars)
    texts = list(truth)
    targets = [[chars.index(c) + 1 for c in t] for t in texts]
    got = sequence_log_probs(np.repeat(lp[None], len(texts), axis=0), targets)
    for text, value in zip(texts, got, strict=True):
        assert math.isclose(math.exp(value), truth[text], rel_tol=1e-9, abs_tol=1e-300)


def test_forward_algorithm_matches_torch_ctc_loss():
    rng = np.random.default_rng(0)
    batch, frames, classes = 16, 20, 7
    lp = log_softmax(rng.normal(size=(batch, frames, classes)) * 3)
    targets = [rng.integers(1, classes, size=rng.integers(0, 8)).tolist() for _ in range(batch)]
    ours = sequence_log_probs(lp, targets)
    flat = torch.tensor([t for seq in targets for t in seq], dtype=torch.long)
    theirs = -torch.nn.functional.ctc_loss(
        torch.tensor(lp).transpose(0, 1),
        flat,
        torch.full((batch,), frames, dtype=torch.long),
        torch.tensor([len(t) for t in targets]),
        blank=0,
        reduction="none",
    )
    np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-9)


def test_impossible_labelling_has_zero_probability():
    lp = log_softmax(np.zeros((3, 3)))
    # "aa" needs a blank between the two a's: at least 3 frames; "aaa" needs 5.
    got = sequence_log_probs(np.repeat(lp[None], 2, 0), [[1, 1], [1, 1, 1]])
    assert got[0] > -math.inf and got[1] == -math.inf


@settings(max_examples=100, deadline=None)
@given(arrays(np.float64, (3, 12, 5), elements=st.floats(-5, 5, allow_nan=False)))
def test_greedy_is_collapse_of_argmax(logits):
    lp = log_softmax(logits)
    chars = "wxyz"
    decoded = greedy_decode(lp, chars)
    for sample, d in zip(lp, decoded, strict=True):
        assert d.text == collapse(sample.argmax(-1).tolist(), chars)
        exact = sequence_log_probs(sample[None], [[chars.index(c) + 1 for c in d.text]])[0]
        assert math.isclose(d.log_prob, exact)
    assert best_path_tokens(np.array([[[0, 1, 0], [0, 1, 0], [1, 0, 0], [0, 1, 0]]]))[0] == [1, 1]


def test_hand_computed_example():
    # Frames [_ .6, a .4] and [_ .4, a .6]. P("") = .6 * .4 = .24;
    # P("a") = P(a_) + P(_a) + P(aa) = .4*.4 + .6*.6 + .4*.6 = .76.
    lp = np.log(np.array([[0.6, 0.4], [0.4, 0.6]]))
    hyps = prefix_beam_search(lp, "a", beam_width=5, n_best=2, token_min_logp=NO_PRUNING)
    assert [h.text for h in hyps] == ["a", ""]
    assert math.isclose(hyps[0].confidence, 0.76) and math.isclose(hyps[1].confidence, 0.24)
    # Greedy picks the best *path* (_ then a -> "a"), here also the best labelling.
    assert greedy_decode(lp[None], "a")[0].text == "a"


def test_beam_beats_greedy_where_paths_split_the_mass():
    # Best single path is blank-blank (0.36) but "a" collects .64 across three paths.
    lp = np.log(np.array([[0.6, 0.4], [0.6, 0.4]]))
    assert greedy_decode(lp[None], "a")[0].text == ""
    assert beam_decode(lp[None], "a", 3)[0].text == "a"


@settings(max_examples=60, deadline=None)
@given(
    arrays(np.float64, (8, 6), elements=st.floats(-6, 6, allow_nan=False)),
    st.integers(0, 3),
    st.integers(0, 3),
    st.sampled_from([None, "ab", "ace"]),
)
def test_constrained_beams_stay_inside_the_constraint(logits, lo, extra, allowed):
    lp = log_softmax(logits)
    con = Constraints(min_len=lo, max_len=lo + extra, allowed=allowed)
    for hyp in prefix_beam_search(lp, "abcde", 8, constraints=con, n_best=8):
        assert con.accepts(hyp.text)


@settings(max_examples=80, deadline=None)
@given(logits_small, st.integers(0, 2), st.integers(0, 2))
def test_constrained_wide_beam_is_the_exact_constrained_optimum(logits, lo, extra):
    lp = log_softmax(logits)
    chars = "abc"[: lp.shape[1] - 1]
    con = Constraints(min_len=lo, max_len=lo + extra, allowed=chars[:1] + chars[2:] or None)
    truth = {t: p for t, p in oracle(lp, chars).items() if con.accepts(t)}
    hyps = prefix_beam_search(lp, chars, 10_000, constraints=con, token_min_logp=NO_PRUNING)
    if not truth:
        assert hyps == []
        return
    best = max(truth.values())
    assert math.isclose(math.exp(hyps[0].log_prob), best, rel_tol=1e-9)


def test_lexicon_returns_a_lexicon_entry():
    rng = np.random.default_rng(3)
    lexicon = ("CAB", "BAD", "DAB", "ACE")
    con = Constraints(lexicon=lexicon)
    for _ in range(50):
        lp = log_softmax(rng.normal(size=(12, 6)) * 2)
        hyps = prefix_beam_search(lp, "ABCDE", 20, constraints=con, n_best=3)
        assert hyps and all(h.text in lexicon for h in hyps)


def test_lexicon_fixes_a_misread():
    # Frames clearly say "CAE"; the lexicon only allows CAB/CAT-like words: C A then B vs E.
    chars = "ABCE"
    p = np.full((5, 5), 0.01)
    for t, k in enumerate([3, 0, 1, 0, 4]):  # C _ A _ E
        p[t, k] = 0.9
    p[4, 2] = 0.08  # a little B in the last frame
    lp = np.log(p / p.sum(1, keepdims=True))
    assert greedy_decode(lp[None], chars)[0].text == "CAE"
    fixed = prefix_beam_search(lp, chars, 10, constraints=Constraints(lexicon=("CAB", "ABC")))
    assert fixed[0].text == "CAB"


def test_matches_fast_ctc_decode_on_peaky_outputs():
    fast_ctc_decode = pytest.importorskip("fast_ctc_decode")
    rng = np.random.default_rng(7)
    chars = "0123456789"
    agree = 0
    for _ in range(200):
        # Peaky, CTC-like outputs: mostly blank, a few confident labels, some noise.
        frames = 24
        logits = rng.normal(size=(frames, 11))
        logits[:, 0] += 3
        spikes = rng.choice(frames, size=5, replace=False)
        logits[spikes, rng.integers(1, 11, size=5)] += 6
        lp = log_softmax(logits)
        ours = prefix_beam_search(lp, chars, 16, token_min_logp=NO_PRUNING)[0].text
        theirs, _ = fast_ctc_decode.beam_search(
            np.exp(lp).astype(np.float32), ["_", *chars], beam_size=16, beam_cut_threshold=0.0
        )
        agree += ours == theirs
    assert agree >= 196, agree  # beam-search variants may differ on near-ties only


def test_decoder_names():
    assert parse_decoder("greedy").name == "greedy"
    assert parse_decoder("beam:5").beam_width == 5
    assert [d.name for d in parse_decoders("greedy,beam:5,beam:10")] == [
        "greedy",
        "beam:5",
        "beam:10",
    ]
    for bad in ("beam:0", "beam:-2", "beam:x", "beem:5", ""):
        with pytest.raises(DecoderError):
            parse_decoders(bad)


def test_bad_constraints():
    with pytest.raises(DecoderError):
        Constraints(min_len=3, max_len=2)
    with pytest.raises(DecoderError):
        Constraints(lexicon=())


@settings(max_examples=80, deadline=None)
@given(logits_small, st.integers(0, 2))
def test_within_alphabet_is_the_oracle_conditioned_on_the_alphabet(logits, dropped):
    """P(text | image, text uses only the allowed characters), by enumerating every alignment:
    the masked, renormalised frames give each admissible string exactly that probability."""
    lp = log_softmax(logits)
    chars = "abc"[: lp.shape[1] - 1]
    allowed = chars.replace(chars[dropped % len(chars)], "") or chars
    truth = {t: p for t, p in oracle(lp, chars).items() if all(c in allowed for c in t)}
    total = sum(truth.values())
    masked = within_alphabet(lp, chars, allowed)
    for text, p in oracle(masked, chars).items():
        assert all(c in allowed for c in text) or p == 0.0
        if p:
            assert math.isclose(p, truth[text] / total, rel_tol=1e-9)


def test_greedy_within_an_alphabet_takes_the_best_allowed_label_per_frame():
    # Frames: O (0.6) over D (0.3); blank; 7 (0.5) over T (0.4). Without O and 7: "DT".
    chars = "7DOT"
    p = np.array([[0.05, 0.0, 0.3, 0.6, 0.05], [0.9, 0.02, 0.02, 0.03, 0.03],
                  [0.05, 0.5, 0.0, 0.05, 0.4]]) + 1e-6  # fmt: skip
    lp = np.log(p / p.sum(1, keepdims=True))[None]
    assert parse_decoder("greedy").decode(lp, chars)[0].text == "O7"
    within = parse_decoder("greedy").decode(lp, chars, Constraints(allowed="DT"))[0]
    assert within.text == "DT"
    # Its confidence is conditioned on the alphabet, so it beats the unconditioned one.
    plain = math.exp(sequence_log_probs(lp[0][None], [[2, 4]])[0])
    assert within.confidence > plain
    # The same reading through every view of +tta, and through a beam.
    views = [lp, lp]
    assert (
        parse_decoder("greedy+tta").decode(views, chars, Constraints(allowed="DT"))[0].text == "DT"
    )
    assert parse_decoder("beam:4").decode(lp, chars, Constraints(allowed="DT"))[0].text == "DT"


def test_reading_alphabet():
    assert reading_alphabet("0123ABCO", "123ABC") == "123ABC"
    assert reading_alphabet("ABC", "CBA") is None  # nothing to restrict
    assert reading_alphabet("ABC", "ABCD") is None  # D is the caller's to refuse
    with pytest.raises(DecoderError, match="cannot write any"):
        within_alphabet(np.zeros((1, 2, 3)), "AB", "Z")
