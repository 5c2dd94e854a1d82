"""The check that stopped the first colour run: greedy sequence accuracy of a reader on 150
hue-clutter validation samples (500-649).

    python results/universal-hue/thin_clutter_check.py universal runs/universal-h1

Run on 2026-11-30 while hue clutter was drawn thin (before the family drew its curves as heavy
as the text): `universal` 0.713, the stopped colour run's step-2,000 model 0.713. Both the
family and that model have changed or gone since; run now, it reads today's family.
"""

import sys

import torch

from benchmark.evalsets import validation_sets
from crnn.recognizer import Recognizer

torch.set_num_threads(1)
_, images, texts = validation_sets(["examples/hue-clutter.toml"], 150, 500)[0]
for model in sys.argv[1:]:
    preds = [d.text for d in Recognizer.load(model).predict(images, "greedy")]
    print(model, sum(p == t for p, t in zip(preds, texts, strict=True)) / len(texts))
