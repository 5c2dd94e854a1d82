"""Is multicolorcaptcha out of reach only as a whole line? The shipped reader on its first 120
images whole, and on each character's tile alone (a quarter of the width, rows 15-85 %, where
the generator puts one glyph), greedy.

    python results/foreign/multicolor_tiles.py > results/foreign/multicolor_tiles.txt
"""

import csv

from PIL import Image

from crnn.recognizer import Recognizer

reader = Recognizer.load("universal")
with open("data/foreign/multicolor/labels.csv", newline="") as f:
    rows = list(csv.DictReader(f))[:120]
images = [Image.open(f"data/foreign/multicolor/{r['file_name']}").convert("RGB") for r in rows]
labels = [r["text"] for r in rows]
whole = [d.text for d in reader.predict(images)]
tiles = [
    im.crop(
        (k * im.width // 4, int(im.height * 0.15), (k + 1) * im.width // 4, int(im.height * 0.85))
    )
    for im in images
    for k in range(4)
]
read = [d.text for d in reader.predict(tiles)]
right_tiles = sum(read[4 * i + k] == labels[i][k] for i in range(len(labels)) for k in range(4))
joined = ["".join(read[4 * i : 4 * i + 4]) for i in range(len(labels))]
print(f"images: {len(labels)}")
print(f"whole image read right: {sum(w == t for w, t in zip(whole, labels, strict=True))}")
print(f"tiles read right alone: {right_tiles} of {4 * len(labels)}")
from_tiles = sum(j == t for j, t in zip(joined, labels, strict=True))
print(f"images right from their four tiles: {from_tiles}")
print("first readings of tiles (label: four tile readings):")
for i in range(5):
    print(f"  {labels[i]}: {read[4 * i : 4 * i + 4]}")
