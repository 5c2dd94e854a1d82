#!/usr/bin/env bash
# A candidate of results/universal-relief on the third-party folders (results/foreign), read
# after its decision is written, paired against the shipped `universal`.
# f1: as is. Its midpoint: M=runs/universal-f1-half R=results/universal-relief/f1-half
set -euo pipefail
# BASE: `universal` when f1 and p1-half ran (named universal-d3-half since p1-half shipped);
# BASE=universal-p1-half (`universal` then) for the p2 and t candidates.
export BASE=${BASE:-universal-d3-half} M=${M:-runs/universal-f1} R=${R:-results/universal-relief/f1}
export FOLDERS="wheezy captcha-default claptcha django-simple multicolor svg-captcha"
exec "$(dirname "$0")/../universal-hue/foreign.sh"
