#!/usr/bin/env bash
# t8r from start to verdict in one command (README, "t8r"), for a session that starts without
# runs/: t8's recipe from the committed t7-half (t7-half-weights/, the midpoint of session 24's
# rebuilt t7 and t5, byte for byte what `crnn interpolate` wrote into runs/universal-t7-half),
# its weights copied into the tree as soon as it ends (t8r-run/: ignored runs/ does not survive a
# new machine; the tree does), then t7's bars from 26,200. Only if t8r misses a bar, its midpoint
# with its start, copied likewise (t8r-half-run/), by the same bars from 27,200.
#   bash results/universal-t1/t8r.sh          # 137 min on 2 slow cores (session 25): 5 prerender, 99 training, 33 reads of t8r and t8r-half
# BASE: t5, `universal` until a candidate ships; `universal-t5` after (README, "t8r").
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$PWD/.venv/bin:$PATH" PYTHONPATH=.
export BASE=${BASE:-universal}
HERE=results/universal-t1
START=$HERE/t7-half-weights
test -f $START/model.safetensors && test -f $START/config.json ||
    { echo "t8r: $START has no model.safetensors and config.json" >&2; exit 1; }
source $HERE/common.sh
F=examples/full-alphabet; D=results/universal-relief
if [ ! -f runs/universal-t8r/model.safetensors ]; then
    crnn train --init $START --resize crop \
        -d examples/relief.toml,examples/universal-broad-relief.toml,$D/display-broad-relief.toml,$F/easy.toml,$F/medium.toml,$F/hard.toml,$F/extreme.toml,$F/captcha.toml,examples/sweep-curve.toml,examples/quad-warp.toml,examples/tumble.toml \
        --weights 2,1,1,1,1,2,2,1,1,1,1 --curriculum 0 --steps 4000 --lr 0.0003 --ema 0.999 \
        --val-every 1000 --val-size 100 --prerender 80000 --threads 2 --seed 85 \
        --out runs/universal-t8r --quiet
fi
keep runs/universal-t8r $HERE/t8r-run
M=runs/universal-t8r R=$HERE/t8r FIRST=26200 bash $HERE/evaluate-t7.sh
if grep -q "every bar met: yes" $HERE/t8r/bars.md; then
    echo "t8r meets every bar: ship it (ship.sh; README, t8r)"
    exit 0
fi
crnn interpolate runs/universal-t8r --model $START --alpha 0.5 -o runs/universal-t8r-half
keep runs/universal-t8r-half $HERE/t8r-half-run
M=runs/universal-t8r-half R=$HERE/t8r-half FIRST=27200 bash $HERE/evaluate-t7.sh
