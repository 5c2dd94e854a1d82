"""Held-out check on captchas this project never renders: labelled folders drawn by third-party
generators, and the off-the-shelf reader ddddocr measured on the same images.

Runs in a separate environment that has the peers installed (they are not dependencies of
captchabench; multicolorcaptcha is GPL and only ever runs here, as a test-image source):

    python -m venv peer && peer/bin/pip install ddddocr wheezy.captcha multicolorcaptcha captcha \
        claptcha
    peer/bin/python benchmark/foreign.py render --out data/foreign --n 400 \
        --only wheezy,captcha-default,claptcha,multicolor
    peer/bin/python benchmark/foreign.py ddddocr data/foreign/*        # the peer's accuracy
    bench run --data data/foreign/wheezy --model universal             # ours, per folder

Labels are 4-6 characters of digits + uppercase, O/0 and I/1 included (multicolorcaptcha draws
its own 4-character text). Fonts: DejaVu Sans *Condensed*, a face outside the training pool, for
wheezy and claptcha; the captcha package, django-simple-captcha and multicolorcaptcha use their
own. django-simple-captcha's top-level package is also called ``captcha`` and overwrites the
captcha package's files: it lives in an environment of its own,

    python -m venv peerdj && peerdj/bin/pip install django-simple-captcha ddddocr
    peerdj/bin/python benchmark/foreign.py render --out data/foreign --only django-simple

svg-captcha is a Node.js package (npm): its folder needs node, the package, and CairoSVG in the
peer environment to rasterise the SVG it draws,

    npm install --prefix peer-node svg-captcha@1.4.0 && peer/bin/pip install cairosvg
    NODE_PATH=peer-node/node_modules peer/bin/python benchmark/foreign.py render \
        --out data/foreign --n 400 --only svg-captcha

wheezy.captcha, claptcha, django-simple-captcha and multicolorcaptcha draw from Python's global
``random``, which the script seeds (svg-captcha's Math.random is replaced by a generator seeded
from it: benchmark/svg_captcha.js); the captcha package (>= 0.7.1) draws from ``secrets``, which
the script points at a seeded generator while it renders (as generator/captcha_backend.py does),
so every folder regenerates byte for byte.
"""

from __future__ import annotations

import argparse
import csv
import random
import string
import sys
from pathlib import Path

ALPHABET = string.digits + string.ascii_uppercase
FONT_DIRS = ("/usr/share/fonts/truetype/dejavu",)
FONTS = ("DejaVuSansCondensed.ttf", "DejaVuSansCondensed-Bold.ttf")


def _fonts() -> list[str]:
    for folder in FONT_DIRS:
        found = [str(Path(folder) / f) for f in FONTS if (Path(folder) / f).exists()]
        if found:
            return found
    sys.exit("foreign.py: DejaVu Sans Condensed not found (apt-get install fonts-dejavu-extra)")


def _label(rnd: random.Random) -> str:
    return "".join(rnd.choice(ALPHABET) for _ in range(rnd.randint(4, 6)))


# A generator is a factory: fonts -> draw, where draw(text) returns the image and the text it
# shows (the text given, or one the generator chose itself).


def _wheezy(fonts):
    from wheezy.captcha import image as w

    draw = w.captcha(
        drawings=[
            w.background("#EEEECC"),
            w.text(
                fonts=fonts,
                font_sizes=(36, 40, 44),
                drawings=[w.warp(0.4), w.rotate(), w.offset()],
                color="#32386A",
            ),
            w.curve(),
            w.noise(),
            w.smooth(),
        ],
        width=200,
        height=75,
    )
    return lambda text: (draw(text), text)


def _captcha_default(fonts):
    import types

    import captcha.image as ci

    # captcha 0.7.1 looks `secrets` up at call time: give it the three methods it uses, seeded.
    rnd = random.Random(random.getrandbits(64))
    ci.secrets = types.SimpleNamespace(
        randbelow=rnd.randrange, randbits=rnd.getrandbits, choice=rnd.choice
    )
    gen = ci.ImageCaptcha(width=160, height=60)  # the package's own font and sizes
    return lambda text: (gen.generate_image(text), text)


def _claptcha(fonts):
    from claptcha import Claptcha
    from PIL import ImageFont

    # claptcha 0.3.3 (2017) measures text with FreeTypeFont.getsize, which Pillow 10 removed:
    # give it back as the bounding box's far corner (what getsize returned for these fonts).
    if not hasattr(ImageFont.FreeTypeFont, "getsize"):
        ImageFont.FreeTypeFont.getsize = lambda font, text: font.getbbox(text)[2:]

    # Its README's example: 200x80, margins 20, noise 0.3 (white noise blended in).
    def draw(text):
        made = Claptcha(text, fonts[0], size=(200, 80), margin=(20, 20), noise=0.3)
        return made.image[1], text

    return draw


def _django_simple(fonts):
    """django-simple-captcha with its default settings (Vera at 22 px, letters rotated ±35°,
    arcs and dots, a smoothing filter; the image sized to the text): the image its view serves."""
    import io
    import types

    import django
    from django.conf import settings
    from PIL import Image

    if not settings.configured:
        settings.configure(INSTALLED_APPS=["captcha"], USE_TZ=True)
        django.setup()
    from captcha import views

    def draw(text):
        response = views._captcha_image(types.SimpleNamespace(challenge=text), 1)
        return Image.open(io.BytesIO(response.content)), text

    return draw


def _multicolor(fonts):
    """multicolorcaptcha level 2: it draws its own 4-character hex text (the text given is
    not used)."""
    from multicolorcaptcha import CaptchaGenerator

    gen = CaptchaGenerator(2)

    def draw(_text):
        made = gen.gen_captcha_image(difficult_level=2, chars_mode="hex", multicolor=True)
        return made.image, made.characters.upper()

    return draw


def svg_captcha_drawer(options: dict | None = None, who: str = "foreign.py"):
    """draw(text, seed): the captcha svg-captcha (npm, Node.js) draws for ``text`` with its
    Math.random seeded by ``seed``, rasterised by CairoSVG at its own size: the SVG a page
    inlines, as a browser shows it. ``options`` (benchmark/svg_captcha.js's JSON) change the
    recipe, for results/foreign/ablation.py. Needs node and NODE_PATH naming a node_modules
    folder with svg-captcha 1.4.0 (``npm install --prefix peer-node svg-captcha@1.4.0``);
    raises ImportError without them. A failed draw exits with node's error line, named by
    ``who``."""
    import io
    import json
    import os
    import shutil
    import subprocess

    import cairosvg
    from PIL import Image

    if shutil.which("node") is None or not os.environ.get("NODE_PATH"):
        raise ImportError("svg-captcha needs node and NODE_PATH (its node_modules folder)")
    script = Path(__file__).with_name("svg_captcha.js")
    changes = [] if options is None else [json.dumps(options)]

    def draw(text: str, seed: int):
        made = subprocess.run(["node", str(script), text, str(seed), *changes], capture_output=True)
        if made.returncode != 0:  # svg-captcha not under NODE_PATH, say: node's error line
            lines = made.stderr.decode(errors="replace").strip().splitlines() or ["?"]
            said = next((line for line in lines if "Error" in line), lines[-1])
            sys.exit(f"{who}: svg-captcha: node failed: {said.strip()}")
        return Image.open(io.BytesIO(cairosvg.svg2png(bytestring=made.stdout)))

    return draw


def _svg_captcha(fonts):
    """svg-captcha with benchmark/svg_captcha.js's recipe (svg_captcha_drawer), seeded from the
    global generator as the Python peers are."""
    draw = svg_captcha_drawer()
    return lambda text: (draw(text, random.getrandbits(32)), text)


GENERATORS = {
    "wheezy": _wheezy,
    "captcha-default": _captcha_default,
    "claptcha": _claptcha,
    "django-simple": _django_simple,
    "multicolor": _multicolor,
    "svg-captcha": _svg_captcha,
}


# Generators drawn with DejaVu Sans Condensed (the others bring their own font).
NEEDS_FONTS = {"wheezy", "claptcha"}


def render(out: Path, n: int, seed: int, only: set[str] | None = None) -> None:
    names = [name for name in GENERATORS if only is None or name in only]
    fonts = _fonts() if NEEDS_FONTS & set(names) else []
    for name in names:
        random.seed(seed)  # the peers draw from the global generator
        rnd = random.Random(seed)
        try:
            draw = GENERATORS[name](fonts)
        except ImportError as err:
            print(f"skipping {name}: {err}", file=sys.stderr)
            continue
        folder = out / name
        folder.mkdir(parents=True, exist_ok=True)
        rows = []
        for i in range(n):
            image, text = draw(_label(rnd))
            image.convert("RGB").save(folder / f"{i:05d}.png")
            rows.append((f"{i:05d}.png", text))
        _write_labels(folder, rows)
        print(f"{folder}: {n} images")


def _write_labels(folder: Path, rows) -> None:
    with open(folder / "labels.csv", "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["file_name", "text"])
        writer.writerows(rows)


def ddddocr_accuracy(folders: list[Path]) -> None:
    """Sequence accuracy of ddddocr (case-insensitive: it answers in either case)."""
    import ddddocr

    ocr = ddddocr.DdddOcr(show_ad=False)
    for folder in folders:
        with open(folder / "labels.csv", newline="") as fh:
            rows = list(csv.DictReader(fh))
        right = sum(
            ocr.classification((folder / r["file_name"]).read_bytes()).upper() == r["text"]
            for r in rows
        )
        print(f"{folder.name}\tddddocr\t{right}/{len(rows)}\t{right / len(rows):.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    r = sub.add_parser("render", help="write labelled folders from third-party generators")
    r.add_argument("--out", type=Path, default=Path("data/foreign"))
    r.add_argument("--n", type=int, default=400)
    r.add_argument("--seed", type=int, default=2026)
    r.add_argument(
        "--only",
        help="comma list of generators to render (default: all): " + ", ".join(GENERATORS),
    )
    d = sub.add_parser("ddddocr", help="ddddocr's accuracy on labelled folders")
    d.add_argument("folders", type=Path, nargs="+")
    args = parser.parse_args()
    if args.command == "render":
        only = None if args.only is None else set(args.only.split(","))
        unknown = (only or set()) - set(GENERATORS)
        if unknown:
            sys.exit(f"foreign.py: unknown generator(s): {', '.join(sorted(unknown))}")
        render(args.out, args.n, args.seed, only)
    else:
        ddddocr_accuracy(args.folders)


if __name__ == "__main__":
    main()
