#!/usr/bin/env bash
# The colour reader on the third-party folders (results/foreign), read after the decision.
# h2: M=runs/universal-h2 R=results/universal-hue/h2. BASE: the shipped reader compared against
# (evaluate.sh says why it defaults to the grey one); its reports are results/foreign/$BASE-*.
set -euo pipefail
BASE=${BASE:-universal-grey}
M=${M:-runs/universal-h1}
R=${R:-results/universal-hue}
# FOLDERS: which of data/foreign's folders (svg-captcha, added in session 17, is not in the default
# so that earlier runs' scripts read what they read).
for f in ${FOLDERS:-wheezy captcha-default claptcha django-simple multicolor}; do
    bench run --data data/foreign/$f --model $M --decoders greedy,greedy+tta \
        -o $R/foreign-$f --quiet
    bench compare results/foreign/$BASE-$f $R/foreign-$f --out $R/foreign-$f/compare-universal.md
done
