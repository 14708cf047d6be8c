"""When a failed provider call is tried again, how long to wait, and when to stop.

One policy for both providers, applied at their single HTTP seam. Each provider says
what a failure means (``Failure``: transient or not, maybe carried out or not, how long
until access returns); the policy decides by the kind of call:

    kind     transient,         transient,           not transient,       refused
             not carried out    maybe carried out    maybe carried out
    READ     retry              retry                raise                raise
    UPDATE   retry              retry (sets fields)  raise                raise
    DELETE   retry              retry (gone = done)  raise                raise
    PUSH     retry              PushOutcomeUnknown   PushOutcomeUnknown   raise

A push is never blindly retried, nor taken as refused unless the answer proves it
(PROTOCOL §3: a failed write may have happened anyway; issue 19: a redirect, an HTML
page, a cut body, a timeout are no proof). It is retried only when its request
certainly did not reach the API (connection refused, connect timeout) or was refused
by a rate limit, which the API checks before doing anything; it is raised as refused
only on the API's own error envelope saying so. Anything else is an unknown outcome,
which the applier settles by listing the page.

Waits are exponential backoff with full jitter (tenacity's ``wait_random_exponential``),
bounded in attempts and in total time. ``max_total_s`` bounds the whole call, the time
inside attempts included: each attempt runs under a deadline of what is left of it
(statesync/providers/deadline.py), so a slow server cannot stretch it. A time to regain
access announced by the API (PROTOCOL §4, issue 8) is waited out instead, if it is no
longer than ``max_wait_s``; a longer one stops at once, with the error that says when
access returns. Such a wait does not count against ``max_total_s``: that bound is for
guessing, not for the API's own instructions. Sleep and clock are injected, so tests
never really wait.
"""

from __future__ import annotations

import enum
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from tenacity import RetryCallState, Retrying, wait_random_exponential

from statesync.errors import ProviderError
from statesync.providers.base import PushOutcomeUnknown
from statesync.providers.deadline import allowance_s, bounded_by

logger = logging.getLogger(__name__)

T = TypeVar("T")


class CallKind(enum.Enum):
    READ = "read"  # GET, batch reads, listings, page-token lookups
    UPDATE = "update"  # idempotent: it sets every in-place field
    DELETE = "delete"  # a retry after a lost success finds the post gone: done
    PUSH = "push"  # creates a post: never repeated if it may have happened
    # Creates an unpublished media: repeated after a lost answer, since a copy left
    # behind is seen by nobody (Facebook shows only what a post attaches).
    UPLOAD = "upload"


@dataclass(frozen=True, slots=True)
class Failure:
    """What a failed attempt means for trying again."""

    is_transient: bool  # the same request may succeed later
    maybe_done: bool = True  # the API may have carried the request out
    regain_s: float | None = None  # the API's estimate of when access returns


Classify = Callable[[ProviderError], Failure]

# Not retried, and not proof that nothing was done: a push ends as an unknown outcome.
FATAL = Failure(is_transient=False)
# The API's own answer says it refused the request: nothing was done.
REFUSED = Failure(is_transient=False, maybe_done=False)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Bounds and clocks of retrying; the defaults suit the real APIs."""

    attempts: int = 5  # in all, the first included
    # The whole call, attempts included, API-prescribed waits aside; 0: no retrying,
    # the one attempt bounded by its request's own deadline only.
    max_total_s: float = 60.0
    base_s: float = 0.5  # first backoff window; doubled after each failure
    max_backoff_s: float = 20.0  # the widest backoff window
    max_wait_s: float = 300.0  # the longest time-to-regain-access waited out
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("a retry policy needs at least one attempt")
        if min(self.max_total_s, self.base_s, self.max_backoff_s, self.max_wait_s) < 0:
            raise ValueError("retry bounds cannot be negative")

    def backoff_window_s(self, failures: int) -> float:
        """The upper bound of the jittered wait after ``failures`` failed attempts."""
        return float(min(self.max_backoff_s, self.base_s * 2 ** max(failures - 1, 0)))

    def call(
        self,
        attempt: Callable[[], T],
        *,
        kind: CallKind,
        classify: Classify,
        target: str,
    ) -> T:
        """``attempt()``'s result, retried as the table above says.

        Raises the last ``ProviderError``, or ``PushOutcomeUnknown`` for a push that
        may have been carried out. Anything that is not a ``ProviderError`` is a bug
        and passes through untouched.
        """
        run = _Run(self, kind, classify, target)
        retrying = Retrying(
            sleep=self.sleep,
            retry=run.should_retry,
            wait=run.wait,
            stop=run.stop,
            before_sleep=run.log,
            reraise=True,
        )
        try:
            result: T = retrying(run.bounded, attempt)
            return result
        except ProviderError as exc:
            failure = run.failure or classify(exc)
            if kind is CallKind.PUSH and failure.maybe_done:
                # PROTOCOL §3: only a proven refusal or a request never sent means
                # nothing was published; anything else is settled by listing.
                raise outcome_unknown(exc) from exc
            raise


def outcome_unknown(error: ProviderError) -> PushOutcomeUnknown:
    """The push behind ``error`` may have published the post (PROTOCOL §3)."""
    if isinstance(error, PushOutcomeUnknown):
        return error
    return PushOutcomeUnknown(
        error.message,
        target=error.target,
        status=error.status,
        code=error.code,
        remedy="the post may have been published anyway: statesync looks at the "
        "page's recent posts before pushing it again",
    )


class _Run:
    """The state of one ``RetryPolicy.call``: when it started, what failed last."""

    def __init__(
        self, policy: RetryPolicy, kind: CallKind, classify: Classify, target: str
    ) -> None:
        self.policy = policy
        self.kind = kind
        self.classify = classify
        self.target = target
        self.started = policy.clock()
        self.prescribed_s = 0.0  # waits the API asked for, outside max_total_s
        self.failure: Failure | None = None
        self._jitter = wait_random_exponential(
            multiplier=policy.base_s, max=policy.max_backoff_s
        )
        self._sleep_for: tuple[int, float, bool] = (0, 0.0, False)  # attempt, s, ...

    def should_retry(self, state: RetryCallState) -> bool:
        error = state.outcome.exception() if state.outcome is not None else None
        if not isinstance(error, ProviderError):
            self.failure = None
            return False
        failure = self.failure = self.classify(error)
        if not failure.is_transient:
            return False
        if self.kind is CallKind.PUSH and failure.maybe_done:
            return False
        if failure.regain_s is not None and failure.regain_s > self.policy.max_wait_s:
            logger.info(
                "%s: access returns in about %s, later than the %s statesync waits",
                self.target,
                _duration(failure.regain_s),
                _duration(self.policy.max_wait_s),
            )
            return False
        return True

    def wait(self, state: RetryCallState) -> float:
        return self._next_sleep(state)[0]

    def stop(self, state: RetryCallState) -> bool:
        if state.attempt_number >= self.policy.attempts:
            return True
        upcoming, prescribed = self._next_sleep(state)
        if prescribed:  # bounded by max_wait_s (should_retry), not by max_total_s
            self.prescribed_s += upcoming
            return False
        return self.elapsed_s() + upcoming >= self.total_s()

    def total_s(self) -> float:
        """``max_total_s``, widened for an upload (deadline.allowing); 0: no bound."""
        total = self.policy.max_total_s
        return max(total, allowance_s()) if total > 0 else total

    def elapsed_s(self) -> float:
        """Time spent on the call so far, the API's prescribed waits aside."""
        return self.policy.clock() - self.started - self.prescribed_s

    def bounded(self, attempt: Callable[[], T]) -> T:
        """``attempt()`` under a deadline of what is left of ``max_total_s``, so that
        the bound holds even while a slow server keeps an attempt going."""
        total = self.total_s()
        left = total - self.elapsed_s() if total > 0 else None
        with bounded_by(left):
            return attempt()

    def _next_sleep(self, state: RetryCallState) -> tuple[float, bool]:
        """The wait before the next attempt, and whether the API prescribed it;
        computed once per attempt, whichever of ``wait`` and ``stop`` tenacity asks
        first (8.2 asks ``stop`` first, 9 ``wait``)."""
        if self._sleep_for[0] != state.attempt_number:
            regain = self.failure.regain_s if self.failure is not None else None
            if regain is not None and regain > 0:
                self._sleep_for = (state.attempt_number, regain, True)
            else:
                jitter = float(self._jitter(state))
                self._sleep_for = (state.attempt_number, jitter, False)
        _, seconds, prescribed = self._sleep_for
        return seconds, prescribed

    def log(self, state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome is not None else None
        # ProviderError text is built by the providers from redacted fields only.
        logger.info(
            "%s: %s; retrying in %.1f s (attempt %d of %d)",
            self.target,
            error.message if isinstance(error, ProviderError) else "failed",
            self._next_sleep(state)[0],
            state.attempt_number + 1,
            self.policy.attempts,
        )


def _duration(seconds: float) -> str:
    if seconds >= 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds:.0f} s"
