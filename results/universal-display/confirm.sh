#!/usr/bin/env bash
# e1 (results/universal-display/README.md): d3-half against the shipped `universal` on fresh
# validation draws from sample 8,000, in the rule's order: the five training styles, the held-out
# display faces (600), the eight families, then `extreme` (600).
set -euo pipefail
BASE=${BASE:-universal-b1}  # `universal` when e1 ran; named universal-b1 since d3-half shipped
M=${M:-runs/universal-d3-half}
R=${R:-results/universal-display/e1}
D=results/universal-display
mkdir -p "$R"
python -m benchmark.model_choice --models $BASE,$M --n 300 --first 8000 --out $R/validation
python -m benchmark.model_choice --models $BASE,$M --styles $D/display-held.toml \
    --n 600 --first 8000 --out $R/display-held
python -m benchmark.model_choice --models $BASE,$M \
    --styles examples/sweep-curve.toml,examples/quad-warp.toml,examples/mixed-faces.toml,examples/glyph-width.toml,examples/tumble.toml,examples/universal-cells.toml,examples/hue-clutter.toml,examples/heavy-clutter.toml \
    --n 300 --first 8000 --out $R/families
python -m benchmark.model_choice --models $BASE,$M --styles extreme \
    --n 600 --first 8000 --out $R/extreme
