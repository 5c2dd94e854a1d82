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
if [ ! -f $HERE/t10-run/model.safetensors ]; then
    if [ ! -f runs/universal-t10/model.safetensors ]; then
        crnn train --init $START --resize crop \
            -d examples/relief.toml,examples/universal-broad-relief.toml,$D/display-broad-relief.toml,$F/easy.toml,$F/medium.toml,$F/hard.toml,$F/extreme.toml,$F/captcha.toml,examples/sweep-curve.toml,examples/quad-warp.toml,examples/tumble.toml,examples/glyph-width.toml,examples/mixed-faces.toml \
            --weights 4,2,2,1,1,2,2,1,1,1,1,1,1 --curriculum 0 --steps 4000 --lr 0.0003 --ema 0.999 \
            --val-every 1000 --val-size 100 --prerender 80000 --threads 2 --seed 89 \
            --out runs/universal-t10 --quiet
    fi
    keep runs/universal-t10 $HERE/t10-run
fi
M=$HERE/t10-run R=$HERE/t10 FIRST=30200 bash $HERE/evaluate-t10.sh
if grep -q "every bar met: yes" $HERE/t10/bars.md; then
    echo "t10 meets every bar: ship it (ship.sh; README, t10)"
    exit 0
fi
crnn interpolate $HERE/t10-run --model $START --alpha 0.5 -o runs/universal-t10-half
keep runs/universal-t10-half $HERE/t10-half-run
M=$HERE/t10-half-run R=$HERE/t10-half FIRST=31200 bash $HERE/evaluate-t10.sh
