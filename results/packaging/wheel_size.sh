#!/usr/bin/env bash
# The wheel's size before and after it stopped carrying the readers `universal` replaced
# (crnn.registry.WHEEL_MODELS), each built from a clean worktree (no stale build/ or egg-info):
#   bash results/packaging/wheel_size.sh > results/packaging/wheel_size.txt
set -euo pipefail
PY=${PY:-$PWD/.venv/bin/python}
for rev in e948d58 HEAD; do
    dir=$(mktemp -d)
    git worktree add -q --detach "$dir/src" "$rev"
    (cd "$dir" && "$PY" -m pip wheel --no-deps --no-build-isolation -q -w "$dir/dist" "$dir/src" >/dev/null)
    wheel=$(ls "$dir"/dist/*.whl)
    readers=$(unzip -l "$wheel" | grep -c 'model.safetensors' || true)
    printf '%s\t%s bytes\t%s readers\n' "$(git rev-parse --short "$rev")" "$(stat -c %s "$wheel")" "$readers"
    git worktree remove --force "$dir/src"
    rm -rf "$dir"
done
