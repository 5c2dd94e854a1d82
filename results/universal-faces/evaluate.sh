#!/usr/bin/env bash
# The decision reads of results/universal-faces (its README's rule), in the order the rule names
# them: results/universal-hue's script with f1 against the default (BASE=universal, which is
# START once results/universal-warp's decision is written), a fresh draw, mixed-faces, quad-warp
# and the four earlier families in one table. The third-party folders are read afterwards, by
# foreign.sh, once the decision is written.
set -euo pipefail
# BASE: the reader judged against, `universal` when this ran; it is named universal-b1 since
# session 18 shipped d3-half as `universal` (results/universal-display).
export BASE=universal-b1 M=${M:-runs/universal-f1} R=${R:-results/universal-faces}
export FIRST_A=3800 FIRST_B=3800 NAME=families
export STYLE=examples/mixed-faces.toml,examples/quad-warp.toml,examples/tumble.toml,examples/universal-cells.toml,examples/hue-clutter.toml,examples/heavy-clutter.toml
exec "$(dirname "$0")/../universal-hue/evaluate.sh"
