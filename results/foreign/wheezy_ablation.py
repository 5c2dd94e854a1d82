"""What in wheezy.captcha's recipe the shipped reader fails on: one ingredient left out at a time.

The held-out folder (data/foreign/wheezy, seed 2026) is read 0.505; `examples/wheezy-like.toml`,
written by looking at ten of its images, is read 0.97 — so the look is not what defeats the
reader. Here the generator itself renders fresh images (seed 7, never the held-out folder's
images or labels) with benchmark/foreign.py's recipe, and again with each ingredient removed,
and the shipped reader reads every variant (greedy+tta). A development measurement, like
results/families: it names the ingredients a training mixture lacks; nothing is trained on
these images.

    peer/bin/python results/foreign/wheezy_ablation.py render /tmp/wheezy-ablation  # wheezy env
    PYTHONPATH=. python results/foreign/wheezy_ablation.py read /tmp/wheezy-ablation \
        > results/foreign/wheezy_ablation.txt
"""

from __future__ import annotations

import csv
import random
import string
import sys
from pathlib import Path

N = 300
SEED = 7
DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
CONDENSED = ("DejaVuSansCondensed.ttf", "DejaVuSansCondensed-Bold.ttf")
REGULAR = ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf")
# name -> what differs from benchmark/foreign.py's recipe
VARIANTS = {
    "recipe": {},
    "no warp": {"warp": False},
    "warp 0.2 (half)": {"warp_x": 0.2},
    "no rotation": {"rotate": False},
    "no offset": {"offset": False},
    "no curve": {"curve": False},
    "no noise": {"noise": False},
    "no smoothing": {"smooth": False},
    "no squeeze (glyphs side by side)": {"squeeze": 1.0},
    "DejaVu Sans (not Condensed)": {"fonts": REGULAR},
    "none of warp, rotation, curve": {"warp": False, "rotate": False, "curve": False},
    # The curve, taken apart (its default: #5C87B2, 4 px, a Bezier through 5 random heights)
    "curve 2 px": {"curve_width": 2},
    "curve grey at its luminance (#7F7F7F: no hue)": {"curve_color": "#7F7F7F"},
    "curve in the text's own blended colour (#979A9F)": {"curve_color": "#979A9F"},
    "curve a straight segment between 2 random heights": {"curve_number": 3},
}


def _draw(change: dict):
    from wheezy.captcha import image as w

    glyph = []
    if change.get("warp", True):
        glyph.append(w.warp(change.get("warp_x", 0.4)))
    if change.get("rotate", True):
        glyph.append(w.rotate())
    if change.get("offset", True):
        glyph.append(w.offset())
    fonts = [str(DEJAVU / f) for f in change.get("fonts", CONDENSED)]
    drawings = [
        w.background("#EEEECC"),
        w.text(
            fonts=fonts,
            font_sizes=(36, 40, 44),
            drawings=glyph,
            color="#32386A",
            squeeze_factor=change.get("squeeze", 0.8),
        ),
    ]
    curve = w.curve(
        color=change.get("curve_color", "#5C87B2"),
        width=change.get("curve_width", 4),
        number=change.get("curve_number", 6),
    )
    drawings += [curve] if change.get("curve", True) else []
    drawings += [w.noise()] if change.get("noise", True) else []
    drawings += [w.smooth()] if change.get("smooth", True) else []
    return w.captcha(drawings=drawings, width=200, height=75)


def render(out: Path) -> None:
    alphabet = string.digits + string.ascii_uppercase
    for k, (name, change) in enumerate(VARIANTS.items()):
        folder = out / f"{k:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        random.seed(SEED)  # the generator draws from the global generator
        labels = random.Random(SEED)  # the same labels in every variant
        draw = _draw(change)
        rows = []
        for i in range(N):
            text = "".join(labels.choice(alphabet) for _ in range(labels.randint(4, 6)))
            draw(text).save(folder / f"{i:05d}.png")
            rows.append((f"{i:05d}.png", text))
        with open(folder / "labels.csv", "w", newline="") as f:
            csv.writer(f).writerows([("file_name", "text"), *rows])
        (folder / "variant.txt").write_text(name + "\n")
        print(name, "rendered", file=sys.stderr)


def read(out: Path) -> None:
    import numpy as np
    from PIL import Image

    from benchmark.folders import open_labelled_folder
    from crnn.recognizer import Recognizer

    rec = Recognizer.load("universal")
    print(__doc__.split("\n\n")[0])
    print(f"\nshipped `universal`, greedy+tta, {N} images per variant (seed {SEED})\n")
    print("| variant | sequence accuracy | vs recipe |")
    print("|---|---|---|")
    base = None
    for k in range(len(VARIANTS)):
        folder = out / f"{k:02d}"
        data = open_labelled_folder(folder, colour=rec.config.channels == 3)
        got = rec.predict([Image.fromarray(a) for a in data.images], "greedy+tta")
        acc = float(np.mean([g.text == t for g, t in zip(got, data.texts, strict=True)]))
        base = acc if base is None else base
        name = (folder / "variant.txt").read_text().strip()
        print(f"| {name} | {acc:.3f} | {100 * (acc - base):+.1f} |", flush=True)


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("render", "read"):
        sys.exit("usage: wheezy_ablation.py render|read FOLDER")
    (render if sys.argv[1] == "render" else read)(Path(sys.argv[2]))
