#!/usr/bin/env bash
# c1 on the third-party folders (results/foreign), read after the decision, paired against the
# shipped `universal`: results/universal-hue's script with BASE=universal.
set -euo pipefail
export BASE=universal M=${M:-runs/universal-c1} R=${R:-results/universal-c1}
exec "$(dirname "$0")/../universal-hue/foreign.sh"
