"""How should the interpolating k-shot attacker choose alpha? The basis of its rule.

    python -m benchmark.interpolation_choice FOLDER=OUT [FOLDER=OUT ...] [--out FILE]

Each pair is a labelled folder and a finished `bench attack --data FOLDER -o OUT` of it (OUT/NAME
holds the k{k}-draw{d} fine-tunings on all k images and the k{k}-draw{d}-fit ones on all but
the held-back fifth). For every draw and every alpha on the grid it prints what the held-back
images say (readings right, mean log-probability of their labels) and what the test split says,
then the test accuracy each way of choosing would have got, pooled over draws:

- ``logprob``: the highest mean log-probability of the held-back labels;
- ``correct, then logprob``: the most held-back readings right, ties broken by log-probability;
- ``alpha = 1``: always the fine-tuned reader (the fine-tuner); ``alpha = 0``: never move;
- ``best on test``: the oracle, for scale (no attacker can choose this way).

Choose the rule on development folders, never on the folders whose figures are reported.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

from benchmark.attack import (
    ALPHA_RULES,
    AttackConfig,
    Budget,
    _load_pretrained,
    drawn_images,
    held_back,
    held_back_scores,
    read_accuracy,
    reads_colour,
    target_alphabet,
)
from benchmark.evalsets import folder_eval_set
from benchmark.folders import held_out_split, open_labelled_folder
from crnn.checkpoint import load_training_model
from crnn.interpolate import ALPHAS, interpolate
from generator.errors import UserError
from generator.jsonfile import JsonFileError, read_json

RULES = (*ALPHA_RULES, "alpha = 1", "alpha = 0", "best on test")


def pick(rule: str, held: list[tuple[int, float]], test: list[int]) -> int:
    """Index into ALPHAS that ``rule`` chooses (ties: the smaller alpha)."""
    order = range(len(ALPHAS))
    if rule in ALPHA_RULES:
        return max(order, key=lambda i: (ALPHA_RULES[rule](*held[i]), -i))
    if rule == "alpha = 1":
        return len(ALPHAS) - 1
    if rule == "alpha = 0":
        return 0
    return max(order, key=lambda i: (test[i], -i))


def study(data: Path, attack_out: Path) -> list[str]:
    folder = open_labelled_folder(data)
    out_dir = attack_out / folder.name
    shape = {"key": {"target": str, "init": str, "seed": int, "test_share": float}}
    key = read_json(out_dir / "points.json", shape)["key"]
    if reads_colour(key["init"]):  # a colour reader reads the folder in colour
        folder = open_labelled_folder(data, colour=True)
    if key["target"] != folder.digest:
        raise UserError(f"{out_dir} is an attack on another folder than {data}")
    config = AttackConfig(out=out_dir.parent, budget=Budget(samples=1), init=key["init"],
                          seed=key["seed"], threads=1)  # fmt: skip
    pretrained, _ = _load_pretrained(config.init)
    pool, test_idx = held_out_split(folder.n, key["test_share"], config.seed)
    evalset = folder_eval_set(folder.subset(test_idx))
    alphabet = target_alphabet(pretrained, evalset, config)
    lines = [f"## {folder.name} ({folder.root}, {evalset.n} test images)", ""]
    pooled = {}  # k -> rule -> correct
    draws = {}  # k -> draws read
    runs = [
        (tuple(int(x) for x in r.name[1:-4].split("-draw")), r)
        for r in out_dir.glob("k*-draw*-fit")
    ]
    for (k, draw), run in sorted(runs):
        picked = drawn_images(pool, k, draw, config.seed)
        _, held = held_back(k, draw, config.seed)
        images = [folder.images[picked[i]] for i in held]
        texts = [folder.texts[picked[i]] for i in held]
        fitted = load_training_model(run, averaged=True)
        tuned = load_training_model(out_dir / run.name[:-4], averaged=True)
        scores = [
            held_back_scores(interpolate(pretrained, fitted, a), images, texts, config, alphabet)
            for a in ALPHAS
        ]
        reader = config.reader_for(tuned)
        test = [
            read_accuracy(interpolate(pretrained, tuned, a), evalset, reader, alphabet)
            for a in ALPHAS
        ]
        cells = "  ".join(
            f"a={a:g}: {c}/{len(held)} {lp:6.2f} test {t}" for a, (c, lp), t in
            zip(ALPHAS, scores, test, strict=True)
        )  # fmt: skip
        lines.append(f"k={k:<4} draw {draw}  {cells}")
        draws[k] = draws.get(k, 0) + 1
        for rule in RULES:
            pooled.setdefault(k, {}).setdefault(rule, 0)
            pooled[k][rule] += test[pick(rule, scores, test)]
        print(lines[-1], file=sys.stderr, flush=True)
    lines += ["", "| rule | " + " | ".join(f"k = {k}" for k in sorted(pooled)) + " |"]
    lines.append("|---|" + "---|" * len(pooled))
    for rule in RULES:
        cells = [f"{pooled[k][rule] / (evalset.n * draws[k]):.3f}" for k in sorted(pooled)]
        lines.append(f"| {rule} | " + " | ".join(cells) + " |")
    return [*lines, ""]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pairs", nargs="+", help="FOLDER=OUT: a labelled folder and its attack")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    torch.set_num_threads(1)
    try:
        lines = [f"`python -m benchmark.interpolation_choice {' '.join(args.pairs)}`", ""]
        for pair in args.pairs:
            data, sep, out = pair.partition("=")
            if not sep:
                raise UserError(f"give FOLDER=OUT, not {pair!r}")
            lines += study(Path(data), Path(out))
    except (UserError, JsonFileError, OSError, ValueError) as err:
        sys.exit(f"interpolation_choice: error: {err}")
    text = "\n".join(lines)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
