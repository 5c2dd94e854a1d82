"""Advisory locks (POSIX ``flock``) that keep concurrent writers of one directory apart.

``flock`` locks belong to an open file, so the kernel drops them when every process holding the
file dies, SIGKILL included: a crashed writer never leaves a stale lock behind. Forked workers
inherit the lock, so a writer's orphaned workers keep holding it until they finish.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path


class Lock:
    """One lock file. ``acquire`` takes it shared or exclusive, waiting or not."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def acquire(self, *, shared: bool = False, wait: bool = True) -> bool:
        """True once held; False if ``wait`` is off and another process holds it."""
        if self._fd is None:
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
        mode = fcntl.LOCK_SH if shared else fcntl.LOCK_EX
        try:
            fcntl.flock(self._fd, mode | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            return False
        return True

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing drops the lock
            self._fd = None

    def __enter__(self) -> Lock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


@contextlib.contextmanager
def held(path: Path) -> Iterator[Lock]:
    """Exclusive, waiting: for short critical sections (set-up, finalising)."""
    lock = Lock(path)
    lock.acquire()
    try:
        yield lock
    finally:
        lock.release()
