#!/usr/bin/env bash
# t9 from start to verdict in one command (README, "t9"): t8r's recipe from the shipped
# `universal` (t8r-half) with relief, the broad families in relief and the display faces in
# relief back at t5's share of the mixture; its weights copied into the tree as soon as it ends
# (t9-run/), then t9's bars against `universal` from 28,200. Only if t9 misses a bar, its midpoint
# with its start (t9-half-run/), by the same bars from 29,200.
#   bash results/universal-t1/t9.sh          # 48 min here (session 26: 37 training, 11 reads)
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$PWD/.venv/bin:$PATH" PYTHONPATH=.
# t9 was judged against t8r-half when it was `universal`; since t9-half shipped it is
# `universal-t8r-half` (the same bytes, checked below), so the script names it that way.
export BASE=universal-t8r-half RULE=t9
HERE=results/universal-t1
source $HERE/common.sh
START=crnn/pretrained/universal-t8r-half
check_start t9 $START 33a93f535b6b0684 t8r-half
check_display_fonts t9
F=examples/full-alphabet; D=results/universal-relief
train_once t9 --init $START --resize crop \
    -d examples/relief.toml,examples/universal-broad-relief.toml,$D/display-broad-relief.toml,$F/easy.toml,$F/medium.toml,$F/hard.toml,$F/extreme.toml,$F/captcha.toml,examples/sweep-curve.toml,examples/quad-warp.toml,examples/tumble.toml \
    --weights 4,2,2,1,1,2,2,1,1,1,1 --curriculum 0 --steps 4000 --lr 0.0003 --ema 0.999 \
    --val-every 1000 --val-size 100 --prerender 80000 --threads 2 --seed 87
judge t9 evaluate-t7.sh 28200
