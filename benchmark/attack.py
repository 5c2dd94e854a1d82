"""``bench attack``: how much effort breaks a captcha style.

An attacker of growing effort trains on the style's own stream (labelled samples from training
seeds) and is evaluated on the style's reserved-seed evaluation set at effort points: 0 (the
pretrained reader as it is), 100, 300, 1k, 3k, … labelled samples seen, up to a budget in
samples or CPU-minutes. Two attackers: one fine-tunes the pretrained reader, one trains from
scratch. Training runs in segments with a constant learning rate, so a segment is a bit-exact
continuation of the last (``crnn train --schedule constant --resume``): the curve is one run,
and an interrupted attack resumes where it stopped. Each point reads a moving average of the
weights (``--ema``), which does what annealing the learning rate would without fixing the
run's length in advance.
"""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import torch

from crnn.augment import STRENGTHS
from crnn.checkpoint import load_training_model, read_training_meta
from crnn.decode import (
    Constraints,
    DecoderError,
    DecoderSpec,
    parse_decoder,
    reading_alphabet,
    sequence_log_probs,
    within_alphabet,
)
from crnn.model import ARCHS, CRNN
from crnn.preprocess import preprocess_batch
from crnn.recognizer import Recognizer
from crnn.registry import DEFAULT_MODEL
from crnn.train import TrainConfig, train
from crnn.views import default_decoder, view_batches
from generator.errors import UserError
from generator.io import atomic_write_text
from generator.jsonfile import JsonFileError, read_json
from generator.spec import CaptchaSpec
from generator.version import RENDER_VERSION

from .evalsets import ALPHABETS, EvalSet, get_eval_set
from .stats import wilson_interval

EFFORT_POINTS = (0, 100, 300, 1_000, 3_000, 10_000, 30_000, 100_000, 300_000, 1_000_000)
THRESHOLDS = (0.01, 0.10, 0.50, 0.90)  # 1 %: "broken" (George et al., Science 2017)
ATTACKERS = ("finetune", "scratch")


class AttackError(UserError):
    pass


@dataclass(frozen=True)
class Budget:
    samples: int | None = None
    minutes: float | None = None

    def describe(self) -> str:
        return f"{self.samples:,} samples" if self.samples else f"{self.minutes:g} CPU-minutes"


def parse_budget(text: str) -> Budget:
    """``100k``, ``1M``, ``30000`` (labelled samples) or ``20m``, ``1.5h`` (CPU time)."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(k|m|M|min|h|s)?\s*", text)
    if not match:
        raise AttackError(
            f"--budget {text!r}: give samples (30000, 100k, 1M) or CPU time (20min, 1.5h)"
        )
    value, unit = float(match[1]), match[2] or ""
    if unit in ("min", "h", "s"):
        minutes = value * {"min": 1, "h": 60, "s": 1 / 60}[unit]
        if minutes <= 0:
            raise AttackError("--budget must be positive")
        return Budget(minutes=minutes)
    samples = int(value * {"": 1, "k": 1e3, "m": 1e6, "M": 1e6}[unit])
    if samples < 1:
        raise AttackError("--budget must be at least 1 sample")
    return Budget(samples=samples)


@dataclass
class AttackConfig:
    out: Path
    budget: Budget
    attackers: tuple[str, ...] = ATTACKERS
    init: str = DEFAULT_MODEL  # the fine-tuning attacker's starting point
    arch: str = "small"  # the from-scratch attacker's model ...
    scratch_width: int = 128  # ... and its input width (height 32; T = width / 4)
    n_eval: int = 500
    batch_size: int = 32
    lr_finetune: float = 1e-3
    lr_scratch: float = 3e-3
    # The from-scratch attacker first trains this many steps on `easy` drawn in the style's
    # alphabet (the curriculum `crnn train` uses): straight onto a cluttered style, CTC stays on
    # its blank plateau (measured: 0.000 on hard through 100k samples).
    scratch_warmup: int = 1000
    # Effort points read a moving average of the weights (crnn.ema): the constant learning rate
    # that keeps the curve one extendable run otherwise leaves every point at a noisy iterate.
    ema: float = 0.999
    workers: int = 0  # render processes beside training (0: render in the training process)
    passes: int = 40  # k-shot: training passes over the k labelled images
    augment: str = "mild"  # k-shot: none, mild or strong (crnn.augment)
    # Self-training on unlabelled images (k-shot with --unlabelled): the fine-tuned reader's
    # readings at least this confident become labels (0.7: universal's readings that sure are
    # 92-98 % right on the validation samples of medium and hard,
    # results/attack/pseudo-calibration.txt) ...
    pseudo_confidence: float = 0.7
    # ... and the reader trains this many passes over them (beside the k labelled ones).
    pseudo_passes: int = 10
    # k-shot: also run the interpolating attacker (the fine-tuned reader moved back towards
    # the shipped one as far as a held-back fifth of the k images says; crnn.interpolate).
    interpolate: bool = True
    # How every effort point is read: greedy or beam:K, each optionally +tta. "auto": an
    # attacker reads with every trick it has, so with test-time views (greedy+tta, crnn.views)
    # wherever the model keeps the aspect ratio, greedy for a stretch model.
    decoder: str = "auto"
    # style: effort points on a rendered style are read within its alphabet (an attacker sees
    # it in a handful of captchas), so `universal` never answers a 0, 1, I or O on a preset
    # that draws none; model: the model's whole alphabet. A folder declares no alphabet.
    alphabet: str = "style"
    seed: int = 0
    threads: int | None = None
    cache: Path | None = None

    def __post_init__(self) -> None:
        unknown = set(self.attackers) - set(ATTACKERS)
        if unknown or not self.attackers:
            raise AttackError(f"--attackers must name some of {', '.join(ATTACKERS)}")
        if self.n_eval < 1 or self.batch_size < 1:
            raise AttackError("--n and --batch-size must be positive")
        if not (self.ema == 0 or 0 < self.ema < 1):
            raise AttackError(f"--ema must be 0 (off) or between 0 and 1, got {self.ema}")
        if self.workers < 0:
            raise AttackError(f"--workers must be 0 or more, got {self.workers}")
        if self.arch not in ARCHS:
            raise AttackError(f"--arch must be one of {', '.join(ARCHS)}, not {self.arch!r}")
        if not 32 <= self.scratch_width <= 1024 or self.scratch_width % 4:
            raise AttackError(
                f"--scratch-width must be a multiple of 4 from 32 to 1024, got {self.scratch_width}"
            )
        if self.scratch_warmup < 0:
            raise AttackError(f"--scratch-warmup must be 0 or more, got {self.scratch_warmup}")
        if self.augment not in STRENGTHS:
            raise AttackError(
                f"--augment must be one of {', '.join(STRENGTHS)}, not {self.augment!r}"
            )
        if self.alphabet not in ALPHABETS:
            raise AttackError(f"--alphabet must be style or model, got {self.alphabet!r}")
        if self.passes < 1:
            raise AttackError(f"--passes must be at least 1, got {self.passes}")
        if not 0 < self.pseudo_confidence <= 1 or self.pseudo_passes < 1:
            raise AttackError(
                "--pseudo-confidence must be in (0, 1] and --pseudo-passes at least 1, got "
                f"{self.pseudo_confidence} and {self.pseudo_passes}"
            )
        if self.decoder != "auto":
            try:
                spec = parse_decoder(self.decoder)
            except DecoderError as err:
                raise AttackError(f"--decoder: {err}") from None
            if spec.modifiers:
                raise AttackError(
                    f"--decoder {self.decoder}: give greedy or beam:K, optionally +tta (effort "
                    "points know no word list or length range)"
                )
            self.decoder = spec.name

    def reader_for(self, model: CRNN) -> DecoderSpec:
        """The decoder that reads ``model``'s effort points."""
        if self.decoder == "auto":
            return parse_decoder(default_decoder(model.config.resize))
        return parse_decoder(self.decoder)


@dataclass
class Point:
    attacker: str
    samples: int  # labelled samples seen
    steps: int
    correct: int
    n: int
    cpu_minutes: float  # training CPU time spent so far (all threads)
    draw: int = 0  # k-shot: which random draw of k labelled images
    alpha: float | None = None  # interpolate: how far the reader moved from the shipped one
    accuracy: float = 0.0
    ci: tuple[float, float] = (0.0, 1.0)

    def __post_init__(self) -> None:
        self.accuracy = self.correct / self.n if self.n else 0.0
        self.ci = wilson_interval(self.correct, self.n)


@dataclass
class StyleAttack:
    style: str
    spec_digest: str
    evalset_digest: str
    points: list[Point] = field(default_factory=list)
    ms_per_solve: float = 0.0  # the final fine-tuned (else scratch) model, batch 1, CPU

    def curve(self, attacker: str) -> list[Point]:
        """One point per effort; k-shot draws pooled (correct and n summed, so the Wilson
        interval covers every draw's test readings)."""
        pooled: dict[int, Point] = {}
        for p in self.points:
            if p.attacker != attacker:
                continue
            if p.samples in pooled:
                q = pooled[p.samples]
                pooled[p.samples] = Point(
                    attacker, p.samples, max(p.steps, q.steps), q.correct + p.correct,
                    q.n + p.n, max(p.cpu_minutes, q.cpu_minutes), draw=-1,
                )  # fmt: skip
            else:
                pooled[p.samples] = p
        return [pooled[k] for k in sorted(pooled)]

    def effort_to(self, attacker: str, threshold: float) -> Point | None:
        return next((p for p in self.curve(attacker) if p.accuracy >= threshold), None)


def cpu_seconds() -> float:
    """CPU time of this process and of its finished children (render workers), all threads:
    what an attacker pays, wherever the work ran."""
    import resource

    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


BUDGET_SLACK = 1.25  # a CPU-time budget may be overrun by this factor, never by a whole segment


def fits_budget(budget: Budget, cpu_minutes: float, reached: int, target: int) -> bool:
    """Whether training on from ``reached`` to ``target`` samples stays within a CPU-time
    budget (sample budgets are fixed by the effort points). The cost is projected from the
    rate so far: effort points grow about 3x, so "stop once over" could overrun 3x."""
    if budget.minutes is None:
        return True
    if cpu_minutes >= budget.minutes:
        return False
    if reached == 0 or cpu_minutes <= 0:
        return True
    projected = cpu_minutes + (target - reached) * cpu_minutes / reached
    return projected <= budget.minutes * BUDGET_SLACK


def effort_points(budget: Budget) -> list[int]:
    if budget.samples is None:
        return list(EFFORT_POINTS)
    points = [k for k in EFFORT_POINTS if k <= budget.samples]
    if budget.samples not in points:
        points.append(budget.samples)
    return points


def _inputs(model: CRNN, images, decoder: DecoderSpec) -> list[np.ndarray]:
    """The model's input for each view (+tta), or the one plain input."""
    cfg = model.config
    if decoder.tta:
        return view_batches(images, cfg.height, cfg.width, cfg.resize, channels=cfg.channels)
    return [preprocess_batch(images, cfg.height, cfg.width, cfg.resize, channels=cfg.channels)]


def _forward(model: CRNN, x: np.ndarray) -> np.ndarray:
    model.eval()
    outs = []
    with torch.inference_mode():
        for start in range(0, len(x), 256):
            outs.append(model(torch.from_numpy(x[start : start + 256])).float().numpy())
    return np.concatenate(outs)


def _read(model: CRNN, inputs: list[np.ndarray], decoder: DecoderSpec, alphabet=None):
    return _decode(model, [_forward(model, x) for x in inputs], decoder, alphabet)


def _decode(model: CRNN, log_probs: list[np.ndarray], decoder: DecoderSpec, alphabet=None):
    """Readings from each view's log-probabilities (one view unless the decoder has +tta)."""
    constraints = None if alphabet is None else Constraints(allowed=alphabet)
    return decoder.decode(
        log_probs if decoder.tta else log_probs[0], model.config.charset, constraints
    )


def target_alphabet(model: CRNN, evalset: EvalSet, config: AttackConfig) -> str | None:
    """The characters effort points are read within: the style's (or what a captchagen
    dataset folder declares), when narrower than the model's and ``config.alphabet`` is style;
    None (the model's) otherwise."""
    if config.alphabet != "style" or evalset.alphabet is None:
        return None
    return reading_alphabet(model.config.charset, evalset.alphabet)


def read_accuracy(
    model: CRNN,
    evalset: EvalSet,
    decoder: DecoderSpec | None = None,
    alphabet: str | None = None,
) -> int:
    """Sequence-correct readings of the evaluation set (default: greedy, one view, the
    model's whole alphabet)."""
    decoder = decoder or parse_decoder("greedy")
    decoded = _read(model, _inputs(model, evalset.images, decoder), decoder, alphabet)
    return sum(d.text == t for d, t in zip(decoded, evalset.texts, strict=True))


def _ms_per_solve(
    model: CRNN, evalset: EvalSet, decoder: DecoderSpec, alphabet=None, repeats: int = 30
) -> float:
    """One image at a time: every view's forward pass and the decoding (inputs prepared)."""
    images = evalset.images[:repeats]
    prepared = [_inputs(model, images[k : k + 1], decoder) for k in range(len(images))]
    _read(model, prepared[0], decoder, alphabet)  # warm-up
    t0 = time.perf_counter()
    for inputs in prepared:
        _read(model, inputs, decoder, alphabet)
    return (time.perf_counter() - t0) / max(len(images), 1) * 1e3


def _attack_key(target: str, evalset_digest: str, config: AttackConfig, **extra) -> dict:
    """Everything that shapes an attack's points: a folder resumed with any other settings
    (a re-tuned style, a new renderer, another init or learning rate) would mix two curves.
    The init is keyed by its weights too: a name such as `universal` means whatever model the
    installed package ships (folders written before this was keyed are refused, to be safe)."""
    from crnn.checkpoint import weights_digest
    from crnn.registry import resolve_model

    return {
        "target": target,
        "evalset": evalset_digest,
        "render_version": RENDER_VERSION,
        "init": config.init,
        "init_weights": weights_digest(resolve_model(config.init).path),
        "arch": config.arch,
        "scratch_width": config.scratch_width,
        "batch_size": config.batch_size,
        "lr_finetune": config.lr_finetune,
        "lr_scratch": config.lr_scratch,
        "scratch_warmup": config.scratch_warmup,
        "ema": config.ema,
        "decoder": config.decoder,
        "seed": config.seed,
        **extra,
    }


# What an attack did before each of these settings existed (folders written then lack them).
KEY_BEFORE_SETTING = {
    "scratch_warmup": 0,
    "passes": 40,
    "augment": "mild",
    "decoder": "greedy",
    "alphabet": "model",
    "scratch_width": 128,
    "alpha_rule": "logprob",  # folders from before it hold no interpolated point
}


def _load_points(path: Path, key: dict) -> list[Point]:
    """Points an earlier run of the same attack recorded; refused if made with other settings."""
    if not path.exists():
        _save_points(path, [], key)  # claims the folder before any training writes into it
        return []
    shape = {"points": [{"attacker": str, "samples": int, "steps": int, "correct": int,
                         "n": int, "cpu_minutes": float}]}  # fmt: skip
    try:
        data = read_json(path, shape)
    except JsonFileError as err:
        raise AttackError(f"{err}; delete {path} to start this attack over") from None
    # Settings added after a folder was written read as what that code did before they existed.
    written = data.get("key") or {}
    stored = {**KEY_BEFORE_SETTING, **written}
    if {k: stored.get(k) for k in key} != key or set(written) - set(key):
        changed = sorted(k for k in set(key) | set(written) if stored.get(k) != key.get(k))
        raise AttackError(
            f"{path.parent} holds an attack made with other settings ({', '.join(changed)}); "
            "give another --out, or delete that folder to start over"
        )
    keys = ("attacker", "samples", "steps", "correct", "n", "cpu_minutes")
    return [
        Point(**{k: row[k] for k in keys}, draw=row.get("draw", 0), alpha=row.get("alpha"))
        for row in data["points"]
    ]


def _save_points(path: Path, points: list[Point], key: dict) -> None:
    rows = [asdict(p) for p in points]
    atomic_write_text(path, json.dumps({"key": key, "points": rows}, indent=2) + "\n")


def attack_style(
    spec: CaptchaSpec,
    style_ref: str,
    config: AttackConfig,
    progress: Callable[[str], None] | None = None,
) -> StyleAttack:
    """Both attackers' curves for one style (resuming whatever an earlier run finished)."""
    folder = config.out / spec.name
    folder.mkdir(parents=True, exist_ok=True)
    evalset = get_eval_set(spec, config.n_eval, config.cache, colour=reads_colour(config.init))
    result = StyleAttack(spec.name, spec.digest(), evalset.digest)
    points_file = folder / "points.json"
    key = _attack_key(spec.digest(), evalset.digest, config, alphabet=config.alphabet)
    done = _load_points(points_file, key)
    result.points = list(done)
    if config.threads:
        torch.set_num_threads(config.threads)
    for attacker in config.attackers:
        run_dir = folder / f"run-{attacker}"
        cpu = max((p.cpu_minutes for p in done if p.attacker == attacker), default=0.0)
        finished = {p.samples for p in done if p.attacker == attacker}
        reached = 0  # samples trained so far
        for samples in effort_points(config.budget):
            if samples in finished:
                reached = samples
                continue
            if not fits_budget(config.budget, cpu, reached, samples):
                break
            steps = math.ceil(samples / config.batch_size)
            if samples == 0:
                model = _untrained(attacker, spec, config)
            else:
                trained = (run_dir / "state.json").exists() and (
                    read_training_meta(run_dir)["step"] >= steps
                )
                if not trained:  # (trained: killed after training, before recording the point)
                    t0 = cpu_seconds()
                    train(_segment(attacker, spec, style_ref, run_dir, steps, config))
                    cpu += (cpu_seconds() - t0) / 60
                model = load_training_model(run_dir, averaged=True)
            alphabet = target_alphabet(model, evalset, config)
            correct = read_accuracy(model, evalset, config.reader_for(model), alphabet)
            reached = samples
            point = Point(attacker, samples, steps, correct, evalset.n, round(cpu, 3))
            result.points.append(point)
            _save_points(points_file, result.points, key)
            if progress:
                progress(
                    f"{spec.name} {attacker}: {samples:,} samples, accuracy "
                    f"{point.accuracy:.3f}, {cpu:.1f} CPU-min"
                )
    # Seconds per solve of the strongest attacker's final model (the first attacker listed).
    for attacker in config.attackers:
        if (folder / f"run-{attacker}" / "state.json").exists():
            final = load_training_model(folder / f"run-{attacker}", averaged=True)
            result.ms_per_solve = _ms_per_solve(
                final, evalset, config.reader_for(final), target_alphabet(final, evalset, config)
            )
            break
    # Points of every attacker recorded in the folder (a run may extend one attacker alone).
    result.points.sort(key=lambda p: (ATTACKERS.index(p.attacker), p.samples))
    return result


def _untrained(attacker: str, spec: CaptchaSpec, config: AttackConfig) -> CRNN:
    if attacker == "finetune":
        return Recognizer.load(config.init).model
    from crnn.model import ModelConfig

    torch.manual_seed(config.seed)
    return CRNN(ModelConfig(arch=config.arch, charset=spec.charset.chars,
                            width=config.scratch_width, max_label=spec.text.length[1],
                            resize="crop"))  # fmt: skip


def warmup_spec(spec: CaptchaSpec) -> CaptchaSpec:
    """``easy`` writing what ``spec`` writes (alphabet, length, words, fonts): the scratch
    attacker's curriculum, in the target's own alphabet so its model's outputs fit both."""
    from generator.spec import preset

    easy = preset("easy")
    keep = ("charset", "length", "source", "words", "fonts", "lowercase")
    text = replace(easy.text, **{k: getattr(spec.text, k) for k in keep})
    return replace(easy, name=f"{spec.name}-warmup", text=text)


def _segment(
    attacker: str,
    spec: CaptchaSpec,
    style_ref: str,
    run_dir: Path,
    steps: int,
    config: AttackConfig,
) -> TrainConfig:
    finetune = attacker == "finetune"
    warmup_ref = None
    if not finetune and config.scratch_warmup:
        from generator.spec import save_spec

        run_dir.mkdir(parents=True, exist_ok=True)
        warmup_ref = str(run_dir / "warmup.toml")
        save_spec(warmup_spec(spec), warmup_ref)
    return TrainConfig(
        out=run_dir,
        arch=config.arch,
        styles=(style_ref,),
        steps=steps,
        batch_size=config.batch_size,
        lr=config.lr_finetune if finetune else config.lr_scratch,
        curriculum=0.0,
        warmup_style=warmup_ref,
        warmup_steps=None if warmup_ref is None else config.scratch_warmup,
        seed=config.seed,
        width=config.scratch_width,  # ignored when fine-tuning: the pretrained model's is kept
        resize=None if finetune else "crop",  # fine-tuning keeps the pretrained model's mode
        init=config.init if finetune else None,
        schedule="constant",
        ema=config.ema,
        val_every=10**9,  # the evaluation set decides; validate only at a segment's end
        val_size=32,
        workers=config.workers,
        threads=config.threads,
        resume=(run_dir / "state.json").exists(),
        progress=True,  # a bar per segment, or periodic lines with ETA in a log
    )


# --- k-shot on a labelled folder of real captchas ----------------------------------------------

K_SHOTS = (0, 10, 30, 100, 300, 1000)


def kshot_steps(k: int, batch_size: int, passes: int = 40) -> int:
    """Optimizer steps for k labelled images: ``passes`` over them, at least 150 steps (few
    images still need time to adapt), at most 100 passes over 1,000 images."""
    return int(min(100_000 // batch_size, max(150, math.ceil(passes * k / batch_size))))


def attack_folder(
    folder,
    config: AttackConfig,
    shots: list[int],
    draws: int = 3,
    test_share: float = 0.3,
    mix: CaptchaSpec | None = None,
    progress: Callable[[str], None] | None = None,
    unlabelled=None,
) -> StyleAttack:
    """k-shot fine-tuning of the pretrained reader on a real folder: a fixed held-out test
    split, ``draws`` random draws of k training images per k, each fine-tuned and read.

    With ``unlabelled`` (benchmark.folders.ImageFolder: captchas an attacker downloads without
    answers), a second attacker self-trains: each fine-tuned reader labels those images, and
    the confident readings join its k labelled images for one more fine-tuning from the
    pretrained model (GeeSolver's setting: a few hundred labelled, thousands unlabelled)."""
    from .evalsets import folder_eval_set
    from .folders import fit_labels, held_out_split

    pretrained, _ = _load_pretrained(config.init)  # loaded once: charset, k = 0, timing
    folder, _ = fit_labels(folder, pretrained.config.charset, config.init)
    pool, test_idx = held_out_split(folder.n, test_share, config.seed)
    evalset = folder_eval_set(folder.subset(test_idx))
    too_many = [k for k in shots if k > len(pool)]
    if too_many:
        raise AttackError(
            f"--shots {too_many[0]} is more than the {len(pool)} images left for training in "
            f"{folder.root} ({len(test_idx)} are held out for testing); lower --shots"
        )
    extra = {}
    if unlabelled is not None:
        _check_no_test_images(unlabelled, folder, test_idx)
        extra = {
            "unlabelled": unlabelled.digest,
            "pseudo_confidence": config.pseudo_confidence,
            "pseudo_passes": config.pseudo_passes,
        }
    if evalset.alphabet is not None:  # a captchagen dataset: read within what it declares
        extra["alphabet"] = config.alphabet
    alphabet = target_alphabet(pretrained, evalset, config)
    out = config.out / folder.name
    out.mkdir(parents=True, exist_ok=True)
    points_file = out / "points.json"
    mix_digest = mix.digest() if mix is not None else None
    key = _attack_key(
        folder.digest, evalset.digest, config, test_share=test_share, mix=mix_digest,
        passes=config.passes, augment=config.augment, alpha_rule=ALPHA_RULE, **extra,
    )  # fmt: skip
    result = StyleAttack(folder.name, "folder", evalset.digest, _load_points(points_file, key))
    done = {(p.attacker, p.samples, p.draw): p for p in result.points}
    if config.threads:
        torch.set_num_threads(config.threads)

    def record(point: Point) -> None:
        result.points.append(point)
        done[(point.attacker, point.samples, point.draw)] = point
        _save_points(points_file, result.points, key)
        if progress:
            progress(
                f"{folder.name} {point.attacker} k={point.samples} draw {point.draw}: "
                f"accuracy {point.accuracy:.3f}"
            )

    model = None
    for k in shots:
        for draw in range(1 if k == 0 else draws):
            picked = drawn_images(pool, k, draw, config.seed)
            labelled = ([folder.images[i] for i in picked], [folder.texts[i] for i in picked])
            run_dir = out / f"k{k}-draw{draw}"
            ft_steps = kshot_steps(k, config.batch_size, config.passes) if k else 0
            if ("finetune", k, draw) not in done:
                cpu = _fine_tune(run_dir, labelled, ft_steps, draw, config, mix) if k else 0.0
                model = load_training_model(run_dir, averaged=True) if k else pretrained
                correct = read_accuracy(model, evalset, config.reader_for(model), alphabet)
                record(Point("finetune", k, ft_steps, correct, evalset.n, round(cpu, 3), draw=draw))
            if config.interpolate and ("interpolate", k, draw) not in done:
                ft = done[("finetune", k, draw)]
                if not k:  # nothing fine-tuned: the shipped reader, as the fine-tuner has it
                    record(replace(ft, attacker="interpolate"))
                else:
                    _fine_tune(run_dir, labelled, ft_steps, draw, config, mix)  # no-op if done
                    model, alpha, fit_cpu, fit_steps = _interpolated(
                        pretrained, run_dir, labelled, k, draw, config, mix, alphabet
                    )
                    correct = read_accuracy(model, evalset, config.reader_for(model), alphabet)
                    cpu = round(ft.cpu_minutes + fit_cpu, 3)
                    steps = ft_steps + fit_steps
                    record(Point("interpolate", k, steps, correct, evalset.n, cpu, draw, alpha))
            if unlabelled is None or ("selftrain", k, draw) in done:
                continue
            teacher = pretrained
            if k:  # a no-op when finished; re-made (bit for bit) if the run was deleted
                _fine_tune(run_dir, labelled, ft_steps, draw, config, mix)
                teacher = load_training_model(run_dir, averaged=True)
            images, texts = pseudo_labels(teacher, unlabelled.images, config, alphabet)
            if progress:
                progress(
                    f"{folder.name} k={k} draw {draw}: {len(texts)} of {unlabelled.n} "
                    f"unlabelled images read with confidence >= {config.pseudo_confidence:g}"
                )
            if not texts:  # nothing confident: the self-trainer is the fine-tuner
                ft = done[("finetune", k, draw)]
                record(replace(ft, attacker="selftrain"))  # accuracy, ci: re-derived
                continue
            # Every image drawn alike, labelled or not: repeating ten labelled images to fill
            # half of each batch over-fits them (wheezy, k = 10: 0.34, below the 0.44 that
            # self-training reached with no labelled image at all).
            mixed = (labelled[0] + images, labelled[1] + texts)
            steps = selftrain_steps(k, len(texts), config)
            self_dir = out / f"k{k}-draw{draw}-self"
            cpu = done[("finetune", k, draw)].cpu_minutes
            cpu += _fine_tune(self_dir, mixed, steps, draw, config, mix)
            model = load_training_model(self_dir, averaged=True)
            correct = read_accuracy(model, evalset, config.reader_for(model), alphabet)
            record(Point("selftrain", k, steps, correct, evalset.n, round(cpu, 3), draw=draw))
    if model is None:  # everything was done by an earlier run: time the pretrained reader
        model = pretrained
    result.ms_per_solve = _ms_per_solve(model, evalset, config.reader_for(model), alphabet)
    result.points.sort(key=lambda p: (FOLDER_ATTACKERS.index(p.attacker), p.samples, p.draw))
    return result


FOLDER_ATTACKERS = ("finetune", "interpolate", "selftrain")
# The interpolating attacker holds back this share of its k labelled images (at least
# HELD_BACK_MIN) to choose how far to move from the shipped reader (crnn.interpolate).
HELD_BACK_SHARE = 0.2
HELD_BACK_MIN = 2


def drawn_images(pool: list[int], k: int, draw: int, seed: int) -> list[int]:
    """The folder indices of one draw's k labelled training images, fixed by the seed."""
    if not k:
        return []
    rng = np.random.default_rng(np.random.SeedSequence([seed, k, draw]))
    return rng.choice(pool, size=k, replace=False).tolist()


def held_back(k: int, draw: int, seed: int) -> tuple[list[int], list[int]]:
    """Positions (in the draw's k picked images) fitted on and held back, fixed by the seed."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, k, draw, 1]))
    order = rng.permutation(k).tolist()
    n_held = max(HELD_BACK_MIN, round(HELD_BACK_SHARE * k))
    return sorted(order[n_held:]), sorted(order[:n_held])


# How the interpolating attacker may rate each alpha from its held-back images' (readings
# right, mean log-probability of their labels); ALPHA_RULE was chosen on development folders
# (results/attack/interpolation-choice.md), never on the reported ones.
ALPHA_RULES = {
    "logprob": lambda correct, log_prob: log_prob,
    "correct, then logprob": lambda correct, log_prob: (correct, log_prob),
}
ALPHA_RULE = "logprob"


def held_back_scores(
    model: CRNN, images, texts: list[str], config: AttackConfig, alphabet: str | None = None
) -> tuple[int, float]:
    """How ``model`` does on held-back labelled images: readings right (read as the attacker
    reads: its decoder, views, alphabet) and the mean log-probability of their labels (the
    views' mean, as the ensemble scores a reading; a label no alignment reaches is floored at
    -50 so that one such image cannot decide alone)."""
    reader = config.reader_for(model)
    chars = model.config.charset
    views = [_forward(model, x) for x in _inputs(model, images, reader)]  # one pass per view
    decoded = _decode(model, views, reader, alphabet)
    correct = sum(d.text == t for d, t in zip(decoded, texts, strict=True))
    if alphabet is not None:
        views = [within_alphabet(v, chars, alphabet) for v in views]
    tokens = [[chars.index(c) + 1 for c in text] for text in texts]
    log_probs = np.mean([sequence_log_probs(v, tokens) for v in views], axis=0)
    return correct, float(np.mean(np.maximum(log_probs, -50.0)))


def _interpolated(
    pretrained: CRNN, run_dir: Path, labelled, k: int, draw: int, config, mix, alphabet=None
):
    """The interpolating attacker's reader for one draw: a fine-tuning on the k images bar a
    held-back fifth chooses alpha (ALPHA_RULE on held_back_scores; 0 keeps the shipped
    reader); the fine-tuner's reader on all k images (``run_dir``) is then moved that far from
    the shipped one. Returns the reader, alpha, and the extra fitting run's CPU-minutes and
    steps."""
    from crnn.interpolate import choose_alpha, interpolate

    fit, held = held_back(k, draw, config.seed)
    images, texts = labelled
    fit_examples = ([images[i] for i in fit], [texts[i] for i in fit])
    fit_steps = kshot_steps(len(fit), config.batch_size, config.passes)
    fit_dir = run_dir.with_name(run_dir.name + "-fit")
    fit_cpu = _fine_tune(fit_dir, fit_examples, fit_steps, draw, config, mix)
    fitted = load_training_model(fit_dir, averaged=True)
    held_images, held_texts = [images[i] for i in held], [texts[i] for i in held]

    def score(model: CRNN):
        rule = ALPHA_RULES[ALPHA_RULE]
        return rule(*held_back_scores(model, held_images, held_texts, config, alphabet))

    alpha, _ = choose_alpha(pretrained, fitted, score)
    tuned = load_training_model(run_dir, averaged=True)
    return interpolate(pretrained, tuned, alpha), alpha, fit_cpu, fit_steps


def selftrain_steps(k: int, n_pseudo: int, config: AttackConfig) -> int:
    """The fine-tuner's steps for its k labelled images, plus ``pseudo_passes`` over the
    pseudo-labelled ones (at least the fine-tuner's 150)."""
    labelled = kshot_steps(k, config.batch_size, config.passes) if k else 0
    pseudo = math.ceil(config.pseudo_passes * n_pseudo / config.batch_size)
    return max(150, labelled + pseudo)


# What a k-shot fine-tuning cost, kept in its run directory: a point recorded later (a resumed
# attack, the interpolating attacker reusing the fine-tuner's run) still pays for it.
SPENT_FILE = "attack-cpu.json"


def _spent(run_dir: Path) -> float:
    """CPU-minutes recorded for a run (0 for a run from before they were recorded)."""
    path = run_dir / SPENT_FILE
    if not path.exists():
        return 0.0
    try:
        spent = float(read_json(path, {"cpu_minutes": float})["cpu_minutes"])
    except JsonFileError as err:
        raise AttackError(f"{err}; delete {run_dir} to train it again") from None
    if not 0 <= spent < 1e7:
        raise AttackError(f"{path}: {spent} is not a CPU time; delete {run_dir} to train it again")
    return spent


def _fine_tune(run_dir: Path, examples, steps: int, draw: int, config: AttackConfig, mix) -> float:
    """Fine-tune the pretrained reader on (grey arrays, labels); the CPU-minutes the run cost
    (also when an earlier process trained it: recorded in the run directory; a segment killed
    before it finished is not counted)."""
    from PIL import Image

    before = _spent(run_dir)
    finished = (run_dir / "state.json").exists() and read_training_meta(run_dir)["step"] >= steps
    if finished:
        return before
    t0 = cpu_seconds()
    train(
        TrainConfig(
            out=run_dir, init=config.init, steps=steps, batch_size=config.batch_size,
            lr=config.lr_finetune, curriculum=0.0, seed=config.seed + draw, val_every=steps,
            ema=config.ema, augment=config.augment, workers=0, threads=config.threads,
            progress=False, resume=(run_dir / "state.json").exists(),
        ),
        examples=([Image.fromarray(a) for a in examples[0]], list(examples[1])),
        mix=mix,
    )  # fmt: skip
    spent = before + (cpu_seconds() - t0) / 60
    atomic_write_text(run_dir / SPENT_FILE, json.dumps({"cpu_minutes": spent}) + "\n")
    return spent


def pseudo_labels(
    teacher: CRNN, images: list[np.ndarray], config: AttackConfig, alphabet: str | None = None
) -> tuple[list[np.ndarray], list[str]]:
    """The images ``teacher`` reads with confidence >= config.pseudo_confidence, and those
    readings (its usual reader: views where it has them, within ``alphabet`` where given;
    never an empty reading)."""
    decoder = config.reader_for(teacher)
    decoded = _read(teacher, _inputs(teacher, images, decoder), decoder, alphabet)
    keep = [i for i, d in enumerate(decoded) if d.text and d.confidence >= config.pseudo_confidence]
    return [images[i] for i in keep], [decoded[i].text for i in keep]


def _check_no_test_images(unlabelled, folder, test_idx: list[int]) -> None:
    """An unlabelled image that is also a test image would let the attacker train on it."""
    test = {folder.image_sha[i] for i in test_idx}
    shared = sum(sha in test for sha in unlabelled.image_sha)
    if shared:
        raise AttackError(
            f"{shared} of the images in {unlabelled.root} are also in the held-out test split of "
            f"{folder.root}: self-training on them would read the test; remove them"
        )


def reads_colour(init: str | None) -> bool:
    """Whether the attack's starting reader takes RGB input (its evaluation images then come in
    colour); a reader trained from scratch reads grey."""
    if init is None:
        return False
    from crnn.checkpoint import read_config
    from crnn.registry import resolve_model

    return read_config(resolve_model(init).path)[0].channels == 3


def _load_pretrained(name: str):
    from crnn.checkpoint import load_model
    from crnn.registry import resolve_model

    return load_model(resolve_model(name).path)
