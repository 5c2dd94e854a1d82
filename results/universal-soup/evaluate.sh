#!/usr/bin/env bash
# The decision reads of results/universal-soup (its README's rule), in the order the rule names
# them: results/universal-hue's script with the soup, its folder, draws and held-out families.
# The third-party folders are read afterwards, by foreign.sh, once the decision is written.
set -euo pipefail
export M=${M:-runs/universal-soup} R=${R:-results/universal-soup}
export FIRST_A=2600 FIRST_B=2600 NAME=held-out-families
export STYLE=examples/tumble.toml,examples/universal-cells.toml
exec "$(dirname "$0")/../universal-hue/evaluate.sh"
