"""Every preset and example renders the same bytes, and keeps its digest, before and after a
change to the renderer: each style that exists in both trees, N samples each (seed 3), hashed in
a worktree of BASE and in this checkout.

    PYTHONPATH=. python results/universal-relief/bytes_unchanged.py c0424d0 25 \\
        > results/universal-relief/bytes_unchanged.txt

(c0424d0: the commit before universal.relief.) Styles that name this machine's display fonts are
included where their faces are installed.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

# Run in each tree: one line per style, its digest and a hash of its samples' pixels and texts.
_HASH = """
import glob, hashlib, sys
import numpy as np
from generator.errors import UserError
from generator.sample import render_sample
from generator.spec import load_style, preset, preset_names
n = int(sys.argv[1])
styles = [(name, lambda name=name: preset(name)) for name in preset_names()]
files = sorted(glob.glob("examples/*.toml")) + sorted(glob.glob("results/universal-display/*.toml"))
styles += [(f, lambda f=f: load_style(f)) for f in files]
for name, load in styles:
    try:
        spec = load()
        h = hashlib.sha256(spec.digest().encode())
        for i in range(n):
            s = render_sample(spec, 3, i)
            h.update(np.asarray(s.image).tobytes())
            h.update(s.text.encode())
        print(name, h.hexdigest()[:16])
    except UserError as err:
        print(name, "not rendered:", str(err).splitlines()[0][:60])
"""


def hashes(tree: Path, n: int) -> dict[str, str]:
    done = subprocess.run(
        [sys.executable, "-c", _HASH, str(n)],
        cwd=tree,
        env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines() or ["?"]
        sys.exit(f"bytes_unchanged.py: rendering in {tree} failed: {lines[-1]}")
    return dict(line.split(" ", 1) for line in done.stdout.splitlines())


def main(base: str, n: int) -> None:
    here = Path.cwd()
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "base"
        added = subprocess.run(
            ["git", "worktree", "add", "--detach", "-q", str(tree), base], capture_output=True
        )
        if added.returncode != 0:
            sys.exit(f"bytes_unchanged.py: no worktree of {base}: {added.stderr.decode().strip()}")
        try:
            before = hashes(tree, n)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(tree)], check=False)
    after = hashes(here, n)
    both = [name for name in before if name in after]
    same = [name for name in both if before[name] == after[name]]
    print(__doc__.split("\n\n")[0].replace("\n", " "))
    print(f"\nbase {base}, {n} samples per style\n")
    print("| style | before | after | same |")
    print("|---|---|---|---|")
    for name in both:
        print(f"| {name} | {before[name]} | {after[name]} | {'yes' if name in same else 'NO'} |")
    print(
        f"\n{len(same)} of {len(both)} styles the same; only after: "
        + (", ".join(n for n in after if n not in before) or "none")
    )


if __name__ == "__main__":
    args = sys.argv[1:]
    if len(args) != 2 or not args[1].isdigit():
        sys.exit("usage: bytes_unchanged.py BASE_COMMIT N_SAMPLES")
    main(args[0], int(args[1]))
