"""``bench``: how well does a CRNN read captchas of each difficulty, and does beam search help?"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from crnn.registry import DEFAULT_MODEL
from generator.cliutil import command_line, fail, make_app, run_app
from generator.spec import FAMILIES

PROG = "bench"
# an attack resumes each point's training from its saved state
CONTINUE_ATTACK = "the same command continues from there"
app = make_app(
    PROG, "Benchmark a captcha recognizer per difficulty level and compare CTC decoders."
)

Cache = Annotated[
    Path | None,
    typer.Option(
        help="Where evaluation sets are cached (default: the user cache folder, "
        "~/.cache/captchabench/evalsets on Linux, or $CAPTCHABENCH_CACHE)."
    ),
]


@app.command()
def run(
    difficulty: Annotated[
        str,
        typer.Option(
            "--difficulty",
            "-d",
            help="easy, medium, hard, extreme, a spec file, a comma list, or all.",
        ),
    ] = "all",
    model: Annotated[
        str | None,
        typer.Option(
            "--model",
            "-m",
            help="Pretrained model name (universal, reference; in a source checkout also the "
            "readers universal replaced, e.g. universal-t4-half, universal-grey), run directory "
            "or .safetensors file (default: universal).",
        ),
    ] = None,
    n: Annotated[int, typer.Option("--n", "-n", help="Evaluation samples per level.")] = 1000,
    data: Annotated[
        Path | None,
        typer.Option(
            help="Evaluate a labelled folder of real captchas instead (images + "
            "metadata.csv/labels.csv with file_name,text, metadata.jsonl, or a captchagen "
            "dataset)."
        ),
    ] = None,
    decoders: Annotated[
        str,
        typer.Option(
            help="Comma list of decoders to compare: greedy, beam:K, with +len, +lexicon, +lm "
            "and +tta (several views of each image; skipped for stretch models)."
        ),
    ] = "greedy,beam:5,beam:10,greedy+tta",
    out: Annotated[Path, typer.Option("--out", "-o", help="Report directory.")] = Path(
        "results/bench"
    ),
    train_steps: Annotated[
        int | None,
        typer.Option(
            help="Train a fresh default model for this many steps first (into OUT/model)."
        ),
    ] = None,
    cache: Cache = None,
    human: Annotated[
        Path | None,
        typer.Option(help="A `bench human` answers database: add people's accuracy per level."),
    ] = None,
    alphabet: Annotated[
        str,
        typer.Option(
            help="style: read each level within its own alphabet (what an attacker who has "
            "seen a few of its captchas does; a captchagen dataset folder declares its charset, "
            "a folder of bare labels none); model: let the "
            "model answer any character it knows."
        ),
    ] = "style",
    quiet: Annotated[
        bool,
        typer.Option("--quiet", "-q", help="No progress lines; only the summary and the report."),
    ] = False,
) -> None:
    """Evaluate a model on reserved-seed evaluation sets and write OUT/report.md, metrics.csv,
    metrics.json, predictions.csv (every sample's reading) and figures/."""
    from benchmark.evalsets import ALPHABETS, MAX_EVAL_N, resolve_levels
    from benchmark.harness import evaluate
    from benchmark.report import write_report
    from crnn.decode import parse_decoders
    from crnn.recognizer import Recognizer

    specs = resolve_levels(difficulty)
    decoder_specs = parse_decoders(decoders)
    if alphabet not in ALPHABETS:
        fail(PROG, f"--alphabet must be style or model, got {alphabet!r}")
    within = alphabet == "style"
    if not 0 < n <= MAX_EVAL_N:
        fail(PROG, f"--n must be a number of samples from 1 to {MAX_EVAL_N:,}, got {n}")
    if out.exists() and not out.is_dir():
        fail(PROG, f"--out {out} is a file")
    if model is not None and train_steps is not None:
        fail(PROG, "give --model or --train-steps, not both")
    if train_steps is not None:
        from crnn.train import TrainConfig, train

        model = out / "model"
        if not quiet:
            typer.echo(f"training a fresh small model for {train_steps} steps into {model} …")
        config = TrainConfig(
            out=model, steps=train_steps, progress=not quiet, extra={"command": command_line()}
        )
        train(config)
    rec = Recognizer.load(model)

    def progress(level: str) -> None:
        if not quiet:
            typer.echo(f"  {level} done")

    if data is not None:
        from benchmark.evalsets import folder_eval_set
        from benchmark.folders import fit_labels, open_labelled_folder
        from benchmark.harness import evaluate_sets

        folder = open_labelled_folder(data, colour=rec.config.channels == 3)
        folder, folded = fit_labels(folder, rec.chars, str(model or DEFAULT_MODEL))
        if folded and not quiet:
            typer.echo(f"{folded} labels put in the reader's case (it reads case-insensitively)")
        result = evaluate_sets(rec, [folder_eval_set(folder)], decoder_specs, progress, within)
    else:
        result = evaluate(rec, specs, n, decoder_specs, cache, progress, within)
    report = write_report(result, out, command_line(), str(model or DEFAULT_MODEL))
    if human is not None:
        from benchmark.human.report import machine_accuracy, write_human_report

        if not human.is_file():
            fail(PROG, f"no answers database at {human}")
        write_human_report(human, out, machine_accuracy(out))
        with open(report, "a") as fh:
            fh.write(
                "\n## People\n\nSee [human.md](human.md): people's accuracy per level "
                "beside the model's.\n"
            )
    for lv in result.levels:
        cells = "  ".join(f"{d.decoder} {d.seq_acc:.3f}" for d in lv.decoders)
        typer.echo(f"{lv.level:8} {cells}")
    typer.echo(f"wrote {report}")


_METRICS_SHAPE = {
    "rows": [
        {
            "level": str,
            "decoder": str,
            "seq_acc": float,
            "char_acc": float,
            "ms_per_image_batch1": float,
            "evalset_digest": str,
        }
    ]
}


def _load_rows(path: Path) -> dict[tuple[str, str], dict]:
    from generator.jsonfile import JsonFileError, read_json

    file = path / "metrics.json" if path.is_dir() else path
    if not file.exists():
        fail(PROG, f"{path} holds no metrics.json (a `bench run` report directory)")
    try:
        rows = read_json(file, _METRICS_SHAPE)["rows"]
    except JsonFileError as err:
        fail(PROG, f"not a bench report: {err}")
    return {(r["level"], r["decoder"]): r for r in rows}


def _load_correctness(path: Path) -> dict[tuple[str, str], dict[int, bool]]:
    """(level, decoder) -> {sample index: read right?} from predictions.csv; empty for reports
    written before it existed."""
    import pandas as pd

    file = (path if path.is_dir() else path.parent) / "predictions.csv"
    if not file.exists():
        return {}
    try:
        df = pd.read_csv(
            file,
            usecols=["level", "decoder", "index", "correct"],
            dtype={"level": str, "decoder": str},
            keep_default_na=False,
        )
        df["index"] = df["index"].astype(int)
        df["correct"] = df["correct"].map({"True": True, "False": False, True: True, False: False})
        if df["correct"].isna().any():
            raise ValueError("column 'correct' holds values other than True/False")
    except (ValueError, TypeError, pd.errors.ParserError, UnicodeDecodeError) as err:
        fail(PROG, f"{file} is not a bench predictions file: {err}")
    return {
        key: dict(zip(group["index"], group["correct"].astype(bool), strict=True))
        for key, group in df.groupby(["level", "decoder"])
    }


def _paired_test(a: dict[int, bool] | None, b: dict[int, bool] | None) -> str:
    """'only A right | only B right | McNemar p' over the samples both runs read, or dashes."""
    from benchmark.stats import discordant_pairs, mcnemar_exact

    shared = sorted(a.keys() & b.keys()) if a and b else []
    if not shared:
        return "— | — | —"
    only_a, only_b = discordant_pairs([a[i] for i in shared], [b[i] for i in shared])
    return f"{only_a} | {only_b} | {mcnemar_exact(only_a, only_b):.3g}"


@app.command()
def compare(
    run_a: Annotated[Path, typer.Argument(help="Baseline report directory.")],
    run_b: Annotated[Path, typer.Argument(help="Report directory to compare with it.")],
    out: Annotated[
        Path | None, typer.Option(help="Markdown file (default: RUN_B/compare.md).")
    ] = None,
) -> None:
    """Print and write the differences between two `bench run` reports. Where both read the
    same evaluation set, also the samples only one of them read right and McNemar's exact test:
    is the difference more than chance?"""
    from generator.io import atomic_write_text

    a, b = _load_rows(run_a), _load_rows(run_b)
    shared = [k for k in a if k in b]
    if not shared:
        fail(PROG, "the two reports share no (level, decoder) pair")
    right_a, right_b = _load_correctness(run_a), _load_correctness(run_b)
    lines = [
        f"# {run_b} against {run_a}",
        "",
        "| level | decoder | seq. acc. A | seq. acc. B | Δ | char. acc. Δ | ms/img Δ "
        "| same eval set | only A right | only B right | McNemar exact p |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for key in shared:
        ra, rb = a[key], b[key]
        same = ra["evalset_digest"] == rb["evalset_digest"]
        paired = _paired_test(right_a.get(key), right_b.get(key)) if same else "— | — | —"
        lines.append(
            f"| {key[0]} | {key[1]} | {ra['seq_acc']:.3f} | {rb['seq_acc']:.3f} | "
            f"{rb['seq_acc'] - ra['seq_acc']:+.3f} | {rb['char_acc'] - ra['char_acc']:+.3f} | "
            f"{rb['ms_per_image_batch1'] - ra['ms_per_image_batch1']:+.2f} | "
            f"{'yes' if same else '**no**'} | {paired} |"
        )
    only = sorted(set(a) ^ set(b))
    if only:
        lines += ["", "In one report only: " + ", ".join(f"{lv}/{dec}" for lv, dec in only)]
    text = "\n".join(lines) + "\n"
    typer.echo(text, nl=False)
    target = out or (run_b / "compare.md" if run_b.is_dir() else Path("compare.md"))
    atomic_write_text(target, text)
    typer.echo(f"wrote {target}")


@app.command()
def matrix(
    levels: Annotated[
        str,
        typer.Option(
            "--difficulty", "-d", "--levels", help="Presets or spec files to train and test on."
        ),
    ] = "all",
    train_steps: Annotated[int, typer.Option(help="Training steps per model.")] = 2000,
    arch: Annotated[str, typer.Option(help="Model preset.")] = "small",
    n: Annotated[int, typer.Option("--n", "-n", help="Evaluation samples per level.")] = 500,
    out: Annotated[
        Path,
        typer.Option(
            "--out", "-o", help="Output directory (the committed table lives in results/matrix)."
        ),
    ] = Path("runs/matrix/report"),
    runs: Annotated[Path, typer.Option(help="Where the trained models go.")] = Path("runs/matrix"),
    cache: Cache = None,
) -> None:
    """Train one model per level (after a short warm-up on easy, as `crnn train` does), test
    each on every level (greedy): a transfer matrix."""
    from benchmark.evalsets import resolve_levels
    from benchmark.harness import evaluate
    from crnn.decode import parse_decoders
    from crnn.recognizer import Recognizer
    from crnn.train import TrainConfig, train
    from generator.io import atomic_write_text
    from generator.version import RENDER_VERSION

    specs = resolve_levels(levels)
    if train_steps < 1 or n < 1:
        fail(PROG, "--train-steps and --n must be positive")
    names = [s.name for s in specs]
    grid: dict[str, dict[str, float]] = {}
    for spec in specs:
        # Keyed by everything that shapes the model, so a cached run is only ever reused for the
        # same settings (and an interrupted one resumes).
        run_dir = runs / f"{spec.name}-{arch}-s{train_steps}-{spec.digest()}-r{RENDER_VERSION}"
        if not (run_dir / "model.safetensors").exists() or not (run_dir / "done").exists():
            typer.echo(f"training on {spec.name} ({train_steps} steps) …")
            train(
                TrainConfig(
                    out=run_dir,
                    arch=arch,
                    styles=(spec.name,),
                    # CTC rarely leaves its initial plateau on hard styles alone within a short
                    # budget (measured: 0 % after 1,200 steps); warm up on easy like `crnn train`.
                    warmup_style="easy",
                    steps=train_steps,
                    resume=(run_dir / "state.json").exists(),
                    extra={"command": command_line()},
                )
            )
            (run_dir / "done").write_text("")
        result = evaluate(Recognizer.load(run_dir), specs, n, parse_decoders("greedy"), cache)
        grid[spec.name] = {lv.level: lv.decoders[0].seq_acc for lv in result.levels}
    lines = [
        f"# Train on one level, test on every level (greedy, n = {n})",
        "",
        f"Each model: {train_steps} steps of {TrainConfig.batch_size} from its level, the first "
        "15 % on easy to get CTC started.",
        "",
        f"`{command_line()}`",
        "",
        "| trained on ↓ / tested on → | " + " | ".join(names) + " |",
        "|---|" + "---|" * len(names),
    ]
    for row in names:
        lines.append(f"| **{row}** | " + " | ".join(f"{grid[row][c]:.3f}" for c in names) + " |")
    text = "\n".join(lines) + "\n"
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out / "matrix.md", text)
    atomic_write_text(out / "matrix.json", json.dumps(grid, indent=2) + "\n")
    typer.echo(text, nl=False)


@app.command()
def transfer(
    hold_out: Annotated[
        str,
        typer.Option(
            "--hold-out",
            "-f",
            help=f"Families to leave out, one model each (comma list): {', '.join(FAMILIES)}, "
            "or font:FAMILY (`bench transfer --list` names them).",
        ),
    ] = "captcha,curves,font:AmaticSC",
    steps: Annotated[int, typer.Option(help="Training steps per model (batch 64).")] = 3000,
    n: Annotated[int, typer.Option("--n", "-n", help="Test samples per set.")] = 300,
    arch: Annotated[str, typer.Option(help="Model preset.")] = "small",
    width: Annotated[int, typer.Option(help="Model input width (height 32, aspect kept).")] = 128,
    prerender: Annotated[
        int, typer.Option(help="Pre-render N samples per model (crnn train --prerender).")
    ] = 0,
    seed: Annotated[int, typer.Option(help="Training seed.")] = 0,
    out: Annotated[Path, typer.Option("--out", "-o", help="Report directory.")] = Path(
        "runs/transfer/report"
    ),
    runs: Annotated[Path, typer.Option(help="Where the trained models go.")] = Path(
        "runs/transfer"
    ),
    list_families: Annotated[
        bool, typer.Option("--list", help="Print every family that can be held out and exit.")
    ] = False,
    cache: Cache = None,
) -> None:
    """Leave-one-out: train on the universal stream with one family held out, test on a set
    where every sample shows it, beside a baseline that saw everything (same budget). An opt-in
    family (cells, tumble, quad_warp, ...: --list names them), which the stream never draws,
    turns the roles: the fold's model sees it in 30 % of its samples and the baseline never
    did."""
    from benchmark.transfer import TransferConfig, font_families, run_transfer, write_report
    from generator.spec import FAMILIES

    if list_families:
        typer.echo("looks: " + ", ".join(FAMILIES))
        typer.echo("fonts: " + ", ".join(f"font:{name}" for name in font_families()))
        return
    folds = tuple(f.strip() for f in hold_out.split(",") if f.strip())
    if len(set(folds)) != len(folds):
        fail(PROG, f"--hold-out names a family twice: {hold_out}")
    config = TransferConfig(
        folds=folds,
        steps=steps,
        n=n,
        arch=arch,
        width=width,
        runs=runs,
        seed=seed,
        prerender=prerender,
        cache=cache,
    )
    result = run_transfer(config, log=typer.echo)
    typer.echo(write_report(result, out, command_line()), nl=False)
    typer.echo(f"wrote {out / 'transfer.md'}")


@app.command()
def attack(
    difficulty: Annotated[
        str | None,
        typer.Option(
            "--difficulty",
            "-d",
            help="Style(s) to attack: presets, spec files, a comma list (default: hard).",
        ),
    ] = None,
    data: Annotated[
        Path | None,
        typer.Option(
            help="A labelled folder of real captchas (images + metadata.csv/labels.csv with "
            "file_name,text, or a captchagen dataset): k-shot fine-tuning instead of a style."
        ),
    ] = None,
    shots: Annotated[
        str, typer.Option(help="With --data: labelled images per attempt (comma list).")
    ] = "0,10,30,100,300,1000",
    draws: Annotated[
        int, typer.Option(help="With --data: random draws of k images per k (for an interval).")
    ] = 3,
    test_share: Annotated[
        float, typer.Option(help="With --data: share of the folder held out for testing.")
    ] = 0.3,
    mix: Annotated[
        str | None,
        typer.Option(
            help="With --data: a preset or spec file resembling the folder; half of every "
            "training batch is rendered from it."
        ),
    ] = None,
    unlabelled: Annotated[
        Path | None,
        typer.Option(
            help="With --data: a folder of unlabelled captchas of the same kind (labels in it are "
            "ignored). Adds a self-training attacker: each fine-tuned reader labels them, and its "
            "confident readings join its k labelled images for a second fine-tuning."
        ),
    ] = None,
    interpolate: Annotated[
        bool,
        typer.Option(
            help="With --data: also run the interpolating attacker — the fine-tuned reader "
            "moved back towards --init as far as a held-back fifth of its k images says "
            "(WiSE-FT; moving all the way back keeps the shipped reader)."
        ),
    ] = True,
    pseudo_confidence: Annotated[
        float | None,
        typer.Option(
            help="With --unlabelled: keep readings at least this confident, P(text | image) "
            "(default 0.7)."
        ),
    ] = None,
    pseudo_passes: Annotated[
        int | None,
        typer.Option(help="With --unlabelled: training passes over the kept images (default 10)."),
    ] = None,
    budget: Annotated[
        str,
        typer.Option(
            help="Effort per attacker: labelled samples (30000, 100k) or CPU time (20min, 1h)."
        ),
    ] = "30k",
    attackers: Annotated[
        str, typer.Option(help="finetune (from --init), scratch, or both (comma list).")
    ] = "finetune,scratch",
    init: Annotated[
        str, typer.Option(help="Pretrained model the fine-tuning attacker starts from.")
    ] = DEFAULT_MODEL,
    arch: Annotated[
        str | None,
        typer.Option(help="The from-scratch attacker's model preset: tiny, small or crnn (small)."),
    ] = None,
    scratch_width: Annotated[
        int | None,
        typer.Option(help="The from-scratch attacker's input width, a multiple of 4 (128)."),
    ] = None,
    n: Annotated[int, typer.Option("--n", "-n", help="Evaluation samples per style.")] = 500,
    batch_size: Annotated[int, typer.Option("--batch-size", "-b", help="Training batch.")] = 32,
    seed: Annotated[int, typer.Option("--seed", "-s", help="Training seed (< 2**48).")] = 0,
    threads: Annotated[int | None, typer.Option(help="torch CPU threads.")] = None,
    ema: Annotated[
        float,
        typer.Option(
            help="Read each effort point with a moving average of the weights of this decay "
            "(0: the raw weights)."
        ),
    ] = 0.999,
    workers: Annotated[
        int,
        typer.Option(
            help="Processes rendering the style beside training (0: render in the training "
            "process). Same samples either way."
        ),
    ] = 0,
    lr_finetune: Annotated[
        float | None,
        typer.Option(help="Learning rate of the fine-tuning attacker (default 0.001)."),
    ] = None,
    lr_scratch: Annotated[
        float | None,
        typer.Option(help="Learning rate of the from-scratch attacker (default 0.003)."),
    ] = None,
    scratch_warmup: Annotated[
        int | None,
        typer.Option(
            help="Steps the from-scratch attacker first trains on `easy` in the style's "
            "alphabet (default 1000; 0: none, and CTC rarely leaves its plateau on a "
            "cluttered style)."
        ),
    ] = None,
    passes: Annotated[
        int | None,
        typer.Option(help="With --data: training passes over the k labelled images (default 40)."),
    ] = None,
    augment: Annotated[
        str | None,
        typer.Option(
            help="With --data: none, mild (shift, scale, small rotation, contrast; the default) "
            "or strong (also stretch, shear, sine warps, blur or grain)."
        ),
    ] = None,
    decoder: Annotated[
        str | None,
        typer.Option(
            help="How each effort point is read: greedy or beam:K, optionally +tta (several "
            "views of each image; needs a model that keeps the aspect ratio). Default: "
            "greedy+tta, or greedy for a stretch model."
        ),
    ] = None,
    alphabet: Annotated[
        str | None,
        typer.Option(
            help="style (default): read a style's effort points within its alphabet, as an "
            "attacker who has seen its captchas does; model: the model's whole alphabet. A "
            "labelled folder declares no alphabet and is read with the model's."
        ),
    ] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Report directory.")] = Path(
        "runs/attack"
    ),
    cache: Cache = None,
) -> None:
    """How much effort breaks a style: fine-tune the pretrained reader and train from scratch on
    the style's own stream, evaluating on its reserved-seed set at 0, 100, 300, 1k, 3k, …
    labelled samples. Resumable (re-run the same command). Writes OUT/report.md, attack.csv,
    attack.json and attack.png."""
    from benchmark.attack import AttackConfig, attack_folder, attack_style, parse_budget
    from benchmark.attack_report import verdict, write_attack_report
    from benchmark.evalsets import MAX_EVAL_N, resolve_levels
    from crnn.stopping import how_to_continue
    from generator.seeds import check_training_seed

    if data is not None and difficulty is not None:
        fail(PROG, "give --difficulty (a synthetic style) or --data (a labelled folder), not both")
    if unlabelled is not None and data is None:
        fail(PROG, "--unlabelled goes with --data (self-training on a folder's kind of captcha)")
    difficulty = difficulty or "hard"
    specs = resolve_levels(difficulty) if data is None else []
    refs = [p.strip() for p in difficulty.split(",") if p.strip()]
    if difficulty == "all":
        refs = [s.name for s in specs]
    try:
        shot_list = sorted({int(k) for k in shots.split(",") if k.strip()})
    except ValueError:
        fail(PROG, f"--shots must be integers like 0,10,30; got {shots!r}")
    if not shot_list or shot_list[0] < 0 or draws < 1 or not 0 < test_share < 1:
        fail(PROG, "--shots must be >= 0, --draws >= 1, --test-share between 0 and 1")
    if not 0 < n <= MAX_EVAL_N:
        fail(PROG, f"--n must be a number of samples from 1 to {MAX_EVAL_N:,}, got {n}")
    check_training_seed(seed)
    config = AttackConfig(
        out=out,
        budget=parse_budget(budget),
        attackers=tuple(a.strip() for a in attackers.split(",") if a.strip()),
        init=init,
        n_eval=n,
        batch_size=batch_size,
        seed=seed,
        threads=threads,
        ema=ema,
        workers=workers,
        cache=cache,
        interpolate=interpolate,
        **{  # unset: AttackConfig's defaults, stated once, there
            name: value
            for name, value in (
                ("lr_finetune", lr_finetune),
                ("lr_scratch", lr_scratch),
                ("scratch_warmup", scratch_warmup),
                ("passes", passes),
                ("augment", augment),
                ("decoder", decoder),
                ("alphabet", alphabet),
                ("arch", arch),
                ("scratch_width", scratch_width),
                ("pseudo_confidence", pseudo_confidence),
                ("pseudo_passes", pseudo_passes),
            )
            if value is not None
        },
    )
    if "finetune" in config.attackers:
        from crnn.registry import resolve_model

        resolve_model(init)  # a bad --init is one line now, not after an hour of scratch training
    say = lambda line: typer.echo(f"  {line}", err=True)  # noqa: E731
    if data is not None:
        from benchmark.evalsets import resolve_levels as styles
        from benchmark.folders import open_image_folder, open_labelled_folder

        mix_spec = styles(mix)[0] if mix else None
        from benchmark.attack import reads_colour

        colour = reads_colour(init)
        folder = open_labelled_folder(data, colour=colour)
        pool = open_image_folder(unlabelled, colour=colour) if unlabelled is not None else None
        with how_to_continue(CONTINUE_ATTACK):
            results = [
                attack_folder(folder, config, shot_list, draws, test_share, mix_spec, say, pool)
            ]
    else:
        with how_to_continue(CONTINUE_ATTACK):
            results = [
                attack_style(spec, ref, config, say) for spec, ref in zip(specs, refs, strict=True)
            ]
    spent = f"k ≤ {max(shot_list)} labelled images" if data is not None else None
    if spent and unlabelled is not None:
        spent += f" (+ {pool.n:,} unlabelled for self-training)"
    report = write_attack_report(results, config, command_line(), spent)
    for r in results:
        typer.echo(verdict(r, spent or config.budget.describe()).replace("**", ""))
    typer.echo(f"wrote {report}")


human_app = make_app(PROG, "Measure people: a local web page to solve captchas, and a report.")
app.add_typer(human_app, name="human")


@human_app.command("serve")
def human_serve(
    difficulty: Annotated[
        str, typer.Option("--difficulty", "-d", help="Levels to show: presets, spec files, all.")
    ] = "easy,medium,hard",
    n: Annotated[int, typer.Option("--n", "-n", help="Captchas per level per person.")] = 10,
    db: Annotated[Path, typer.Option(help="SQLite file for the answers.")] = Path("human.sqlite"),
    host: Annotated[
        str, typer.Option(help="Address to listen on (only this machine by default).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.", min=0, max=65535)] = 8000,
    seed: Annotated[int, typer.Option("--seed", "-s", help="Seed of each person's order.")] = 0,
) -> None:
    """Serve the captcha page: people solve captchas in random order (keyboard first: Enter
    submits, a button says "can't read"); every answer and its solve time go to DB."""
    from benchmark.evalsets import resolve_levels
    from benchmark.human.app import create_app
    from benchmark.human.store import HumanStore

    specs = resolve_levels(difficulty)
    if not 0 < n <= 1000:
        fail(PROG, f"--n must be between 1 and 1000, got {n}")
    app_ = create_app(HumanStore(db), specs, n, seed)
    typer.echo(f"open http://{host}:{port}/ (answers go to {db}; Ctrl-C stops)")
    app_.run(host=host, port=port, threaded=True)


@human_app.command("report")
def human_report(
    db: Annotated[Path, typer.Option(help="SQLite file written by `bench human serve`.")] = Path(
        "human.sqlite"
    ),
    machine: Annotated[
        Path | None,
        typer.Option(help="A `bench run` report directory to set the machine's accuracy beside."),
    ] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Report directory.")] = Path(
        "runs/human"
    ),
) -> None:
    """Per level: human accuracy (Wilson 95 %), median solve time, "can't read" rate, and the
    machine's accuracy with the usability-security frontier figure."""
    from benchmark.human.report import machine_accuracy, write_human_report

    if not db.is_file():
        fail(PROG, f"no answers database at {db}")
    path = write_human_report(db, out, machine_accuracy(machine) if machine else None)
    typer.echo(path.read_text(), nl=False)
    typer.echo(f"wrote {path}")


def main(argv: list[str] | None = None) -> None:
    run_app(app, PROG, argv)


if __name__ == "__main__":
    main()
