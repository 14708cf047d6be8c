"""Slowing down before the Graph API's rate budget runs out (issue 8, PROTOCOL §4).

Every Graph reply may carry usage headers: ``X-App-Usage`` (the app's budget),
``X-Business-Use-Case-Usage`` (one entry per business object, a Page for Page tokens)
and the legacy ``X-Page-Usage``. Each figure is a whole percentage of a budget; at 100
calls are refused (codes 4, 32, 80001) for up to an hour or more. A ``Pacer`` remembers
the latest figures and, once one reaches ``threshold``, waits before the next call on
the same budget, longer as usage nears 100%, so that the budget recovers (its windows
roll) instead of running out. A missing header is no information, not zero usage
("headers appear only once enough calls were made"): a figure is only replaced by a
newer one, never reset by silence.

Thread-safe: parallel reads share one pacer per provider.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from statesync.providers.deadline import paused

logger = logging.getLogger(__name__)

APP = "app"  # the key of X-App-Usage, which every call spends
_FIGURES = ("call_count", "total_time", "total_cputime")


@dataclass(frozen=True, slots=True)
class Usage:
    """The highest usage figures of one reply: the app's, and per business object."""

    app: float | None = None  # X-App-Usage
    objects: Mapping[str, float] = field(default_factory=dict)  # by business id
    page: float | None = None  # X-Page-Usage: the page the call was about


def usage_from_headers(headers: Mapping[str, str]) -> Usage | None:
    """The usage a reply reports, or None when it carries no readable usage header."""
    app = _highest(_json(headers.get("x-app-usage")))
    page = _highest(_json(headers.get("x-page-usage")))
    objects: dict[str, float] = {}
    buc = _json(headers.get("x-business-use-case-usage"))
    if isinstance(buc, dict):
        for object_id, entries in buc.items():
            if not isinstance(entries, list):
                continue
            figures = [_highest(entry) for entry in entries]
            known = [f for f in figures if f is not None]
            if known:
                objects[str(object_id)] = max(known)
    if app is None and page is None and not objects:
        return None
    return Usage(app=app, objects=objects, page=page)


@dataclass(frozen=True, slots=True)
class PacingPolicy:
    threshold: float = 75.0  # percent of a budget from which calls slow down
    max_delay_s: float = 30.0  # the delay at 100% and beyond

    def delay_s(self, percent: float) -> float:
        """No delay below the threshold; then growing with the square of how far
        usage has gone towards 100%, up to ``max_delay_s``."""
        if percent < self.threshold:
            return 0.0
        span = max(100.0 - self.threshold, 1e-9)
        share = min((percent - self.threshold) / span, 1.0)
        return self.max_delay_s * share * share


class Pacer:
    """Latest usage per budget, and the wait it calls for before the next call."""

    def __init__(
        self,
        policy: PacingPolicy | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.policy = policy or PacingPolicy()
        self._sleep = sleep
        self._lock = threading.Lock()
        self._percent: dict[str, float] = {}  # APP, or a page / business object id

    def observe(self, headers: Mapping[str, str], page_id: str | None = None) -> None:
        """Remember what a reply says (replies without usage headers change nothing)."""
        usage = usage_from_headers(headers)
        if usage is not None:
            self.record(usage, page_id)

    def record(self, usage: Usage, page_id: str | None = None) -> None:
        """Remember usage already decoded (a batch's, once for all its items)."""
        with self._lock:
            if usage.app is not None:
                self._percent[APP] = usage.app
            self._percent.update(usage.objects)
            if usage.page is not None and page_id is not None:
                self._percent[page_id] = max(
                    usage.page, usage.objects.get(page_id, 0.0)
                )

    def usage(self, page_id: str | None = None) -> float | None:
        """The highest known usage that a call on ``page_id`` spends from."""
        with self._lock:
            known = [
                self._percent[key]
                for key in (APP, page_id)
                if key is not None and key in self._percent
            ]
        return max(known) if known else None

    def delay_s(self, page_id: str | None = None) -> float:
        percent = self.usage(page_id)
        return 0.0 if percent is None else self.policy.delay_s(percent)

    def wait(self, page_id: str | None = None) -> None:
        """Sleep as long as the usage of the call's budgets calls for."""
        delay = self.delay_s(page_id)
        if delay > 0:
            logger.info(
                "rate budget %.0f%% used: waiting %.1f s before the next call%s",
                self.usage(page_id) or 0.0,
                delay,
                f" on page {page_id}" if page_id else "",
            )
            with paused():  # the API asked for it: not the request's time to answer
                self._sleep(delay)


def _json(raw: str | None) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


def _highest(entry: Any) -> float | None:
    """The highest of call_count, total_time and total_cputime, if any is a number."""
    if not isinstance(entry, dict):
        return None
    figures = [float(entry[key]) for key in _FIGURES if _is_number(entry.get(key))]
    return max(figures) if figures else None


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
