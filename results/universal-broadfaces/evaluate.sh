#!/usr/bin/env bash
# d4's reads (its README's rule), in the rule's order: results/universal-hue's script with d4
# against the shipped `universal` (d3-half, since session 18) on a fresh draw, samples
# 8,600-8,899: the five training styles, then the held-out broad faces, the held-out display
# faces (a figure, not a bar) and the eight families in one table, then the levels.
set -euo pipefail
# BASE: the reader judged against, `universal` when this ran; it is named universal-d3-half
# since session 19 shipped p1-half as `universal` (results/universal-relief).
export BASE=universal-d3-half M=${M:-runs/universal-d4} R=${R:-results/universal-broadfaces}
export FIRST_A=${FIRST:-8600} FIRST_B=${FIRST:-8600} NAME=families
export STYLE=results/universal-broadfaces/broad-held.toml,results/universal-display/display-held.toml,examples/sweep-curve.toml,examples/quad-warp.toml,examples/mixed-faces.toml,examples/glyph-width.toml,examples/tumble.toml,examples/universal-cells.toml,examples/hue-clutter.toml,examples/heavy-clutter.toml
exec "$(dirname "$0")/../universal-hue/evaluate.sh"
