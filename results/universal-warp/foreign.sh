#!/usr/bin/env bash
# q1 on the third-party folders (results/foreign), read after the decision, paired against
# today's default: results/universal-hue's script with BASE=universal, q1 and this folder.
set -euo pipefail
export BASE=universal M=${M:-runs/universal-q1} R=${R:-results/universal-warp}
exec "$(dirname "$0")/../universal-hue/foreign.sh"
