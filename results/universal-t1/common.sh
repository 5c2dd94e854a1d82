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
