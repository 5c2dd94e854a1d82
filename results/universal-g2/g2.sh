#!/usr/bin/env bash
# g2 (README): g1's mixture from the shipped `universal` (t9-half) on this CPU, trained across
# sessions toward g1's sample count: a constant rate with a weight average, so the run extends
# by resuming, and stops on request with nothing lost (crnn train saves its state on SIGINT).
#   bash results/universal-g2/g2.sh start   # train in the background (resumes if under way)
#   bash results/universal-g2/g2.sh stop    # stop after the step under way, state saved
#   bash results/universal-g2/g2.sh status  # the step reached and the last validation
#   bash results/universal-g2/g2.sh judge   # at step 15,600 only: g1's bars from 37,200
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$PWD/.venv/bin:$PATH" PYTHONPATH=.
HERE=results/universal-g2
RUN=runs/universal-g2
STEPS=15600  # x 64 = 998,400 samples, g1's expected count on the H200
PIDFILE=runs/g2.pid
source results/universal-t1/common.sh
source results/universal-g1/mixture.sh
START=crnn/pretrained/universal

running() { [ -f $PIDFILE ] && kill -0 "$(cat $PIDFILE)" 2>/dev/null; }

case "${1:-}" in
start)
    if running; then echo "g2: already training (pid $(cat $PIDFILE))" >&2; exit 1; fi
    check_start g2 $START 4a4f512cdf85c80e t9-half
    check_display_fonts g2
    resume=()
    if [ -f $RUN/state.json ]; then resume=(--resume); fi
    mkdir -p runs
    nohup crnn train --init $START --resize crop -d "$G1_STYLES" --weights $G1_WEIGHTS \
        --curriculum 0 --steps $STEPS --schedule constant --lr 0.0002 --ema 0.999 \
        --val-every 400 --val-size 100 --workers 1 --threads 2 --seed 95 \
        --out $RUN --quiet "${resume[@]}" >> runs/g2.log 2>&1 &
    echo $! > $PIDFILE
    echo "g2: training in the background (pid $!), log runs/g2.log"
    ;;
stop)
    if ! running; then echo "g2: not training" >&2; exit 1; fi
    kill -INT "$(cat $PIDFILE)"
    while running; do sleep 2; done
    tail -1 runs/g2.log
    ;;
status)
    RUN=$RUN STEPS=$STEPS python - <<'PY'
import csv, os, sys
from pathlib import Path

from crnn.checkpoint import CheckpointError, read_training_meta

run = Path(os.environ["RUN"])
try:
    step = read_training_meta(run)["step"]  # shape-checked state.json
except CheckpointError as error:
    sys.exit(f"g2: {error}")
with open(run / "log.csv", newline="") as fh:
    rows = list(csv.DictReader(fh))
print(f"state at step {step} of {os.environ['STEPS']}; last logged step {rows[-1]['step']}, "
      f"{rows[-1]['samples_per_s']} samples/s")
for row in [r for r in rows if r["val_seq_acc"]][-3:]:
    print(f"  step {row['step']}: validation {float(row['val_seq_acc']):.4f}")
PY
    ;;
judge)
    reached=$(RUN=$RUN python - <<'PY'
import os, sys
from pathlib import Path

from crnn.checkpoint import CheckpointError, read_training_meta

try:
    print(read_training_meta(Path(os.environ["RUN"]))["step"])
except CheckpointError as error:
    sys.exit(f"g2: {error}")
PY
)
    test "$reached" = $STEPS ||
        { echo "g2: judged at step $STEPS only, and its state is at step $reached (README, rule)" >&2; exit 1; }
    export BASE=universal RULE=g1
    keep $RUN $HERE/g2-run
    judge g2 ../universal-t1/evaluate-t10.sh 37200
    ;;
*)
    echo "usage: g2.sh start|stop|status|judge" >&2
    exit 2
    ;;
esac
