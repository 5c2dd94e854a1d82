"""`bench run`: one model, several difficulty levels, several CTC decoders, one set of numbers.

For each level the model runs once over the evaluation set; every decoder reads the same
log-probabilities, so decoder comparisons are paired (McNemar) and differ only in decoding.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import torch

from crnn.data import render_eval_set
from crnn.decode import Constraints, DecodeContext, DecoderSpec, reading_alphabet
from crnn.lm import CharNgram
from crnn.metrics import char_accuracy, character_error_rate, sequence_accuracy
from crnn.model import parameter_count
from crnn.preprocess import preprocess_batch
from crnn.recognizer import Recognizer
from crnn.views import VIEWS, has_views, view_batches
from generator.errors import UserError
from generator.seeds import VALIDATION_SEED
from generator.spec import CaptchaSpec
from generator.text import word_list

from .evalsets import get_eval_set
from .metrics import (
    accuracy_at_coverage,
    accuracy_by_length,
    calibration_bins,
    confusions,
    coverage_curve,
    expected_calibration_error,
)
from .stats import discordant_pairs, mcnemar_exact, wilson_interval

LATENCY_SAMPLES = 50


class BenchError(UserError):
    pass


@dataclass
class DecoderResult:
    level: str
    decoder: str
    n: int
    seq_acc: float
    seq_acc_ci: tuple[float, float]
    char_acc: float
    cer: float
    mean_confidence: float
    ece: float
    ms_per_image_batch1: float  # forward + this decoder, one image at a time
    images_per_s_batched: float  # forward (batch 256) + this decoder
    decode_ms_per_image: float
    acc_at_coverage: dict[str, float]
    by_length: dict[int, dict]
    confusions: list[tuple[str, str, int]]
    calibration: list[dict]
    coverage: list[dict]
    predictions: list[str] = field(repr=False)
    confidences: list[float] = field(repr=False)


@dataclass
class LevelResult:
    level: str
    spec_digest: str
    evalset_digest: str
    evalset_path: str
    n: int
    texts: list[str] = field(repr=False)
    indices: list[int] = field(repr=False)
    decoders: list[DecoderResult] = field(default_factory=list)
    comparisons: list[dict] = field(default_factory=list)
    images: object = field(default=None, repr=False)  # what was read, for the misread gallery
    skipped: list[str] = field(default_factory=list)  # decoders that do not apply to this level
    context: dict = field(default_factory=dict)  # length range, lexicon size, tuned LM weights
    alphabet: str | None = None  # read within these characters (the style's), if narrower


@dataclass
class BenchResult:
    model: dict
    parameters: int
    levels: list[LevelResult]


def _forward_speed(rec: Recognizer, x: torch.Tensor) -> tuple[float, float, np.ndarray]:
    """(ms per image at batch 1, images/s at batch 256, log-probs of all of x)."""
    rec.log_probs_of(x[:8], batch_size=8)  # warm-up
    t0 = time.perf_counter()
    log_probs = rec.log_probs_of(x, batch_size=256)
    batched = len(x) / (time.perf_counter() - t0)
    single = x[:LATENCY_SAMPLES]
    t0 = time.perf_counter()
    for k in range(len(single)):
        rec.log_probs_of(single[k : k + 1], batch_size=1)
    per_image = (time.perf_counter() - t0) / len(single) * 1e3
    return per_image, batched, log_probs


def _view_log_probs(rec: Recognizer, images, base: np.ndarray) -> list[np.ndarray]:
    """Every test-time view's log-probabilities; the first view is the plain input, already
    read. (Speed is counted as one forward pass per view, like the plain decoders' figures.)"""
    cfg = rec.config
    batches = view_batches(images, cfg.height, cfg.width, cfg.resize, VIEWS[1:], cfg.channels)
    return [base, *(rec.log_probs_of(torch.from_numpy(b), batch_size=256) for b in batches)]


def _decode_timed(
    decoder: DecoderSpec, log_probs: np.ndarray, chars: str, context=None, constraints=None
):
    t0 = time.perf_counter()
    decoded = decoder.decode(log_probs, chars, constraints, context)
    return decoded, (time.perf_counter() - t0) / max(len(log_probs), 1) * 1e3


def evaluate(
    rec: Recognizer,
    specs: list[CaptchaSpec],
    n: int,
    decoders: list[DecoderSpec],
    cache: Path | None = None,
    progress=None,
    within_alphabet: bool = True,
) -> BenchResult:
    """Read each style's reserved-seed evaluation set with every decoder (within the style's
    alphabet unless ``within_alphabet`` is False: see evaluate_sets)."""
    for spec in specs:
        missing = set(spec.charset.chars) - set(rec.chars)
        if missing:
            raise BenchError(
                f"level {spec.name!r} draws characters the model cannot output: "
                f"{''.join(sorted(missing))!r}"
            )
    colour = rec.config.channels == 3
    evalsets = (get_eval_set(spec, n, cache, colour=colour) for spec in specs)
    return evaluate_sets(rec, evalsets, decoders, progress, within_alphabet)


def evaluate_sets(
    rec: Recognizer,
    evalsets,
    decoders: list[DecoderSpec],
    progress=None,
    within_alphabet: bool = True,
):
    """Read evaluation sets (rendered styles or labelled folders) with every decoder.

    A rendered style declares its alphabet, and an attacker reads it too (a handful of
    captchas shows it): with ``within_alphabet`` a model that writes more characters than the
    style (``universal``'s 0, 1, I, O on a confusable-free preset) reads within the style's.
    A folder of bare labels declares none and is read with the model's whole alphabet; a
    captchagen dataset folder declares its charset."""
    chars = rec.chars
    levels: list[LevelResult] = []
    for evalset in evalsets:
        cfg = rec.config
        x = torch.from_numpy(
            preprocess_batch(
                evalset.images, cfg.height, cfg.width, cfg.resize, channels=cfg.channels
            )
        )
        ms1, rate, log_probs = _forward_speed(rec, x)
        level = LevelResult(
            evalset.name,
            evalset.spec.digest() if evalset.spec is not None else "folder",
            evalset.digest,
            str(evalset.root),
            evalset.n,
            evalset.texts,
            evalset.indices,
        )
        level.images = evalset.images
        truths = evalset.texts
        constraints = None
        if within_alphabet and evalset.alphabet is not None:
            level.alphabet = reading_alphabet(chars, evalset.alphabet)
            if level.alphabet is not None:
                constraints = Constraints(allowed=level.alphabet)
        context = None
        if any(d.modifiers for d in decoders):
            context = decode_context(rec, evalset.spec, decoders, constraints)
            level.context = context_summary(context)
        views = None
        if any(d.tta for d in decoders) and has_views(cfg.resize):
            views = _view_log_probs(rec, evalset.images, log_probs)
        for decoder in decoders:
            if any(getattr(context, _NEEDS[m], None) is None for m in decoder.needs()):
                level.skipped.append(
                    f"{decoder.name}: not applicable, {evalset.name} has no word list"
                )
                continue
            if decoder.tta and views is None:
                level.skipped.append(
                    f"{decoder.name}: not applicable, the model stretches its input (no views)"
                )
                continue
            decoded, decode_ms = _decode_timed(
                decoder, views if decoder.tta else log_probs, chars, context, constraints
            )
            passes = len(views) if decoder.tta else 1  # forward passes per image
            preds = [d.text for d in decoded]
            conf = [d.confidence for d in decoded]
            correct = [t == p for t, p in zip(truths, preds, strict=True)]
            curve = coverage_curve(conf, correct)
            level.decoders.append(
                DecoderResult(
                    level=evalset.name,
                    decoder=decoder.name,
                    n=len(truths),
                    seq_acc=sequence_accuracy(truths, preds),
                    seq_acc_ci=wilson_interval(sum(correct), len(correct)),
                    char_acc=char_accuracy(truths, preds),
                    cer=character_error_rate(truths, preds),
                    mean_confidence=float(np.mean(conf)),
                    ece=expected_calibration_error(conf, correct),
                    ms_per_image_batch1=ms1 * passes + decode_ms,
                    images_per_s_batched=1e3 / (passes * 1e3 / rate + decode_ms),
                    decode_ms_per_image=decode_ms,
                    acc_at_coverage={
                        f"{c:.2f}": accuracy_at_coverage(curve, c) for c in (0.5, 0.8, 0.9)
                    },
                    by_length=accuracy_by_length(truths, preds),
                    confusions=confusions(truths, preds),
                    calibration=calibration_bins(conf, correct),
                    coverage=curve,
                    predictions=preds,
                    confidences=conf,
                )
            )
        level.comparisons = compare_decoders(level)
        levels.append(level)
        if progress:
            progress(evalset.name)
    return BenchResult(rec.document, parameter_count(rec.model), levels)


_NEEDS = {"lexicon": "words", "lm": "lm"}
LM_ORDER = 4
VALIDATION_SAMPLES = 200
ALPHAS = (0.0, 0.25, 0.5, 0.75, 1.0, 1.5)
BETAS = (0.0, 0.5, 1.0, 2.0)


def decode_context(
    rec: Recognizer,
    spec: CaptchaSpec | None,
    decoders,
    constraints: Constraints | None = None,
) -> DecodeContext:
    """What a level's style tells the decoders: its length range, its word list, and a
    character LM estimated from that list, whose weights (alpha, beta) are tuned on the style's
    *validation* samples (seed VALIDATION_SEED: never the evaluation set), read under the same
    ``constraints`` (the level's alphabet) as the evaluation set will be."""
    if spec is None:  # a labelled folder: nothing is known about its text
        return DecodeContext()
    words = None
    if spec.text.source == "words":
        words = word_list(spec.text.words, spec.charset.chars, spec.text.length)
    context = DecodeContext(length=spec.text.length, words=words)
    lm_decoders = [d for d in decoders if "lm" in d.modifiers]
    if words is None or not lm_decoders:
        return context
    lm = CharNgram(words, spec.charset.chars, order=LM_ORDER)
    images, texts, _ = render_eval_set(
        [spec], VALIDATION_SEED, VALIDATION_SAMPLES, rec.config.height, rec.config.width,
        rec.config.resize, rec.config.channels,
    )  # fmt: skip
    log_probs = rec.log_probs_of(images)
    tuner = replace(lm_decoders[0], tta=False)  # weights tuned on the plain view
    best = (-1.0, 0.0, 0.0)
    for alpha in ALPHAS:
        for beta in BETAS:
            trial = replace(context, lm=lm, alpha=alpha, beta=beta)
            preds = tuner.decode(log_probs, rec.chars, constraints, context=trial)
            acc = sequence_accuracy(texts, [d.text for d in preds])
            if acc > best[0]:
                best = (acc, alpha, beta)
    return replace(context, lm=lm, alpha=best[1], beta=best[2])


def context_summary(context: DecodeContext) -> dict:
    return {
        "length": list(context.length) if context.length else None,
        "lexicon_words": len(context.words) if context.words else 0,
        "lm": f"{LM_ORDER}-gram Witten-Bell over the word list" if context.lm else None,
        "alpha": context.alpha if context.lm else None,
        "beta": context.beta if context.lm else None,
    }


def compare_decoders(level: LevelResult, alpha: float = 0.05) -> list[dict]:
    """Greedy against every other decoder on the same samples: flips each way, exact McNemar."""
    by_name = {d.decoder: d for d in level.decoders}
    base = by_name.get("greedy") or level.decoders[0]
    out = []
    for other in level.decoders:
        if other is base:
            continue
        only_base, only_other = discordant_pairs(
            [p == t for p, t in zip(base.predictions, level.texts, strict=True)],
            [p == t for p, t in zip(other.predictions, level.texts, strict=True)],
        )
        p = mcnemar_exact(only_base, only_other)
        out.append(
            {
                "level": level.level,
                "a": base.decoder,
                "b": other.decoder,
                "only_a_right": only_base,
                "only_b_right": only_other,
                "p_value": p,
                "significant": p < alpha,
            }
        )
    return out
