"""The letterbox cut's own cost, session 16's rule (git a3eafe3) against the current one, timed
side by side on the same 300 `universal` arrays, three rounds.

    git show a3eafe3:crnn/preprocess.py > /tmp/pre_old.py
    PYTHONPATH=. python results/foreign/letterbox_rules_side_by_side.py /tmp/pre_old.py \\
        > results/foreign/letterbox_rules_side_by_side.txt
"""

import importlib.util
import sys
import time

import numpy as np

from crnn import preprocess
from generator.sample import render_sample
from generator.spec import preset

if len(sys.argv) != 2 or not sys.argv[1].endswith(".py"):
    sys.exit("usage: letterbox_rules_side_by_side.py OLD_PREPROCESS_PY")
try:
    spec = importlib.util.spec_from_file_location("old_preprocess", sys.argv[1])
    old = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(old)
except (OSError, SyntaxError, ImportError) as err:
    sys.exit(f"letterbox_rules_side_by_side.py: cannot load {sys.argv[1]}: {err}")
if not hasattr(old, "letterbox"):
    sys.exit(f"letterbox_rules_side_by_side.py: {sys.argv[1]} has no letterbox()")
arrays = [
    np.asarray(render_sample(preset("universal"), 3, i).image.convert("L")) for i in range(300)
]
print(__doc__.split("\n\n")[0].replace("\n", " "))
print("\n| round | session 16's rule | current rule |\n|---|---|---|")
for k in range(3):
    times = []
    for module in (old, preprocess):
        start = time.perf_counter()
        for a in arrays:
            module.letterbox(a)
        times.append((time.perf_counter() - start) / len(arrays) * 1e3)
    print(f"| {k + 1} | {times[0]:.3f} ms | {times[1]:.3f} ms |")
