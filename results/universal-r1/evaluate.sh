#!/usr/bin/env bash
# The decision reads of results/universal-r1 (its README's rule), in the order the rule names
# them: results/universal-hue's script with r1 against the shipped `universal`, on a fresh draw
# (4,400-4,699): the five training styles, then the seven families in one table, then the levels.
# The third-party folders are read afterwards, by foreign.sh, once the decision is written.
set -euo pipefail
# BASE: the reader judged against, `universal` when this ran; it is named universal-b1 since
# session 18 shipped d3-half as `universal` (results/universal-display).
export BASE=universal-b1 M=${M:-runs/universal-r1} R=${R:-results/universal-r1}
export FIRST_A=4400 FIRST_B=4400 NAME=families
export STYLE=examples/quad-warp.toml,examples/mixed-faces.toml,examples/glyph-width.toml,examples/tumble.toml,examples/universal-cells.toml,examples/hue-clutter.toml,examples/heavy-clutter.toml
exec "$(dirname "$0")/../universal-hue/evaluate.sh"
