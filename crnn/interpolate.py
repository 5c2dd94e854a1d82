"""Weight-space interpolation between a pretrained reader and its fine-tuned copy (WiSE-FT,
Wortsman et al., CVPR 2022).

Fine-tuning on a few labelled captchas pulls a reader towards them and away from everything
else it could read: on 10 captchas of the `captcha` package's defaults the fine-tuned
`universal` reader reads 0.66 of the held-out ones, the untouched reader 0.74. The two sets of
weights lie in one basin (one started from the other), so the straight line between them holds
readers in between: (1 - alpha) * start + alpha * tuned keeps most of what the start knew and
most of what the fine-tuning taught. How far to go is a property of the data (few or unlike
images: stay near the start; many: go most of the way), so ``choose_alpha`` picks it on
labelled images the fine-tuning never saw.

The same arithmetic over more than two readers is a model soup (Wortsman et al., ICML 2022):
the weighted mean of several fine-tunes of one start (``average``, ``crnn soup``), one reader
of the same size that reads at the same cost.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Sequence
from typing import Any

import torch

from generator.errors import UserError

from .model import CRNN

ALPHAS = (0.0, 0.25, 0.5, 0.75, 1.0)  # 0: the start as it is; 1: the fine-tuned reader


class InterpolationError(UserError):
    """Two models that cannot be interpolated, or an alpha off the line between them."""


def _check_alpha(alpha: float) -> None:
    if not 0.0 <= alpha <= 1.0:  # also refuses NaN
        raise InterpolationError(f"alpha must be between 0 and 1, got {alpha}")


def _check_weights(n_models: int, weights: Sequence[float]) -> None:
    if n_models < 2 or len(weights) != n_models:
        raise InterpolationError(
            f"a mean of models needs two or more and a weight for each; got {n_models} models "
            f"and {len(weights)} weights"
        )
    # `not w >= 0` also refuses NaN; an infinite weight would make every tensor NaN.
    if any(not (w >= 0 and math.isfinite(w)) for w in weights) or not sum(weights) > 0:
        raise InterpolationError(
            f"weights must be finite, non-negative and not all 0; got {list(weights)}"
        )


def _state_dicts(models: Sequence[CRNN]) -> list[dict[str, torch.Tensor]]:
    """Every model's state dict, once each is known to have the first one's shape and alphabet."""
    dicts = [m.state_dict() for m in models]
    first = dicts[0]
    for model, d in zip(models[1:], dicts[1:], strict=True):
        # max_label may differ (a fine-tuning records its own labels' longest); weights may not.
        same_shapes = d.keys() == first.keys() and all(d[k].shape == first[k].shape for k in d)
        if model.config.charset != models[0].config.charset or not same_shapes:
            raise InterpolationError(
                "the models differ in shape or alphabet; only a model and its own fine-tuned "
                "copies can be mixed"
            )
    return dicts


def average(models: Sequence[CRNN], weights: Sequence[float]) -> CRNN:
    """A new model whose weights are sum(w_i * model_i) / sum(w_i), tensor by tensor
    (BatchNorm's running statistics too; integer counters are taken from the last model).
    Every model must have the first one's shape and alphabet."""
    _check_weights(len(models), weights)
    dicts = _state_dicts(models)
    total = float(sum(weights))
    mixed = {}
    for name, value in dicts[-1].items():
        if not value.is_floating_point():
            mixed[name] = value.clone()
            continue
        acc = torch.zeros_like(value, dtype=torch.float64)
        for d, w in zip(dicts, weights, strict=True):
            acc += (w / total) * d[name].double()
        mixed[name] = acc.to(value.dtype)
    model = copy.deepcopy(models[-1])
    model.load_state_dict(mixed)
    return model.eval()


def interpolate(start: CRNN, tuned: CRNN, alpha: float) -> CRNN:
    """A new model with weights (1 - alpha) * start + alpha * tuned, tensor by tensor
    (BatchNorm's running statistics too; integer counters are taken from ``tuned``)."""
    _check_alpha(alpha)
    a, b = _state_dicts([start, tuned])
    # torch.lerp in float32, not average's float64 sum: every interpolated reader recorded in
    # results/ (the shipped `universal` among them) is these bytes.
    mixed = {
        name: torch.lerp(a[name].float(), value.float(), alpha).to(value.dtype)
        if value.is_floating_point()
        else value.clone()
        for name, value in b.items()
    }
    model = copy.deepcopy(tuned)
    model.load_state_dict(mixed)
    return model.eval()


def choose_alpha(
    start: CRNN,
    tuned: CRNN,
    score: Callable[[CRNN], Any],
    alphas: Sequence[float] = ALPHAS,
) -> tuple[float, list]:
    """The alpha whose interpolated model ``score`` rates highest (any comparable value: a
    number, or a tuple compared in order, such as (readings right, mean log-probability) on
    held-out labelled images), and every alpha's score. Ties go to the smaller alpha: closer
    to the start, which has been measured on far more than a handful of images."""
    scores = [score(interpolate(start, tuned, alpha)) for alpha in alphas]
    best = max(range(len(alphas)), key=lambda i: (scores[i], -alphas[i]))
    return float(alphas[best]), scores


def interpolate_models(start: str, tuned: str, alpha: float, out, overwrite: bool = False):
    """Write the interpolated model of two saved ones (names, run directories or .safetensors)
    to ``out`` (a run directory): the tuned model's config document, plus where it came from.
    Refuses to replace a model already in ``out`` unless ``overwrite``. Returns ``out``."""
    from pathlib import Path

    from .checkpoint import save_model
    from .derive import carried_meta, load_source, refuse_existing

    out = Path(out)
    _check_alpha(alpha)  # before loading anything: a bad --alpha is one line at once
    refuse_existing(out, overwrite, InterpolationError)
    start_model, _, start_digest = load_source(start, InterpolationError, "interpolate")
    tuned_model, document, tuned_digest = load_source(tuned, InterpolationError, "interpolate")
    mixed = interpolate(start_model, tuned_model, alpha)
    meta = carried_meta(document)
    meta["interpolated"] = {
        "start": start,
        "start_weights": start_digest,
        "tuned": str(tuned),
        "tuned_weights": tuned_digest,
        "alpha": alpha,
    }
    save_model(out, mixed, meta)
    return out


def soup_models(models: Sequence[str], weights: Sequence[float] | None, out, overwrite=False):
    """Write the weighted mean of saved models (names, run directories or .safetensors) to
    ``out`` (a run directory): the first model's config document, plus every ingredient and its
    weight. Equal weights unless ``weights``. Refuses to replace a model already in ``out``
    unless ``overwrite``. Returns ``out``."""
    from pathlib import Path

    from .checkpoint import save_model
    from .derive import load_source, refuse_existing

    out = Path(out)
    weights = [1.0] * len(models) if weights is None else [float(w) for w in weights]
    _check_weights(len(models), weights)  # before loading anything: one line at once
    refuse_existing(out, overwrite, InterpolationError)
    loaded = [load_source(m, InterpolationError, "soup") for m in models]
    mixed = average([net for net, _, _ in loaded], weights)
    entries = [
        (str(m), digest, w) for m, (_, _, digest), w in zip(models, loaded, weights, strict=True)
    ]
    save_model(out, mixed, soup_meta(loaded[0][1], entries))
    return out


def soup_meta(first_document: dict, entries) -> dict:
    """The config a soup is saved with: its first ingredient's document (less what save_model
    writes afresh and any earlier mix's record), and (model, weights digest, weight) of each."""
    from .derive import carried_meta

    meta = carried_meta(first_document)
    meta.pop("interpolated", None)
    meta["soup"] = [{"model": m, "weights": digest, "weight": w} for m, digest, w in entries]
    return meta


def add_task_vectors(base: CRNN, tasks: Sequence[tuple[CRNN, CRNN]], scale: float) -> CRNN:
    """``base + scale * sum(tuned - start)`` over (tuned, start) pairs, tensor by tensor (task
    arithmetic, Ilharco et al., ICLR 2023): each fine-tune's change from its own start, added
    to one reader. Where a soup weighs each of N fine-tunes 1/N, this keeps ``scale`` of each
    change whole. A batch norm's running variance, the one statistic that must stay positive,
    is kept at 1e-5 or more; integer counters are the base's."""
    _check_scale(scale)
    if not tasks:
        raise InterpolationError("task arithmetic needs at least one (tuned, start) pair")
    models = [base] + [m for pair in tasks for m in pair]
    dicts = _state_dicts(models)
    out = {}
    for name, value in dicts[0].items():
        if not value.is_floating_point():
            out[name] = value.clone()
            continue
        acc = value.double().clone()
        for i in range(len(tasks)):
            tuned, start = dicts[1 + 2 * i][name], dicts[2 + 2 * i][name]
            acc += scale * (tuned.double() - start.double())
        if name.endswith("running_var"):
            acc = acc.clamp_min(1e-5)
        out[name] = acc.to(value.dtype)
    model = copy.deepcopy(base)
    model.load_state_dict(out)
    return model.eval()


def _check_scale(scale: float) -> None:
    if not (math.isfinite(scale) and scale > 0):
        raise InterpolationError(f"scale must be a finite number above 0, got {scale}")


def merge_models(base: str, tasks: Sequence[tuple[str, str]], scale: float, out, overwrite=False):
    """Write ``base + scale * sum(tuned - start)`` of saved models to ``out`` (a run
    directory): the base's config document, plus every pair and its weights digests."""
    from pathlib import Path

    from .checkpoint import save_model
    from .derive import carried_meta, load_source, refuse_existing

    out = Path(out)
    _check_scale(scale)  # before loading anything
    if not tasks:
        raise InterpolationError("task arithmetic needs at least one --task TUNED=START")
    refuse_existing(out, overwrite, InterpolationError)
    base_net, document, base_digest = load_source(base, InterpolationError, "merge")
    pairs = [
        (load_source(t, InterpolationError, "merge"), load_source(s, InterpolationError, "merge"))
        for t, s in tasks
    ]
    merged = add_task_vectors(base_net, [(t[0], s[0]) for t, s in pairs], scale)
    meta = carried_meta(document)
    meta.pop("interpolated", None)
    meta.pop("soup", None)
    meta["merged"] = {
        "base": str(base),
        "base_weights": base_digest,
        "scale": scale,
        "tasks": [
            {"tuned": t, "tuned_weights": tl[2], "start": s, "start_weights": sl[2]}
            for (t, s), (tl, sl) in zip(tasks, pairs, strict=True)
        ],
    }
    save_model(out, merged, meta)
    return out
