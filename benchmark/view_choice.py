"""Which test-time views to add to ``+tta``, chosen on validation-seed samples only.

    python -m benchmark.view_choice [--model universal] [--training ...] [--families ...]
        [--candidates turned|clipped]
        [--n 300] [--first 4400] [--rounds 3] [--out results/views/NAME]
    python -m benchmark.view_choice --first 5000 --add 'rotate=6;shear=-0.2' \
        [--folders data/foreign/wheezy,...]      # confirm a chosen set; read it elsewhere

Reads ``n`` validation-seed samples of each style (index ``first`` on: never an evaluation set,
never a third-party captcha) in the views of ``crnn.views.VIEWS`` and in every candidate view
below, once each, and keeps the log-probabilities. It then measures, without reading anything
again, (1) each candidate added alone to the current views, and (2) a forward selection: the
candidate that raises the mean greedy+tta accuracy over styles most, added, then the next, for
``rounds`` rounds. Every style counts the same; the table shows the project's training styles
and its held-out families apart, so a view that helps only one kind is seen as such.

Candidates (``--candidates turned``) tilt the text line back (rotate), slant it back (shear),
and widen or narrow it further than the current views do: where the shipped reader's families
are read worst (results/families/readers.txt) — glyphs turned and pulled onto quadrilaterals,
condensed and extended faces. ``--candidates clipped``: the current views with the strongest ink
clipped to a quantile of the ink (crnn.preprocess.ink_clipped), for clutter drawn stronger than
the text.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from benchmark.evalsets import validation_sets
from benchmark.folders import fit_labels, open_labelled_folder
from crnn.decode import ensemble, greedy_decode
from crnn.recognizer import Recognizer
from crnn.views import VIEWS, View, check_resize
from generator.errors import UserError
from generator.io import atomic_write_text

TRAINING_STYLES = ["universal"] + [
    f"examples/full-alphabet/{s}.toml" for s in ("easy", "medium", "hard", "captcha")
]
FAMILY_STYLES = [
    f"examples/{s}.toml"
    for s in (
        "quad-warp",
        "mixed-faces",
        "glyph-width",
        "tumble",
        "universal-cells",
        "hue-clutter",
        "heavy-clutter",
    )
]
THIRD_PARTY = "third-party (not in the mean)"
CANDIDATES: tuple[View, ...] = (
    View(rotate=6),
    View(rotate=-6),
    View(rotate=12),
    View(rotate=-12),
    View(shear=0.2),
    View(shear=-0.2),
    View(shear=0.4),
    View(shear=-0.4),
    View(hscale=1.5),
    View(hscale=1.7),
    View(hscale=0.8),
    View(margin=0.05, hscale=1.3),
    View(margin=0.3, hscale=1.3),
    View(margin=0.05, hscale=0.9),
)
# Ink clipped (crnn.preprocess.ink_clipped): each current view with its strongest ink clipped to
# the ink's 0.3 quantile, and the plain view clipped further and less far.
CLIPPED: tuple[View, ...] = (
    *(replace(v, clip=0.3) for v in VIEWS),
    View(clip=0.2),
    View(clip=0.5),
)
CANDIDATE_SETS = {"turned": CANDIDATES, "clipped": CLIPPED}


def parse_views(text: str) -> list[View]:
    """``"rotate=6;shear=-0.2,hscale=1.3"``: views apart by ';', each one's dials by ','."""
    views = []
    for part in (p.strip() for p in text.split(";")):
        if not part:
            continue
        dials = {}
        for item in part.split(","):
            key, sep, value = item.partition("=")
            if not sep or key.strip() not in View.__dataclass_fields__:
                raise UserError(
                    f"view {part!r}: use margin=, hscale=, rotate=, shear=, clip= (e.g. rotate=6)"
                )
            try:
                dials[key.strip()] = float(value)
            except ValueError:
                raise UserError(f"view {part!r}: {value!r} is not a number") from None
        views.append(View(**dials))
    return views


class Cache:
    """Per style: each view's log-probabilities, its greedy readings and the true texts."""

    def __init__(self, rec: Recognizer, sets, views):
        self.chars = rec.chars
        self.views = list(views)
        self.sets = {}
        for name, images, texts in sets:
            log_probs = rec.view_log_probs(images, views=self.views)
            decoded = [greedy_decode(lp, rec.chars) for lp in log_probs]
            self.sets[name] = (log_probs, decoded, texts)
            print(name, "read", file=sys.stderr, flush=True)

    def accuracy(self, name: str, chosen: list[int]) -> float:
        log_probs, decoded, texts = self.sets[name]
        joined = ensemble([log_probs[i] for i in chosen], [decoded[i] for i in chosen], self.chars)
        return float(np.mean([d.text == t for d, t in zip(joined, texts, strict=True)]))

    def row(self, chosen: list[int], groups: dict[str, list[str]]) -> dict:
        per_style = {name: self.accuracy(name, chosen) for name in self.sets}
        means = {g: float(np.mean([per_style[s] for s in names])) for g, names in groups.items()}
        counted = [per_style[s] for g, names in groups.items() if g != THIRD_PARTY for s in names]
        mean = float(np.mean(counted))
        return {"per_style": per_style, "means": means, "mean": mean}


def choose(cache: Cache, base: list[int], candidates: list[int], rounds: int, groups) -> dict:
    alone = {cache.views[c].name: cache.row([*base, c], groups) for c in candidates}
    path, chosen, left = [], list(base), list(candidates)
    for _ in range(rounds):
        scored = {c: cache.row([*chosen, c], groups) for c in left}
        best = max(left, key=lambda c: (scored[c]["mean"], -c))
        chosen.append(best)
        left.remove(best)
        path.append({"added": cache.views[best].name, **scored[best]})
    return {"base": cache.row(base, groups), "alone": alone, "forward": path}


def report(
    result: dict, groups: dict[str, list[str]], names: list[str], header: str, given: bool
) -> str:
    def cells(row):
        return " | ".join(f"{row['means'][g]:.3f}" for g in groups) + f" | {row['mean']:.3f}"

    base = result["base"]
    lines = [
        header,
        "",
        "greedy+tta sequence accuracy; group means, then the mean over every style (each counts "
        "the same); the difference from the current views in points.",
        "",
        "| views | " + " | ".join(groups) + " | mean | vs current |",
        "|---|" + "---|" * (len(groups) + 2),
        f"| current ({len(VIEWS)}) | {cells(base)} | |",
    ]
    for name, row in result["alone"].items():
        lines.append(f"| + {name} | {cells(row)} | {100 * (row['mean'] - base['mean']):+.1f} |")
    how = (
        "The set given (--add), its views added in the order given:"
        if given
        else "Forward selection (each round adds the view that raises the mean most):"
    )
    lines += ["", how, ""]
    lines += ["| round | added | " + " | ".join(groups) + " | mean | vs current |"]
    lines += ["|---|---|" + "---|" * (len(groups) + 2)]
    for k, row in enumerate(result["forward"], 1):
        gain = 100 * (row["mean"] - base["mean"])
        lines.append(f"| {k} | {row['added']} | {cells(row)} | {gain:+.1f} |")
    lines += ["", "Per style (current, then after each forward round):", ""]
    heads = " | ".join(f"round {k}" for k in range(1, len(result["forward"]) + 1))
    lines += [f"| style | current | {heads} |"]
    lines += ["|---|---|" + "---|" * len(result["forward"])]
    for s in names:
        rounds = " | ".join(f"{r['per_style'][s]:.3f}" for r in result["forward"])
        lines.append(f"| {s} | {base['per_style'][s]:.3f} | {rounds} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="benchmark.view_choice", description=__doc__)
    parser.add_argument("--model", default="universal", help="name, run directory or file")
    parser.add_argument("--training", default=",".join(TRAINING_STYLES), help="comma list")
    parser.add_argument("--families", default=",".join(FAMILY_STYLES), help="comma list")
    parser.add_argument("--n", type=int, default=300, help="validation samples per style")
    parser.add_argument("--first", type=int, default=4400, help="first validation index")
    parser.add_argument("--rounds", type=int, default=3, help="forward-selection rounds")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--candidates",
        choices=sorted(CANDIDATE_SETS),
        default="turned",
        help="the views to choose from: turned (rotate, shear, further widths; session 16) or "
        "clipped (the current views with their strongest ink clipped; session 17)",
    )
    parser.add_argument(
        "--add",
        help="confirm one chosen set instead of choosing: views added to the current ones, "
        "';' apart, dials ',' apart (e.g. 'rotate=6;shear=-0.2')",
    )
    parser.add_argument(
        "--folders",
        default="",
        help="with --add: labelled folders of third-party captchas, reported apart and never in "
        "the mean a choice is made on",
    )
    parser.add_argument("--out", type=Path, help="write OUT.txt and OUT.json")
    args = parser.parse_args(argv)
    if args.folders and not args.add:
        parser.error("--folders reads a chosen set (--add); views are never chosen on them")
    if args.n < 1 or args.first < 0 or args.rounds < 0 or args.threads < 1:
        parser.error("--n, --threads must be at least 1; --first, --rounds at least 0")
    groups_in = {
        "training styles": [s for s in args.training.split(",") if s],
        "families": [s for s in args.families.split(",") if s],
    }
    if not any(groups_in.values()):
        parser.error("give at least one style (--training, --families): views are chosen on them")
    torch.set_num_threads(args.threads)
    try:
        rec = Recognizer.load(args.model)
        check_resize(rec.resize)
        candidates_in = parse_views(args.add) if args.add else list(CANDIDATE_SETS[args.candidates])
        styles = [s for names in groups_in.values() for s in names]
        sets = validation_sets(styles, args.n, args.first)
        folders = [f for f in args.folders.split(",") if f]
        for path in folders:
            folder = open_labelled_folder(path, colour=rec.config.channels == 3)
            folder, _ = fit_labels(folder, rec.chars, args.model)
            images = [Image.fromarray(a) for a in folder.images]
            sets.append((f"{folder.name} (third-party)", images, folder.texts))
        cache = Cache(rec, sets, [*VIEWS, *candidates_in])
    except (UserError, OSError) as err:
        sys.exit(f"view_choice: error: {err}")
    names = [name for name, _, _ in sets]
    # validation_sets names each set after its style; map the groups onto those names.
    by_style = dict(zip(styles, names, strict=False))
    groups = {g: [by_style[s] for s in ss] for g, ss in groups_in.items() if ss}
    if folders:
        groups[THIRD_PARTY] = names[len(styles) :]
    base = list(range(len(VIEWS)))
    candidates = list(range(len(VIEWS), len(VIEWS) + len(candidates_in)))
    if args.add:  # the set to confirm, added in the order given; its last row is the whole set
        forward = [
            {"added": cache.views[c].name, **cache.row(base + candidates[: k + 1], groups)}
            for k, c in enumerate(candidates)
        ]
        result = {"base": cache.row(base, groups), "alone": {}, "forward": forward}
    else:
        result = choose(cache, base, candidates, args.rounds, groups)
    command = "python -m benchmark.view_choice " + " ".join(sys.argv[1:] if argv is None else argv)
    text = report(result, groups, names, f"`{command}`; model {args.model}, {args.n} samples "
                  f"per style from validation index {args.first}", bool(args.add))  # fmt: skip
    print(text)
    if args.out:
        atomic_write_text(args.out.with_suffix(".txt"), text + "\n")
        atomic_write_text(args.out.with_suffix(".json"), json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
