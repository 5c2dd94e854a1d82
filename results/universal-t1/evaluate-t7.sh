#!/usr/bin/env bash
# t7's rule reads (README, "t7"), against the shipped `universal` (t5): evaluate-t2.sh's reads,
# then sweep-curve, quad-warp and tumble on 1,000 samples each from FIRST (bar (b)); bars.py
# then writes every bar, asked and measured, to $R/bars.md.
#   M=runs/universal-t7 R=results/universal-t1/t7 FIRST=22200 PYTHONPATH=. bash results/universal-t1/evaluate-t7.sh
#   M=runs/universal-t7-half R=results/universal-t1/t7-half FIRST=23200 (only if t7 misses a bar)
# BASE: the reader judged against; `universal` was t5 when t7 and t8 were judged. Once a
# candidate ships as `universal`, t5 is `universal-t5` (t8r: README, "t8r"):
#   BASE=universal-t5 M=runs/universal-t8r R=results/universal-t1/t8r FIRST=26200 ...
# RULE: whose bars bars.py applies to the same reads: t7 (default), t9 or t10 (README).
set -euo pipefail
BASE=${BASE:-universal}
BASE=$BASE M=$M R=$R FIRST=$FIRST bash "$(dirname "$0")/evaluate-t2.sh"
python -m benchmark.model_choice --models $BASE,$M \
    --styles examples/sweep-curve.toml,examples/quad-warp.toml,examples/tumble.toml \
    --n 1000 --first $FIRST --out $R/weak-families
python "$(dirname "$0")/bars.py" "$R" --base-levels "results/$BASE-run" --rule "${RULE:-t7}" |
    tee "$R/bars.md"
