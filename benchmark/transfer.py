"""Leave-one-out transfer: what breadth buys (``bench transfer``).

For each family F — a look of the universal backend (the captcha package, a noise family, a
background kind, a warp, inversion) or a font family — train one model on the universal stream
with F held out, and test it on a set where every sample shows F. A baseline trained on the
whole stream with the same budget is tested on the same sets. The gap between the two is what
seeing F costs a reader that never saw it: small gaps on every family are the evidence, without
seeing anyone's test styles, that the reader generalises.

An opt-in family (generator.spec.OPT_IN_FAMILIES: cells, tumble, quad_warp, ...) is never
drawn by the universal stream, so there the roles turn: the baseline is the reader that never
saw it, and the one trained for the fold sees it in OPT_IN_SHARE of its samples.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from crnn.decode import parse_decoders
from crnn.recognizer import Recognizer
from crnn.train import TrainConfig, train
from generator.errors import UserError
from generator.fonts import wide_pool
from generator.io import atomic_write_text
from generator.spec import (
    FAMILIES,
    OPT_IN_FAMILIES,
    CaptchaSpec,
    UniversalStyle,
    preset,
    save_spec,
)
from generator.version import RENDER_VERSION

from .harness import evaluate


class TransferError(UserError):
    """A transfer experiment that cannot run as asked."""


OPT_IN_SHARE = 0.3  # of the samples of the reader trained to see an opt-in family


def font_families() -> dict[str, tuple[str, ...]]:
    """Family -> face names of the ``@wide`` pool (a face's family is its name before '-')."""
    families: dict[str, list[str]] = {}
    for face in wide_pool():
        families.setdefault(face.split("-")[0], []).append(face)
    return {k: tuple(v) for k, v in sorted(families.items())}


def fold_specs(fold: str, base: CaptchaSpec | None = None) -> tuple[CaptchaSpec, CaptchaSpec]:
    """(training spec with ``fold`` held out, test spec where every sample shows it).
    ``fold`` is a universal family (``curves``, ``captcha``, …) or ``font:FAMILY``. For an
    opt-in family the training spec is the one that shows it, in OPT_IN_SHARE of its samples."""
    base = base or preset("universal")
    slug = fold.replace(":", "-")
    if fold.startswith("font:"):
        families = font_families()
        name = fold.split(":", 1)[1]
        if name not in families:
            raise TransferError(f"unknown font family {name!r}; known: {', '.join(families)}")
        kept = tuple(f for faces in families.values() for f in faces if f not in families[name])
        held = replace(base, name=f"universal-no-{slug}", text=replace(base.text, fonts=kept))
        only = replace(
            base,
            name=f"universal-only-{slug}",
            text=replace(base.text, fonts=families[name]),
            # the captcha package draws with its own fonts: keep the test set on our renderer
            universal=UniversalStyle(hold_out=("captcha",)),
        )
        return held, only
    if fold not in FAMILIES:
        raise TransferError(
            f"unknown family {fold!r}; use one of {', '.join(FAMILIES)} or font:FAMILY"
        )
    if fold == "clutter_hue":
        raise TransferError(
            "clutter_hue differs from the text in hue alone: bench transfer trains grey readers,"
            " which cannot see it (results/universal-hue measures it with colour readers)"
        )
    only = replace(base, name=f"universal-only-{slug}", universal=UniversalStyle(only=fold))
    if fold in OPT_IN_FAMILIES:  # the reader trained for the fold is the one that sees it
        shown = UniversalStyle(**{fold: OPT_IN_SHARE})
        return replace(base, name=f"universal-with-{slug}", universal=shown), only
    held = replace(base, name=f"universal-no-{slug}", universal=UniversalStyle(hold_out=(fold,)))
    return held, only


@dataclass(frozen=True)
class TransferConfig:
    folds: tuple[str, ...]
    steps: int = 3000
    n: int = 300
    arch: str = "small"
    width: int = 128
    runs: Path = Path("runs/transfer")
    seed: int = 0
    prerender: int = 0  # per model; 0 streams
    cache: Path | None = None


def _train_once(spec: CaptchaSpec, config: TransferConfig, log: Callable[[str], None]) -> Path:
    """A model on ``spec`` (after a warm-up on easy), reused when already trained."""
    key = f"{spec.name}-{config.arch}-w{config.width}-s{config.steps}-{spec.digest()}"
    run_dir = config.runs / f"{key}-seed{config.seed}-p{config.prerender}-r{RENDER_VERSION}"
    if (run_dir / "done").exists():
        return run_dir
    run_dir.mkdir(parents=True, exist_ok=True)
    spec_file = run_dir / "spec.toml"
    save_spec(spec, spec_file)
    log(f"training on {spec.name} ({config.steps} steps) …")
    train(
        TrainConfig(
            out=run_dir,
            arch=config.arch,
            styles=(str(spec_file),),
            warmup_style="easy",
            curriculum=0.08,
            steps=config.steps,
            width=config.width,
            resize="pad",
            seed=config.seed,
            prerender=config.prerender,
            val_every=max(1, config.steps // 4),
            val_size=100,
            resume=(run_dir / "state.json").exists(),
            progress=False,
        )
    )
    (run_dir / "done").write_text("")
    return run_dir


def run_transfer(config: TransferConfig, log: Callable[[str], None] = print) -> dict:
    """Train the baseline and one held-out model per fold; test both on each fold's set."""
    if not config.folds:
        raise TransferError("give at least one family to hold out (--hold-out)")
    if config.steps < 1 or config.n < 1:
        raise TransferError("--steps and --n must be positive")
    folds = [(fold, *fold_specs(fold)) for fold in config.folds]
    greedy = parse_decoders("greedy")
    baseline = Recognizer.load(_train_once(preset("universal"), config, log))
    whole = preset("universal")
    rows = []
    for fold, trained, only in folds:
        model = Recognizer.load(_train_once(trained, config, log))
        opt_in = fold in OPT_IN_FAMILIES
        saw, never = (model, baseline) if opt_in else (baseline, model)
        seen = evaluate(saw, [only], config.n, greedy, config.cache).levels[0]
        unseen = evaluate(never, [only], config.n, greedy, config.cache).levels[0]
        on_whole = evaluate(model, [whole], config.n, greedy, config.cache).levels[0]
        rows.append(
            {
                "family": fold,
                "opt_in": opt_in,
                "test_set": only.name,
                "baseline": seen.decoders[0].seq_acc,
                "held_out": unseen.decoders[0].seq_acc,
                # the fold's own model (for an opt-in family, the one that saw it)
                "held_out_on_universal": on_whole.decoders[0].seq_acc,
            }
        )
    base_all = evaluate(baseline, [whole], config.n, greedy, config.cache).levels[0]
    return {
        "steps": config.steps,
        "n": config.n,
        "arch": config.arch,
        "width": config.width,
        "render_version": RENDER_VERSION,
        "baseline_on_universal": base_all.decoders[0].seq_acc,
        "rows": rows,
    }


def write_report(result: dict, out: Path, command: str) -> str:
    lines = [
        "# Leave-one-out transfer (greedy, n = {n} per set)".format(**result),
        "",
        f"Each model: {result['steps']} steps of 64 on the universal stream (the first 8 % on "
        f"easy), {result['arch']} at 32x{result['width']} with the aspect kept. The baseline saw "
        "every family; each other model saw all but one and is tested on a set where every "
        "sample shows that one. Opt-in families (marked *), which the universal stream never "
        f"draws, turn the roles: the baseline never saw them, and the fold's model saw them in "
        f"{OPT_IN_SHARE:.0%} of its samples.",
        "",
        f"`{command}`",
        "",
        "| held-out family | baseline (saw it) | model that never saw it | gap | the fold's model "
        "on all of universal |",
        "|---|---|---|---|---|",
    ]
    for row in result["rows"]:
        gap = row["held_out"] - row["baseline"]
        family = row["family"] + (" *" if row.get("opt_in") else "")
        lines.append(
            f"| {family} | {row['baseline']:.3f} | {row['held_out']:.3f} | {gap:+.3f} | "
            f"{row['held_out_on_universal']:.3f} |"
        )
    lines += ["", f"Baseline on all of universal: {result['baseline_on_universal']:.3f}."]
    text = "\n".join(lines) + "\n"
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out / "transfer.md", text)
    atomic_write_text(out / "transfer.json", json.dumps(result, indent=2) + "\n")
    return text
