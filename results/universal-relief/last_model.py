"""A run's last averaged weights (its training state at the final step, not the best-validation
checkpoint `crnn train` keeps), saved as a model folder that `bench run` and model_choice read.

    PYTHONPATH=. python results/universal-relief/last_model.py \
        runs/universal-f1 runs/universal-f1-last

Why: `crnn train` keeps the step whose own validation (100 samples per style) was highest. In a
CPU fine-tune those figures differ by less than their noise (f1: 0.523 / 0.511 / 0.515), so the
kept step is a coin toss, and it can be one at the peak rate that has seen a third of the run's
samples. The last step's weights have seen them all, annealed.
"""

from __future__ import annotations

import sys
from pathlib import Path

from crnn.checkpoint import load_model, load_training_model, read_training_meta, save_model
from crnn.derive import carried_meta
from generator.errors import UserError


def main(run: Path, out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise UserError(f"{out} is a file: name a new folder")
    if out.exists() and any(out.iterdir()):
        raise UserError(f"{out} is not empty: name a new folder")
    _, document = load_model(run)
    model = load_training_model(run, averaged=True)
    meta = carried_meta(document)
    best = {k: meta.pop(k) for k in ("step", "val") if k in meta}
    meta["last_state"] = {
        "run": str(run),
        "step": read_training_meta(run)["step"],
        "best_checkpoint_was": best,
    }
    save_model(out, model, meta)
    print(f"wrote {out} (step {meta['last_state']['step']}, averaged weights)")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: last_model.py RUN_DIR OUT_DIR")
    try:
        main(Path(sys.argv[1]), Path(sys.argv[2]))
    except UserError as err:
        sys.exit(f"last_model.py: {err}")
