"""Does the letterbox cut touch any sample of our own styles? It must not: their readers trained
on the whole canvas, so a cut there would change the model input the reader was made for.

    PYTHONPATH=. python results/views/letterbox_own_styles.py \
        > results/views/letterbox_own_styles.txt

Every preset and every example style (examples/*.toml, examples/full-alphabet/*.toml), 1,000
samples each (seed 13), as rendered and re-encoded as JPEG quality 75; prints how many of them
crnn.preprocess.letterbox would cut, and which.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

import numpy as np
from PIL import Image

from crnn.preprocess import letterbox
from generator.sample import render_sample
from generator.spec import load_style, preset, preset_names

N, SEED = 1000, 13


def jpeg(image: Image.Image, quality: int = 75) -> Image.Image:
    data = io.BytesIO()
    image.convert("RGB").save(data, "JPEG", quality=quality)
    return Image.open(io.BytesIO(data.getvalue()))


def main() -> None:
    try:
        n = int(sys.argv[1]) if len(sys.argv) > 1 else N
    except ValueError:
        n = 0
    if n < 1 or len(sys.argv) > 2:
        sys.exit("usage: letterbox_own_styles.py [SAMPLES_PER_STYLE, a positive number]")
    examples = sorted(Path("examples").glob("*.toml")) + sorted(
        Path("examples/full-alphabet").glob("*.toml")
    )
    styles = [(name, preset(name)) for name in preset_names()]
    styles += [(str(path), load_style(str(path))) for path in examples]
    print(__doc__.split("\n\n")[0].replace("\n", " "))
    print(f"\n{n} samples per style, seed {SEED}\n")
    print("| style | cut as rendered | cut as JPEG q75 |")
    print("|---|---|---|")
    total = 0
    for name, spec in styles:
        cut = {"png": [], "jpeg": []}
        for i in range(n):
            image = render_sample(spec, SEED, i).image
            for kind, im in (("png", image), ("jpeg", jpeg(image))):
                a = np.asarray(im.convert("L"))
                if letterbox(a) != (0, 0, a.shape[1], a.shape[0]):
                    cut[kind].append(i)
        total += len(cut["png"]) + len(cut["jpeg"])
        shown = {k: f"{len(v)}" + (f" ({v[:5]})" if v else "") for k, v in cut.items()}
        print(f"| {name} | {shown['png']} | {shown['jpeg']} |", flush=True)
    print(f"\n{len(styles)} styles; samples cut: {total}")


if __name__ == "__main__":
    main()
