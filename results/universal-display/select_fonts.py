"""The display faces of a CPU probe: every face of a set of Debian font packages (decorative,
comic, handwritten, script, rounded) that covers digits + uppercase and draws letters a reader
can tell at all, split by name into faces to train on and faces held out.

    apt-get install fonts-aenigma fonts-tomsontalks ... (PACKAGES below)
    PYTHONPATH=. python results/universal-display/select_fonts.py runs/fonts-display \\
        > results/universal-display/fonts.txt

It writes the two sides as folders of links (OUT/train, OUT/held) and as font lists beside this
script (display-train.fonts.json, display-held.fonts.json: each face's file, SHA-256 and Debian
package), which the style files name: a run made from them renders the same faces on any
machine with these packages, or refuses to run and says which packages are missing.

"At all": the 36 characters drawn plainly (black on white, four lines of nine) and read by the
shipped reader of the time (`universal-b1` since session 18), greedy; a face whose characters it
reads under seven in ten right (1 - normalised edit distance) is dropped as a symbol or picture
face mapped onto ASCII. This keeps faces the reader already half-reads and faces it reads well
alike; it only drops faces that are no alphabet. Split: a face is held out when the SHA-256 of its
file name falls in the lowest fifth (a fixed, content-blind rule); in the packages of one family
(Comic Neue's six weights, say) the package name is hashed instead, so a family is never split
between the two sides. The held-out faces make the probe's leave-one-out test style.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont
from rapidfuzz.distance import Levenshtein

from crnn.recognizer import Recognizer
from generator.fontlist import file_sha256, write_font_list
from generator.fonts import FontError, missing_glyphs

PACKAGES = [
    "fonts-aenigma",
    "fonts-tomsontalks",
    "fonts-staypuft",
    "fonts-dustin",
    "fonts-ecolier-court",
    "fonts-isabella",
    "fonts-lobstertwo",
    "fonts-comfortaa",
    "fonts-kristi",
    "fonts-dancingscript",
    "fonts-comic-neue",
    "fonts-humor-sans",
    "fonts-dkg-handwriting",
    "fonts-femkeklaver",
    "fonts-breip",
    "fonts-f500",
    "fonts-jura",
    "fonts-oflb-euterpe",
    "fonts-yanone-kaffeesatz",
    "fonts-cabin",
]
# The broad set (`--set broad`): every Latin font package of Debian's that is no symbol, CJK or
# Indic font, whole text families and display faces alike; one package a line.
BROAD_PACKAGES = Path(__file__).parent / "broad-packages.txt"
# Faces the third-party generators we are measured on draw with (results/foreign): never trained
# on, so those folders stay zero-shot. Whole-name patterns over the file's stem, lowercased with
# spaces, dashes and underscores dropped: svg-captcha's Comismsh; wheezy's and claptcha's DejaVu
# Sans Condensed; django-simple-captcha's Bitstream Vera; multicolorcaptcha's 48 faces (FreeFont,
# Kaushan Script, Rampart One, Londrina, ...). Their packages (fonts-freefont-ttf,
# fonts-kaushanscript, fonts-rampart) are left out of broad-packages.txt as well.
THIRD_PARTY = re.compile(
    r"comismsh|dejavusanscondensed\w*|vera(bd|bi|it|mobd|mobi|moit|mono|se|sebd)?"
    r"|free(sans|serif|mono)\w*|kaushanscript\w*|rampartone\w*|londrina\w+|windsong\w*"
    r"|stalinistone\w*|dawningofanewday|graduate\w*|monofett|comboregular|elsie(regular|black)"
    r"|handjet\W?.*|aldrich\w*|bungeeoutline\w*|bonbon\w*|pixellari|digitalnumbers\w*"
    r"|keypunch029\w*|fibelnord\w*|clayborn|tambourine\w*"
)
CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
LINES = [CHARS[i : i + 9] for i in range(0, 36, 9)]
# Half right let through faces whose letters are blobs (a first run, looked at in a preview):
# seven in ten right keeps the display faces a person reads as letters.
LEAST = 0.7


def faces(package: str) -> list[Path]:
    try:
        listing = subprocess.run(["dpkg", "-L", package], capture_output=True, text=True).stdout
    except OSError:
        sys.exit("select_fonts.py: needs dpkg (a Debian machine with the font packages installed)")
    found = (Path(p) for p in listing.split() if p.lower().endswith((".ttf", ".otf")))
    return sorted(p for p in found if p.is_file())


def plain(path: Path, text: str) -> Image.Image | None:
    font = ImageFont.truetype(str(path), 40)
    box = font.getbbox(text)
    if box is None or box[2] - box[0] < 20 or box[3] - box[1] < 10:
        return None
    w, h = box[2] - box[0] + 24, box[3] - box[1] + 24
    image = Image.new("RGB", (w, h), "white")
    ImageDraw.Draw(image).text((12 - box[0], 12 - box[1]), text, font=font, fill="black")
    return image


COLLECTIONS = {"fonts-aenigma", "fonts-dustin"}  # packages of many unrelated faces


def held_out(package: str, path: Path) -> bool:
    key = path.name if package in COLLECTIONS else package
    return hashlib.sha256(key.encode()).digest()[0] < 256 // 5


def third_party(path: Path) -> bool:
    key = path.stem.lower().replace(" ", "").replace("-", "").replace("_", "")
    return THIRD_PARTY.fullmatch(key) is not None


def main() -> None:
    args = sys.argv[1:]
    chosen = "display"
    if len(args) == 3 and args[1] == "--set":
        chosen = args.pop(2)
        args.pop(1)
    if len(args) != 1 or chosen not in ("display", "broad"):
        sys.exit(
            "usage: select_fonts.py OUT_FOLDER [--set display|broad] (the train/ and held/ "
            "folders of links go there)"
        )
    out = Path(args[0])
    packages = PACKAGES if chosen == "display" else BROAD_PACKAGES.read_text().split()
    rec = Recognizer.load("universal-b1")  # the shipped reader when both sets were chosen
    rows, kept, sources, seen = [], {"train": [], "held": []}, {}, set()
    for package in packages:
        for path in faces(package):
            if third_party(path):
                rows.append((package, path.name, "-", "dropped: a third-party generator's face"))
                continue
            digest = file_sha256(path)
            if digest in seen:
                rows.append((package, path.name, "-", "dropped: the same file as a face above"))
                continue
            seen.add(digest)
            try:
                missing = missing_glyphs(path, CHARS)
            except FontError:
                missing = "unreadable"
            if missing:
                rows.append((package, path.name, "-", f"dropped: no {missing[:12]}"))
                continue
            images = [plain(path, line) for line in LINES]
            if any(im is None for im in images):
                rows.append((package, path.name, "-", "dropped: draws nothing"))
                continue
            read = rec.predict(images, "greedy")
            score = float(
                np.mean(
                    [
                        1 - Levenshtein.normalized_distance(r.text, t)
                        for r, t in zip(read, LINES, strict=True)
                    ]
                )
            )
            if score < LEAST:
                rows.append((package, path.name, f"{score:.2f}", "dropped: no alphabet"))
                continue
            part = "held" if held_out(package, path) else "train"
            kept[part].append(path)
            sources[path] = package
            rows.append((package, path.name, f"{score:.2f}", part))
    for part, paths in kept.items():
        folder = out / part
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.iterdir():
            old.unlink()
        for k, path in enumerate(paths):
            (folder / f"{k:03d}-{path.name}").symlink_to(path)
        write_font_list(Path(__file__).parent / f"{chosen}-{part}.fonts.json", paths, sources)
    print(__doc__.split("\n\n")[0].replace("\n", " "))
    print(f"\nset: {chosen} ({len(packages)} packages)")
    print(f"\ntrain {len(kept['train'])} faces, held out {len(kept['held'])}\n")
    print("| package | face | plain read (char.) | use |")
    print("|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
