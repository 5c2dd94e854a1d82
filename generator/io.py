"""Atomic file writes: a reader (or a resumed run) never sees a half-written file.

Every file the project publishes goes through ``atomic_writer`` (or its two shorthands), so they
all get the same permissions (0666 minus the umask, not mkstemp's 0600), the same temporary naming
(``.NAME.XXXX.tmp`` beside the target, unique per writer, so concurrent writers never touch each
other's temporaries) and the same error message naming the path when the disk is full.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO


def _file_mode() -> int:
    # mkstemp creates 0600 files; published files get the usual 0666 minus the umask.
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


@contextlib.contextmanager
def atomic_writer(path: str | Path) -> Iterator[BinaryIO]:
    """Yield a binary file; on a clean exit it replaces ``path`` in one step, on any error (or
    interrupt) the temporary is removed and ``path`` is untouched. ``fh.name`` is the
    temporary's path."""
    path = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as err:
        raise OSError(err.errno, err.strerror, str(path)) from None
    try:
        # Opened by name so ``fh.name`` is the temporary's path (pack memory-maps it).
        os.close(fd)
        with open(tmp, "wb") as fh:
            yield fh
            os.fchmod(fh.fileno(), _file_mode())
        os.replace(tmp, path)
    except OSError as err:
        Path(tmp).unlink(missing_ok=True)
        # "No space left on device" carries no file name when it comes from write(): add it.
        raise OSError(err.errno, err.strerror, err.filename or str(path)) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary sibling and ``os.replace`` (atomic on POSIX)."""
    with atomic_writer(path) as fh:
        fh.write(data)


def atomic_write_text(path: str | Path, text: str) -> None:
    atomic_write_bytes(path, text.encode())


def stale_temporaries(folder: Path) -> list[Path]:
    """Temporaries of ``atomic_writer`` in ``folder`` (left by a killed writer, or in flight)."""
    try:
        return sorted(p for p in folder.iterdir() if p.name.startswith(".") and ".tmp" in p.name)
    except FileNotFoundError:
        return []


def remove_stale_temporaries(folder: Path) -> int:
    """Delete temporaries left by a killed writer; returns how many were removed. Only call this
    while holding the lock that proves no other writer is active (generator.lock)."""
    removed = 0
    for tmp in stale_temporaries(folder):
        tmp.unlink(missing_ok=True)
        removed += 1
    return removed
