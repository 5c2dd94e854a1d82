"""One progress helper for every long command: a tqdm bar on a terminal, and in a log (stderr piped
to a file, Slurm, Kubernetes, CI) a plain line at a steady interval with the rate and ETA, so a
job that runs for hours is never silent until it ends.

    with Progress(total=n, unit="img", desc="medium") as bar:
        bar.update(k)                      # k more done
        bar.set_fields(loss=0.31, val=0.9)  # shown on the bar and in the log lines
"""

from __future__ import annotations

import os
import sys
import time
from typing import TextIO

DEFAULT_INTERVAL = 30.0  # seconds between log lines; CAPTCHABENCH_PROGRESS_INTERVAL overrides


def _interval() -> float:
    try:
        return max(0.0, float(os.environ.get("CAPTCHABENCH_PROGRESS_INTERVAL", DEFAULT_INTERVAL)))
    except ValueError:
        return DEFAULT_INTERVAL


def _duration(seconds: float) -> str:
    seconds = round(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


class Progress:
    def __init__(
        self,
        total: int | None,
        *,
        unit: str = "it",
        desc: str = "",
        initial: int = 0,
        disable: bool = False,
        stream: TextIO | None = None,
        interval: float | None = None,
    ) -> None:
        self.total = total
        self.unit = unit
        self.desc = desc
        self.n = initial
        self._start_n = initial
        self.disable = disable
        self.stream = stream or sys.stderr
        self.interval = _interval() if interval is None else interval
        self.fields: dict[str, object] = {}
        self._bar = None
        self._t0 = time.monotonic()
        self._last_line = self._t0
        if not disable and self.stream.isatty():
            from tqdm import tqdm

            self._bar = tqdm(
                total=total, initial=initial, unit=unit, desc=desc or None, file=self.stream
            )

    def update(self, k: int = 1) -> None:
        self.n += k
        if self._bar is not None:
            self._bar.update(k)
        elif not self.disable and time.monotonic() - self._last_line >= self.interval:
            self._log_line()

    def set_fields(self, **fields: object) -> None:
        self.fields.update(fields)
        if self._bar is not None:
            self._bar.set_postfix({k: _fmt(v) for k, v in self.fields.items()}, refresh=False)

    def _log_line(self, final: bool = False) -> None:
        now = time.monotonic()
        self._last_line = now
        elapsed = now - self._t0
        done = self.n - self._start_n
        rate = done / elapsed if elapsed > 0 else 0.0
        parts = [self.desc or "progress"]
        parts.append(
            f"{self.n}/{self.total} {self.unit}" if self.total else f"{self.n} {self.unit}"
        )
        if self.total:
            parts.append(f"{100 * self.n / self.total:.1f}%")
        parts.append(f"{rate:.1f} {self.unit}/s")
        parts.append(f"elapsed {_duration(elapsed)}")
        if self.total and rate > 0 and not final:
            parts.append(f"ETA {_duration((self.total - self.n) / rate)}")
        parts += [f"{k} {_fmt(v)}" for k, v in self.fields.items()]
        print(" | ".join(parts), file=self.stream, flush=True)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        elif not self.disable and self.n > self._start_n:
            self._log_line(final=True)
        self.disable = True

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _fmt(value: object) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)
