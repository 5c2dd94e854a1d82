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
shipped `universal` reader, greedy; a face whose characters it reads under half right (1 -
normalised edit distance) is dropped as a symbol or picture face mapped onto ASCII. This keeps
faces the reader already half-reads and faces it reads well alike; it only drops faces that are
no alphabet. Split: a face is held out when the SHA-256 of its file name falls in the lowest
fifth (a fixed, content-blind rule); in the packages of one family (Comic Neue's six weights,
say) the package name is hashed instead, so a family is never split between the two sides. The
held-out faces make the probe's leave-one-out test style.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont
from rapidfuzz.distance import Levenshtein

from crnn.recognizer import Recognizer
from generator.fontlist import write_font_list
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


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit(
            "usage: select_fonts.py OUT_FOLDER (the train/ and held/ folders of links go there)"
        )
    out = Path(sys.argv[1])
    rec = Recognizer.load("universal")
    rows, kept, sources = [], {"train": [], "held": []}, {}
    for package in PACKAGES:
        for path in faces(package):
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
        write_font_list(Path(__file__).parent / f"display-{part}.fonts.json", paths, sources)
    print(__doc__.split("\n\n")[0].replace("\n", " "))
    print(f"\ntrain {len(kept['train'])} faces, held out {len(kept['held'])}\n")
    print("| package | face | plain read (char.) | use |")
    print("|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
