"""The attack report: accuracy against effort with Wilson bands, effort to reach 1/10/50/90 %,
seconds per solve, attempts per success, CPU-minutes, one verdict line per style. Markdown, CSV,
JSON and a figure, like ``bench run``."""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from pathlib import Path

import pandas as pd

from generator.io import atomic_write_text

from .attack import THRESHOLDS, AttackConfig, StyleAttack
from .report import code_version, machine


def _effort(point) -> str:
    if point is None:
        return "not reached"
    if point.samples == 0:
        return "0 labelled (self-trained)" if point.attacker == "selftrain" else "0 (as shipped)"
    return f"{point.samples:,} samples ({point.cpu_minutes:.1f} CPU-min)"


def verdict(result: StyleAttack, budget: str) -> str:
    """One plain sentence a captcha owner can act on."""
    attackers = sorted({p.attacker for p in result.points})
    best = max(result.points, key=lambda p: p.accuracy, default=None)
    if best is None:
        return f"{result.style}: no attack ran."
    broken = [result.effort_to(a, 0.01) for a in attackers]
    broken = [p for p in broken if p is not None]
    if not broken:
        return (
            f"**{result.style}: resists** — no attacker reached 1 % within {budget} "
            f"(best {best.accuracy:.1%})."
        )
    first = min(broken, key=lambda p: (p.samples, p.cpu_minutes))
    half = [result.effort_to(a, 0.5) for a in attackers]
    half = [p for p in half if p is not None]
    soonest = min(half, key=lambda p: (p.samples, p.cpu_minutes), default=None)
    tail = (
        f"; 50 % after {_effort(soonest)} ({soonest.attacker})"
        if soonest is not None
        else f"; best {best.accuracy:.1%} within {budget}"
    )
    return (
        f"**{result.style}: broken** (≥ 1 %) after {_effort(first)} by the {first.attacker} "
        f"attacker{tail}; a bot needs {1 / max(best.accuracy, 1e-9):.1f} attempts per success "
        f"at the best accuracy."
    )


COLOURS = {
    "finetune": "tab:blue",
    "scratch": "tab:orange",
    "interpolate": "tab:purple",
    "selftrain": "tab:green",
}


def table(results: list[StyleAttack]) -> pd.DataFrame:
    rows = []
    for r in results:
        for p in r.points:
            row = asdict(p)
            row["ci_low"], row["ci_high"] = row.pop("ci")
            rows.append({"style": r.style, **row, "evalset_digest": r.evalset_digest})
    return pd.DataFrame(rows)


def plot(results: list[StyleAttack], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(results), figsize=(4.6 * len(results), 3.6), squeeze=False)
    for ax, r in zip(axes[0], results, strict=True):
        for attacker, colour in COLOURS.items():
            curve = r.curve(attacker)
            if not curve:
                continue
            # Effort 0 (the reader as shipped) is drawn at 30 on the log axis and labelled "0".
            xs = [max(p.samples, 30) for p in curve]
            ax.plot(xs, [p.accuracy for p in curve], "o-", color=colour, label=attacker, ms=3)
            ax.fill_between(
                xs, [p.ci[0] for p in curve], [p.ci[1] for p in curve], color=colour, alpha=0.2
            )
        ax.axhline(0.01, color="red", lw=0.8, ls=":", label="1 %: broken")
        ax.set_xscale("log")
        ax.set_ylim(0, 1.02)
        ax.set_title(r.style)
        ax.set_xlabel("labelled samples seen (30 = none)")
        ax.set_ylabel("sequence accuracy (95 % Wilson)")
        ax.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    tmp = path.with_name(f".{path.name}.tmp.png")
    fig.savefig(tmp, dpi=110)
    plt.close(fig)
    os.replace(tmp, path)


def write_attack_report(
    results: list[StyleAttack], config: AttackConfig, command: str, budget: str | None = None
) -> Path:
    """``budget`` describes the effort spent when it is not ``config.budget`` (k-shot runs)."""
    out = config.out
    out.mkdir(parents=True, exist_ok=True)
    df = table(results)
    atomic_write_text(out / "attack.csv", df.to_csv(index=False))
    budget = budget or config.budget.describe()
    document = {
        "command": command,
        "code_version": code_version(),
        "machine": machine(),
        "budget": asdict(config.budget),
        "init": config.init,
        "batch_size": config.batch_size,
        "styles": [
            {
                "style": r.style,
                "spec_digest": r.spec_digest,
                "evalset_digest": r.evalset_digest,
                "ms_per_solve": r.ms_per_solve,
                "verdict": verdict(r, budget),
                "effort_to": {
                    f"{t:.0%}": {
                        a: (None if (p := r.effort_to(a, t)) is None else p.samples)
                        for a in sorted({q.attacker for q in r.points})
                    }
                    for t in THRESHOLDS
                },
            }
            for r in results
        ],
        "points": df.to_dict(orient="records"),
    }
    atomic_write_text(out / "attack.json", json.dumps(document, indent=2) + "\n")
    plot(results, out / "attack.png")
    lines = [
        "# Attack effort report",
        "",
        f"`{command}`",
        "",
        f"Budget: {budget} per attacker; fine-tuning starts from `{config.init}`; from scratch: "
        f"`{config.arch}` at 32×{config.scratch_width}. Effort = labelled samples seen in "
        "training (k-shot: labelled images available, each draw a separate fine-tuning run); "
        "evaluation: the style's "
        f"reserved-seed set ({config.n_eval} samples) or the folder's held-out split. Batch "
        f"{config.batch_size}, constant learning rate {config.lr_finetune:g} (fine-tuning) / "
        f"{config.lr_scratch:g} (scratch); "
        + (
            f"each point reads the weights' moving average (decay {config.ema:g}), "
            if config.ema
            else "each point reads the raw weights, "
        )
        + (
            "decoded greedy+tta (test-time views; greedy for a stretch model). "
            if config.decoder == "auto"
            else f"decoded {config.decoder}. "
        )
        + (
            "A style's points are read within its alphabet (what it draws), a folder's with the "
            "model's whole alphabet. "
            if config.alphabet == "style"
            else "Every point is read with the model's whole alphabet. "
        )
        + (
            "selftrain: each fine-tuned reader (k = 0: the pretrained one) labels the "
            "unlabelled images, keeps its readings of confidence ≥ "
            f"{config.pseudo_confidence:g}, and is fine-tuned again from `{config.init}` on its "
            f"k labelled images and those, drawn alike ({config.pseudo_passes} passes over "
            "the pseudo-labelled ones); "
            "its CPU-minutes include the fine-tuner's. "
            if any(p.attacker == "selftrain" for r in results for p in r.points)
            else ""
        )
        + (
            "interpolate: the fine-tuned reader moved back towards "
            f"`{config.init}`, (1 − α)·shipped + α·fine-tuned (WiSE-FT), α ∈ {{0, ¼, ½, ¾, 1}} "
            "chosen by a second fine-tuning on the k images bar a held-back fifth (at least 2): "
            "the α whose reader gives the held-back labels the highest log-probability; its "
            "CPU-minutes and steps include both fine-tunings. "
            if any(p.attacker == "interpolate" for r in results for p in r.points)
            else ""
        )
        + "CPU-minutes count every thread and render worker. A style is *broken* once an "
        "attacker reads ≥ 1 % (George et al., Science 2017).",
        "",
        "![accuracy against effort](attack.png)",
        "",
    ]
    for r in results:
        lines += [f"## {r.style}", "", verdict(r, budget), ""]
        lines += [
            "| attacker | samples seen | accuracy | 95 % CI | attempts per success | CPU-min |",
            "|---|---|---|---|---|---|",
        ]
        kshot = any(p.draw for p in r.points)
        for p in r.points:
            attempts = f"{1 / p.accuracy:.1f}" if p.accuracy else "∞"
            seen = f"{p.samples:,}" + (f" (draw {p.draw + 1})" if kshot and p.samples else "")
            if p.alpha is not None:
                seen += f", α = {p.alpha:g}"
            lines.append(
                f"| {p.attacker} | {seen} | {p.accuracy:.3f} | "
                f"{p.ci[0]:.3f}–{p.ci[1]:.3f} | {attempts} | {p.cpu_minutes:.1f} |"
            )
        attackers = sorted({p.attacker for p in r.points})
        lines += ["", "| effort to reach | " + " | ".join(attackers) + " |"]
        lines.append("|---|" + "---|" * len(attackers))
        for t in THRESHOLDS:
            cells = " | ".join(_effort(r.effort_to(a, t)) for a in attackers)
            lines.append(f"| {t:.0%} | {cells} |")
        lines += [
            "",
            f"Seconds per solve (one image, batch 1, CPU): {r.ms_per_solve / 1e3:.4f}",
            "",
        ]
    target = out / "report.md"
    atomic_write_text(target, "\n".join(lines) + "\n")
    return target
