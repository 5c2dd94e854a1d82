#!/usr/bin/env bash
# The colour reader on the third-party folders (results/foreign), read after the decision.
set -euo pipefail
M=${M:-runs/universal-h1}
for f in wheezy captcha-default claptcha django-simple multicolor; do
    bench run --data data/foreign/$f --model $M --decoders greedy,greedy+tta \
        -o results/universal-hue/foreign-$f --quiet
done
