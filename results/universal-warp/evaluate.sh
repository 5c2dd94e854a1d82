#!/usr/bin/env bash
# The decision reads of results/universal-warp (its README's rule), in the order the rule names
# them: results/universal-hue's script with q1 against today's default (BASE=universal), a fresh
# draw, quad-warp and the four earlier families in one table. The third-party folders are read
# afterwards, by foreign.sh, once the decision is written.
set -euo pipefail
# BASE: the reader judged against, `universal` when this ran; it is named universal-b1 since
# session 18 shipped d3-half as `universal` (results/universal-display).
export BASE=universal-b1 M=${M:-runs/universal-q1} R=${R:-results/universal-warp}
export FIRST_A=3200 FIRST_B=3200 NAME=families
export STYLE=examples/quad-warp.toml,examples/tumble.toml,examples/universal-cells.toml,examples/hue-clutter.toml,examples/heavy-clutter.toml
exec "$(dirname "$0")/../universal-hue/evaluate.sh"
