"""A greedy model soup (Wortsman et al., ICML 2022), chosen on validation-seed samples only.

    python -m benchmark.soup --models universal,runs/a,runs/b,...
        [--styles universal,examples/relief.toml,...] [--n 200] [--first 500]
        [--decoder greedy] [--out results/NAME/soup] [--write runs/NAME]

Every ingredient (fine-tunes of one start, the start itself among them if wanted) is read
alone on ``n`` validation-seed samples of each style; they are ranked by their mean sequence
accuracy over the styles. The soup starts as the best one and takes each next ingredient in
rank order (every taken ingredient weighing the same) only if the soup's mean does not fall.
That is Wortsman et al.'s recipe: an ingredient that lies outside the others' basin, or only
adds what the soup already has, is left out by the measurement rather than by a guess.

The choice is made here, on one draw; a candidate soup is then judged like any other reader,
on a fresh draw (``--first``) and by a rule written before its figures. ``--write`` saves the
chosen soup as ``crnn soup`` would (its ingredients and their weights digests in its config).
Images are preprocessed once and read by every model: the ingredients must share one input
shape, which a soup needs anyway.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from benchmark.evalsets import validation_sets
from crnn.decode import parse_decoder
from crnn.interpolate import average
from crnn.preprocess import preprocess_batch
from crnn.recognizer import Recognizer
from crnn.views import VIEWS, view_batches
from generator.errors import UserError
from generator.io import atomic_write_text

DECODERS = ("greedy", "greedy+tta")


@dataclass
class Step:
    ingredient: str
    alone: float  # the ingredient's own mean
    soup: float  # the soup's mean with it (its own mean for the first)
    taken: bool


@dataclass
class Choice:
    ranked: list[tuple[str, float]]  # every ingredient with its own mean, best first
    steps: list[Step] = field(default_factory=list)

    @property
    def taken(self) -> list[str]:
        return [s.ingredient for s in self.steps if s.taken]


class SoupChoiceError(UserError):
    pass


class Scorer:
    """Mean sequence accuracy over a fixed set of validation images, preprocessed once."""

    def __init__(self, sets, config, decoder: str) -> None:
        self.decoder = parse_decoder(decoder)
        self.texts = [texts for _, _, texts in sets]
        self.inputs = []
        for _, images, _ in sets:
            if self.decoder.tta:
                batches = view_batches(
                    images, config.height, config.width, config.resize, VIEWS, config.channels
                )
            else:
                batches = [
                    preprocess_batch(
                        images, config.height, config.width, config.resize, channels=config.channels
                    )
                ]
            self.inputs.append([torch.from_numpy(b) for b in batches])

    def per_set(self, rec: Recognizer) -> list[float]:
        scores = []
        for batches, texts in zip(self.inputs, self.texts, strict=True):
            log_probs = [rec.log_probs_of(b) for b in batches]
            read = log_probs if self.decoder.tta else log_probs[0]
            decoded = self.decoder.decode(read, rec.chars)
            right = [d.text == t for d, t in zip(decoded, texts, strict=True)]
            scores.append(float(np.mean(right)))
        return scores

    def mean(self, rec: Recognizer) -> float:
        return float(np.mean(self.per_set(rec)))


def greedy_soup(models: dict[str, tuple], score) -> tuple[Choice, object]:
    """``models``: name -> (CRNN, config document); ``score``: a model and its document -> a
    number, higher better. Returns the choice and the soup's model (the best ingredient itself
    if nothing else was taken)."""
    alone = {}
    for name, (net, doc) in models.items():  # minutes for a dozen readers: say each one
        alone[name] = score(net, doc)
        print(f"{name}: alone {alone[name]:.4f}", file=sys.stderr, flush=True)
    ranked = sorted(alone.items(), key=lambda kv: -kv[1])  # stable: ties keep the given order
    choice = Choice(ranked)
    best, best_score = ranked[0]
    taken = [models[best][0]]
    soup = taken[0]
    choice.steps.append(Step(best, best_score, best_score, True))
    current = best_score
    for name, own in ranked[1:]:
        trial = average([*taken, models[name][0]], [1.0] * (len(taken) + 1))
        got = score(trial, models[best][1])
        keep = got >= current
        choice.steps.append(Step(name, own, got, keep))
        print(f"{name}: alone {own:.4f}, soup with it {got:.4f} ({'taken' if keep else 'left'})",
              file=sys.stderr, flush=True)  # fmt: skip
        if keep:
            taken.append(models[name][0])
            soup, current = trial, got
    return choice, soup


def report(choice: Choice, command: str, styles: list[str], decoder: str) -> str:
    lines = [
        f"`{command}`",
        "",
        f"{decoder}: mean sequence accuracy over {len(styles)} styles ({', '.join(styles)}).",
        "",
        "| rank | ingredient | alone | soup with it | taken |",
        "|---|---|---|---|---|",
    ]
    for rank, step in enumerate(choice.steps, 1):
        lines.append(
            f"| {rank} | {step.ingredient} | {step.alone:.4f} | {step.soup:.4f} | "
            f"{'yes' if step.taken else 'no'} |"
        )
    lines += ["", f"Soup: {', '.join(choice.taken)} (equal weights)."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    from benchmark.model_choice import add_draw_arguments, checked_draw

    parser = argparse.ArgumentParser(prog="benchmark.soup", description=__doc__)
    add_draw_arguments(parser, n=200)
    parser.add_argument("--decoder", choices=DECODERS, default="greedy")
    parser.add_argument("--out", type=Path, help="write OUT.txt and OUT.json")
    parser.add_argument("--write", type=Path, help="save the chosen soup to this run directory")
    args = parser.parse_args(argv)
    names, styles = checked_draw(parser, args)
    if len(names) < 2 or len(set(names)) != len(names):
        parser.error("give two or more different models")
    torch.set_num_threads(2)
    try:
        from crnn.checkpoint import save_model
        from crnn.derive import load_source, refuse_existing
        from crnn.interpolate import soup_meta

        if args.write:
            refuse_existing(args.write, False, SoupChoiceError)
        loaded, digests = {}, {}
        for name in names:  # bad input: before any rendering
            net, document, digests[name] = load_source(name, SoupChoiceError, "soup")
            loaded[name] = (net, document)
        shapes = {
            (c.height, c.width, c.resize, c.channels)
            for c in (net.config for net, _ in loaded.values())
        }
        if len(shapes) != 1:
            raise SoupChoiceError("the models read different input shapes; they cannot be mixed")
        average([net for net, _ in loaded.values()], [1.0] * len(loaded))  # one alphabet, one shape
        scorer = Scorer(
            validation_sets(styles, args.n, args.first),
            next(iter(loaded.values()))[0].config,
            args.decoder,
        )
        choice, soup = greedy_soup(loaded, lambda net, doc: scorer.mean(Recognizer(net, doc)))
    except (UserError, OSError) as err:  # InterpolationError among them
        sys.exit(f"soup: error: {err}")
    command = "python -m benchmark.soup " + " ".join(sys.argv[1:] if argv is None else argv)
    text = report(choice, command, styles, args.decoder)
    print(text)
    if args.out:
        document = {
            "decoder": args.decoder,
            "styles": styles,
            "n": args.n,
            "first": args.first,
            "steps": [vars(s) for s in choice.steps],
            "taken": choice.taken,
        }
        atomic_write_text(args.out.with_suffix(".txt"), text + "\n")
        atomic_write_text(args.out.with_suffix(".json"), json.dumps(document, indent=2) + "\n")
    if args.write:
        entries = [(n, digests[n], 1.0) for n in choice.taken]
        save_model(args.write, soup, soup_meta(loaded[choice.taken[0]][1], entries))
        print(f"wrote {args.write}")


if __name__ == "__main__":
    main()
