"""What the letterbox cut costs in preprocessing, per image, on one core.

PYTHONPATH=. python results/foreign/letterbox_cost.py > results/foreign/letterbox_cost.txt
"""

import glob
import sys
import time

import numpy as np
from PIL import Image

from crnn import preprocess
from generator.sample import render_sample
from generator.spec import preset


def per_image_ms(images, read) -> float:
    start = time.perf_counter()
    for image in images:
        read(image)
    return (time.perf_counter() - start) / len(images) * 1e3


sets = {
    "universal (300 samples, seed 3)": [
        render_sample(preset("universal"), 3, i).image for i in range(300)
    ],
    "multicolorcaptcha (first 100 of data/foreign/multicolor)": [
        Image.open(p).convert("RGB")
        for p in sorted(glob.glob("data/foreign/multicolor/*.png"))[:100]
    ],
}
if not all(sets.values()):
    sys.exit("letterbox_cost.py: no images in data/foreign/multicolor (benchmark/foreign.py)")
print(__doc__.split("\n\n")[0])
print("\n| images | whole crop preprocessing (RGB, 32x128) | letterbox alone (on the grey array) |")
print("|---|---|---|")
for name, images in sets.items():
    whole = per_image_ms(
        images, lambda im: preprocess.model_pixels(im, 32, 128, "crop", channels=3)
    )
    greys = [np.asarray(im.convert("L")) for im in images]
    alone = per_image_ms(greys, preprocess.letterbox)
    print(f"| {name} | {whole:.2f} ms | {alone:.3f} ms |")
