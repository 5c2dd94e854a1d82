#!/usr/bin/env bash
# The decision reads of results/universal-heavy (its README's rule), in the order the rule names
# them: results/universal-hue's script with this run's model, folder, draws and test style.
# The third-party folders are read afterwards, by foreign.sh, once the decision is written.
set -euo pipefail
export M=${M:-runs/universal-k1} R=${R:-results/universal-heavy}
export FIRST_A=${FIRST_A:-2300} FIRST_B=${FIRST_B:-500} STYLE=examples/heavy-clutter.toml
exec "$(dirname "$0")/../universal-hue/evaluate.sh"
