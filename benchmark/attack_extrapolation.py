"""How far an attack curve is from a goal: where its tail, extended, would reach an accuracy.

    python -m benchmark.attack_extrapolation results/attack/hard/attack.json ... [--target 0.9]
                                             [--from-samples 10000] [--out FILE]

An effort curve that stops short of a goal says nothing, by itself, about how short. This fits
the tail of each (style, attacker) curve in a committed ``attack.json`` (the points with at least
``--from-samples`` samples) two ways, and reports the samples and CPU-minutes at which each fit
reaches ``--target``:

* ``log-linear``: accuracy = a + b * log10(samples) — the straight line the report's log-x plot
  shows; the optimistic reading (nothing on it slows down);
* ``error power law``: log(1 - accuracy) = a + b * log(samples) — error shrinking as a power of
  the data, the usual shape of learning curves (Hestness et al. 2017); slower near 100 %.

CPU-minutes are the samples times the curve's own last measured cost per sample. Both are
extrapolations from a handful of points on one machine: they bound the budget a goal needs from
below, they do not promise it.
"""

from __future__ import annotations

import argparse
import math
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from generator.errors import UserError
from generator.io import atomic_write_text
from generator.jsonfile import JsonFileError, read_json


@dataclass(frozen=True)
class Reach:
    samples: float  # where the fit reaches the target (inf: never, on this fit)
    cpu_minutes: float


def fit_log_linear(samples, accuracy) -> tuple[float, float]:
    """(a, b) of accuracy = a + b * log10(samples), least squares."""
    b, a = np.polyfit(np.log10(samples), accuracy, 1)
    return float(a), float(b)


def fit_error_power_law(samples, accuracy) -> tuple[float, float]:
    """(a, b) of log(1 - accuracy) = a + b * log(samples), least squares."""
    error = np.clip(1 - np.asarray(accuracy, float), 1e-6, None)
    b, a = np.polyfit(np.log(samples), np.log(error), 1)
    return float(a), float(b)


def samples_to_reach(fit: str, a: float, b: float, target: float) -> float:
    """Samples at which the fitted curve reaches ``target`` (inf if it never climbs)."""
    if fit == "log-linear":
        return math.inf if b <= 0 else 10 ** ((target - a) / b)
    if fit == "error power law":
        return math.inf if b >= 0 else math.exp((math.log(1 - target) - a) / b)
    raise ValueError(fit)


FITS = {"log-linear": fit_log_linear, "error power law": fit_error_power_law}


def fit_points(points: list[dict], from_samples: int) -> list[dict]:
    """The tail a fit uses: ``from_samples`` and more, read above 0 (a from-scratch curve sits
    at 0 through its warm-up, which says nothing about its slope after it)."""
    return [p for p in points if p["samples"] >= from_samples and p["accuracy"] > 0]


def extrapolate(points: list[dict], target: float, from_samples: int) -> dict[str, Reach]:
    """Each fit's reach for one curve (points of one style and attacker, draw 0)."""
    tail = sorted(fit_points(points, from_samples), key=lambda p: p["samples"])
    if len(tail) < 2:
        raise UserError(f"need at least two points read above 0 with {from_samples:,}+ samples")
    samples = np.array([p["samples"] for p in tail], float)
    accuracy = np.array([p["accuracy"] for p in tail], float)
    per_sample = tail[-1]["cpu_minutes"] / tail[-1]["samples"]
    out = {}
    for name, fit in FITS.items():
        reach = samples_to_reach(name, *fit(samples, accuracy), target)
        out[name] = Reach(reach, reach * per_sample)
    return out


def _curves(path: Path) -> dict[tuple[str, str], list[dict]]:
    try:
        document = read_json(path)
        points = document["points"]
        curves: dict[tuple[str, str], list[dict]] = {}
        for p in points:
            point = {k: float(p[k]) for k in ("samples", "accuracy", "cpu_minutes")}
            if not (point["samples"] >= 0 and 0 <= point["accuracy"] <= 1):
                raise ValueError(f"a point out of range: {p}")
            if p.get("draw", 0) == 0:  # a style's curve (k-shot draws are separate runs)
                curves.setdefault((str(p["style"]), str(p["attacker"])), []).append(point)
    except (JsonFileError, KeyError, TypeError, ValueError) as err:
        raise UserError(f"{path}: not an attack.json written by bench attack ({err})") from None
    return curves


def _count(value: float) -> str:
    for size, suffix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if value >= size:
            return f"{value / size:.3g}{suffix}"
    return f"{value:.0f}"


def _reach(r: Reach) -> str:
    if math.isinf(r.samples):
        return "never"
    if r.samples >= 1e12:
        return "beyond 1T samples"
    return f"{_count(r.samples)} samples, {r.cpu_minutes / 60:,.1f} CPU-hours"


def table(paths: list[Path], target: float, from_samples: int) -> str:
    lines = [
        f"| curve | attacker | fitted points | last point | {target:.0%} on a log-linear tail | "
        f"{target:.0%} on an error power law |",
        "|---|---|---|---|---|---|",
    ]
    for path in paths:
        for (style, attacker), points in _curves(path).items():
            fitted = fit_points(points, from_samples)
            if len(fitted) < 2:
                continue
            last = max(points, key=lambda p: p["samples"])
            if last["accuracy"] >= target:
                cells = ["reached", "reached"]
            else:
                cells = [_reach(r) for r in extrapolate(points, target, from_samples).values()]
            lines.append(
                f"| {path.parent.name} ({style}) | {attacker} | "
                f"{_count(min(p['samples'] for p in fitted))}–{_count(last['samples'])} "
                f"({len(fitted)}) | {last['accuracy']:.3f} at {_count(last['samples'])} "
                f"({last['cpu_minutes']:.1f} CPU-min) | {cells[0]} | {cells[1]} |"
            )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("attacks", type=Path, nargs="+", help="attack.json files")
    parser.add_argument("--target", type=float, default=0.9)
    parser.add_argument("--from-samples", type=int, default=10_000)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    try:
        if not 0 < args.target < 1:
            raise UserError(f"--target must be between 0 and 1, got {args.target}")
        text = table(args.attacks, args.target, args.from_samples)
    except UserError as err:
        print(f"attack_extrapolation: error: {err}", file=sys.stderr)
        return 2
    if args.out:
        command = "python -m benchmark.attack_extrapolation " + " ".join(
            sys.argv[1:] if argv is None else argv
        )
        atomic_write_text(args.out, f"`{command}`\n\n{text}")
    print(text, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
