"""Colour or training? Each reader on the third-party folders as they are (colour) and with every
image made grey (R = G = B = its luminance): what the colour reader gains on grey images came
from its training, not from reading hue.

    python results/universal-hue/grey_control.py > results/universal-hue/grey_control.txt
"""

import torch
from PIL import Image

from benchmark.folders import open_labelled_folder
from crnn.recognizer import Recognizer

torch.set_num_threads(2)
print("| folder | reader | input | greedy | greedy+tta |")
print("|---|---|---|---|---|")
for f in ["wheezy", "django-simple"]:
    folder = open_labelled_folder(f"data/foreign/{f}", colour=True)
    colour = [Image.fromarray(a) for a in folder.images]
    grey = [im.convert("L").convert("RGB") for im in colour]
    for m in ["universal", "runs/universal-h1"]:
        r = Recognizer.load(m)
        for name, ims in (("colour", colour), ("grey", grey)):
            accs = []
            for dec in ("greedy", "greedy+tta"):
                preds = [d.text for d in r.predict(ims, dec)]
                accs.append(
                    sum(p == t for p, t in zip(preds, folder.texts, strict=True)) / len(preds)
                )
            print(f"| {f} | {m} | {name} | {accs[0]:.3f} | {accs[1]:.3f} |")
