#!/bin/bash
# Rebuild data/foreign (the six third-party folders) on a fresh machine, and prove the images are
# the bytes every recorded figure was read on: each folder's digest (labels file + every image's
# sha256, as `bench run` records it) must equal the one in results/foreign/universal-<folder>/.
#
#     bash results/foreign/rebuild.sh            # peers' environments under $PEERS (/tmp/peers)
#
# The commands are results/foreign/README.md's and benchmark/foreign.py's, in one place: data/
# is ignored by git and does not survive a new machine, and the peers never enter captchabench's
# own environment (django-simple-captcha's package is also named `captcha`; multicolorcaptcha is
# GPL and only ever renders test images). ddddocr is not installed: its figures are recorded.
set -euo pipefail
cd "$(dirname "$0")/../.."
PEERS=${PEERS:-/tmp/peers}
PY=${PYTHON:-python3}
OUT=data/foreign
mkdir -p "$PEERS"
[ -x "$PEERS/peer/bin/python" ] || {
  $PY -m venv "$PEERS/peer"
  "$PEERS/peer/bin/pip" install -q wheezy.captcha multicolorcaptcha captcha claptcha cairosvg
}
[ -x "$PEERS/peerdj/bin/python" ] || {
  $PY -m venv "$PEERS/peerdj"
  "$PEERS/peerdj/bin/pip" install -q django-simple-captcha
}
[ -d "$PEERS/peer-node/node_modules/svg-captcha" ] ||
  npm install -s --prefix "$PEERS/peer-node" svg-captcha@1.4.0 >/dev/null
"$PEERS/peer/bin/python" benchmark/foreign.py render --out $OUT --n 400 \
  --only wheezy,captcha-default,claptcha,multicolor
"$PEERS/peerdj/bin/python" benchmark/foreign.py render --out $OUT --n 400 --only django-simple
NODE_PATH="$PEERS/peer-node/node_modules" "$PEERS/peer/bin/python" benchmark/foreign.py render \
  --out $OUT --n 400 --only svg-captcha
PYTHONPATH=. .venv/bin/python - <<'PY'
import csv
import sys
from pathlib import Path

from benchmark.folders import open_labelled_folder

bad = 0
for name in ("wheezy", "captcha-default", "claptcha", "multicolor", "django-simple", "svg-captcha"):
    with open(f"results/foreign/universal-{name}/metrics.csv", newline="") as f:
        recorded = {row["evalset_digest"] for row in csv.DictReader(f)}
    digest = open_labelled_folder(Path("data/foreign") / name).digest
    same = digest in recorded
    bad += not same
    print(f"{name}: {digest[:16]} {'the recorded images' if same else 'DIFFERS from the record'}")
sys.exit(1 if bad else 0)
PY
