#!/usr/bin/env bash
# The decision reads of results/universal-hue (its README's rule), in the order the rule names
# them; the third-party folders are read afterwards, by foreign.sh, once the decision is written.
# h1: as is. h2: M=runs/universal-h2 R=results/universal-hue/h2 FIRST_A=2000 FIRST_B=1100.
# Other fine-tunes judged the same way set STYLE, the family's own test style (its output is
# named after the file, or NAME): results/universal-heavy/evaluate.sh, results/universal-soup/.
# BASE is the shipped reader a candidate is judged against: every run recorded so far was judged
# against the grey reader (now `universal-grey`); a run judged against today's default sets
# BASE=universal. Its levels report is results/$BASE-run.
set -euo pipefail
BASE=${BASE:-universal-grey}
M=${M:-runs/universal-h1}
R=${R:-results/universal-hue}
STYLE=${STYLE:-examples/hue-clutter.toml}
NAME=${NAME:-$(basename "$STYLE" .toml)}
mkdir -p "$R"
python -m benchmark.model_choice --models $BASE,$M --n 300 --first ${FIRST_A:-1700} \
    --out $R/validation
python -m benchmark.model_choice --models $BASE,$M --styles $STYLE \
    --n 300 --first ${FIRST_B:-800} --out $R/$NAME
bench run -d easy,medium,hard,extreme --n 500 --model $M --decoders greedy,greedy+tta \
    -o $R/levels --quiet
bench compare results/$BASE-run $R/levels --out $R/levels-vs-universal.md
