"""``captchagen``: render labelled captcha datasets, previews and presets from the command line.

A thin layer: every command parses its options, calls the library, and prints.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated

import typer

from .cliutil import fail, make_app, run_app

app = make_app(
    "captchagen", "Seeded, reproducible synthetic captchas: datasets, streams, previews."
)

PROG = "captchagen"

Difficulty = Annotated[
    str | None,
    typer.Option(
        "--difficulty",
        "-d",
        help="Preset (easy, medium, hard, extreme, captcha, mixed, universal) or a spec file.",
    ),
]
Config = Annotated[
    Path | None,
    typer.Option(
        "--config", "-c", help="Spec file (.toml or .json); see `captchagen presets NAME`."
    ),
]
Seed = Annotated[int, typer.Option("--seed", "-s", help="Run seed; same seed, same bytes.")]


def _spec(difficulty: str | None, config: Path | None):
    from .spec import load_spec, resolve_styles

    if difficulty and config:
        fail(PROG, "give either --difficulty or --config, not both")
    if config is not None:
        return load_spec(config)
    specs = resolve_styles(difficulty or "medium")
    if len(specs) != 1:
        fail(PROG, "make renders one style per dataset: give one preset or spec file in -d")
    return specs[0]


def _bar(total: int, quiet: bool, desc: str):
    from .progress import Progress

    return Progress(total, unit="img", desc=desc, disable=quiet)


@app.command()
def make(
    n: Annotated[int, typer.Option("--n", "-n", help="Number of images in the dataset.")] = 1000,
    difficulty: Difficulty = None,
    config: Config = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Output directory (default: data/NAME).")
    ] = None,
    seed: Seed = 0,
    workers: Annotated[
        int, typer.Option("--workers", "-w", help="Worker processes (default: all cores).")
    ] = 0,
    shard: Annotated[
        str | None,
        typer.Option(
            "--shard",
            help="Render only shard K of N (0-based, e.g. 1/4) into the same --out; the last "
            "shard to finish writes the manifest. auto: from a Slurm job array or a Kubernetes "
            "indexed Job.",
        ),
    ] = None,
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            help="png, jpg or webp (a file per image), or webdataset / parquet (one shard of "
            "500 samples per file, for large-scale training).",
        ),
    ] = "png",
    pack: Annotated[
        bool, typer.Option("--pack", help="Also write packed/images.npy for fast training reads.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Render N labelled captchas into OUT/images/ with OUT/metadata.jsonl and OUT/dataset.json.

    Killed at any point, the same command resumes where it stopped. Output is byte-identical
    for the same spec, seed and N, whatever --workers or --shard.
    """
    from .dataset import RunConfig, make_dataset, pack_dataset, parse_shard, todo_count
    from .fonts import resolve_fonts, warn_dropped

    spec = _spec(difficulty, config)
    config_ = RunConfig(spec=spec, seed=seed, n=n, format=fmt)
    warn_dropped(resolve_fonts(spec.text.fonts, spec.charset.chars))
    shard_k_n = parse_shard(shard)
    if workers < 0:
        fail(PROG, f"--workers must be >= 0, got {workers}")
    workers = workers or os.cpu_count() or 1
    out = out or Path("data") / spec.name
    if out.exists() and not out.is_dir():
        fail(PROG, f"output path {out} is a file, not a directory")
    total = todo_count(config_, out, shard_k_n) if out.is_dir() else n
    with _bar(total, quiet, spec.name) as bar:
        result = make_dataset(config_, out, workers=workers, shard=shard_k_n, progress=bar.update)
    if not result.complete:
        typer.echo(
            f"shard {shard} done: {result.chunks_done}/{result.chunks_total} chunks of {out} "
            "are written; the last shard to finish writes the manifest"
        )
        return
    now = f"{result.written} rendered now"
    if result.repaired:
        now += f", {result.repaired} damaged or missing re-rendered"
    typer.echo(f"{out}: {n} images ({now}), spec {spec.digest()}")
    if pack:
        with _bar(n, quiet, "pack") as bar:
            folder = pack_dataset(out, progress=bar.update)
        typer.echo(f"packed into {folder}")


@app.command()
def preview(
    difficulty: Annotated[
        str,
        typer.Option(
            "--difficulty",
            "-d",
            help="Presets or spec files (comma list), or all: one block per style.",
        ),
    ] = "all",
    config: Config = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="PNG file to write.")] = Path(
        "preview.png"
    ),
    seed: Seed = 0,
    cols: Annotated[int, typer.Option(help="Samples per row.", min=1, max=20)] = 6,
    rows: Annotated[int, typer.Option(help="Rows per style.", min=1, max=20)] = 2,
    scale: Annotated[int, typer.Option(help="Pixel magnification.", min=1, max=4)] = 1,
) -> None:
    """Write a contact sheet of captioned samples for a style (or every difficulty)."""
    from .preview import contact_sheet, save_png
    from .spec import DIFFICULTIES, load_spec, preset, resolve_styles

    if config is not None:
        specs = [load_spec(config)]
    elif difficulty == "all":  # the gallery: every level plus the two other renderers' styles
        specs = [preset(d) for d in (*DIFFICULTIES, "captcha", "mixed", "universal")]
    else:
        specs = resolve_styles(difficulty)
    if out.is_dir():
        fail(PROG, f"--out {out} is a directory; give a .png file name")
    save_png(contact_sheet(specs, seed=seed, cols=cols, rows=rows, scale=scale), out)
    typer.echo(f"wrote {out}")


@app.command()
def presets(
    name: Annotated[
        str | None,
        typer.Argument(help="Print this preset's full spec, ready to edit and --config."),
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="toml or json (with NAME).")] = "toml",
) -> None:
    """List the presets and their main values, or print one as a spec file."""
    from .spec import dump_spec, preset, preset_names

    if name is not None:
        if fmt not in ("toml", "json"):
            fail(PROG, f"--format must be toml or json, got {fmt!r}")
        typer.echo(dump_spec(preset(name), fmt), nl=False)
        return
    header = f"{'name':9} {'backend':8} {'font px':8} {'rot':>4} {'spacing':>13} "
    header += f"{'dots':>8} {'lines':>6} {'curves':>6} {'wave px':>8} {'blur':>9}"
    typer.echo(header)
    for pname in preset_names():
        s = preset(pname)
        t, nz, wv = s.text, s.noise, s.warp
        typer.echo(
            f"{pname:9} {s.backend:8} {t.font_size[0]:>3}-{t.font_size[1]:<4} {t.rotation:>4.0f} "
            f"{t.spacing[0]:>+6.2f}..{t.spacing[1]:<+5.2f} {nz.dots[0]:>3}-{nz.dots[1]:<4} "
            f"{nz.lines[0]:>2}-{nz.lines[1]:<3} {nz.curves[0]:>2}-{nz.curves[1]:<3} "
            f"{wv.wave_amplitude[0]:>3.0f}-{wv.wave_amplitude[1]:<4.0f} "
            f"{wv.blur[0]:.1f}-{wv.blur[1]:.1f}"
        )
    typer.echo("\n`captchagen presets NAME` prints every value; mixed draws each sample's style")
    typer.echo("across easy..extreme and the captcha package.")


@app.command()
def fonts(
    entries: Annotated[
        list[str] | None,
        typer.Argument(
            help="Face names, groups (@default, @wide, @system), font files, folders or .json "
            "font lists, as in a spec's text.fonts. None: list the named faces."
        ),
    ] = None,
    charset: Annotated[
        str,
        typer.Option(
            help="Charset the faces must cover (a name such as upper_digits, or the "
            "characters themselves)."
        ),
    ] = "upper_digits",
    lock: Annotated[
        Path | None,
        typer.Option(
            "--lock",
            help="Write a font list of the covering faces (file, SHA-256, path) to this .json; "
            "name it in text.fonts so the recipe renders the same bytes or refuses to run.",
        ),
    ] = None,
) -> None:
    """List the named faces, or what font entries resolve to; --lock freezes them in a font list."""
    from .charset import Charset
    from .fontlist import write_font_list
    from .fonts import named_faces, resolve_fonts

    if not entries:
        if lock is not None:
            fail(PROG, "--lock needs the font entries to freeze (e.g. @system or a folder)")
        for name, package, path in named_faces():
            where = str(path) if path is not None else f"absent (pip install {package})"
            typer.echo(f"{name:28} {package:22} {where}")
        return
    if lock is not None and lock.suffix.lower() != ".json":
        fail(PROG, f"--lock writes a .json font list, not {lock.name}")
    if lock is not None and not lock.absolute().parent.is_dir():
        fail(PROG, f"--lock: folder {lock.absolute().parent} does not exist")
    choice = resolve_fonts(tuple(entries), Charset.resolve(charset).chars)
    for path in choice.paths:
        typer.echo(path)
    for path, missing in choice.dropped:
        typer.echo(f"dropped {path}: it lacks {missing!r}", err=True)
    if lock is not None:
        write_font_list(lock, [Path(p) for p in choice.paths])
        typer.echo(f"wrote {lock}: {len(choice.paths)} faces", err=True)


@app.command()
def legibility(
    difficulty: Annotated[
        str,
        typer.Option(
            "--difficulty",
            "-d",
            help="Presets or spec files (comma list), or all: every level and mixed/universal.",
        ),
    ] = "all",
    n: Annotated[int, typer.Option("--n", "-n", help="Samples measured per style.", min=1)] = 200,
    seed: Seed = 0,
) -> None:
    """Measure what keeps text readable (noise weight, contrast, glyph overlap, glyph height)
    against each level's stated bounds; exit 1 when a style breaks them."""
    from .legibility import bounds_for, check
    from .spec import DIFFICULTIES, preset, resolve_styles

    if difficulty == "all":
        specs = [preset(d) for d in (*DIFFICULTIES, "mixed", "universal")]
    else:
        specs = resolve_styles(difficulty)
    typer.echo(
        f"{'style':12} {'n':>4}  {'noise/stroke':15} {'contrast':15} {'overlap':15} "
        f"{'glyph px':13} verdict"
    )
    failed = []
    for spec in specs:
        bounds = bounds_for(spec)
        got = check(spec, n=n, seed=seed)
        if not got.n:
            typer.echo(f"{spec.name:12} {0:>4}  (no native samples: the captcha package's look)")
            continue
        verdict = "legible" if not got.violations else "; ".join(got.violations)
        cells = (
            f"{got.noise_weight:.2f} (≤ {bounds.noise_weight:g})",
            f"{got.contrast:.0f} (≥ {bounds.min_contrast:g})",
            f"{got.overlap:.2f} (≤ {bounds.max_overlap:g})",
            f"{got.glyph_height:.0f} (≥ {bounds.min_glyph_height:g})",
        )
        typer.echo(
            f"{spec.name:12} {got.n:>4}  {cells[0]:15} {cells[1]:15} {cells[2]:15} "
            f"{cells[3]:13} {verdict}"
        )
        if got.violations:
            failed.append(spec.name)
    typer.echo("worst sample per column (median for height); bounds from generator/legibility.py")
    if failed:
        fail(PROG, f"not legible by the stated bounds: {', '.join(failed)}", 1)


@app.command()
def verify(
    directory: Annotated[Path, typer.Argument(help="Dataset directory.")],
    rerender: Annotated[
        int, typer.Option(help="Also re-render this many samples and compare bytes.", min=0)
    ] = 0,
) -> None:
    """Check that every file decodes, checksums and manifest agree, nothing is missing or extra."""
    from .dataset import verify_dataset

    report = verify_dataset(directory, rerender=rerender)
    for problem in report.problems[:20]:
        typer.echo(f"  {problem}", err=True)
    if not report.ok:
        fail(PROG, f"{directory}: {len(report.problems)} problem(s) in {report.checked} images", 1)
    typer.echo(f"{directory}: OK, {report.checked} images verified")


@app.command()
def info(
    directory: Annotated[Path, typer.Argument(help="Dataset directory.")],
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Summarise a dataset: style, size, seed, charset, length histogram, digests."""
    from .dataset import dataset_info

    facts = dataset_info(directory)
    if as_json:
        typer.echo(json.dumps(facts, indent=2))
        return
    for key, value in facts.items():
        typer.echo(f"{key:16} {value}")


@app.command()
def pack(directory: Annotated[Path, typer.Argument(help="Dataset directory.")]) -> None:
    """Write DIR/packed/images.npy (uint8 N x H x W) and labels.json for fast training reads."""
    from .dataset import open_dataset, pack_dataset

    n = open_dataset(directory).n
    with _bar(n, False, "pack") as bar:
        folder = pack_dataset(directory, progress=bar.update)
    typer.echo(f"packed {n} images into {folder}")


def main(argv: list[str] | None = None) -> None:
    run_app(app, PROG, argv)


if __name__ == "__main__":
    main()
