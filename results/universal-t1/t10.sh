#!/usr/bin/env bash
# t10 from start to verdict in one command (README, "t10"): t9's recipe from the shipped
# `universal` (t9-half) with glyph-width and mixed-faces added, a part each; its weights copied
# into the tree as soon as it ends (t10-run/), then t10's bars against t9-half from 30,200. Only
# if t10 misses a bar, its midpoint with its start (t10-half-run/), by the same bars from 31,200.
#   bash results/universal-t1/t10.sh         # ~50 min on this session's 2 cores (t9: 48)
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$PWD/.venv/bin:$PATH" PYTHONPATH=.
# t10 is judged against t9-half: `universal` until a later reader ships, then `universal-t9-half`.
export BASE=${BASE:-universal}
HERE=results/universal-t1
source $HERE/common.sh
START=crnn/pretrained/$BASE
check_start t10 $START 4a4f512cdf85c80e t9-half
check_display_fonts t10
F=examples/full-alphabet; D=results/universal-relief
train_once t10 --init $START --resize crop \
    -d examples/relief.toml,examples/universal-broad-relief.toml,$D/display-broad-relief.toml,$F/easy.toml,$F/medium.toml,$F/hard.toml,$F/extreme.toml,$F/captcha.toml,examples/sweep-curve.toml,examples/quad-warp.toml,examples/tumble.toml,examples/glyph-width.toml,examples/mixed-faces.toml \
    --weights 4,2,2,1,1,2,2,1,1,1,1,1,1 --curriculum 0 --steps 4000 --lr 0.0003 --ema 0.999 \
    --val-every 1000 --val-size 100 --prerender 80000 --threads 2 --seed 89
judge t10 evaluate-t10.sh 30200
