"""Test controls that shape API behaviour: fault rules, rate limits, stats.

These live apart from the APIs (set only through `/_emulator/`), so that a test can make
the emulator fail the way Facebook fails without the APIs ever knowing about tests.
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

ACTIONS = frozenset({"error", "drop", "commit_then_error", "commit_then_drop"})
# PROTOCOL §4: page quota 4,800 calls per rolling 24 h; used for the usage headers
# when no budget was set through /_emulator/rate-limit.
NOMINAL_PAGE_CALLS = 4800
NOMINAL_WINDOW_S = 24 * 3600


class ControlError(ValueError):
    """A bad control request; answered as 400 with this message."""


@dataclass(slots=True)
class FaultRule:
    path: re.Pattern[str]
    action: str
    method: str | None
    status: int | None  # None: the API's transient error status
    code: int | None  # None: the API's transient error code
    times: int | None  # None: every matching request after `skip`
    skip: int
    seen: int = 0
    hits: int = 0

    @property
    def writes(self) -> bool:
        return self.action.startswith("commit_then_")

    @property
    def drops(self) -> bool:
        return self.action.endswith("drop")


def parse_rules(raw: Any) -> list[FaultRule]:
    """Validate `{"rules": [...]}` strictly: a typo in a test's rule must not pass."""
    if not isinstance(raw, Mapping) or not isinstance(raw.get("rules"), list):
        raise ControlError('expected {"rules": [...]}')
    rules = []
    for index, item in enumerate(raw["rules"]):
        where = f"rules[{index}]"
        if not isinstance(item, Mapping):
            raise ControlError(f"{where}: must be an object")
        unknown = set(item) - {
            "method",
            "path",
            "action",
            "status",
            "code",
            "times",
            "skip",
        }
        if unknown:
            raise ControlError(f"{where}: unknown keys {sorted(unknown)}")
        action = item.get("action")
        if action not in ACTIONS:
            raise ControlError(f"{where}.action: one of {sorted(ACTIONS)}")
        try:
            path = re.compile(str(item.get("path", "")))
        except re.error as exc:
            raise ControlError(f"{where}.path: bad regular expression: {exc}") from exc
        method = item.get("method")
        if method is not None and not isinstance(method, str):
            raise ControlError(f"{where}.method: must be a string")
        for key in ("status", "code", "skip", "times"):
            value = item.get(key)
            if value is not None and (
                not isinstance(value, int) or isinstance(value, bool)
            ):
                raise ControlError(f"{where}.{key}: must be an integer")
        rules.append(
            FaultRule(
                path=path,
                action=action,
                method=method.upper() if method else None,
                status=item.get("status"),
                code=item.get("code"),
                times=item.get("times", 1),
                skip=item.get("skip", 0) or 0,
            )
        )
    return rules


class Faults:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []

    def set_rules(self, rules: Sequence[FaultRule]) -> None:
        with self._lock:
            self._rules = list(rules)

    def match(self, method: str, path: str) -> FaultRule | None:
        """The rule that hits this request, counting `skip` and `times` on the way."""
        if not self._rules:  # the usual case, known without the lock (set whole)
            return None
        with self._lock:
            for rule in self._rules:
                if rule.method not in (None, method) or not rule.path.search(path):
                    continue
                rule.seen += 1
                if rule.seen <= rule.skip:
                    continue
                if rule.times is not None and rule.hits >= rule.times:
                    continue
                rule.hits += 1
                return rule
            return None


@dataclass(frozen=True, slots=True)
class Usage:
    percent: int  # of the budget used in the current window, may exceed 100
    regain_minutes: int  # PROTOCOL §4: estimated_time_to_regain_access is in minutes


# The app's usage and each page's (page id, percent, minutes to regain access).
UsageState = tuple[int, tuple[tuple[str, int, int], ...]]


class RateLimiter:
    """A per-page call budget over a rolling window (PROTOCOL §4).

    Work per call does not grow with the number of pages: every admitted call is
    also queued in one window-wide deque, so expiry is the front of that queue, and
    X-App-Usage (the busiest page) comes from a count of pages per call count, which
    moves by one as a call is admitted or expires.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        self._calls: dict[str, deque[float]] = {}  # per page, oldest first
        self._window_calls: deque[tuple[float, str]] = deque()  # every page's
        self._pages_with: dict[int, int] = {}  # call count -> pages with it
        self._busiest = 0
        self._budget: int | None = None
        self._window = float(NOMINAL_WINDOW_S)

    def configure(self, budget: int | None, window_s: float) -> None:
        with self._lock:
            self._budget = budget
            self._window = window_s if budget is not None else float(NOMINAL_WINDOW_S)
            self._calls.clear()
            self._window_calls.clear()
            self._pages_with.clear()
            self._busiest = 0

    def _expire(self, now: float) -> None:
        """Forget the calls that have left the window, oldest first."""
        horizon = now - self._window
        queue = self._window_calls
        while queue and queue[0][0] <= horizon:
            _, page_id = queue.popleft()
            calls = self._calls[page_id]
            calls.popleft()
            self._move(len(calls) + 1, len(calls))

    def _move(self, before: int, after: int) -> None:
        """One page's call count went from ``before`` to ``after`` (one apart)."""
        pages_with = self._pages_with
        if before:
            pages_with[before] -= 1
        if after:
            pages_with[after] = pages_with.get(after, 0) + 1
        if after > self._busiest:
            self._busiest = after
        elif before == self._busiest and not pages_with[before]:
            self._busiest = after  # no page is left at the old maximum

    def admit(self, page_id: str) -> bool:
        """Count one call on the page; False (and not counted) when over budget."""
        with self._lock:
            now = self._clock()
            self._expire(now)
            calls = self._calls.get(page_id)
            if calls is None:
                calls = self._calls[page_id] = deque()
            if self._budget is not None and len(calls) >= self._budget:
                return False
            calls.append(now)
            self._window_calls.append((now, page_id))
            self._move(len(calls) - 1, len(calls))
            return True

    def usage(self, page_id: str) -> Usage:
        return self.usages((page_id,))[1][0]

    def app_usage(self) -> int:
        """X-App-Usage: the busiest page's share, so the two headers agree."""
        return self.usages(())[0]

    def usages(self, page_ids: Sequence[str]) -> tuple[int, tuple[Usage, ...]]:
        """The app's usage and each page's, at one instant (one reply's headers)."""
        app, pages = self.usage_state(page_ids)
        return app, tuple(Usage(percent, regain) for _, percent, regain in pages)

    def usage_state(self, page_ids: Sequence[str]) -> UsageState:
        """`usages` as plain values, `(app, ((page_id, percent, regain_minutes), ...))`:
        what a reply's usage headers are made of, and the key their text is kept
        under; worked out for every reply and batch item, so kept to tuples."""
        with self._lock:
            now = self._clock()
            self._expire(now)
            budget = self._budget if self._budget is not None else NOMINAL_PAGE_CALLS
            app = math.ceil(self._busiest * 100 / budget) if budget else 100
            return app, tuple(
                [self._usage(page_id, now, budget) for page_id in page_ids]
            )

    def _usage(self, page_id: str, now: float, budget: int) -> tuple[str, int, int]:
        calls = self._calls.get(page_id) or ()
        percent = math.ceil(len(calls) * 100 / budget) if budget else 100
        regain = 0
        if self._budget is not None and len(calls) >= self._budget and calls:
            regain = max(1, math.ceil((calls[0] + self._window - now) / 60))
        return page_id, percent, regain


class Stats:
    """API requests since the last reset, counted on arrival."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._routes: Counter[tuple[str, str, bool]] = Counter()
        self._total = 0

    def count(self, method: str, route: str, *, in_batch: bool = False) -> None:
        with self._lock:
            self._routes[(method, route, in_batch)] += 1
            if not in_batch:
                self._total += 1

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            routes = []
            for (method, route, in_batch), count in sorted(self._routes.items()):
                entry: dict[str, Any] = {
                    "method": method,
                    "route": route,
                    "count": count,
                }
                if in_batch:
                    entry["in_batch"] = True
                routes.append(entry)
            return {"total": self._total, "routes": routes}
