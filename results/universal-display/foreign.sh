#!/usr/bin/env bash
# d1 on the third-party folders (results/foreign), svg-captcha included, read after the decision,
# paired against the shipped `universal`: results/universal-hue's script with BASE=universal.
set -euo pipefail
# BASE: the reader judged against, `universal` when this ran; it is named universal-b1 since
# session 18 shipped d3-half as `universal` (results/universal-display).
export BASE=universal-b1 M=${M:-runs/universal-d1} R=${R:-results/universal-display}
export FOLDERS="wheezy captcha-default claptcha django-simple multicolor svg-captcha"
exec "$(dirname "$0")/../universal-hue/foreign.sh"
