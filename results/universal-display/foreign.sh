#!/usr/bin/env bash
# d1 on the third-party folders (results/foreign), svg-captcha included, read after the decision,
# paired against the shipped `universal`: results/universal-hue's script with BASE=universal.
set -euo pipefail
export BASE=universal M=${M:-runs/universal-d1} R=${R:-results/universal-display}
export FOLDERS="wheezy captcha-default claptcha django-simple multicolor svg-captcha"
exec "$(dirname "$0")/../universal-hue/foreign.sh"
