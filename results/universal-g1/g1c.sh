#!/usr/bin/env bash
# g1c from start to verdict in one command (README, "g1c"): g1's mixture from the shipped
# `universal` (t9-half) at CPU scale, weights kept in the tree as soon as training ends
# (g1c-run/), then g1's bars against t9-half from 33,200. Only if g1c misses a bar, its
# midpoint with t9-half (g1c-half-run/) by the same bars from 34,200.
#   bash results/universal-g1/g1c.sh      # ~70 min of training, ~17 of reads on 2 cores
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$PWD/.venv/bin:$PATH" PYTHONPATH=.
export BASE=${BASE:-universal} RULE=g1
HERE=results/universal-g1
source results/universal-t1/common.sh
START=crnn/pretrained/$BASE
check_start g1c $START 4a4f512cdf85c80e t9-half
check_display_fonts g1c
source $HERE/mixture.sh
train_once g1c --init $START --resize crop -d "$G1_STYLES" \
    --weights $G1_WEIGHTS --curriculum 0 --steps 2400 --lr 0.0003 --ema 0.999 \
    --val-every 800 --val-size 100 --prerender 60000 --threads 2 --seed 93
judge g1c ../universal-t1/evaluate-t10.sh 33200
