"""The development probe behind the ink-clipped views: fresh renders of the wheezy.captcha recipe
(results/foreign/ablation.py's seed 7, the `recipe` variant; never the held-out folder) read by
the shipped reader with the six views, with one plain view clipped at several quantiles added,
with the six each clipped at q0.3, and with all twelve; greedy+tta, first 150 images.

    peer/bin/python results/foreign/ablation.py render wheezy /tmp/wheezy-ablation
    PYTHONPATH=. python results/views/clip_probe.py /tmp/wheezy-ablation/00 \\
        > results/views/clip_probe.txt
"""

from __future__ import annotations

import sys
from dataclasses import replace

import numpy as np
import torch
from PIL import Image

from benchmark.folders import open_labelled_folder
from crnn.decode import ensemble, greedy_decode
from crnn.recognizer import Recognizer
from crnn.views import VIEWS, View
from generator.errors import UserError

N = 150


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit("usage: clip_probe.py FOLDER (the ablation's recipe renders, labels.csv inside)")
    torch.set_num_threads(2)
    rec = Recognizer.load("universal")
    try:
        folder = open_labelled_folder(sys.argv[1], colour=True)
    except (UserError, OSError) as err:
        sys.exit(f"clip_probe.py: {err}")
    images = [Image.fromarray(a) for a in folder.images[:N]]
    texts = folder.texts[:N]
    plain_clipped = [View(clip=q) for q in (0.1, 0.2, 0.3, 0.5)]
    six_clipped = [replace(v, clip=0.3) for v in VIEWS[1:]]  # View(clip=0.3) is in the first list
    views = [*VIEWS, *plain_clipped, *six_clipped]
    log_probs = rec.view_log_probs(images, views=views)
    decoded = [greedy_decode(lp, rec.chars) for lp in log_probs]

    def accuracy(chosen: list[int]) -> float:
        joined = ensemble([log_probs[i] for i in chosen], [decoded[i] for i in chosen], rec.chars)
        return float(np.mean([d.text == t for d, t in zip(joined, texts, strict=True)]))

    six = list(range(len(VIEWS)))
    clipped_six = [len(VIEWS) + 2, *range(len(VIEWS) + 4, len(views))]  # q0.3 plain, then the rest
    print(__doc__.split("\n\n")[0].replace("\n", " "))
    print(f"\n{len(texts)} images of {sys.argv[1]}, shipped `universal`\n")
    print("| views | sequence accuracy |\n|---|---|")
    print(f"| the six | {accuracy(six):.3f} |")
    for k, view in enumerate(plain_clipped):
        print(f"| the six + {view.name} | {accuracy([*six, len(VIEWS) + k]):.3f} |")
    print(f"| the six, each clipped at q0.3 | {accuracy(clipped_six):.3f} |")
    print(f"| all twelve | {accuracy(six + clipped_six):.3f} |")


if __name__ == "__main__":
    main()
