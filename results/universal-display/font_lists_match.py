"""The font lists render what the folders of links rendered: d1-d3 named runs/fonts-display/
{train,held} (the links select_fonts.py made) in their style files; the files now name the
checked font lists. This renders N samples of each style both ways and counts the images whose
bytes differ (the answer must be 0 of every N), so those runs' figures stand for the lists too.
A control line compares the train list with the *held* folder: a comparison that can fail.

    PYTHONPATH=. python results/universal-display/font_lists_match.py [N] \\
        > results/universal-display/font_lists_match.txt
"""

from __future__ import annotations

import sys
from pathlib import Path

from generator.errors import UserError
from generator.sample import render_sample
from generator.spec import load_spec

HERE = Path(__file__).parent
CHECKS = [("display-train", "train"), ("display-held", "held"), ("display-broad", "train")]
CONTROL = ("display-train", "held")


def main() -> None:
    try:
        n = int(sys.argv[1]) if len(sys.argv) > 1 else 300
        if n < 1:
            raise ValueError
    except ValueError:
        sys.exit(f"font_lists_match.py: N must be a positive whole number, got {sys.argv[1]!r}")
    print(f"samples 0..{n - 1}, seed 0: images whose bytes differ (list vs folder of links)")
    for name, part in [*CHECKS, CONTROL]:
        try:
            listed = load_spec(HERE / f"{name}.toml")
            folder = listed.with_overrides(text={"fonts": (f"runs/fonts-display/{part}",)})
            differ = sum(
                render_sample(listed, 0, i).image.tobytes()
                != render_sample(folder, 0, i).image.tobytes()
                for i in range(n)
            )
        except UserError as err:
            sys.exit(f"font_lists_match.py: {err}")
        label = f"{name} vs {part} folder" + (" (control)" if (name, part) == CONTROL else "")
        print(f"{label:40} {differ} of {n}")


if __name__ == "__main__":
    main()
