#!/usr/bin/env bash
# Ship a judged run as `universal`, keeping the reader it replaces by name, then read the levels
# and the third-party folders with the new one, each paired with the old on the same images.
#   RUN=results/universal-t1/t8r-half-run OLD=universal-t5 bash results/universal-t1/ship.sh
# Afterwards, by hand: put $OLD first in crnn.registry.CHECKOUT_MODELS, and the README's model
# lists and tables. Needs data/foreign/ (bash results/foreign/rebuild.sh renders and checks it).
set -euo pipefail
: "${RUN:?RUN=<run directory>}" "${OLD:?OLD=<name for the reader it replaces>}"
B=${B:-.venv/bin}
FOLDERS="wheezy captcha-default claptcha django-simple multicolor svg-captcha"
test -f "$RUN/model.safetensors" && test -f "$RUN/config.json" ||
    { echo "ship: $RUN has no model.safetensors and config.json" >&2; exit 1; }
test ! -e "crnn/pretrained/$OLD"
mkdir -p "crnn/pretrained/$OLD"
git mv crnn/pretrained/universal/* "crnn/pretrained/$OLD/"
# Weights and config are checked above; a midpoint (crnn interpolate) has no log or curve.
for f in model.safetensors config.json curve.png log.csv; do
    if [ -f "$RUN/$f" ]; then cp "$RUN/$f" crnn/pretrained/universal/; fi
done
git mv results/universal-run "results/$OLD-run"
for f in $FOLDERS; do git mv "results/foreign/universal-$f" "results/foreign/$OLD-$f"; done
"$B/pip" install -q --no-deps -e .
"$B/bench" run -d easy,medium,hard,extreme --n 500 --model universal \
    --decoders greedy,beam:10,greedy+tta -o results/universal-run --quiet
"$B/bench" run -d easy,medium,hard,extreme --n 500 --model universal --alphabet model \
    --decoders greedy,greedy+tta -o results/universal-run/whole-alphabet --quiet
"$B/bench" compare results/reference-run-n500 results/universal-run \
    --out results/universal-run/compare-reference.md
"$B/bench" compare "results/$OLD-run" results/universal-run \
    --out "results/universal-run/compare-$OLD.md"
for f in $FOLDERS; do
    "$B/bench" run --data "data/foreign/$f" --model universal \
        --decoders greedy,beam:10,greedy+tta -o "results/foreign/universal-$f" --quiet
    "$B/bench" compare "results/foreign/$OLD-$f" "results/foreign/universal-$f" \
        --out "results/foreign/universal-$f/compare-$OLD.md"
done
