"""Stopping a training run on request without losing its work.

A run killed between two validations used to lose every step since the last one (``--resume``
restarts from the last saved state). Under ``StopRequests`` the first SIGINT or SIGTERM only
asks: the trainer finishes the step under way, saves its state at that step and stops, so
``--resume`` continues exactly there. A second signal stops at once, as before.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator

from generator.cliutil import EXIT_INTERRUPTED
from generator.errors import UserError

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class TrainingStopped(UserError):
    """A run stopped on request with its state saved: one line, exit 130 like any interrupt."""

    exit_code = EXIT_INTERRUPTED


class StopRequests:
    """Within ``with``: SIGINT/SIGTERM set ``signal_name`` instead of ending the process.

    Signal handlers can only be set from the main thread; anywhere else (a test runner's
    thread, a notebook's worker) this does nothing and the signals keep their usual effect."""

    def __init__(self) -> None:
        self.signal_name: str | None = None
        self._previous: dict[int, object] = {}

    def __enter__(self) -> StopRequests:
        if threading.current_thread() is threading.main_thread():
            for sig in SIGNALS:
                self._previous[sig] = signal.signal(sig, self._request)
        return self

    def __exit__(self, *exc: object) -> None:
        self._restore()

    def _restore(self) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous.clear()

    def _request(self, signum: int, frame: object) -> None:
        if self.signal_name is not None:  # asked twice: stop now, the way it would have
            self._restore()
            raise KeyboardInterrupt
        self.signal_name = signal.Signals(signum).name
        # The same signal sent to the process group ends the render workers, and torch's
        # SIGCHLD handler would report that by raising wherever the trainer happens to be (in
        # the middle of saving, or of an import). The run is stopping: let workers end quietly.
        # __exit__ puts torch's handler back, after the trainer has shut its workers down.
        if hasattr(signal, "SIGCHLD"):
            self._previous.setdefault(signal.SIGCHLD, signal.signal(signal.SIGCHLD, signal.SIG_DFL))


@contextlib.contextmanager
def how_to_continue(hint: str) -> Iterator[None]:
    """A CLI's words for going on, added to a TrainingStopped raised within: the trainer knows
    only that its state is saved, the command knows how its user resumes it."""
    try:
        yield
    except TrainingStopped as stopped:
        raise TrainingStopped(f"{stopped}: {hint}") from None
