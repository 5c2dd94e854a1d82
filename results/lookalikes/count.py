"""Which misreads are the look-alikes O/0 (and I/1): counted from bench run predictions.

    bench run -d examples/full-alphabet/captcha.toml,examples/full-alphabet/hard.toml \
        --model universal --decoders greedy+tta -n 1000 -q -o results/lookalikes/own-captcha-hard
    python results/lookalikes/count.py > results/lookalikes/count.txt

Substitutions come from difflib's alignment of each label with its reading (one-character
replacements counted per pair); the third-party captcha defaults are results/foreign's report.
"""

import collections
import difflib

import pandas as pd

REPORTS = {
    "own captcha-full / hard-full": "results/lookalikes/own-captcha-hard/predictions.csv",
    "third-party captcha defaults": "results/foreign/universal-captcha-default/predictions.csv",
}
print(
    "| set | level | greedy+tta | misread images | O→0 | 0→O | I→1 | 1→I | commonest replacements |"
)
print("|---|---|---|---|---|---|---|---|---|")
for name, path in REPORTS.items():
    table = pd.read_csv(path)
    table = table[table.decoder == "greedy+tta"]
    for level, rows in table.groupby("level"):
        pairs = collections.Counter()
        for text, reading in zip(rows.text, rows.prediction.fillna(""), strict=True):
            for op, a, b, c, d in difflib.SequenceMatcher(None, text, reading).get_opcodes():
                if op == "replace":
                    pairs[(text[a:b], reading[c:d])] += 1
        wrong = int((~rows.correct).sum())
        top = ", ".join(f"{a}→{b} {n}" for (a, b), n in pairs.most_common(5))
        counts = " | ".join(str(pairs[p]) for p in (("O", "0"), ("0", "O"), ("I", "1"), ("1", "I")))
        print(f"| {name} | {level} | {rows.correct.mean():.3f} | {wrong} | {counts} | {top} |")
