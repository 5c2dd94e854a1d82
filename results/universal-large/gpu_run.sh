#!/usr/bin/env bash
# The one lent-GPU call behind results/universal-large (an H200 with 16 cores, 15 minutes of
# device time in all): grow the medium universal reader to the `large` preset, then train it on
# fresh samples of the same five-style mixture, rendered by 15 DataLoader workers while the GPU
# trains. Steps are sized from a render-rate measurement on the machine itself, so the OneCycle
# schedule completes inside the budget. Run from the repository root, with the wheels the
# machine's image lacks in .whl/ (captcha, the font packages, rapidfuzz, ...):
#
#   OUT=/tmp/out results/universal-large/gpu_run.sh
#
# Knobs for a CPU smoke test: BUDGET (training seconds), STEPS (fixed step count), DEVICE,
# NO_WHEELS=1 (use the installed packages), VAL_SIZE (validation samples per style, 200). For
# another run on a GPU (their defaults are the
# run recorded here): INIT (the model grown), ARCH (the preset it grows into; the same preset
# trains it as it is), STYLES and MIX_WEIGHTS (the mixture), LR, SEED, COLOUR=1 (grow the
# widened reader to RGB input with `crnn colour` before training: results/universal-hue).
# The next run planned: INIT=universal ARCH=large (the shipped reader reads RGB since
# results/universal-broad, so COLOUR=1 has nothing to grow) with
# examples/universal-broad-sweep.toml in place of universal in STYLES (every opt-in family:
# heavy curves, hue clutter, cells, tumble, glyphs pulled onto quadrilaterals, a face per glyph,
# condensed and extended glyphs, curves sweeping the canvas) and LR=0.0003: millions of samples
# where the CPU gave 190-360k; judged by a rule written before it, as results/universal-broad's
# was (sweep-curve, quad-warp, mixed-faces and glyph-width, the families the shipped reader reads
# worst, are the ones to watch; results/universal-c1 is the same mixture and rate at CPU scale).
# Since session 17, add the display faces beside it: results/universal-display/display-broad.toml
# in STYLES, as in results/universal-display's d2/d3 (d1, without the broad mixture, took the
# truly held-out svg-captcha from 0.278 to 0.460 on CPU but let the families drift). Its faces
# are a font list of Debian font files (display-train.fonts.json, checked by SHA-256) that the
# GPU machine lacks and cannot download: copy them into one folder here (`mkdir -p F && cp $(grep
# -ho '"path": "[^"]*' results/universal-display/*.fonts.json | cut -d'"' -f4) F/` with
# F=fonts-display-files, 7 MB), carry it, and set FONT_FILES=fonts-display-files: each listed
# face is put at its recorded path.
# Since session 19, relief too (examples/universal-broad-relief.toml in place of the sweep
# mixture, and examples/relief.toml as a style of its own): at a sixth of a CPU mixture and 1e-4
# the reader learned nothing of it (results/universal-relief f1); as half the samples at 3e-4 it
# gained 10 points on it and 26.5 on svg-captcha (p1). Give it a share near a third, at this
# script's rate. Since session 21, name examples/full-alphabet/extreme.toml in STYLES beside
# the other levels: the whole-mixture CPU runs without it lost 1.2 points on extreme, with it
# gained 2 (results/universal-t1 t3, t4). INIT=universal now starts from t5, the reader shipped
# last in session 21.
set -euo pipefail
OUT=${OUT:?set OUT to a folder for the results}
BUDGET=${BUDGET:-430}
DEVICE=${DEVICE:-cuda}
BATCH=${BATCH:-128}
WORKERS=${WORKERS:-$(($(nproc) - 1))}
RUN=${RUN:-/tmp/universal-l1}

if [ -d .whl ] && [ -z "${NO_WHEELS:-}" ]; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
        --target /tmp/site .whl/*.whl
    export PYTHONPATH=/tmp/site:$PWD
fi
export PYTHONUNBUFFERED=1
if [ -n "${FONT_FILES:-}" ]; then
    FONT_FILES=$FONT_FILES python3 - <<'EOF'
import glob, os, shutil
from generator.fontlist import read_font_list
for listed in glob.glob("results/*/*.fonts.json"):
    for face in read_font_list(listed):
        carried = os.path.join(os.environ["FONT_FILES"], face["file"])
        if face.get("path") and not os.path.exists(face["path"]) and os.path.exists(carried):
            os.makedirs(os.path.dirname(face["path"]), exist_ok=True)
            shutil.copyfile(carried, face["path"])  # the font list checks its SHA-256 on use
EOF
fi
python3 - <<'EOF'
import os, torch
from generator.fonts import default_pool, wide_pool
print("torch", torch.__version__, "cuda", torch.cuda.is_available(),
      torch.cuda.get_device_name() if torch.cuda.is_available() else "-", "cores", os.cpu_count())
# The same typefaces as the machine that made the earlier readers (14 default, 54 @wide).
assert (len(default_pool()), len(wide_pool())) == (14, 54), (len(default_pool()), len(wide_pool()))
EOF

STYLES=${STYLES:-universal,examples/full-alphabet/easy.toml,examples/full-alphabet/medium.toml,examples/full-alphabet/hard.toml,examples/full-alphabet/captcha.toml}
MIX_WEIGHTS=${MIX_WEIGHTS:-6,1,1,1,1}
INIT=${INIT:-results/universal-medium/candidate}
ARCH=${ARCH:-large}
LR=${LR:-0.001}
SEED=${SEED:-9}
rm -rf /tmp/universal-l0 "$RUN"
python3 -m crnn.cli widen "$ARCH" -o /tmp/universal-l0 --model "$INIT" --seed 0
# COLOUR=1 on a reader that already reads RGB (a colour fine-tune such as runs/universal-b1,
# carried to the machine) has nothing to grow: skipped rather than a failed start.
if [ -n "${COLOUR:-}" ] && python3 -c "import json, sys
sys.exit(json.load(open('/tmp/universal-l0/config.json'))['model'].get('channels', 1) == 3)"; then
    rm -rf /tmp/universal-l0c
    python3 -m crnn.cli colour -o /tmp/universal-l0c --model /tmp/universal-l0
    rm -rf /tmp/universal-l0 && mv /tmp/universal-l0c /tmp/universal-l0
fi

if [ -z "${STEPS:-}" ]; then
    # Samples per second the workers can render (the trainer's bottleneck on this machine).
    STEPS=$(WORKERS=$WORKERS BUDGET=$BUDGET BATCH=$BATCH STYLES=$STYLES python3 - <<'EOF'
import multiprocessing as mp, os, sys, time
from crnn.prerender import _render_chunk
from generator.spec import load_style
specs = [load_style(s) for s in os.environ["STYLES"].split(",")]
workers, per = int(os.environ["WORKERS"]), 60
# The model's input channels: 3 since the reader grew to RGB (results/universal-hue); the job
# tuple must match crnn.prerender._render_chunk's, which gained them then. Read through the
# checkpoint's own shape-checked reader, as every config the project reads back.
from crnn.checkpoint import read_config
channels = read_config("/tmp/universal-l0")[0].channels
jobs = [(specs, 424242, k * per, (k + 1) * per, 32, 128, "crop", channels)
        for k in range(workers * 6)]
with mp.get_context("fork").Pool(workers) as pool:
    pool.map(_render_chunk, jobs[:workers])  # warm: fonts loaded in every worker
    t = time.perf_counter()
    pool.map(_render_chunk, jobs)
    rate = len(jobs) * per / (time.perf_counter() - t)
steps = int(0.85 * rate * int(os.environ["BUDGET"]) / int(os.environ["BATCH"]))
print(f"render rate {rate:.0f} samples/s with {workers} workers -> {steps} steps", file=sys.stderr)
print(min(steps, 40000))
EOF
)
fi
echo "steps $STEPS"

CMD="crnn train --init /tmp/universal-l0 --resize crop -d $STYLES --weights $MIX_WEIGHTS --curriculum 0 --steps $STEPS --batch-size $BATCH --lr $LR --ema 0.999 --val-every 1000 --val-size ${VAL_SIZE:-200} --workers $WORKERS --threads 4 --device $DEVICE --seed $SEED --out $RUN --quiet"
echo "$CMD"
# Killed a minute past the budget if the rate was misjudged: the best checkpoint is kept.
timeout $((BUDGET + 60)) python3 -m crnn.cli ${CMD#crnn } || echo "train exited with $?"
cp "$RUN"/model.safetensors "$RUN"/config.json "$RUN"/log.csv "$OUT"/ || true
cp "$RUN"/curve.png "$OUT"/ 2>/dev/null || true
# step, samples, validation accuracy, samples/s, seconds: the rows that validated, and the last.
awk -F, 'NR > 1 && $5 != "" {print $1, $2, $5, $7, $8}' "$RUN"/log.csv || true
tail -1 "$RUN"/log.csv || true
