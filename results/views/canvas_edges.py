"""What a captcha's canvas does to the shipped reader, with the letterbox/frame cut and the
transparent-ground lay (crnn.preprocess.letterbox, on_ground) and without them, side by side.

    PYTHONPATH=. python results/views/canvas_edges.py > results/views/canvas_edges.txt

Validation-seed samples (indices 6,000-6,149: no decision used them) of `universal` and
`medium`, each read as rendered and as a page might serve it: with a 1 px black frame (kaptcha's
default border), pasted into a canvas twice its size (small text in a big canvas), that canvas
framed, letterboxed in black bands (padded to 16:9, as multicolorcaptcha pads its strip), and as
black ink on a transparent ground (opacity from darkness); the letterboxed and framed ones also
re-encoded as JPEG (the cut allows for the ringing since session 17), and the plain one too.
"without" reads with both steps switched off (the preprocessing before session 16), "with" as
the library reads now.
"""

from __future__ import annotations

import io
from unittest import mock

import numpy as np
from PIL import Image, ImageDraw

from benchmark.evalsets import validation_samples
from crnn import preprocess
from crnn.recognizer import Recognizer
from generator.spec import preset

N, FIRST = 150, 6000


def framed(image: Image.Image) -> Image.Image:
    out = image.copy()
    ImageDraw.Draw(out).rectangle([0, 0, out.width - 1, out.height - 1], outline=(0, 0, 0))
    return out


def big(image: Image.Image) -> Image.Image:
    ground = tuple(int(v) for v in np.median(np.asarray(image).reshape(-1, 3), axis=0))
    out = Image.new("RGB", (image.width * 2, image.height * 2), ground)
    out.paste(image, (image.width // 2, image.height // 2))
    return out


def letterboxed(image: Image.Image) -> Image.Image:
    height = round(image.width * 9 / 16)
    if height <= image.height:
        height = image.height * 2
    out = Image.new("RGB", (image.width, height), (0, 0, 0))
    out.paste(image, (0, (height - image.height) // 2))
    return out


def jpeg(image: Image.Image, quality: int = 75) -> Image.Image:
    data = io.BytesIO()
    image.save(data, "JPEG", quality=quality)
    return Image.open(io.BytesIO(data.getvalue())).convert("RGB")


def transparent(image: Image.Image) -> Image.Image:
    grey = np.asarray(image.convert("L"), np.float32)
    ground = float(np.median(grey))
    alpha = np.clip((ground - grey) / max(ground, 1.0) * 255, 0, 255).astype(np.uint8)
    rgba = np.zeros((*grey.shape, 4), np.uint8)
    rgba[..., 3] = alpha
    return Image.fromarray(rgba, "RGBA")


VARIANTS = {
    "as rendered": lambda im: im,
    "1 px black frame": framed,
    "in a canvas twice its size": big,
    "in a canvas twice its size, framed": lambda im: framed(big(im)),
    "letterboxed to 16:9 in black": letterboxed,
    "black ink on a transparent ground": transparent,
    # Served as JPEG (kaptcha's default), the bands and frames ring at their seams.
    "letterboxed, then JPEG quality 75": lambda im: jpeg(letterboxed(im)),
    "letterboxed, then JPEG quality 50": lambda im: jpeg(letterboxed(im), 50),
    "in a canvas twice its size, framed, then JPEG quality 75": lambda im: jpeg(framed(big(im))),
    "as rendered, then JPEG quality 75": jpeg,
}


def accuracy(rec: Recognizer, images, texts) -> float:
    got = rec.predict(images, "greedy+tta")
    return float(np.mean([g.text == t for g, t in zip(got, texts, strict=True)]))


def main() -> None:
    rec = Recognizer.load("universal")
    print(__doc__.split("\n\n")[0].replace("\n", " "))
    print(
        f"\nshipped `universal`, greedy+tta, {N} samples per style from validation index {FIRST}\n"
    )
    print("| style | canvas | without | with |")
    print("|---|---|---|---|")
    for style in ("universal", "medium"):
        samples = validation_samples(preset(style), N, FIRST)
        texts = [s.text for s in samples]
        for name, make in VARIANTS.items():
            images = [make(s.image.convert("RGB")) for s in samples]
            with (
                mock.patch.object(
                    preprocess, "letterbox", lambda a: (0, 0, a.shape[1], a.shape[0])
                ),
                mock.patch.object(preprocess, "on_ground", lambda im: im),
            ):
                before = accuracy(rec, images, texts)
            after = accuracy(rec, images, texts)
            print(f"| {style} | {name} | {before:.3f} | {after:.3f} |", flush=True)


if __name__ == "__main__":
    main()
