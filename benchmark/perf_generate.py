"""Generator speed, measured side by side in one run: our native renderer vs the captcha package.

    python -m benchmark.perf_generate [--n 3000] [--e2e-n 10000] [--e2e-also /dev/shm]
                                      [--full 100000] [--out FILE]

1. In memory, one process: render the same N texts (160x60, 4-6 characters) with our native
   renderer at `medium` and with captcha.ImageCaptcha().generate_image; best of 3 passes each
   after a warm-up that fills our glyph-bitmap cache (steady state); our cold rate is printed too.
   Then ours alone on every preset (N/2 images each).
2. End to end, one process, PNG files included: `captchagen make --workers 1` (a subprocess, so
   start-up and the cold cache count) vs the captcha package writing the same number of PNGs,
   alternated twice, best round each. Both pay the filesystem's cost of creating a file, which
   on some virtual disks is larger than rendering (the report prints it); --e2e-also repeats
   the comparison on a second folder, e.g. memory-backed /dev/shm, to show the CPU-bound ratio.
3. With --full N: `captchagen make --n N --difficulty medium` on all cores, wall clock.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from generator.io import atomic_write_text


def _texts(n: int) -> list[str]:
    from generator.sample import draw_text, sample_rng
    from generator.spec import preset

    spec = preset("medium")
    return [draw_text(spec, sample_rng(0, i)) for i in range(n)]


def _make_command(n: int, out: Path, *extra: str) -> list[str]:
    """`captchagen make` for n medium images, as a subprocess so start-up counts."""
    cli = [sys.executable, "-m", "generator.cli", "make", "--n", str(n), "--difficulty", "medium"]
    return [*cli, "--out", str(out), "-q", *extra]


def _render_rate(spec, n: int) -> float:
    """Images per second rendering samples 0..n-1 of seed 0 in memory."""
    from generator.sample import render_sample

    t0 = time.perf_counter()
    for i in range(n):
        render_sample(spec, 0, i)
    return n / (time.perf_counter() - t0)


def in_memory(n: int, warmup: int = 3000, repeats: int = 3) -> dict:
    """Rates for the same n texts: ours cold (glyph cache empty), ours and the package warm
    (after ``warmup`` samples of another seed), best of ``repeats`` passes each."""
    from captcha.image import ImageCaptcha

    from generator.render import _glyph
    from generator.sample import render_sample
    from generator.spec import preset

    spec = preset("medium")
    texts = _texts(n)
    package = ImageCaptcha(width=160, height=60)

    def package_pass() -> float:
        t0 = time.perf_counter()
        for text in texts:
            package.generate_image(text)
        return n / (time.perf_counter() - t0)

    _glyph.cache_clear()
    cold = _render_rate(spec, n)
    # Steady state, as in any dataset of more than a few thousand images: the glyph bitmaps
    # medium can use (at most 14 fonts x 5 raster sizes x 32 characters) are cached. The
    # package has no such cache to warm.
    for i in range(warmup):
        render_sample(spec, 1, i)
    package_pass()
    ours = max(_render_rate(spec, n) for _ in range(repeats))
    theirs = max(package_pass() for _ in range(repeats))
    return {
        "ours_cold_per_s": cold,
        "ours_per_s": ours,
        "captcha_pkg_per_s": theirs,
        "ratio": ours / theirs,
        "ratio_cold": cold / theirs,
    }


def _file_creation_s(n: int, folder: Path, size: int) -> float:
    """Seconds to create n files of ``size`` bytes: the filesystem's share of a PNG writer."""
    payload = bytes(size)
    t0 = time.perf_counter()
    for i in range(n):
        (folder / f"{i:06d}.bin").write_bytes(payload)
    return time.perf_counter() - t0


def every_preset(n: int, repeats: int = 3) -> dict[str, float]:
    """Our steady-state in-memory rate for each preset (the package has only its own look)."""
    from generator.sample import render_sample
    from generator.spec import preset, preset_names

    rates = {}
    for name in preset_names():
        spec = preset(name)
        for i in range(n):  # warm-up on another seed fills the glyph cache
            render_sample(spec, 1, i)
        rates[name] = max(_render_rate(spec, n) for _ in range(repeats))
    return rates


def end_to_end(n: int, rounds: int = 2, where: str | None = None) -> dict:
    """`captchagen make --workers 1` vs the captcha package writing the same n PNGs, alternated
    ``rounds`` times (the filesystem's speed drifts as it fills and trims), best round of each.
    ``where`` is the parent folder of the outputs (default: the system temp folder)."""
    from captcha.image import ImageCaptcha

    texts = _texts(n)
    ours, theirs = [], []
    with tempfile.TemporaryDirectory(dir=where) as tmp:
        for r in range(rounds):
            out = Path(tmp) / f"ours{r}"
            t0 = time.perf_counter()
            subprocess.run(
                _make_command(n, out, "--workers", "1"), check=True, stdout=subprocess.DEVNULL
            )
            ours.append(n / (time.perf_counter() - t0))
            theirs_dir = Path(tmp) / f"theirs{r}"
            theirs_dir.mkdir()
            t0 = time.perf_counter()
            package = ImageCaptcha(width=160, height=60)
            for i, text in enumerate(texts):
                package.write(text, str(theirs_dir / f"{i:06d}.png"))
            theirs.append(n / (time.perf_counter() - t0))
        size_ours = sum(f.stat().st_size for f in (out / "images").rglob("*.png")) / n
        size_theirs = sum(f.stat().st_size for f in theirs_dir.iterdir()) / n
        files_dir = Path(tmp) / "files"
        files_dir.mkdir()
        create_ms = 1000 * _file_creation_s(n, files_dir, round(size_ours)) / n
    return {
        "folder": where or tempfile.gettempdir(),
        "rounds": rounds,
        "ours_per_s": max(ours),
        "captcha_pkg_per_s": max(theirs),
        "ratio": max(ours) / max(theirs),
        "ours_all_rounds": ours,
        "captcha_pkg_all_rounds": theirs,
        "file_creation_ms": create_ms,
        "bytes_per_image_ours": size_ours,
        "bytes_per_image_captcha_pkg": size_theirs,
    }


def full_run(n: int) -> dict:
    out = Path(tempfile.mkdtemp())
    try:
        cmd = _make_command(n, out / "d")
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        wall = time.perf_counter() - t0
    finally:
        shutil.rmtree(out, ignore_errors=True)
    return {"n": n, "workers": os.cpu_count(), "wall_s": wall, "per_s": n / wall}


def _print_e2e(n: int, e2e: dict) -> None:
    print(
        f"end to end with PNG, 1 process, {n} images in {e2e['folder']}, best of "
        f"{e2e['rounds']} alternated rounds: captchagen make --workers 1 "
        f"{e2e['ours_per_s']:.0f}/s, captcha package {e2e['captcha_pkg_per_s']:.0f}/s -> "
        f"{e2e['ratio']:.2f}x ({e2e['bytes_per_image_ours']:.0f} vs "
        f"{e2e['bytes_per_image_captcha_pkg']:.0f} B/image; creating a file of that size "
        f"alone takes {e2e['file_creation_ms']:.2f} ms there)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=3000, help="images per in-memory measurement")
    parser.add_argument(
        "--e2e-n", type=int, default=10000, help="images per end-to-end run (start-up included)"
    )
    parser.add_argument(
        "--e2e-also",
        type=Path,
        help="repeat the end-to-end run with outputs under this folder too (e.g. /dev/shm)",
    )
    parser.add_argument(
        "--full", type=int, default=0, help="also time `make --n FULL` on all cores"
    )
    parser.add_argument("--out", type=Path, help="write the figures as JSON here")
    args = parser.parse_args()
    if args.e2e_also and not args.e2e_also.is_dir():
        sys.exit(f"perf_generate: --e2e-also {args.e2e_also}: not a folder")
    report = {
        "command": "python -m benchmark.perf_generate " + " ".join(sys.argv[1:]),
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
        "python": platform.python_version(),
    }
    print(f"$ {report['command']}  # {report['machine']}")
    report["in_memory"] = mem = in_memory(args.n)
    print(
        f"in memory, medium, 1 process, best of 3 after warm-up: ours {mem['ours_per_s']:.0f}/s, "
        f"captcha package {mem['captcha_pkg_per_s']:.0f}/s -> {mem['ratio']:.2f}x "
        f"(ours with an empty glyph cache: {mem['ours_cold_per_s']:.0f}/s, "
        f"{mem['ratio_cold']:.2f}x)"
    )
    report["in_memory_every_preset"] = rates = every_preset(args.n // 2)
    print(
        "in memory, every preset, 1 process, best of 3 after warm-up: "
        + ", ".join(f"{name} {rate:.0f}/s" for name, rate in rates.items())
    )
    report["end_to_end_png"] = e2e = end_to_end(args.e2e_n)
    _print_e2e(args.e2e_n, e2e)
    if args.e2e_also:
        report["end_to_end_png_also"] = also = end_to_end(args.e2e_n, where=str(args.e2e_also))
        _print_e2e(args.e2e_n, also)
    if args.full:
        report["full_run"] = full = full_run(args.full)
        print(
            f"captchagen make --n {full['n']} --difficulty medium on {full['workers']} cores: "
            f"{full['wall_s']:.1f} s ({full['per_s']:.0f}/s)"
        )
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(args.out, json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
