#!/usr/bin/env bash
# The decision reads of results/universal-display (its README's rule), in the order the rule
# names them: results/universal-hue's script with d1 against the shipped `universal`, on a fresh
# draw (6,800-7,099): the five training styles, then the held-out display faces and the eight
# families in one table, then the levels. The third-party folders are read afterwards, by
# foreign.sh, once the decision is written.
set -euo pipefail
# BASE: the reader judged against, `universal` when this ran; it is named universal-b1 since
# session 18 shipped d3-half as `universal` (results/universal-display).
export BASE=universal-b1 M=${M:-runs/universal-d1} R=${R:-results/universal-display}
export FIRST_A=${FIRST:-6800} FIRST_B=${FIRST:-6800} NAME=families
export STYLE=results/universal-display/display-held.toml,examples/sweep-curve.toml,examples/quad-warp.toml,examples/mixed-faces.toml,examples/glyph-width.toml,examples/tumble.toml,examples/universal-cells.toml,examples/hue-clutter.toml,examples/heavy-clutter.toml
exec "$(dirname "$0")/../universal-hue/evaluate.sh"
