"""``crnn``: train, run and export the CRNN recognizer. A thin layer over crnn.train,
crnn.recognizer and crnn.export."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from generator.cliutil import command_line, fail, make_app, run_app

PROG = "crnn"
DEFAULT_STYLES = "easy,medium,hard"
app = make_app(
    PROG, "CRNN + CTC captcha recognizer: train on captchagen streams or datasets, predict, export."
)

ModelPath = Annotated[
    str | None,
    typer.Option(
        "--model",
        "-m",
        help="Pretrained model name (universal, reference), run directory, .safetensors or "
        ".onnx file (default: universal).",
    ),
]


# What every command that writes a model (train's --overwrite aside) takes.
ModelOut = Annotated[Path, typer.Option("--out", "-o", help="Directory to write the model to.")]
Overwrite = Annotated[
    bool, typer.Option(help="Replace a model already in --out (refused without this).")
]


def _weighted_styles(difficulty: str, weights: str | None) -> tuple[str, ...]:
    from generator.spec import style_refs

    styles = style_refs(difficulty)
    if weights is None:
        return tuple(styles)
    try:
        counts = [int(w) for w in weights.split(",")]
    except ValueError:
        fail(PROG, f"--weights must be integers like 1,2,2; got {weights!r}")
    if len(counts) != len(styles) or any(c < 0 for c in counts) or not any(counts):
        fail(PROG, f"--weights needs one non-negative integer per style ({len(styles)}), not all 0")
    # Sample i uses styles[i % len]: repeating a style gives it that share of the stream.
    return tuple(s for s, c in zip(styles, counts, strict=True) for _ in range(c))


@app.command()
def train(
    stream: Annotated[
        bool, typer.Option("--stream", help="Train on the endless generator stream (default).")
    ] = False,
    data: Annotated[
        Path | None, typer.Option("--data", help="Train on a captchagen dataset directory instead.")
    ] = None,
    difficulty: Annotated[
        str | None,
        typer.Option(
            "--difficulty",
            "-d",
            help="Presets or spec files mixed in the stream: a comma list, or all (default: "
            "easy,medium,hard; with --data: the dataset's own style, for validation).",
        ),
    ] = None,
    weights: Annotated[
        str | None, typer.Option(help="Integer share of each style, e.g. 1,2,2 (default: equal).")
    ] = None,
    steps: Annotated[
        int, typer.Option(help="Optimizer steps (4000 is ~10 min on 2 cores).")
    ] = 4000,
    arch: Annotated[
        str, typer.Option(help="Model preset: tiny, small, medium, large or crnn.")
    ] = "small",
    batch_size: Annotated[int, typer.Option("--batch-size", "-b", help="Images per step.")] = 64,
    lr: Annotated[float, typer.Option(help="Peak learning rate (OneCycle).")] = 3e-3,
    curriculum: Annotated[
        float, typer.Option(help="Share of steps trained on the warm-up style alone.", min=0, max=1)
    ] = 0.15,
    warmup_style: Annotated[
        str | None,
        typer.Option(help="Preset or spec file for the curriculum (default: the first style)."),
    ] = None,
    warmup_steps: Annotated[
        int | None,
        typer.Option(
            help="The curriculum as a number of steps instead of a share (stays put when a "
            "run is extended with --resume and a larger --steps)."
        ),
    ] = None,
    width: Annotated[int, typer.Option(help="Model input width (height is 32); T = width/4.")] = 96,
    resize: Annotated[
        str | None,
        typer.Option(
            help="How images reach the input size: stretch; pad (keep the aspect ratio, pad or "
            "squeeze the width); crop (cut the canvas to its content, then pad). Default: "
            "stretch, or with --init the pretrained model's."
        ),
    ] = None,
    seed: Annotated[int, typer.Option(help="Training seed (must be < 2**48).")] = 0,
    val_every: Annotated[int, typer.Option(help="Validate and checkpoint every N steps.")] = 250,
    val_size: Annotated[int, typer.Option(help="Held-out samples per style.")] = 300,
    workers: Annotated[int, typer.Option(help="DataLoader worker processes.")] = 1,
    prerender: Annotated[
        int,
        typer.Option(
            help="Render N stream samples once at the model's input size on every core, then "
            "train on them for steps*batch/N epochs (0: stream every sample fresh).",
        ),
    ] = 0,
    threads: Annotated[
        int | None, typer.Option(help="torch CPU threads (default: torch's).")
    ] = None,
    device: Annotated[str, typer.Option(help="auto, cpu or cuda.")] = "auto",
    out: Annotated[Path, typer.Option("--out", "-o", help="Run directory.")] = Path("runs/crnn"),
    resume: Annotated[
        bool, typer.Option(help="Continue the interrupted run in --out exactly where it stopped.")
    ] = False,
    overwrite: Overwrite = False,
    init: Annotated[
        str | None,
        typer.Option(
            help="Fine-tune from this pretrained model (name, run directory or .safetensors); "
            "its arch and width are kept (its resize unless --resize is given), shared "
            "characters keep their output rows."
        ),
    ] = None,
    schedule: Annotated[
        str,
        typer.Option(
            help="Learning-rate schedule: onecycle, or constant (warm-up then flat; a run can "
            "then be extended with --resume and more --steps)."
        ),
    ] = "onecycle",
    ema: Annotated[
        float,
        typer.Option(
            help="Keep a moving average of the weights with this decay (e.g. 0.999; 0: none); "
            "validation and the saved model use the average."
        ),
    ] = 0.0,
    first_conv_lr: Annotated[
        float,
        typer.Option(
            help="The first convolution's learning rate as a multiple of --lr (e.g. 30 for a "
            "reader grown by `crnn colour`, whose channel weights must move far from the luma "
            "split while the rest stays put)."
        ),
    ] = 1.0,
    channels: Annotated[
        int | None,
        typer.Option(
            help="Input channels: 1 (luminance) or 3 (RGB, a colour reader). Default: 1, or "
            "with --init the pretrained model's (grow a grey reader with `crnn colour`)."
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Train a CRNN. Writes OUT/model.safetensors + config.json (best validation accuracy),
    OUT/log.csv, OUT/curve.png and OUT/state.* for --resume. Ctrl-C or SIGTERM stops after the
    step under way and saves its state, so --resume loses nothing (a second one stops at once).
    Under torchrun, trains with DDP."""
    from crnn.stopping import how_to_continue
    from crnn.train import TrainConfig
    from crnn.train import train as run_training

    if stream and data is not None:
        fail(PROG, "give --stream or --data, not both")
    if data is None:
        styles = _weighted_styles(difficulty or DEFAULT_STYLES, weights)
    else:
        styles = _weighted_styles(difficulty, weights) if difficulty else ()
    config = TrainConfig(
        out=out,
        arch=arch,
        styles=styles,
        data=data,
        steps=steps,
        batch_size=batch_size,
        lr=lr,
        curriculum=curriculum,
        warmup_style=warmup_style,
        warmup_steps=warmup_steps,
        seed=seed,
        width=width,
        resize=resize,
        val_every=val_every,
        val_size=val_size,
        workers=workers,
        prerender=prerender,
        threads=threads,
        device=device,
        resume=resume,
        overwrite=overwrite,
        init=init,
        schedule=schedule,
        ema=ema,
        first_conv_lr=first_conv_lr,
        channels=channels,
        progress=not quiet,
        extra={"command": command_line()},
    )
    with how_to_continue("the same command with --resume continues from there"):
        result = run_training(config)
    per_style = ", ".join(f"{k} {v:.3f}" for k, v in result.per_style.items())
    typer.echo(
        f"{out}: {result.steps} steps in {result.seconds:.0f} s "
        f"({result.samples_per_s:.0f} img/s); "
        f"best validation sequence accuracy {result.best_val_seq_acc:.3f} ({per_style})"
    )


IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp", ".tif", ".tiff")


def expand_inputs(items: list[str]) -> list[Path]:
    """Files as given, folders searched recursively for images, glob patterns expanded."""
    import glob

    paths: list[Path] = []
    for item in items:
        if any(ch in item for ch in "*?["):
            matched = sorted(glob.glob(item, recursive=True))
            if not matched:
                fail(PROG, f"no file matches {item!r}")
            paths += [Path(m) for m in matched if Path(m).is_file()]
        elif Path(item).is_dir():
            found = sorted(p for p in Path(item).rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
            if not found:
                fail(PROG, f"folder {item} holds no images ({', '.join(IMAGE_SUFFIXES)})")
            paths += found
        else:
            paths.append(Path(item))
    return paths


def _decode_context(ref, lexicon: str | None, length: str | None, alpha: float, beta: float):
    """What +len, +lexicon and +lm need, from the command line."""
    from crnn.decode import DecodeContext

    span = None
    if length is not None:
        try:
            lo, _, hi = length.partition("-")
            span = (int(lo), int(hi or lo))
        except ValueError:
            fail(PROG, f"--length must look like 4-6, got {length!r}")
        if not 0 < span[0] <= span[1]:
            fail(PROG, f"--length {length}: need 0 < low <= high")
    words = lm = None
    if lexicon is not None:
        from crnn.lm import CharNgram
        from generator.text import fold_case, read_word_list

        words = tuple(read_word_list(lexicon))
        if not words:
            fail(PROG, f"word list {lexicon} is empty")
        chars = _model_chars(ref)
        words = tuple(dict.fromkeys(fold_case(w, chars) for w in words))
        lm = CharNgram(words, chars, order=4)
    return DecodeContext(length=span, words=words, lm=lm, alpha=alpha, beta=beta)


def _model_chars(ref) -> str:
    if ref.is_onnx:
        from crnn.onnx_reader import OnnxReader

        return OnnxReader(ref.path).chars
    from crnn.checkpoint import read_config

    return read_config(ref.path)[0].charset


def _alphabet_constraint(alphabet: str, model_chars: str):
    """``--alphabet``: a charset preset or literal characters, all of them writable."""
    from crnn.decode import Constraints
    from generator.charset import Charset

    chars = Charset.resolve(alphabet).chars
    unknown = "".join(ch for ch in chars if ch not in model_chars)
    if unknown:
        fail(PROG, f"--alphabet: the model cannot write {unknown!r} (it writes {model_chars!r})")
    return Constraints(allowed=chars)


@app.command()
def predict(
    images: Annotated[
        list[str], typer.Argument(help="Image files, folders (searched recursively) or globs.")
    ],
    model: ModelPath = None,
    decoder: Annotated[
        str | None,
        typer.Option(
            help="greedy or beam:K (e.g. beam:10), optionally +tta: read several views of each "
            "image (crop margin, width) and keep the reading they agree on. Default: greedy+tta "
            "for models that keep the aspect ratio (universal), greedy for stretch models."
        ),
    ] = None,
    fmt: Annotated[
        str, typer.Option("--format", help="tsv, csv or json (every format has a header/keys).")
    ] = "tsv",
    batch_size: Annotated[
        int, typer.Option("--batch-size", "-b", help="Images per forward pass.", min=1)
    ] = 64,
    device: Annotated[str, typer.Option(help="cpu, cuda or auto (torch models).")] = "cpu",
    lexicon: Annotated[
        str | None,
        typer.Option(
            help="Word list for +lexicon and +lm decoders: a file (one word per line) or @bip39."
        ),
    ] = None,
    length: Annotated[
        str | None, typer.Option(help="Label length range for +len decoders, e.g. 4-6.")
    ] = None,
    alpha: Annotated[float, typer.Option(help="Language-model weight for +lm.")] = 0.5,
    beta: Annotated[float, typer.Option(help="Per-character bonus for +lm.")] = 0.0,
    alphabet: Annotated[
        str | None,
        typer.Option(
            help="Answer only with these characters: a charset name (e.g. safe_upper_digits) "
            "or the characters themselves, when you know what your captchas draw."
        ),
    ] = None,
) -> None:
    """Read captchas: one row per image with its path, the text and the confidence
    P(text | image). An .onnx --model runs on onnxruntime alone (no torch import)."""
    import csv
    import json
    import sys

    from crnn.decode import parse_decoder
    from crnn.registry import resolve_model

    if fmt not in ("tsv", "csv", "json"):
        fail(PROG, f"--format must be tsv, csv or json, got {fmt!r}")
    spec = parse_decoder(decoder) if decoder is not None else None
    ref = resolve_model(model)
    paths = expand_inputs(images)
    if ref.is_onnx:
        from crnn.onnx_reader import OnnxReader

        reader = OnnxReader(ref.path)
    else:
        from crnn.recognizer import Recognizer
        from crnn.train import resolve_device

        reader = Recognizer.load(ref.path, device=str(resolve_device(device)))
    if spec is None:
        from crnn.views import default_decoder

        spec = parse_decoder(default_decoder(reader.resize))
    context = None
    if spec.modifiers:
        context = _decode_context(ref, lexicon, length, alpha, beta)
    constraints = _alphabet_constraint(alphabet, reader.chars) if alphabet else None
    read = reader.view_log_probs if spec.tta else reader.log_probs
    results = spec.decode(read(paths, batch_size), reader.chars, constraints, context)
    rows = [(str(p), r.text, round(r.confidence, 4)) for p, r in zip(paths, results, strict=True)]
    if fmt == "json":
        keys = ("path", "text", "confidence")
        typer.echo(json.dumps([dict(zip(keys, row, strict=True)) for row in rows], indent=2))
        return
    writer = csv.writer(sys.stdout, delimiter="\t" if fmt == "tsv" else ",", lineterminator="\n")
    writer.writerow(("path", "text", "confidence"))
    writer.writerows(rows)


@app.command()
def export(
    onnx: Annotated[Path, typer.Option("--onnx", help="ONNX file to write.")],
    model: ModelPath = None,
) -> None:
    """Export to ONNX (opset 17, dynamic batch; input 'images' (N,1,32,W) in [-1,1],
    output 'log_probs' (N,T,C), blank = 0)."""
    from crnn.checkpoint import load_model
    from crnn.export import export_onnx
    from crnn.registry import resolve_model

    net, document = load_model(resolve_model(model).path)
    export_onnx(net, onnx, document=document)
    typer.echo(f"wrote {onnx}")


@app.command()
def interpolate(
    tuned: Annotated[
        str,
        typer.Argument(
            help="The fine-tuned model: a run directory or .safetensors (crnn train --init)."
        ),
    ],
    out: ModelOut,
    alpha: Annotated[
        float,
        typer.Option(help="How far from --model towards TUNED: 0 is --model as it is, 1 is TUNED."),
    ] = 0.5,
    overwrite: Overwrite = False,
    model: ModelPath = None,
) -> None:
    """Mix a fine-tuned model with the one it was fine-tuned from, (1 - alpha) * --model +
    alpha * TUNED, weight by weight (WiSE-FT, Wortsman et al. 2022): on a few hundred
    captchas the mix often reads new captchas of that kind better than either, and keeps
    more of what --model read before. `bench attack --data` chooses alpha on held-back
    images; here you give it."""
    from crnn.interpolate import interpolate_models
    from crnn.registry import DEFAULT_MODEL

    written = interpolate_models(model or DEFAULT_MODEL, tuned, alpha, out, overwrite)
    typer.echo(f"wrote {written} (alpha {alpha:g})")


@app.command()
def soup(
    models: Annotated[
        list[str],
        typer.Argument(
            help="Two or more models of one shape and alphabet, fine-tuned from one start: "
            "pretrained names, run directories or .safetensors files."
        ),
    ],
    out: ModelOut,
    weights: Annotated[
        str | None,
        typer.Option(help="One non-negative weight per model, e.g. 2,1,1 (default: equal)."),
    ] = None,
    overwrite: Overwrite = False,
) -> None:
    """Average several fine-tunes of one reader, weight by weight (a model soup, Wortsman et
    al. 2022): one reader of the same size that reads at the same cost. The first model's
    config travels with it; every ingredient's weights digest is recorded in its config."""
    from crnn.interpolate import soup_models

    parsed = None
    if weights is not None:
        try:
            parsed = [float(w) for w in weights.split(",")]
        except ValueError:
            fail(PROG, f"--weights must be numbers like 2,1,1; got {weights!r}")
    written = soup_models(models, parsed, out, overwrite)
    typer.echo(f"wrote {written} ({len(models)} models)")


@app.command()
def merge(
    task: Annotated[
        list[str],
        typer.Option(
            "--task",
            "-t",
            help="TUNED=START: a fine-tuned model and the one it started from (names, run "
            "directories or .safetensors); repeat for several.",
        ),
    ],
    out: ModelOut,
    scale: Annotated[
        float, typer.Option(help="How much of each change to add: 1 adds it whole.")
    ] = 0.5,
    overwrite: Overwrite = False,
    model: ModelPath = None,
) -> None:
    """Add fine-tunes' changes to one reader: --model + scale * sum(TUNED - START), weight by
    weight (task arithmetic, Ilharco et al. 2023). Every model must share --model's shape and
    alphabet, and every fine-tune should descend from it, or from a model it descends from."""
    from crnn.interpolate import merge_models
    from crnn.registry import DEFAULT_MODEL

    pairs = []
    for item in task:
        tuned, sep, start = item.partition("=")
        if not sep or not tuned or not start:
            fail(PROG, f"--task must be TUNED=START, got {item!r}")
        pairs.append((tuned, start))
    written = merge_models(model or DEFAULT_MODEL, pairs, scale, out, overwrite)
    typer.echo(f"wrote {written} ({len(pairs)} changes at scale {scale:g})")


@app.command()
def widen(
    arch: Annotated[str, typer.Argument(help="The wider architecture, e.g. medium.")],
    out: ModelOut,
    seed: Annotated[int, typer.Option(help="Seed for which units are copied and the noise.")] = 0,
    noise: Annotated[
        float,
        typer.Option(
            help="Perturbation of the copied units' incoming weights, as a share of each "
            "tensor's spread (0: exactly the same readings, but copies never part in training)."
        ),
    ] = 0.01,
    overwrite: Overwrite = False,
    model: ModelPath = None,
) -> None:
    """Grow --model into a wider architecture that reads as it did (Net2WiderNet: new units
    copy old ones, their readers divide by the copies), ready to train on with
    `crnn train --init OUT`: more capacity without starting from scratch."""
    from crnn.registry import DEFAULT_MODEL
    from crnn.widen import widen_model

    written = widen_model(model or DEFAULT_MODEL, arch, out, seed, noise, overwrite)
    typer.echo(f"wrote {written} ({arch})")


@app.command()
def colour(
    out: ModelOut,
    overwrite: Overwrite = False,
    model: ModelPath = None,
) -> None:
    """Grow grey --model into an RGB reader that reads every image as the grey one reads its
    luminance (exactly on grey images, up to rounding on colour ones: the first convolution's
    kernel split over R, G, B by the luma weights), ready to train on with `crnn train --init
    OUT` so it can learn to tell clutter from text by hue."""
    from crnn.colour import colour_model
    from crnn.registry import DEFAULT_MODEL

    written = colour_model(model or DEFAULT_MODEL, out, overwrite)
    typer.echo(f"wrote {written} (RGB input)")


@app.command()
def info(model: ModelPath = None) -> None:
    """Describe a model: architecture, charset, input size, parameters, validation results."""
    import json

    from crnn.checkpoint import load_model
    from crnn.registry import resolve_model

    _, document = load_model(resolve_model(model).path)
    typer.echo(json.dumps({k: v for k, v in document.items() if k != "train_args"}, indent=2))


@app.command()
def models(
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON object per model instead of the table.")
    ] = False,
) -> None:
    """List the pretrained models --model accepts by name: which the wheel carries, which only a
    source checkout holds (the readers each new `universal` replaced), and each one's
    architecture, parameters, input, alphabet and size, read from its config."""
    import json
    from dataclasses import asdict

    from crnn.registry import named_models

    listed = named_models()
    if as_json:
        for entry in listed:
            typer.echo(json.dumps(asdict(entry)))
        return
    rows = [("name", "in", "arch", "params", "input", "resize", "chars", "render", "MB")]
    for m in listed:
        name = m.name + (" (default)" if m.default else "")
        if not m.installed:
            rows.append((name, m.where, "not here: source checkout only", "", "", "", "", "", ""))
            continue
        colour = "RGB" if m.channels == 3 else "grey"
        rows.append(
            (
                name,
                m.where,
                m.arch or "",
                f"{m.parameters / 1e6:.1f} M" if m.parameters else "?",
                f"{m.height}x{m.width} {colour}",
                m.resize or "",
                str(len(m.charset or "")),
                str(m.render_version if m.render_version is not None else "?"),
                f"{m.size_bytes / 1e6:.1f}",
            )
        )
    widths = [max(len(row[k]) for row in rows) for k in range(len(rows[0]))]
    for row in rows:
        typer.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


def main(argv: list[str] | None = None) -> None:
    run_app(app, PROG, argv)


if __name__ == "__main__":
    main()
