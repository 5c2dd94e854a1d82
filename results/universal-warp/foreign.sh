#!/usr/bin/env bash
# q1 on the third-party folders (results/foreign), read after the decision, paired against
# today's default: results/universal-hue's script with BASE=universal, q1 and this folder.
set -euo pipefail
# BASE: the reader judged against, `universal` when this ran; it is named universal-b1 since
# session 18 shipped d3-half as `universal` (results/universal-display).
export BASE=universal-b1 M=${M:-runs/universal-q1} R=${R:-results/universal-warp}
exec "$(dirname "$0")/../universal-hue/foreign.sh"
