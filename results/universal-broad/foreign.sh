#!/usr/bin/env bash
# b1 on the third-party folders (results/foreign), read after the decision:
# results/universal-hue's script with b1 and this folder.
set -euo pipefail
export M=${M:-runs/universal-b1} R=${R:-results/universal-broad}
exec "$(dirname "$0")/../universal-hue/foreign.sh"
