"""Scale: peak memory and throughput of `captchagen make` per output format, at growing N.

    python -m benchmark.perf_scale --n 10000,100000 --formats png,webdataset,parquet

Each run is a fresh `captchagen make` subprocess (all cores) into a temporary folder; peak RSS is
the largest resident set of any of its processes (``getrusage(RUSAGE_CHILDREN)``, read after each
run in a fresh measuring process so runs do not mask each other). Memory must stay flat in N:
nothing per sample is kept in memory (chunks are journaled to disk, the manifest is streamed).
Writes results/perf_scale.txt and .json.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from generator.io import atomic_write_text

_MEASURE = """
import resource, subprocess, sys, time
t0 = time.perf_counter()
subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)
seconds = time.perf_counter() - t0
print(seconds, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def measure(n: int, fmt: str, where: Path, difficulty: str) -> dict:
    out = where / f"{fmt}-{n}"
    cmd = [sys.executable, "-m", "generator.cli", "make", "--n", str(n), "-d", difficulty,
           "--format", fmt, "--out", str(out), "-q"]  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, *cmd], capture_output=True, text=True, check=True
    )
    seconds, max_rss_kb = done.stdout.split()
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    shutil.rmtree(out)
    return {
        "format": fmt,
        "n": n,
        "seconds": round(float(seconds), 2),
        "images_per_s": round(n / float(seconds), 1),
        "peak_rss_mb": round(int(max_rss_kb) / 1024, 1),
        "bytes_per_image": round(size / n),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", default="10000,100000", help="comma list of dataset sizes")
    parser.add_argument("--formats", default="png,webdataset,parquet")
    parser.add_argument("-d", "--difficulty", default="medium")
    parser.add_argument("--where", type=Path, default=None, help="scratch folder (default: tmp)")
    parser.add_argument("--out", type=Path, default=Path("results/perf_scale"))
    args = parser.parse_args()
    sizes = [int(v) for v in args.n.split(",")]
    formats = args.formats.split(",")
    scratch = Path(tempfile.mkdtemp(dir=args.where))
    rows = []
    try:
        for n in sizes:
            for fmt in formats:
                row = measure(n, fmt, scratch, args.difficulty)
                rows.append(row)
                print(json.dumps(row), flush=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    command = "python -m benchmark.perf_scale " + " ".join(sys.argv[1:])
    lines = [f"# {command}", f"# {time.strftime('%Y-%m-%d')}", "",
             "| format | n | seconds | images/s | peak RSS MB | bytes/image |",
             "|---|---|---|---|---|---|"]  # fmt: skip
    for r in rows:
        lines.append(
            f"| {r['format']} | {r['n']:,} | {r['seconds']} | {r['images_per_s']} | "
            f"{r['peak_rss_mb']} | {r['bytes_per_image']} |"
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(args.out.with_suffix(".txt"), "\n".join(lines) + "\n")
    atomic_write_text(
        args.out.with_suffix(".json"), json.dumps({"command": command, "rows": rows}, indent=2)
    )


if __name__ == "__main__":
    main()
