#!/usr/bin/env bash
# The decision reads of results/universal-relief (its README's rule), in the rule's order: the
# five training styles, relief, the eight earlier families and the held-out display faces, then
# the levels; greedy and greedy+tta against the reader shipped then (d3-half). The third-party folders are
# read afterwards, by foreign.sh, once the decision is written.
# f1: as is. Its midpoint: M=runs/universal-f1-half R=results/universal-relief/f1-half FIRST=9500
set -euo pipefail
# BASE: the reader judged against, `universal` when these ran; it is named universal-d3-half
# since p1-half shipped as `universal`.
BASE=${BASE:-universal-d3-half}
M=${M:-runs/universal-f1}
R=${R:-results/universal-relief/f1}
FIRST=${FIRST:-9200}
mkdir -p "$R"
python -m benchmark.model_choice --models $BASE,$M --n 300 --first $FIRST --out $R/validation
python -m benchmark.model_choice --models $BASE,$M --styles examples/relief.toml \
    --n 300 --first $FIRST --out $R/relief
python -m benchmark.model_choice --models $BASE,$M \
    --styles examples/sweep-curve.toml,examples/quad-warp.toml,examples/mixed-faces.toml,examples/glyph-width.toml,examples/tumble.toml,examples/universal-cells.toml,examples/hue-clutter.toml,examples/heavy-clutter.toml,results/universal-display/display-held.toml \
    --n 300 --first $FIRST --out $R/families
bench run -d easy,medium,hard,extreme --n 500 --model $M --decoders greedy,greedy+tta \
    -o $R/levels --quiet
bench compare results/$BASE-run $R/levels --out $R/levels-vs-universal.md
