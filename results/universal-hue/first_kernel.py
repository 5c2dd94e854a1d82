"""How far each colour reader's first kernel moved from the luma split it was grown with.

    python results/universal-hue/first_kernel.py > results/universal-hue/first_kernel.txt

Relative change ||W - W0|| / ||W0|| of the first convolution against `crnn colour`'s output
(runs/universal-rgb0), and each input channel's share of the kernel's absolute mass (the grown
reader starts at 0.299 / 0.587 / 0.114).
"""

from safetensors.torch import load_file

start = load_file("runs/universal-rgb0/model.safetensors")["cnn.0.weight"]
print("| reader | moved | R / G / B share |")
print("|---|---|---|")
for run in ("runs/universal-rgb0", "runs/universal-h1", "runs/universal-h2", "runs/universal-b1"):
    w = load_file(f"{run}/model.safetensors")["cnn.0.weight"]
    moved = float((w - start).norm() / start.norm())
    shares = " / ".join(f"{float(w[:, k].abs().sum() / w.abs().sum()):.3f}" for k in range(3))
    print(f"| {run} | {moved:.1%} | {shares} |")
