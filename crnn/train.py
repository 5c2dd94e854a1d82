"""Training loop: AdamW + OneCycle, CTC with zero_infinity, gradient clipping, periodic
validation with best-checkpoint tracking, CSV log + PNG curve, exact resume, DDP via torchrun.

Read top to bottom: config, set-up, the loop, validation, bookkeeping.
"""

from __future__ import annotations

import contextlib
import csv
import io
import math
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn

from generator import __version__
from generator.charset import Charset
from generator.errors import UserError
from generator.io import atomic_write_text
from generator.progress import Progress
from generator.seeds import VALIDATION_SEED, check_training_seed
from generator.spec import CaptchaSpec, load_style
from generator.version import RENDER_VERSION

from .augment import STRENGTHS
from .checkpoint import (
    load_averaged,
    load_training_state,
    read_training_meta,
    save_model,
    save_training_state,
)
from .data import DataError, DiskBatches, GeneratorBatches, ListBatches, loader, render_eval_set
from .decode import greedy_decode
from .ema import WeightAverage
from .metrics import char_accuracy, sequence_accuracy
from .model import CRNN, ModelConfig, parameter_count
from .preprocess import preprocess_batch
from .stopping import StopRequests, TrainingStopped

LOG = "log.csv"
CURVE = "curve.png"
LOG_FIELDS = (
    "step",
    "samples",
    "loss",
    "lr",
    "val_seq_acc",
    "val_char_acc",
    "samples_per_s",
    "elapsed_s",
)


class TrainError(UserError):
    """A training request that cannot run as given."""


@dataclass
class TrainConfig:
    out: Path
    arch: str = "small"
    styles: tuple[str, ...] = ("easy", "medium", "hard")  # preset names or spec files
    data: Path | None = None  # train on a dataset on disk instead of the stream
    steps: int = 4000
    batch_size: int = 64
    lr: float = 3e-3
    curriculum: float = 0.15  # share of steps trained on the warm-up style alone
    warmup_style: str | None = None  # default: the first of `styles`
    # The curriculum as a number of steps instead of a share: a run extended with --resume and a
    # larger --steps (attack effort curves) keeps its curriculum where it was.
    warmup_steps: int | None = None
    weight_decay: float = 1e-4
    clip_grad: float = 5.0
    seed: int = 0
    width: int = 96
    # How images reach the input size (crnn.preprocess): stretch, pad (keep the aspect ratio) or
    # crop (cut to the content, then pad). None: stretch, or with `init` the pretrained model's.
    resize: str | None = None
    # Fine-tune from a pretrained model (name, run directory or .safetensors): its architecture
    # and input size are kept (its resize mode too, unless `resize` says otherwise); characters
    # shared with the new charset keep their output rows, the others start fresh.
    init: str | None = None
    # Input channels: 1 luminance, 3 RGB. None: 1 from scratch, the pretrained model's with
    # `init` (which must match when given; `crnn colour` grows a grey reader into a colour one).
    channels: int | None = None
    # The first convolution's rate as a multiple of `lr` (1: one rate for every weight).
    first_conv_lr: float = 1.0
    # "onecycle" needs the length of the run up front; "constant" (a short warm-up, then the peak
    # rate) lets a run be extended with --resume and a larger --steps (attack effort curves).
    schedule: str = "onecycle"
    # Keep an exponential moving average of the weights with this decay (0: none); validation,
    # the saved best model and an attack's effort points then read the average (crnn.ema).
    ema: float = 0.0
    # Few-shot training on labelled images (``examples``): none, mild or strong (crnn.augment).
    augment: str = "mild"
    val_every: int = 250
    val_size: int = 300  # per style
    workers: int = 1
    # Render this many stream samples once, at the model's input size, on every core, and train
    # on them for steps * batch_size / prerender epochs (crnn.prerender); 0 streams every sample.
    prerender: int = 0
    threads: int | None = None
    device: str = "auto"
    resume: bool = False
    overwrite: bool = False  # replace a model already in `out` (else refused)
    log_every: int = 25
    progress: bool = True
    extra: dict = field(default_factory=dict)  # recorded in config.json (e.g. the command line)


@dataclass
class TrainResult:
    out: Path
    steps: int
    best_val_seq_acc: float
    final_val_seq_acc: float
    per_style: dict[str, float]
    seconds: float
    samples_per_s: float


def resolve_device(choice: str) -> torch.device:
    """``auto``, ``cpu``, ``cuda`` or ``cuda:N`` (``mps`` where torch has it) -> a device."""
    if choice == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(choice)
    except (RuntimeError, TypeError):
        raise TrainError(f"--device {choice!r} is not one of auto, cpu, cuda, cuda:N") from None
    if device.type not in ("cpu", "cuda", "mps"):
        raise TrainError(f"--device {choice!r} is not one of auto, cpu, cuda, cuda:N")
    if device.type == "cuda" and not torch.cuda.is_available():
        raise TrainError("--device cuda asked for, but torch sees no CUDA device")
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise TrainError("--device mps asked for, but torch sees no MPS device")
    return device


def check_config(config: TrainConfig) -> None:
    """Every numeric setting in range, as one line naming the flag."""
    check_training_seed(config.seed)
    rules = [
        ("--steps", config.steps >= 1, "at least 1"),
        ("--batch-size", config.batch_size >= 1, "at least 1"),
        ("--lr", math.isfinite(config.lr) and config.lr > 0, "a positive number"),
        ("--val-every", config.val_every >= 1, "at least 1"),
        ("--val-size", config.val_size >= 1, "at least 1"),
        ("--workers", config.workers >= 0, "0 or more"),
        ("--prerender", config.prerender >= 0, "0 or more"),
        ("--threads", config.threads is None or config.threads >= 1, "at least 1"),
        ("--curriculum", 0 <= config.curriculum <= 1, "between 0 and 1"),
        ("--warmup-steps", config.warmup_steps is None or config.warmup_steps >= 0, "0 or more"),
        ("--augment", config.augment in STRENGTHS, f"one of {', '.join(STRENGTHS)}"),
        ("--ema", config.ema == 0 or 0 < config.ema < 1, "0 (off) or between 0 and 1"),
        ("--channels", config.channels in (None, 1, 3), "1 (luminance) or 3 (RGB)"),
        (
            "--first-conv-lr",
            math.isfinite(config.first_conv_lr) and 0 < config.first_conv_lr <= 1000,
            "positive, at most 1000",
        ),
        ("weight_decay", math.isfinite(config.weight_decay) and config.weight_decay >= 0, ">= 0"),
        ("clip_grad", math.isfinite(config.clip_grad) and config.clip_grad > 0, "positive"),
        ("log_every", config.log_every >= 1, "at least 1"),
    ]
    for flag, ok, want in rules:
        if not ok:
            value = getattr(config, flag.lstrip("-").replace("-", "_"))
            raise TrainError(f"{flag} must be {want}, got {value}")


def _distributed() -> tuple[int, int]:
    """(rank, world) under torchrun, initialising the process group once."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world == 1:
        return 0, 1
    import torch.distributed as dist

    if not dist.is_initialized():
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    return dist.get_rank(), world


def _leave_process_group(world: int) -> None:
    """Wait for rank 0's checkpoint, then shut gloo/NCCL down: a rank that exits with the group
    alive dies in C++ ('terminate called without an active exception', seen in 1 of 3 runs)."""
    if world == 1:
        return
    import torch.distributed as dist

    dist.barrier()
    dist.destroy_process_group()


def validate(
    model: CRNN, images: torch.Tensor, texts: list[str], names: list[str], chars: str, device
) -> dict:
    """Greedy-decoded sequence and character accuracy, overall and per style."""
    core = model.module if hasattr(model, "module") else model
    was_training = core.training
    core.eval()
    preds: list[str] = []
    with torch.inference_mode():
        for start in range(0, len(images), 256):
            log_probs = core(images[start : start + 256].to(device)).float().cpu().numpy()
            preds += [d.text for d in greedy_decode(log_probs, chars)]
    core.train(was_training)
    per_style = {}
    for name in dict.fromkeys(names):
        idx = [k for k, n in enumerate(names) if n == name]
        per_style[name] = sequence_accuracy([texts[k] for k in idx], [preds[k] for k in idx])
    return {
        "seq_acc": sequence_accuracy(texts, preds),
        "char_acc": char_accuracy(texts, preds),
        "per_style": per_style,
    }


SCHEDULES = ("onecycle", "constant")
CONSTANT_WARMUP = 50  # steps of linear warm-up before the constant rate


def _param_groups(model: nn.Module, config: TrainConfig) -> list[dict]:
    """One group at the run's rate; with ``first_conv_lr`` != 1, the first convolution apart at
    that multiple of it (a grown colour reader's channel weights start at the luma split and,
    at a rate that keeps the rest of the reader in place, hardly leave it)."""
    if config.first_conv_lr == 1.0:
        return [{"params": list(model.parameters()), "lr": config.lr}]
    core = model.module if hasattr(model, "module") else model
    first = core.cnn[0].weight
    rest = [p for p in model.parameters() if p is not first]
    return [
        {"params": [first], "lr": config.lr * config.first_conv_lr},
        {"params": rest, "lr": config.lr},
    ]


def transfer_weights(source: CRNN, target: CRNN) -> int:
    """Copy ``source``'s weights into ``target`` (same architecture); output rows follow the
    characters, so a new charset keeps what the shared characters learned and initialises the
    rest. Returns how many output rows were carried over (blank included)."""
    state = source.state_dict()
    own = target.state_dict()
    old_index = {c: i + 1 for i, c in enumerate(source.config.charset)}
    rows = [(0, 0)] + [
        (i + 1, old_index[c]) for i, c in enumerate(target.config.charset) if c in old_index
    ]
    for key, value in state.items():
        if key.startswith("head."):
            for new, old in rows:
                own[key][new] = value[old]
        elif own[key].shape == value.shape:
            own[key].copy_(value)
        else:
            raise TrainError(f"pretrained tensor {key} has shape {tuple(value.shape)}")
    target.load_state_dict(own)
    return len(rows)


def _prerendered(config, specs, live, start_batch, out, rank, batches_kw):
    """The stream's mixture rendered once into ``out/prerender`` (the warm-up stays live)."""
    from .prerender import CachedBatches, build

    if rank != 0 or _distributed()[1] > 1:
        raise TrainError("--prerender runs in one process; drop it for distributed training")
    bar = Progress(config.prerender, unit="img", desc="prerender", disable=not config.progress)
    size = (batches_kw["height"], batches_kw["width"], batches_kw["resize"])
    with bar:
        pixels, texts = build(
            specs, config.seed, config.prerender, *size, out, progress=bar.update,
            channels=batches_kw["channels"],
        )  # fmt: skip
    return CachedBatches(
        pixels,
        texts,
        config.seed,
        batches_kw["batch_size"],
        batches_kw["charset"],
        size[0],
        size[1],
        warmup=live if live.warmup_batches else None,
        start_batch=start_batch,
        channels=batches_kw["channels"],
    )


def train(
    config: TrainConfig,
    on_step: Callable[[int], None] | None = None,
    *,
    examples: tuple[list, list[str]] | None = None,
    mix: CaptchaSpec | None = None,
) -> TrainResult:
    """Train a CRNN as ``config`` says; ``on_step(step)`` runs after every optimizer step.

    ``examples`` = (PIL images, labels) trains on those labelled images held in memory (k-shot
    fine-tuning on real captchas), augmented, half of each batch rendered from ``mix`` if given;
    they double as the validation set."""
    check_config(config)
    device = resolve_device(config.device)
    rank, world = _distributed()
    if config.threads:
        torch.set_num_threads(config.threads)
    out = Path(config.out)
    if out.exists() and not out.is_dir():
        raise TrainError(f"--out {out} is a file")
    if not config.resume and not config.overwrite:
        taken = [
            f for f in ("state.json", "model.safetensors", "config.json") if (out / f).exists()
        ]
        if taken:
            raise TrainError(
                f"{out} already holds a model ({', '.join(taken)}); pass --resume to continue "
                "its run, --overwrite to replace it, or pick another --out"
            )
    if config.schedule not in SCHEDULES:
        raise TrainError(
            f"--schedule must be one of {', '.join(SCHEDULES)}, got {config.schedule!r}"
        )
    if config.prerender and (config.data is not None or examples is not None):
        raise TrainError("--prerender renders the style stream; it cannot go with --data")
    if config.prerender and config.prerender < config.batch_size:
        raise TrainError(
            f"--prerender {config.prerender} is smaller than one batch ({config.batch_size})"
        )
    if config.resume:
        meta = read_training_meta(out)
        extending = config.schedule == "constant" and config.steps > meta["step"]
        if meta["step"] >= meta["total_steps"] and not extending:
            raise TrainError(
                f"{out} already finished all {meta['total_steps']} steps; nothing to resume "
                "(train into a new --out to go further)"
            )

    specs = [load_style(s) for s in config.styles]
    pretrained = None
    if config.init is not None:
        from .checkpoint import load_model
        from .registry import resolve_model

        pretrained, _ = load_model(resolve_model(config.init).path)
    if examples is not None:
        chars = "".join(sorted({c for t in examples[1] for c in t}))
        if pretrained is not None:  # the pretrained alphabet, if it covers the labels
            known = pretrained.config.charset
            chars = known if set(chars) <= set(known) else chars
        source_size = examples[0][0].size
        max_label = max(len(t) for t in examples[1])
        specs = []
    elif config.data is not None:
        from generator.dataset import open_dataset

        ds = open_dataset(config.data)
        if ds.evaluation_only:
            raise TrainError(
                f"{config.data} was rendered from a reserved evaluation seed "
                f"({ds.manifest['seed']}); training on it would leak the benchmark"
            )
        chars = ds.manifest["charset"]
        source_size = (ds.spec.width, ds.spec.height)
        max_label = max(int(r["length"]) for r in ds.records())
        specs = specs or [ds.spec]
    else:
        if not specs:
            raise TrainError("give at least one style to train on")
        # The first style's alphabet is the model's; the others must draw from within it.
        chars = specs[0].charset.chars
        source_size = (specs[0].width, specs[0].height)
        max_label = max(s.text.length[1] for s in specs)
    charset = Charset(chars)
    for spec in specs:
        if not set(spec.charset.chars) <= set(chars):
            raise DataError(f"style {spec.name!r} uses characters outside the data's charset")
    if pretrained is not None:
        base = pretrained.config
        if config.channels not in (None, base.channels):
            grow = "; grow it with `crnn colour` first" if config.channels == 3 else ""
            raise TrainError(
                f"--channels {config.channels}: {config.init} reads {base.channels} input "
                f"channel{'s' if base.channels > 1 else ''}{grow}"
            )
        model_config = ModelConfig(
            arch=base.arch,
            charset=chars,
            height=base.height,
            width=base.width,
            max_label=max_label,
            resize=config.resize or base.resize,
            channels=base.channels,
        )
    else:
        model_config = ModelConfig(
            arch=config.arch,
            charset=chars,
            width=config.width,
            max_label=max_label,
            resize=config.resize or "stretch",
            channels=config.channels or 1,
        )

    torch.manual_seed(config.seed)
    model = CRNN(model_config)
    if pretrained is not None and not config.resume:
        transfer_weights(pretrained, model)
    model = model.to(device)
    if world > 1:
        model = nn.parallel.DistributedDataParallel(model)
    groups = _param_groups(model, config)
    optimizer = torch.optim.AdamW(groups, lr=config.lr, weight_decay=config.weight_decay)
    if config.schedule == "onecycle":
        scheduler = torch.optim.lr_scheduler.OneCycleLR(
            optimizer,
            max_lr=[g["lr"] for g in groups],
            total_steps=config.steps,
            pct_start=0.15,
        )
    else:
        scheduler = torch.optim.lr_scheduler.LambdaLR(
            optimizer, lambda step: min(1.0, (step + 1) / CONSTANT_WARMUP)
        )
    ctc = nn.CTCLoss(blank=0, zero_infinity=True)
    start_step, best = 0, -1.0
    if config.resume:
        meta = load_training_state(out, model, optimizer, scheduler)
        start_step, best = meta["step"], meta.get("best_val_seq_acc", -1.0)
        if meta.get("total_steps") != config.steps and config.schedule == "onecycle":
            raise TrainError(
                f"{out} was started with --steps {meta.get('total_steps')}; resume with the same"
            )
    averaged = WeightAverage(model, config.ema) if config.ema else None
    if averaged is not None and config.resume:
        load_averaged(out, averaged)
    # What validation reads and what is saved as the model: the average where there is one.
    shipped = averaged.model if averaged is not None else model
    out.mkdir(parents=True, exist_ok=True)

    # The model's input size (a fine-tuned model keeps its pretrained one).
    batches_kw = dict(
        batch_size=config.batch_size,
        charset=charset,
        height=model_config.height,
        width=model_config.width,
        resize=model_config.resize,
        channels=model_config.channels,
    )
    # Each optimizer step consumes `world` global batches (one per rank).
    start_batch = start_step * world
    if examples is not None:
        stream = ListBatches(
            *examples, config.seed, start_batch=start_batch, mix=mix,
            augmentation=config.augment, **batches_kw,
        )  # fmt: skip
    elif config.data is not None:
        stream = DiskBatches(config.data, config.seed, start_batch=start_batch, **batches_kw)
    else:
        warmup_steps = config.warmup_steps
        if warmup_steps is None:
            warmup_steps = round(config.curriculum * config.steps)
        warmup = warmup_steps * world
        warmup_spec = load_style(config.warmup_style) if config.warmup_style else None
        stream = GeneratorBatches(
            specs,
            config.seed,
            start_batch=start_batch,
            warmup_batches=warmup,
            warmup_spec=warmup_spec,
            **batches_kw,
        )
        if config.prerender:
            stream = _prerendered(config, specs, stream, start_batch, out, rank, batches_kw)
    if rank != 0:
        val = None
    elif examples is not None:
        size = (model_config.height, model_config.width, model_config.resize)
        val = (
            torch.from_numpy(preprocess_batch(examples[0], *size, channels=model_config.channels)),
            list(examples[1]),
            ["examples"] * len(examples[1]),
        )
    else:
        val = render_eval_set(
            specs, VALIDATION_SEED, config.val_size, model_config.height, model_config.width,
            model_config.resize, model_config.channels,
        )  # fmt: skip

    meta_doc = {
        "charset": chars,
        "source_size": list(source_size),
        "parameters": parameter_count(model),
        "code_version": f"captchabench {__version__}",
        # the renderer that drew the training stream (a dataset on disk records its own)
        "render_version": RENDER_VERSION,
        "data": str(config.data) if config.data else None,
        "styles": [s.name for s in specs],
        "style_digests": {s.name: s.digest() for s in specs},
        "train_args": {k: str(v) if isinstance(v, Path) else v for k, v in asdict(config).items()},
    }
    amp = device.type == "cuda"
    frames = model_config.frames
    log_path = out / LOG
    if rank == 0 and not config.resume:
        with open(log_path, "w", newline="") as fh:
            csv.writer(fh).writerow(LOG_FIELDS)
    elif rank == 0:
        _trim_log(log_path, start_step)

    bar = Progress(
        config.steps,
        initial=start_step,
        unit="step",
        desc="train",
        disable=rank != 0 or not config.progress,
    )

    saved = start_step  # the step of the training state on disk: --resume continues after it
    # One process: a first SIGINT/SIGTERM stops after the step under way, its state saved.
    # Under DDP every rank would have to agree on the step, so there signals act as before.
    stopper = StopRequests()

    def save_state(step: int) -> None:
        nonlocal saved
        save_training_state(
            out,
            model,
            optimizer,
            scheduler,
            step,
            {"best_val_seq_acc": best, "total_steps": config.steps},
            averaged,
        )
        saved = step

    def stopped(step: int) -> TrainingStopped:
        _end_workers(it)
        bar.close()
        plot_curve(log_path, out / CURVE)
        if saved == step:
            where = f"after step {step} of {config.steps}, its state saved in {out}"
        else:
            where = (
                f"during step {step}, which its render workers did not live to finish; the "
                f"state saved at step {saved} in {out} is where it resumes"
            )
        return TrainingStopped(f"stopped by {stopper.signal_name} {where}")

    t0 = time.perf_counter()
    seen = 0
    last_val = None
    model.train()
    it = iter(loader(stream, config.workers))
    with stopper if world == 1 else contextlib.nullcontext():
        try:
            for step in range(start_step + 1, config.steps + 1):
                images, targets, lengths, _ = next(it)
                images = images.to(device, non_blocking=True)
                with torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp):
                    log_probs = model(images)
                input_lengths = torch.full((images.shape[0],), frames, dtype=torch.long)
                loss = ctc(log_probs.float().transpose(0, 1), targets, input_lengths, lengths)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                nn.utils.clip_grad_norm_(model.parameters(), config.clip_grad)
                optimizer.step()
                scheduler.step()
                if averaged is not None:
                    averaged.update(model)
                seen += images.shape[0] * world
                if on_step is not None:
                    on_step(step)
                if rank != 0:
                    continue
                elapsed = time.perf_counter() - t0
                rate = seen / elapsed
                row = {
                    "step": step,
                    "samples": step * config.batch_size * world,
                    "loss": float(loss.detach()),
                    "lr": scheduler.get_last_lr()[0],
                    "samples_per_s": round(rate, 1),
                    "elapsed_s": round(elapsed, 2),
                }
                if step % config.val_every == 0 or step == config.steps:
                    last_val = validate(shipped, *val, chars, device)
                    row.update(val_seq_acc=last_val["seq_acc"], val_char_acc=last_val["char_acc"])
                    if last_val["seq_acc"] > best:
                        best = last_val["seq_acc"]
                        save_model(out, shipped, {**meta_doc, "step": step, "val": last_val})
                    save_state(step)
                if step % config.log_every == 0 or "val_seq_acc" in row:
                    with open(log_path, "a", newline="") as fh:
                        csv.DictWriter(fh, LOG_FIELDS).writerow(row)
                fields = {"loss": row["loss"], "img/s": round(rate)}
                if last_val is not None:
                    fields["val_acc"] = last_val["seq_acc"]
                bar.set_fields(**fields)
                bar.update(1)
                if stopper.signal_name is not None and step < config.steps:
                    if saved != step:
                        save_state(step)
                    raise stopped(step)
        except RuntimeError:
            # A stop sent to the whole process group (kill -- -PGID) ends the render workers
            # too, and the DataLoader may report that as an error mid-step, before the stop
            # request is seen: the state on disk is then the last one saved whole.
            if stopper.signal_name is None:
                raise
            raise stopped(step) from None
    bar.close()
    seconds = time.perf_counter() - t0
    if rank == 0:
        plot_curve(log_path, out / CURVE)
    _leave_process_group(world)
    assert last_val is not None or rank != 0
    return TrainResult(
        out=out,
        steps=config.steps,
        best_val_seq_acc=best,
        final_val_seq_acc=last_val["seq_acc"] if last_val else math.nan,
        per_style=last_val["per_style"] if last_val else {},
        seconds=seconds,
        samples_per_s=seen / seconds if seconds else 0.0,
    )


def _end_workers(batches) -> None:
    """Shut a stopping run's render workers down now, while crnn.stopping keeps their ends
    quiet, rather than when the iterator is collected after torch's SIGCHLD handler is back
    (it would report a worker killed by the stop signal from inside that clean-up)."""
    shutdown = getattr(batches, "_shutdown_workers", None)  # torch's multi-process iterator
    if shutdown is not None:
        shutdown()


def _trim_log(log_path: Path, step: int) -> None:
    """Drop the log's rows after ``step``, where a resumed run picks up: an interrupted run
    may have logged steps past its last saved state, and they are trained (and logged) again."""
    if not log_path.exists():
        return
    with open(log_path, newline="") as fh:
        rows = list(csv.reader(fh))
    kept = [r for r in rows[1:] if r and r[0].isdigit() and int(r[0]) <= step]
    if len(kept) == len(rows) - 1:
        return
    lines = io.StringIO()
    csv.writer(lines).writerows([list(LOG_FIELDS), *kept])
    atomic_write_text(log_path, lines.getvalue())


def plot_curve(log_path: Path, png: Path) -> None:
    """Loss and validation accuracy against samples seen."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with open(log_path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    if not rows:
        return
    samples = np.array([float(r["samples"]) for r in rows])
    loss = np.array([float(r["loss"]) for r in rows])
    val = [(float(r["samples"]), float(r["val_seq_acc"])) for r in rows if r["val_seq_acc"]]
    fig, ax = plt.subplots(figsize=(7, 3.6), dpi=110)
    ax.plot(samples, loss, color="tab:blue", lw=1)
    ax.set_xlabel("training samples")
    ax.set_ylabel("CTC loss", color="tab:blue")
    ax.set_yscale("log")
    if val:
        acc = ax.twinx()
        acc.plot(*zip(*val, strict=True), "o-", color="tab:green", ms=3)
        acc.set_ylabel("validation sequence accuracy", color="tab:green")
        acc.set_ylim(0, 1)
    fig.tight_layout()
    tmp = png.with_name(f".{png.name}.tmp.png")
    fig.savefig(tmp)
    plt.close(fig)
    os.replace(tmp, png)
