"""What in a third-party generator's recipe the shipped reader fails on: one ingredient left out
at a time.

The held-out wheezy folder (data/foreign/wheezy, seed 2026) is read 0.505;
`examples/wheezy-like.toml`, written by looking at ten of its images, is read 0.973
(results/foreign/wheezy-like-read.txt) — so the
look is not what defeats the reader. Here the generator itself renders fresh images (seed 7,
never a held-out folder's images or labels) with benchmark/foreign.py's recipe, and again with
each ingredient removed, and the shipped reader reads every variant (greedy+tta). A development
measurement, like results/families: it names the ingredients a training mixture lacks; nothing
is trained on these images. Only the development folders' generators are taken apart
(wheezy.captcha for quad_warp and sweep_curve, multicolorcaptcha for cells and tumble,
svg-captcha for relief since session 19); claptcha and django-simple-captcha stay held out.

    peer/bin/python results/foreign/ablation.py render wheezy /tmp/wheezy-ablation
    PYTHONPATH=. python results/foreign/ablation.py read /tmp/wheezy-ablation \\
        > results/foreign/wheezy_ablation.txt
    (the same with multicolor, /tmp/multicolor-ablation and multicolor_ablation.txt; and with
    svg-captcha, svg_captcha_ablation.txt: NODE_PATH naming svg-captcha's node_modules, as
    benchmark/foreign.py says)
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
WHEEZY = {
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
MULTICOLOR = {
    "recipe (level 2, hex, a colour per tile)": {},
    "no rotation (tiles turn up to 55 degrees)": {"rotation": (0, 0)},
    "no lines through each tile (2 of the glyph's colour)": {"tile_lines": 0},
    "level 0 (no lines, no circles across the image)": {"level": 0},
    "no lines, no circles at all": {"tile_lines": 0, "level": 0},
    "DejaVu Sans for every glyph (its own decorative faces out)": {"fonts": REGULAR},
    "one background colour for all tiles": {"multicolor": False},
    "DejaVu Sans, no rotation, no lines, no circles": {
        "fonts": REGULAR,
        "rotation": (0, 0),
        "tile_lines": 0,
        "level": 0,
    },
}

# svg-captcha's options (benchmark/svg_captcha.js; "font" loads a face in place of Comismsh)
SVG_CAPTCHA = {
    "recipe (Comismsh, colour text on #cc9966, 2 noise lines)": {},
    "no noise lines": {"noise": 0},
    "no ground colour (transparent: laid on a ground before reading)": {"background": ""},
    "DejaVu Sans in place of Comismsh": {"font": str(DEJAVU / REGULAR[0])},
    "DejaVu Sans Bold in place of Comismsh": {"font": str(DEJAVU / REGULAR[1])},
    "DejaVu Sans, no noise lines": {"font": str(DEJAVU / REGULAR[0]), "noise": 0},
}


def _wheezy(change: dict):
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
    draw = w.captcha(drawings=drawings, width=200, height=75)
    alphabet = string.digits + string.ascii_uppercase
    labels = random.Random(SEED)  # the same labels in every variant

    def make():
        text = "".join(labels.choice(alphabet) for _ in range(labels.randint(4, 6)))
        return draw(text), text

    return make


def _multicolor(change: dict):
    from multicolorcaptcha import CaptchaGenerator

    gen = CaptchaGenerator(2)
    if "fonts" in change:
        gen.l_fonts = [str(DEJAVU / f) for f in change["fonts"]]
    tile = gen.gen_captcha_char_image

    def tile_with(character, size, lines=2, background_color=None, rotation_limits=(-55, 55)):
        return tile(
            character,
            size,
            change.get("tile_lines", lines),
            background_color,
            change.get("rotation", rotation_limits),
        )

    gen.gen_captcha_char_image = tile_with  # the generator calls it once per character

    def make():
        made = gen.gen_captcha_image(
            difficult_level=change.get("level", 2),
            chars_mode="hex",
            multicolor=change.get("multicolor", True),
        )
        return made.image.convert("RGB"), made.characters.upper()

    return make


def _svg_captcha(change: dict):
    # benchmark/foreign.py draws it (node, svg_captcha.js, CairoSVG); this script runs from its
    # own folder in the peers' environment, so the repository root goes on the path for it.
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from benchmark.foreign import svg_captcha_drawer

    try:
        draw = svg_captcha_drawer(change, who="ablation.py")
    except ImportError as err:
        sys.exit(f"ablation.py: {err} (see benchmark/foreign.py)")
    alphabet = string.digits + string.ascii_uppercase
    draws = random.Random(SEED)  # the same labels and layouts in every variant

    def make():
        text = "".join(draws.choice(alphabet) for _ in range(draws.randint(4, 6)))
        return draw(text, draws.getrandbits(32)).convert("RGBA"), text

    return make


GENERATORS = {
    "wheezy": (WHEEZY, _wheezy),
    "multicolor": (MULTICOLOR, _multicolor),
    "svg-captcha": (SVG_CAPTCHA, _svg_captcha),
}


def render(generator: str, out: Path) -> None:
    variants, factory = GENERATORS[generator]
    for k, (name, change) in enumerate(variants.items()):
        folder = out / f"{k:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        random.seed(SEED)  # the generators draw from the global generator
        make = factory(change)
        rows = []
        for i in range(N):
            image, text = make()
            image.save(folder / f"{i:05d}.png")
            rows.append((f"{i:05d}.png", text))
        with open(folder / "labels.csv", "w", newline="") as f:
            csv.writer(f).writerows([("file_name", "text"), *rows])
        (folder / "variant.txt").write_text(f"{generator}\n{name}\n")
        print(name, "rendered", file=sys.stderr)


def read(out: Path) -> None:
    import numpy as np
    from PIL import Image

    from benchmark.folders import open_labelled_folder
    from crnn.recognizer import Recognizer

    folders = sorted(p for p in out.glob("*") if (p / "variant.txt").exists())
    if not folders:
        sys.exit(f"ablation.py: {out} holds no rendered variants (run `render` first)")
    rec = Recognizer.load("universal")
    generator = (folders[0] / "variant.txt").read_text().split("\n")[0]
    print(__doc__.split("\n\n")[0].replace("\n", " "))
    print(f"\n{generator}; shipped `universal`, greedy+tta, {N} images per variant (seed {SEED})\n")
    print("| variant | sequence accuracy | vs recipe |")
    print("|---|---|---|")
    base = None
    for folder in folders:
        data = open_labelled_folder(folder, colour=rec.config.channels == 3)
        got = rec.predict([Image.fromarray(a) for a in data.images], "greedy+tta")
        acc = float(np.mean([g.text == t for g, t in zip(got, data.texts, strict=True)]))
        base = acc if base is None else base
        name = (folder / "variant.txt").read_text().split("\n")[1]
        print(f"| {name} | {acc:.3f} | {100 * (acc - base):+.1f} |", flush=True)


if __name__ == "__main__":
    args = sys.argv[1:]
    if args[:1] == ["render"] and len(args) == 3 and args[1] in GENERATORS:
        try:
            render(args[1], Path(args[2]))
        except ImportError as err:  # the generators live in the peers' environment
            sys.exit(f"ablation.py: {err.name} is not installed here (see benchmark/foreign.py)")
    elif args[:1] == ["read"] and len(args) == 2:
        read(Path(args[1]))
    else:
        sys.exit("usage: ablation.py render wheezy|multicolor|svg-captcha FOLDER | read FOLDER")
