#!/usr/bin/env bash
# t10's rule reads (README, "t10"): evaluate-t7.sh's reads (the five training styles, the eight
# families, relief and the held-out faces, sweep-curve/quad-warp/tumble on 1,000, the levels),
# then glyph-width and mixed-faces on 1,000 samples each from FIRST (bar (b)); bars.py --rule
# t10 (or RULE, e.g. g1: results/universal-g1) then writes every bar, asked and measured, to
# $R/bars.md.
#   BASE=universal M=results/universal-t1/t10-run R=results/universal-t1/t10 FIRST=30200 PYTHONPATH=. bash results/universal-t1/evaluate-t10.sh
set -euo pipefail
HERE="$(dirname "$0")"
BASE=${BASE:-universal}
mkdir -p "$R"
python -m benchmark.model_choice --models $BASE,$M \
    --styles examples/glyph-width.toml,examples/mixed-faces.toml \
    --n 1000 --first $FIRST --out $R/new-families
BASE=$BASE M=$M R=$R FIRST=$FIRST RULE=${RULE:-t10} bash "$HERE/evaluate-t7.sh"
