#!/usr/bin/env bash
# Here, before g1's one device call (README): the Python packages the H200 image lacks, as wheels
# for its Python 3.12 (.whl/), and the display faces' font files, which it cannot download
# (fonts-display-files/), both ignored through .git/info/exclude and carried by the call. Then
# slim-tree.sh takes the recorded results out of what travels (the whole tree is ~377 MiB, the
# limit 64) and says what is left.
#
#     bash results/universal-g1/prepare.sh      # then the `run` call in README, then slim-tree.sh off
set -euo pipefail
cd "$(dirname "$0")/../.."
EXCLUDE=.git/info/exclude
for path in /.whl/ /fonts-display-files/; do
    grep -qxF "$path" "$EXCLUDE" 2>/dev/null || echo "$path" >>"$EXCLUDE"
done
# The runtime dependencies (pyproject.toml) not in the image's package list
# (/work/.library/device/KINDS.md), at the versions this checkout's environment runs.
versions=$(.venv/bin/python -m pip freeze 2>/dev/null) ||
    { echo "prepare: no .venv here to take versions from (make setup first)" >&2; exit 1; }
wanted=()
for name in captcha platformdirs rapidfuzz tomli-w mnemonic ttf-opensans font-lato \
    font-source-sans-pro font-source-serif-pro font-rhd font-manrope font-hanken-grotesk \
    font-caladea font-amatic-sc font-fjallaone font-fredoka-one font-intuitive; do
    # pip freeze spells names its own way (RapidFuzz, tomli_w): compare normalised.
    pin=$(printf '%s\n' "$versions" | awk -F== -v n="$name" \
        'BEGIN {gsub(/[-_.]/, "-", n)} {k = tolower($1); gsub(/[-_.]/, "-", k)} k == n {print $2}')
    [ -n "$pin" ] || { echo "prepare: $name is not installed in .venv (make setup first)" >&2; exit 1; }
    wanted+=("$name==$pin")
done
rm -rf .whl && mkdir .whl
python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 \
    --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 \
    --platform manylinux2014_x86_64 -d .whl "${wanted[@]}" \
    2> >(grep -v "^WARNING: Location" >&2)  # this machine's local indexes, absent here
# The display faces, one folder, by file name (gpu_run.sh's FONT_FILES puts each at its listed
# path; the font list checks every face's SHA-256 when a style loads it).
rm -rf fonts-display-files && mkdir fonts-display-files
.venv/bin/python - <<'PY'
import shutil
import sys

from generator.fontlist import FontListError, read_font_list, resolve_font_list

listed = "results/universal-display/display-train.fonts.json"
try:  # each face found on this machine and checked against its SHA-256
    faces, found = read_font_list(listed), resolve_font_list(listed)
except FontListError as error:
    sys.exit(f"prepare: {error}")
for face, path in zip(faces, found, strict=True):
    shutil.copyfile(path, f"fonts-display-files/{face['file']}")
print(f"{len(faces)} display faces copied")
PY
du -sh .whl fonts-display-files
bash results/universal-g1/slim-tree.sh on
