"""SIGINT and SIGTERM, as CI sends them: stop starting work, tell what happened, exit.

GitHub Actions cancels a job with SIGINT, then SIGTERM about 7.5 s later, then SIGKILL.
Before any write, a signal simply interrupts (``Interrupted``, exit 130 or 143, nothing
was sent). While actions run, the first signal stops new ones from starting and lets
those in flight finish (each is recorded as it completes); a second signal exits at
once. Either way the lockfile on disk already holds every completed action and an
intent for every push in flight (it is saved after each change), so even the SIGKILL
that may follow loses nothing.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from types import FrameType

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupted(BaseException):
    """A signal arrived before any write: unwind, say so, exit 128 + signal.

    A ``BaseException`` like ``KeyboardInterrupt``, so that no ``except Exception``
    on the way up mistakes it for an error to report or retry."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        super().__init__(signal.Signals(signum).name)

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


class StopSignal:
    """What the handler does: raise ``Interrupted`` (before writes), or stop the
    apply and, on a second signal, exit at once (while writing)."""

    def __init__(self) -> None:
        self.event = threading.Event()  # set by the first signal while draining
        self.signum: int | None = None
        self._draining = False
        self._on_first: Callable[[int], None] = lambda signum: None
        self._on_second: Callable[[int], None] = lambda signum: None

    @contextmanager
    def draining(
        self,
        on_first: Callable[[int], None],
        on_second: Callable[[int], None],
    ) -> Iterator[threading.Event]:
        """While the body runs, a signal sets the yielded event instead of raising;
        ``on_second`` should print and end the process."""
        self._on_first, self._on_second = on_first, on_second
        self._draining = True
        try:
            yield self.event
        finally:
            self._draining = False

    def handle(self, signum: int, frame: FrameType | None) -> None:
        if not self._draining:
            raise Interrupted(signum)
        if self.signum is None:
            self.signum = signum
            self.event.set()
            self._on_first(signum)
        else:
            self._on_second(signum)


@contextmanager
def stop_signals() -> Iterator[StopSignal]:
    """Handle SIGINT and SIGTERM in this block (main thread only; elsewhere the
    defaults stay, as Python allows handlers in the main thread alone)."""
    stop = StopSignal()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return
    previous = {signum: signal.signal(signum, stop.handle) for signum in SIGNALS}
    try:
        yield stop
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def exit_now(code: int) -> None:
    """End the process without waiting for threads stuck in a request: everything
    worth keeping is already on disk. Flushes what was printed first."""
    for stream in (sys.stdout, sys.stderr):
        with suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)


def signal_name(signum: int) -> str:
    return signal.Signals(signum).name
