"""Ink layers as test-time views: a measured lead that did not pay (not adopted).

    python results/views/ink_layers.py > results/views/ink_layers.txt

Idea (a classic captcha-breaking step): clutter drawn in another colour than the text is a layer
of its own. Find the background (the border's median colour), cluster the ink's colour
*directions* from it (spherical k-means, k = 3, merged below 25 degrees apart), and render two
more grey views of each image: one keeping only the largest layer, one dropping it (mode
"keep"/"drop"). The reader reads them beside greedy+tta's six views; crnn.decode.ensemble picks.
Measured on validation-seed samples 500-699 of `examples/hue-clutter.toml` (clutter told from
the text by hue alone: the case it is for) and `universal`, with the shipped grey reader.
"Oracle" is the share some view (or the +tta ensemble) reads right: the most any way of choosing
among them could reach. No third-party image was read for this.
"""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image

from benchmark.evalsets import validation_sets
from crnn.decode import ensemble, greedy_decode
from crnn.recognizer import Recognizer

INK = 48.0  # colour distance from the background above which a pixel is ink


def _kmeans(u: np.ndarray, k: int) -> np.ndarray:
    """Labels of unit vectors ``u`` in k clusters: farthest-point start, 15 rounds."""
    centres = [u[np.argmax(np.linalg.norm(u - u.mean(0), axis=1))]]
    for _ in range(k - 1):
        nearest = np.min([((u - c) ** 2).sum(1) for c in centres], axis=0)
        centres.append(u[np.argmax(nearest)])
    c = np.stack(centres)
    for _ in range(15):
        labels = ((u[:, None] - c[None]) ** 2).sum(2).argmin(1)
        for j in range(k):
            if (labels == j).any():
                c[j] = u[labels == j].mean(0)
    return labels


def layer_views(image: Image.Image, mode: str, k: int = 3, merge_deg: float = 25.0):
    """Two grey views of ``image``: its largest and second ink layer kept (``keep``) or dropped
    (``drop``); the luminance twice where the ink has one colour direction only."""
    rgb = np.asarray(image.convert("RGB"), dtype=np.float32)
    border = np.concatenate([rgb[0], rgb[-1], rgb[:, 0], rgb[:, -1]])
    d = rgb - np.median(border, axis=0)
    m = np.linalg.norm(d, axis=-1)
    luma = image.convert("L")
    ink = d[m > INK]
    if len(ink) < 50:
        return [luma, luma]
    x = ink[:: max(1, len(ink) // 4000)]
    u = x / np.linalg.norm(x, axis=1, keepdims=True)
    labels = _kmeans(u, k)
    layers = []  # [direction, size], largest first, near directions merged
    for j in sorted(range(k), key=lambda j: -(labels == j).sum()):
        if not (labels == j).any():
            continue
        direction = u[labels == j].mean(0)
        direction /= np.linalg.norm(direction)
        for layer in layers:
            if np.degrees(np.arccos(np.clip(direction @ layer[0], -1, 1))) < merge_deg:
                layer[1] += (labels == j).sum()
                break
        else:
            layers.append([direction, (labels == j).sum()])
    if len(layers) < 2:
        return [luma, luma]
    with np.errstate(invalid="ignore", divide="ignore"):
        cos = np.nan_to_num((d / m[..., None]) @ np.stack([g[0] for g in layers]).T)
    nearest = cos.argmax(-1)
    scale = np.percentile(m[m > INK], 75)
    views = []
    for j in range(2):
        chosen = nearest == j if mode == "keep" else nearest != j
        v = np.where(chosen, np.clip(m / scale, 0, 1), 0)
        views.append(Image.fromarray((255 - 200 * v).astype(np.uint8), "L"))
    return views


def main() -> None:
    torch.set_num_threads(2)
    rec = Recognizer.load(None)
    print(
        "| set (validation 500-699) | mode | greedy | layer view 1 | layer view 2 | greedy+tta "
        "| greedy+tta + layers | oracle |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name, images, texts in validation_sets(["examples/hue-clutter.toml", "universal"], 200):
        truth = [t.upper() for t in texts]

        def acc(readings, truth=truth) -> float:
            return float(np.mean([r.text == t for r, t in zip(readings, truth, strict=True)]))

        tta = rec.view_log_probs(images)
        tta_read = [greedy_decode(lp, rec.chars) for lp in tta]
        voted = ensemble(tta, tta_read, rec.chars)
        for mode in ("keep", "drop"):
            views = [layer_views(im, mode) for im in images]
            lp = [rec.log_probs([v[j] for v in views]) for j in (0, 1)]
            read = [greedy_decode(x, rec.chars) for x in lp]
            both = ensemble(tta + lp, tta_read + read, rec.chars)
            oracle = np.mean([any(r[i].text == truth[i] for r in [voted, *read])
                              for i in range(len(truth))])  # fmt: skip
            print(
                f"| {name} | {mode} | {acc(tta_read[0]):.3f} | {acc(read[0]):.3f} | "
                f"{acc(read[1]):.3f} | {acc(voted):.3f} | {acc(both):.3f} | {oracle:.3f} |"
            )


if __name__ == "__main__":
    main()
