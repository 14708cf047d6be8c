"""The emulator's wall clock, which a test may move (`POST /_emulator/clock`).

Scheduled posts go live when their time comes (at least 10 minutes ahead, PROTOCOL §9):
a test that wants to see one published moves the clock past it instead of waiting. A
moved clock runs on at real speed from the instant it was set to, so that times still
advance between two requests as they would on Facebook.

Only the API's own times follow it (created and updated times, the scheduling window,
publishing due posts): the rate limiter, latency and faults measure the caller's pace
with `time.monotonic`, and stay on real time.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import UTC, datetime

# RFC 3339 section 5.6: a full date, "T", a time with optional fractions, and an
# offset ("Z" or ±HH:MM) that must be there, so that the instant is never a guess.
_RFC3339 = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})"
)


class Clock:
    """Real time, or real time moved to a chosen instant and running on from there.

    Calling it gives UNIX seconds, so it can stand wherever `time.time` did."""

    def __init__(
        self,
        wall: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._wall = wall
        self._monotonic = monotonic
        # (the instant it was set to, time.monotonic then); None: real time. Replaced
        # whole, never changed in place, so a reader on another thread sees one or
        # the other.
        self._anchor: tuple[float, float] | None = None

    def __call__(self) -> float:
        anchor = self._anchor
        if anchor is None:
            return self._wall()
        instant, since = anchor
        return instant + (self._monotonic() - since)

    def set(self, instant: float | None) -> None:
        """Move to `instant` (UNIX seconds) and run on from it; None: real time again."""
        self._anchor = None if instant is None else (instant, self._monotonic())

    @property
    def offset(self) -> float | None:
        """Seconds ahead of real time (negative: behind); None when it is real time."""
        if self._anchor is None:
            return None
        return self() - self._wall()


def parse_rfc3339(text: str) -> float:
    """An RFC 3339 instant with its offset, as UNIX seconds; ValueError otherwise."""
    if not _RFC3339.fullmatch(text):
        raise ValueError(f"not an RFC 3339 instant with an offset: {text!r}")
    moment = datetime.fromisoformat(text.upper().replace("Z", "+00:00"))
    return moment.timestamp()


def format_rfc3339(unix: float) -> str:
    """`2026-01-01T12:00:00Z`: UTC, to the second, as the emulator's times are."""
    return datetime.fromtimestamp(int(unix), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
