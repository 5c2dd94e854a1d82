"""Report figures (matplotlib, Agg backend): each function writes one PNG atomically."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from .harness import BenchResult


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.tmp.png")
    fig.savefig(tmp, dpi=110, bbox_inches="tight")
    _plt().close(fig)
    os.replace(tmp, path)


def accuracy_by_level(result: BenchResult, path: Path) -> None:
    plt = _plt()
    levels = [lv.level for lv in result.levels]
    # every decoder run on any level; a decoder that does not apply to a level (a lexicon on
    # random strings) leaves its bar empty there
    decoders = list(dict.fromkeys(d.decoder for lv in result.levels for d in lv.decoders))
    fig, ax = plt.subplots(figsize=(1.6 + 1.3 * len(levels), 3.4))
    width = 0.8 / len(decoders)
    for k, name in enumerate(decoders):
        acc, lo, hi = [], [], []
        for lv in result.levels:
            d = next((x for x in lv.decoders if x.decoder == name), None)
            if d is None:
                acc.append(np.nan)
                lo.append(0.0)
                hi.append(0.0)
                continue
            acc.append(d.seq_acc)
            lo.append(d.seq_acc - d.seq_acc_ci[0])
            hi.append(d.seq_acc_ci[1] - d.seq_acc)
        xs = np.arange(len(levels)) + (k - (len(decoders) - 1) / 2) * width
        ax.bar(xs, acc, width, yerr=[lo, hi], capsize=3, label=name)
    ax.set_xticks(range(len(levels)), levels)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("sequence accuracy (95 % Wilson CI)")
    ax.legend(fontsize=8, loc="lower left")
    _save(fig, path)


def accuracy_vs_beam_width(result: BenchResult, path: Path) -> None:
    plt = _plt()
    fig, ax = plt.subplots(figsize=(5, 3.4))
    for lv in result.levels:
        # plain beams only: width is the x axis (+len/+lexicon/+lm are in the tables)
        points = sorted(
            (1 if d.decoder == "greedy" else int(d.decoder.split(":")[1]), d.seq_acc, d.decoder)
            for d in lv.decoders
            if d.decoder == "greedy" or "+" not in d.decoder
        )
        beams = [(w, a) for w, a, name in points if name != "greedy"]
        if beams:
            line = ax.plot(*zip(*beams, strict=True), "o-", label=lv.level)[0]
            greedy = next((a for _, a, name in points if name == "greedy"), None)
            if greedy is not None:
                ax.axhline(greedy, color=line.get_color(), ls=":", lw=1)
    ax.set_xscale("log", base=2)
    ax.set_xlabel("beam width (dotted: greedy)")
    ax.set_ylabel("sequence accuracy")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8)
    else:  # only greedy was run: say so instead of an empty legend (and matplotlib's warning)
        ax.text(0.5, 0.5, "no beam decoder in this run", ha="center", transform=ax.transAxes)
    _save(fig, path)


def reliability(result: BenchResult, path: Path, decoder: str = "greedy") -> None:
    plt = _plt()
    fig, ax = plt.subplots(figsize=(4.2, 4))
    ax.plot([0, 1], [0, 1], color="grey", lw=1, ls="--")
    for lv in result.levels:
        d = next((x for x in lv.decoders if x.decoder == decoder), lv.decoders[0])
        if d.calibration:
            ax.plot(
                [b["confidence"] for b in d.calibration],
                [b["accuracy"] for b in d.calibration],
                "o-",
                ms=3,
                label=f"{lv.level} (ECE {d.ece:.3f})",
            )
    ax.set_xlabel("confidence P(text | image)")
    ax.set_ylabel("accuracy")
    ax.set_title(f"reliability, {decoder}", fontsize=9)
    ax.legend(fontsize=8)
    _save(fig, path)


def coverage(result: BenchResult, path: Path, decoder: str = "greedy") -> None:
    plt = _plt()
    fig, ax = plt.subplots(figsize=(4.6, 3.4))
    for lv in result.levels:
        d = next((x for x in lv.decoders if x.decoder == decoder), lv.decoders[0])
        ax.plot(
            [p["coverage"] for p in d.coverage], [p["accuracy"] for p in d.coverage], label=lv.level
        )
    ax.set_xlabel("share of captchas answered (most confident first)")
    ax.set_ylabel("sequence accuracy of answered")
    ax.set_ylim(0, 1.02)
    ax.legend(fontsize=8)
    _save(fig, path)


def misread_gallery(
    result: BenchResult, path: Path, per_level: int = 6, decoder: str = "greedy"
) -> None:
    """Misread samples with truth and prediction, a row per level (images from the cached
    evaluation sets)."""
    font = ImageFont.load_default(size=11)
    cell_w, cell_h = 170, 82
    rows = []
    for lv in result.levels:
        d = next((x for x in lv.decoders if x.decoder == decoder), lv.decoders[0])
        wrong = [k for k, (t, p) in enumerate(zip(lv.texts, d.predictions, strict=True)) if t != p]
        rows.append((lv, d, wrong[:per_level]))
    sheet = Image.new("RGB", (cell_w * per_level + 70, cell_h * len(rows) + 4), "white")
    draw = ImageDraw.Draw(sheet)
    for r, (lv, d, picks) in enumerate(rows):
        y = r * cell_h + 2
        draw.text((2, y + 24), lv.level, fill="black", font=font)
        images = lv.images
        if images is None:
            images = np.load(Path(lv.evalset_path) / "packed" / "images.npy", mmap_mode="r")
        for c, k in enumerate(picks):
            x = 70 + c * cell_w
            shown_image = Image.fromarray(np.asarray(images[k])).convert("RGB")
            shown_image.thumbnail((cell_w - 6, cell_h - 22))  # real captchas come in any size
            sheet.paste(shown_image, (x, y))
            shown = d.predictions[k] or "(nothing)"  # the default font has no arrows
            draw.text((x, y + 62), f"{lv.texts[k]} -> {shown}", fill=(160, 0, 0), font=font)
        if not picks:
            draw.text((70, y + 24), "no misreads", fill=(0, 110, 0), font=font)
    tmp = path.with_name(f".{path.name}.tmp.png")
    sheet.save(tmp)
    os.replace(tmp, path)
