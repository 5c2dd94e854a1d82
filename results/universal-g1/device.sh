#!/usr/bin/env bash
# g1 on a lent GPU machine (README): results/universal-large/gpu_run.sh with g1's mixture, start,
# rate and seed, from the shipped `universal`. The wheels (.whl/) and display faces
# (fonts-display-files/) come from prepare.sh and travel as carried paths.
#
#   run(command="OUT=$OUT bash results/universal-g1/device.sh", carry=[".whl", "fonts-display-files"],
#       timeout_s=600)
#
# A CPU smoke test of the same lines here (the render-rate test sizing a few steps of 8 to a
# 6-second budget, installed packages, no wheels):
#   SMOKE=1 OUT=/tmp/g1-smoke bash results/universal-g1/device.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
source results/universal-g1/mixture.sh
source results/universal-t1/common.sh  # check_start (slim-tree.sh keeps it in the tree)
export STYLES=$G1_STYLES MIX_WEIGHTS=$G1_WEIGHTS
export INIT=crnn/pretrained/universal ARCH=large LR=0.0003 SEED=91 RUN=/tmp/universal-g1
# 100 validation samples of each of the 16 styles, rendered once before training on one core:
# the budget is for training.
export VAL_SIZE=100
export FONT_FILES=${FONT_FILES:-fonts-display-files}
if [ -n "${SMOKE:-}" ]; then
    # gpu_run.sh's pool check names the GPU image's faces; the smoke test checks the rest.
    export NO_WHEELS=1 DEVICE=cpu BATCH=8 WORKERS=1 BUDGET=6 VAL_SIZE=8 FONT_FILES=
    export PATH="$PWD/.venv/bin:$PATH"
fi
mkdir -p "${OUT:?set OUT to a folder for the results}"
# The start must be the reader g1's rule is judged against (t9-half, README).
check_start g1 "$INIT" 4a4f512cdf85c80e t9-half
bash results/universal-large/gpu_run.sh 2>&1 | tee "$OUT/g1.log"
