#!/usr/bin/env bash
# The heavy-clutter reader on the third-party folders (results/foreign), read after the decision:
# results/universal-hue's script with this run's model and folder (the control k0:
# M=runs/universal-k0 R=results/universal-heavy/k0).
set -euo pipefail
export M=${M:-runs/universal-k1} R=${R:-results/universal-heavy}
exec "$(dirname "$0")/../universal-hue/foreign.sh"
