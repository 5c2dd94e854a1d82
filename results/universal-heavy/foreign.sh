#!/usr/bin/env bash
# The heavy-clutter reader on the third-party folders (results/foreign), read after the decision.
set -euo pipefail
M=${M:-runs/universal-k1}
R=${R:-results/universal-heavy}
for f in wheezy captcha-default claptcha django-simple multicolor; do
    bench run --data data/foreign/$f --model $M --decoders greedy,greedy+tta \
        -o $R/foreign-$f --quiet
    bench compare results/foreign/universal-$f $R/foreign-$f --out $R/foreign-$f/compare-universal.md
done
