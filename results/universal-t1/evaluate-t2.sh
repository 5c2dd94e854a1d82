#!/usr/bin/env bash
# The reads of t2's rule (README, "t2"), in its order, against the shipped `universal`,
# greedy and greedy+tta: the five training styles and the eight families on 300 samples from
# FIRST, relief and the held-out display faces on 1,000 from FIRST, then the levels.
# t2: as is. Its midpoint (only if t2 misses a bar):
#   M=runs/universal-t2-half R=results/universal-t1/t2-half FIRST=15200
set -euo pipefail
# BASE: the reader judged against, `universal` when t2, t3 and t4 were judged; it ships as
# universal-p1-half since t4-half replaced it (session 21), so the default names it. t5 was
# judged against t4-half, `universal` then: BASE=universal-t4-half re-runs its reads.
BASE=${BASE:-universal-p1-half}
M=${M:-runs/universal-t2}
R=${R:-results/universal-t1/t2}
FIRST=${FIRST:-14200}
mkdir -p "$R"
python -m benchmark.model_choice --models $BASE,$M --n 300 --first $FIRST --out $R/validation
python -m benchmark.model_choice --models $BASE,$M \
    --styles examples/relief.toml,results/universal-display/display-held.toml \
    --n 1000 --first $FIRST --out $R/relief-faces
python -m benchmark.model_choice --models $BASE,$M \
    --styles examples/sweep-curve.toml,examples/quad-warp.toml,examples/mixed-faces.toml,examples/glyph-width.toml,examples/tumble.toml,examples/universal-cells.toml,examples/hue-clutter.toml,examples/heavy-clutter.toml \
    --n 300 --first $FIRST --out $R/families
bench run -d easy,medium,hard,extreme --n 500 --model $M --decoders greedy,greedy+tta \
    -o $R/levels --quiet
bench compare results/$BASE-run $R/levels --out $R/levels-vs-universal.md
