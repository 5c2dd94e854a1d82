# g1's mixture (README, "The run"), sourced by device.sh (the GPU run, through gpu_run.sh's
# STYLES and MIX_WEIGHTS) and g1c.sh (the same at CPU scale), so the two cannot drift apart.
F=examples/full-alphabet
D=results/universal-relief
G1_STYLES="examples/relief.toml,examples/universal-broad-relief.toml,$D/display-broad-relief.toml,$F/easy.toml,$F/medium.toml,$F/hard.toml,$F/extreme.toml,$F/captcha.toml,examples/sweep-curve.toml,examples/quad-warp.toml,examples/tumble.toml,examples/glyph-width.toml,examples/mixed-faces.toml,examples/universal-cells.toml,examples/hue-clutter.toml,examples/heavy-clutter.toml"
G1_WEIGHTS=4,2,2,1,1,2,2,1,2,2,2,2,2,1,1,1
