#!/usr/bin/env bash
# The soup on the third-party folders (results/foreign), read after the decision:
# results/universal-hue's script with the soup and this folder.
set -euo pipefail
export M=${M:-runs/universal-soup} R=${R:-results/universal-soup}
exec "$(dirname "$0")/../universal-hue/foreign.sh"
