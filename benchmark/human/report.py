"""Human results per level beside the machine's: accuracy (Wilson 95 %), median solve time,
"can't read" rate, and the usability-security frontier figure."""

from __future__ import annotations

import json
import os
import statistics
from dataclasses import asdict, dataclass
from pathlib import Path

from generator.io import atomic_write_text
from generator.jsonfile import JsonFileError, read_json

from ..stats import wilson_interval
from .store import Answer, HumanStore


@dataclass
class HumanLevel:
    level: str
    n: int
    correct: int
    accuracy: float
    ci: tuple[float, float]
    median_ms: float
    cant_read_rate: float
    people: int


def is_right(answer: Answer) -> bool:
    """Case-insensitive where the label has no lowercase letter (people type either case)."""
    if answer.cant_read:
        return False
    typed = answer.answer.strip()
    if not any(c.islower() for c in answer.truth):
        typed = typed.upper()
    return typed == answer.truth


def summarise(answers: list[Answer]) -> list[HumanLevel]:
    levels = []
    for level in dict.fromkeys(a.level for a in answers):
        rows = [a for a in answers if a.level == level]
        correct = sum(is_right(a) for a in rows)
        levels.append(
            HumanLevel(
                level=level,
                n=len(rows),
                correct=correct,
                accuracy=correct / len(rows),
                ci=wilson_interval(correct, len(rows)),
                median_ms=float(statistics.median(a.ms for a in rows)),
                cant_read_rate=sum(a.cant_read for a in rows) / len(rows),
                people=len({a.session_id for a in rows}),
            )
        )
    return levels


def machine_accuracy(report_dir: Path, decoder: str = "greedy") -> dict[str, float]:
    """Level -> sequence accuracy from a `bench run` report's metrics.json."""
    shape = {"rows": [{"level": str, "decoder": str, "seq_acc": float}]}
    try:
        rows = read_json(report_dir / "metrics.json", shape)["rows"]
    except JsonFileError as err:
        raise JsonFileError(f"--machine: {err}") from None
    return {r["level"]: r["seq_acc"] for r in rows if r["decoder"] == decoder}


def write_human_report(db: Path, out: Path, machine: dict[str, float] | None = None) -> Path:
    levels = summarise(HumanStore(db).answers())
    out.mkdir(parents=True, exist_ok=True)
    lines = [
        "# People against the machine",
        "",
        "| level | answers | people | human accuracy (95 % CI) | median solve time | "
        "can't read | machine accuracy |",
        "|---|---|---|---|---|---|---|",
    ]
    for h in levels:
        m = machine.get(h.level) if machine else None
        lines.append(
            f"| {h.level} | {h.n} | {h.people} | {h.accuracy:.3f} [{h.ci[0]:.3f}, {h.ci[1]:.3f}]"
            f" | {h.median_ms / 1000:.1f} s | {h.cant_read_rate:.1%} | "
            f"{'–' if m is None else f'{m:.3f}'} |"
        )
    if not levels:
        lines.append("| (no answers yet) | | | | | | |")
    document = {"levels": [asdict(h) for h in levels], "machine": machine or {}}
    atomic_write_text(out / "human.json", json.dumps(document, indent=2) + "\n")
    if machine and levels:
        _frontier(levels, machine, out / "frontier.png")
        lines += ["", "![usability against security](frontier.png)"]
    atomic_write_text(out / "human.md", "\n".join(lines) + "\n")
    return out / "human.md"


def _frontier(levels: list[HumanLevel], machine: dict[str, float], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4.6, 4))
    for h in levels:
        if h.level not in machine:
            continue
        x = machine[h.level]
        ax.errorbar(x, h.accuracy, yerr=[[h.accuracy - h.ci[0]], [h.ci[1] - h.accuracy]], fmt="o")
        ax.annotate(h.level, (x, h.accuracy), textcoords="offset points", xytext=(5, 5))
    ax.set_xlabel("machine accuracy (lower = more secure)")
    ax.set_ylabel("human accuracy (higher = more usable)")
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.02, 1.02)
    fig.tight_layout()
    tmp = path.with_name(f".{path.name}.tmp.png")
    fig.savefig(tmp, dpi=110)
    plt.close(fig)
    os.replace(tmp, path)
