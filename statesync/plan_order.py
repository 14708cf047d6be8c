"""Apply's result lines in the plan's order, although parallel pages finish in any order.

A reader follows each page in the order the reviewed plan showed it: a line waits until
every action before it in the plan has completed; at the end of the apply (finished,
failed or stopped) what is left is printed, still in plan order.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from statesync.applier import Outcome
from statesync.plan import Plan


class InPlanOrder:
    def __init__(self, plan: Plan, echo: Callable[[str], None]) -> None:
        self._index = {id(action): n for n, action in enumerate(plan.actions)}
        self._echo = echo
        self._waiting: dict[int, Outcome] = {}
        self._next = 0
        # Reentrant: a signal handler may flush while the main thread is adding.
        self._lock = threading.RLock()

    def add(self, outcome: Outcome) -> None:
        with self._lock:
            self._waiting[self._index[id(outcome.action)]] = outcome
            while self._next in self._waiting:
                self._echo(self._waiting.pop(self._next).describe())
                self._next += 1

    def flush(self) -> None:
        """Print every completed line still waiting for an earlier one."""
        with self._lock:
            for index in sorted(self._waiting):
                self._echo(self._waiting.pop(index).describe())
