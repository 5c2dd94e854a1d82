# Shared by t8r.sh, t9.sh and t10.sh (sourced, not run): the steps every one-command run of this
# folder takes before and after training.

# keep RUN DEST: copy a finished run's files into the tree (ignored runs/ does not survive a new
# machine; the tree does). A midpoint (crnn interpolate) has no log or curve.
keep() {
    mkdir -p "$2"
    for f in model.safetensors config.json log.csv curve.png; do
        if [ -f "$1/$f" ]; then cp "$1/$f" "$2/"; fi
    done
}

# check_start WHO MODEL_DIR SHA16 NAME: the rule names the reader it is judged against by its
# bytes; refuse, in one line, a start that is not it.
check_start() {
    test "$(sha256sum < "$2/model.safetensors" | cut -c1-16)" = "$3" ||
        { echo "$1: $2 is not $4 (sha256 ${3:0:8}...); $1's rule is against it" >&2; exit 1; }
}

# check_display_fonts WHO: the display faces (training) and the held-out faces (a bar) come from
# Debian font packages; say which are missing before 40 minutes of training, not after.
check_display_fonts() {
    WHO=$1 python - <<'PY' || exit 1
import os
import sys

from generator.fontlist import FontListError, resolve_font_list

for name in ("display-train", "display-held"):
    try:
        resolve_font_list(f"results/universal-display/{name}.fonts.json")
    except FontListError as error:
        sys.exit(f"{os.environ['WHO']}: {error}")
PY
}

# train_once WHO ARGS...: `crnn train ARGS --out runs/universal-WHO --quiet` unless the run's
# weights are already in runs/ or in the tree, then the weights into the tree ($HERE/WHO-run).
# Training resumes nothing: a run whose weights are missing trains again from the start (the
# same seed, so the same run on one machine type).
train_once() {
    local who=$1
    shift
    if [ ! -f "$HERE/$who-run/model.safetensors" ]; then
        if [ ! -f "runs/universal-$who/model.safetensors" ]; then
            crnn train "$@" --out "runs/universal-$who" --quiet
        fi
        keep "runs/universal-$who" "$HERE/$who-run"
    fi
}

# judge WHO EVALUATE FIRST: EVALUATE's reads of $HERE/WHO-run against $BASE from draw FIRST; only
# if it misses a bar, its midpoint with $START ($HERE/WHO-half-run) from FIRST + 1,000.
judge() {
    local who=$1 evaluate=$2 first=$3
    M=$HERE/$who-run R=$HERE/$who FIRST=$first bash "$HERE/$evaluate"
    if grep -q "every bar met: yes" "$HERE/$who/bars.md"; then
        echo "$who meets every bar: ship it (ship.sh; README, $who)"
        return 0
    fi
    crnn interpolate "$HERE/$who-run" --model "$START" --alpha 0.5 -o "runs/universal-$who-half"
    keep "runs/universal-$who-half" "$HERE/$who-half-run"
    M=$HERE/$who-half-run R=$HERE/$who-half FIRST=$((first + 1000)) bash "$HERE/$evaluate"
}
