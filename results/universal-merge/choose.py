"""Choose the scale of results/universal-merge's task arithmetic on validation-seed samples.

    PYTHONPATH=. python results/universal-merge/choose.py

For each scale, universal + scale * ((c1 - b1) + (d2 - b1) + (p2 - universal)) is built in
memory and read (greedy) on samples 11,600-11,899 of the fifteen styles benchmark.soup chose
the greedy soup on; the best mean is written to runs/universal-m1 with `crnn merge`'s code
(ties: the smaller scale), and the table to results/universal-merge/choice.txt and .json.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import torch

from benchmark.evalsets import validation_sets
from benchmark.soup import Scorer
from crnn.checkpoint import load_model
from crnn.interpolate import add_task_vectors, merge_models
from crnn.recognizer import Recognizer
from crnn.registry import resolve_model
from generator.errors import UserError
from generator.io import atomic_write_text

BASE = "universal"
TASKS = [
    ("runs/universal-c1", "universal-b1"),
    ("runs/universal-d2", "universal-b1"),
    ("runs/universal-p2", "universal"),
]
SCALES = (0.25, 0.5, 0.75, 1.0)
FAMILIES = (
    "full-alphabet/easy full-alphabet/medium full-alphabet/hard full-alphabet/captcha relief "
    "sweep-curve quad-warp mixed-faces glyph-width tumble universal-cells hue-clutter heavy-clutter"
)
STYLES = (
    ["universal"]
    + [f"examples/{s}.toml" for s in FAMILIES.split()]
    + ["results/universal-display/display-held.toml"]
)
N, FIRST = 300, 11600
OUT = Path("runs/universal-m1")
HERE = Path(__file__).resolve().parent


def main() -> None:
    torch.set_num_threads(2)
    try:
        if OUT.exists():
            raise UserError(f"{OUT} exists; remove it to choose again")
        base, document = load_model(resolve_model(BASE).path)
        pairs = [
            (load_model(resolve_model(t).path)[0], load_model(resolve_model(s).path)[0])
            for t, s in TASKS
        ]
        scorer = Scorer(validation_sets(STYLES, N, FIRST), base.config, "greedy")
        rows = [(0.0, scorer.per_set(Recognizer(base, document)))]
        for scale in SCALES:
            merged = add_task_vectors(base, pairs, scale)
            rows.append((scale, scorer.per_set(Recognizer(merged, document))))
            print(f"scale {scale}: {sum(rows[-1][1]) / len(STYLES):.4f}", file=sys.stderr)
    except (UserError, OSError) as err:
        sys.exit(f"choose: error: {err}")
    best = max(rows[1:], key=lambda r: (sum(r[1]), -r[0]))[0]
    tasks = " ".join(f"-t {t}={s}" for t, s in TASKS)
    command = f"crnn merge {tasks} --scale {best:g} --model {BASE} -o {OUT}"
    names = [Path(s).stem for s in STYLES]
    lines = [
        "`PYTHONPATH=. python results/universal-merge/choose.py`",
        "",
        f"greedy sequence accuracy, samples {FIRST:,}-{FIRST + N - 1:,}; scale 0 is {BASE}.",
        "",
        "| scale | " + " | ".join(names) + " | mean |",
        "|---|" + "---|" * (len(names) + 1),
    ]
    for scale, per in rows:
        cells = " | ".join(f"{v:.3f}" for v in per)
        lines.append(f"| {scale:g} | {cells} | {sum(per) / len(per):.4f} |")
    lines += ["", f"Chosen: scale {best:g}, written by `{command}`."]
    text = "\n".join(lines) + "\n"
    print(text)
    atomic_write_text(HERE / "choice.txt", text)
    document_out = {"styles": STYLES, "n": N, "first": FIRST, "rows": rows, "chosen": best}
    atomic_write_text(HERE / "choice.json", json.dumps(document_out, indent=2) + "\n")
    merge_models(BASE, TASKS, best, OUT)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
