#!/usr/bin/env bash
# The decision reads of results/universal-broad (its README's rule), in the order the rule names
# them: results/universal-hue's script with b1, this folder, its draws and its four families.
# The third-party folders are read afterwards, by foreign.sh, once the decision is written.
set -euo pipefail
export M=${M:-runs/universal-b1} R=${R:-results/universal-broad}
export FIRST_A=2900 FIRST_B=2900 NAME=families
export STYLE=examples/tumble.toml,examples/universal-cells.toml,examples/hue-clutter.toml,examples/heavy-clutter.toml
exec "$(dirname "$0")/../universal-hue/evaluate.sh"
