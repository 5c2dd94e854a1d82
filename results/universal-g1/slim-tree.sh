#!/usr/bin/env bash
# A lent GPU machine receives this checkout's working tree: every tracked file, every untracked
# file git does not ignore, and the ignored paths a call carries, 64 MiB in all. The tracked tree
# is ~377 MiB (results/ alone ~330: every recorded read and the committed weights), so no call
# can start from it as it is. This takes the recorded results and the archived readers out of
# git's index for the call and ignores them in .git/info/exclude (never in .gitignore, never
# committed), keeping what a device run reads: the code, `universal` and `reference`, the font
# lists, the training styles and the run scripts (~22 MiB, ~39 with the wheels and fonts that
# prepare.sh makes). No file leaves the disk; `off` puts the index back as HEAD has it.
#
#     bash results/universal-g1/slim-tree.sh on     # before the device call
#     bash results/universal-g1/slim-tree.sh off    # right after it, before any commit
#     bash results/universal-g1/slim-tree.sh size   # MiB that would travel now (no carry)
set -euo pipefail
cd "$(dirname "$0")/../.."
EXCLUDE=.git/info/exclude
BEGIN="# >>> slim-tree (results/universal-g1/slim-tree.sh off removes this block)"
END="# <<< slim-tree"
# What a device run of results/universal-g1 reads from results/ stays in the tree: gpu_run.sh,
# this folder, universal-t1's common.sh (check_start), the font lists and the styles that name
# them. (Order matters: git cannot re-include a file whose folder is excluded, so each kept
# folder is re-included, then emptied, then its kept files re-included.)
BLOCK='/results/*
!/results/universal-g1/
!/results/universal-t1/
/results/universal-t1/*
!/results/universal-t1/common.sh
!/results/universal-large/
/results/universal-large/*
!/results/universal-large/gpu_run.sh
!/results/universal-display/
/results/universal-display/*
!/results/universal-display/*.fonts.json
!/results/universal-display/*.toml
!/results/universal-relief/
/results/universal-relief/*
!/results/universal-relief/*.toml'

travelling() {
    # Tracked, plus untracked files git does not ignore: what a call sends before its carry.
    git ls-files -z --cached --others --exclude-standard | xargs -0 -r stat -c %s 2>/dev/null |
        awk '{s += $1} END {printf "%.1f MiB would travel (before carried paths)\n", s / 1048576}'
}

case "${1:-}" in
on)
    if grep -qF "$BEGIN" "$EXCLUDE" 2>/dev/null; then
        echo "slim-tree: already on ($EXCLUDE holds its block)" >&2
        exit 1
    fi
    mkdir -p "$(dirname "$EXCLUDE")"
    {
        echo "$BEGIN"
        echo "$BLOCK"
        for name in $(git ls-files crnn/pretrained | cut -d/ -f3 | sort -u); do
            case $name in universal | reference) ;; *) echo "/crnn/pretrained/$name/" ;; esac
        done
        echo "$END"
    } >>"$EXCLUDE"
    # Untrack what the block ignores; the kept paths stay tracked.
    git ls-files -z -c -i --exclude-from="$EXCLUDE" | xargs -0 -r git rm -q --cached --
    travelling
    ;;
off)
    if grep -qF "$BEGIN" "$EXCLUDE" 2>/dev/null; then
        sed -i "/^$(printf '%s' "$BEGIN" | sed 's/[][\/.*^$]/\\&/g')\$/,/^$END\$/d" "$EXCLUDE"
    fi
    git reset -q -- results crnn/pretrained
    git status --short -- results crnn/pretrained | head -5
    travelling
    ;;
size)
    travelling
    ;;
*)
    echo "usage: bash results/universal-g1/slim-tree.sh on|off|size" >&2
    exit 2
    ;;
esac
