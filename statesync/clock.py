"""The one source of "now": the system clock, or the instant in ``STATESYNC_NOW``.

Tests, demos and the sandbox move time instead of waiting for it: with
``STATESYNC_NOW=2026-12-01T08:00:00Z`` every decision statesync makes about time (what
is due, what has expired, when an intent was sent) is made as if it were that instant,
and the clock runs on from there, so that waits inside a run still end.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

from statesync.errors import ConfigError
from statesync.post_times import LAST_INSTANT
from statesync.times import TimeProblem, parse_instant

NOW_ENV = "STATESYNC_NOW"

Clock = Callable[[], float]


def clock_from(environ: Mapping[str, str]) -> Clock:
    """``time.time``, or a clock that reads ``STATESYNC_NOW`` at this call and runs
    on at real speed. A value that is not an RFC 3339 instant with an offset is a
    ``ConfigError``, before anything is sent."""
    text = environ.get(NOW_ENV, "").strip()
    if not text:
        return time.time
    try:
        if text[-1] not in "zZ" and "+" not in text[10:] and "-" not in text[10:]:
            raise TimeProblem("it has no offset")
        start = parse_instant(text)
        if not 0 <= start < LAST_INSTANT:
            raise TimeProblem("it is before 1970 or after 6324")
    except TimeProblem as problem:
        raise ConfigError(
            f"{NOW_ENV} must be an RFC 3339 instant with an offset, such as "
            f"2026-12-01T08:00:00Z ({problem})"
        ) from None
    began = time.monotonic()
    return lambda: start + (time.monotonic() - began)
