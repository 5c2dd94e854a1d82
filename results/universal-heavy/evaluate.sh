#!/usr/bin/env bash
# The decision reads of results/universal-heavy (its README's rule), in the order the rule names
# them; the third-party folders are read afterwards, by foreign.sh, once the decision is written.
set -euo pipefail
M=${M:-runs/universal-k1}
R=${R:-results/universal-heavy}
mkdir -p "$R"
python -m benchmark.model_choice --models universal,$M --n 300 --first ${FIRST_A:-2300} \
    --out $R/validation
python -m benchmark.model_choice --models universal,$M --styles examples/heavy-clutter.toml \
    --n 300 --first ${FIRST_B:-500} --out $R/heavy-clutter
bench run -d easy,medium,hard,extreme --n 500 --model $M --decoders greedy,greedy+tta \
    -o $R/levels --quiet
bench compare results/universal-run $R/levels --out $R/levels-vs-universal.md
