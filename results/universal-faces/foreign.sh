#!/usr/bin/env bash
# f1 on the third-party folders (results/foreign), read after the decision, paired against the
# default it was judged against: results/universal-hue's script with BASE=universal.
set -euo pipefail
export BASE=universal M=${M:-runs/universal-f1} R=${R:-results/universal-faces}
exec "$(dirname "$0")/../universal-hue/foreign.sh"
