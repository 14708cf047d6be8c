"""The retry policy and the pacer, as pure code: a fake clock, sleeps recorded, no server.

Which failures retry (per provider and per kind of call), how long the backoff waits,
the bounds in attempts and total time, the regain-time rules (PROTOCOL §3, §4), and the
pacing decision from recorded usage headers (issue 8).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable

import httpx
import pytest

from statesync.errors import ProviderError
from statesync.providers.base import PushOutcomeUnknown
from statesync.providers.deadline import time_left
from statesync.providers.graph_errors import (
    GraphError,
    GraphUnreachable,
    error_from_envelope,
    error_not_json,
    error_redirect,
    failure_of,
)
from statesync.providers.http import transport_failure
from statesync.providers.oneall_errors import OneAllError, OneAllUnreachable
from statesync.providers.oneall_errors import failure_of as oneall_failure_of
from statesync.providers.pacing import Pacer, PacingPolicy, usage_from_headers
from statesync.providers.retry import FATAL, REFUSED, CallKind, Failure, RetryPolicy

TARGET = "POST /104510075301234/feed"


class FakeTime:
    """A clock that only sleeps move, and attempts that take time of their own."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def fake() -> FakeTime:
    return FakeTime()


def policy(fake: FakeTime, **bounds: float) -> RetryPolicy:
    return RetryPolicy(sleep=fake.sleep, clock=fake.clock, **bounds)  # type: ignore[arg-type]


def failing(
    *errors: BaseException, result: str = "ok"
) -> tuple[Callable[[], str], list[int]]:
    """An attempt that raises ``errors`` in turn, then returns ``result``."""
    calls: list[int] = []

    def attempt() -> str:
        calls.append(1)
        if len(calls) <= len(errors):
            raise errors[len(calls) - 1]
        return result

    return attempt, calls


TRANSIENT = Failure(is_transient=True, maybe_done=True)
NOT_SENT = Failure(is_transient=True, maybe_done=False)


def classify_as(failure: Failure) -> Callable[[ProviderError], Failure]:
    return lambda error: failure


def error(message: str = "An unexpected error has occurred") -> ProviderError:
    return ProviderError(message, target=TARGET, status=500, code=2)


# Which errors retry


@pytest.mark.parametrize("code", [1, 2, 4, 17, 32, 341, 613, 80001])
def test_graph_transient_and_rate_limit_codes_retry(code: int) -> None:
    failure = failure_of(GraphError("x", target=TARGET, status=400, code=code))
    assert failure.is_transient


@pytest.mark.parametrize("code", [4, 17, 32, 341, 613, 80001])
def test_graph_rate_limits_were_not_carried_out(code: int) -> None:
    failure = failure_of(GraphError("x", target=TARGET, status=400, code=code))
    assert failure == Failure(is_transient=True, maybe_done=False)


def test_graph_80001_waits_the_regain_time_in_seconds() -> None:
    refused = GraphError("x", target=TARGET, code=80001, regain_minutes=7)
    assert failure_of(refused).regain_s == 420


@pytest.mark.parametrize("code", [1, 2])
def test_graph_unknown_errors_may_have_been_carried_out(code: int) -> None:
    failure = failure_of(GraphError("x", target=TARGET, status=500, code=code))
    assert failure == Failure(is_transient=True, maybe_done=True)


@pytest.mark.parametrize(
    ("code", "subcode", "status"),
    [
        (100, None, 400),
        (100, 33, 400),
        (190, 460, 400),
        (200, None, 403),
        (10, None, 403),
        (12, None, 400),
        (104, None, 400),
        (368, None, 400),
        (506, None, 400),
        (None, None, None),
    ],
)
def test_graph_errors_that_never_retry(
    code: int | None, subcode: int | None, status: int | None
) -> None:
    refused = GraphError("x", target=TARGET, status=status, code=code, subcode=subcode)
    assert not failure_of(refused).is_transient


def test_graph_is_transient_and_5xx_retry_whatever_the_code() -> None:
    flagged = GraphError("x", target=TARGET, status=400, code=9999, is_transient=True)
    server = GraphError("x", target=TARGET, status=503, code=100)
    assert failure_of(flagged) == TRANSIENT
    assert failure_of(server) == TRANSIENT


def test_graph_unreachable_says_whether_the_request_was_sent() -> None:
    refused = GraphUnreachable("x", target=TARGET, maybe_done=False)
    dropped = GraphUnreachable("x", target=TARGET, maybe_done=True)
    assert failure_of(refused) == NOT_SENT
    assert failure_of(dropped) == TRANSIENT


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409])
def test_oneall_refusals_never_retry(status: int) -> None:
    assert not oneall_failure_of(OneAllError("x", status=status)).is_transient


@pytest.mark.parametrize("status", [500, 502, 503])
def test_oneall_server_errors_may_have_been_carried_out(status: int) -> None:
    assert oneall_failure_of(OneAllError("x", status=status)) == TRANSIENT


def test_oneall_429_was_refused_and_says_when_to_come_back() -> None:
    assert oneall_failure_of(OneAllError("x", status=429, regain_s=30)) == Failure(
        is_transient=True, maybe_done=False, regain_s=30
    )
    unreachable = OneAllUnreachable("x", target=TARGET, maybe_done=False)
    assert oneall_failure_of(unreachable) == NOT_SENT


def test_errors_of_another_kind_never_retry() -> None:
    assert not failure_of(ProviderError("x")).is_transient
    assert not oneall_failure_of(ProviderError("x")).is_transient


# What proves that nothing was done (issue 19)

ENVELOPE = {"error": {"message": "(#100) Invalid parameter", "code": 100}}


def test_graph_a_4xx_error_envelope_is_a_refusal() -> None:
    error = error_from_envelope(TARGET, 400, ENVELOPE, {}, [])
    assert failure_of(error) == REFUSED


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (200, ENVELOPE),  # an envelope on a success status
        (301, ENVELOPE),  # or on a redirect
        (400, {"error": {"message": "no code"}}),
        (400, {"error": {"code": 100}}),  # no message
        (400, {"error": "a string"}),
        (404, {"detail": "Not Found"}),  # a proxy's JSON
    ],
)
def test_graph_answers_that_are_no_refusal_prove_nothing(status: int, body) -> None:
    failure = failure_of(error_from_envelope(TARGET, status, body, {}, []))
    assert failure == FATAL  # not retried, and a push's outcome is unknown


def test_graph_a_redirect_or_a_body_that_is_not_json_proves_nothing() -> None:
    assert failure_of(error_redirect(TARGET, 307)) == FATAL
    assert failure_of(error_not_json(TARGET, 502)) == TRANSIENT
    assert failure_of(error_not_json(TARGET, 200)) == TRANSIENT


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409])
def test_oneall_a_4xx_is_a_refusal_only_with_its_error_result_set(status: int) -> None:
    with_set = OneAllError("x", status=status, is_refusal=True)
    without = OneAllError("x", status=status)
    assert oneall_failure_of(with_set) == REFUSED
    assert oneall_failure_of(without) == FATAL


REQUEST = httpx.Request("POST", "http://127.0.0.1:9/v26.0/1/feed")


@pytest.mark.parametrize(
    ("exc", "maybe_done"),
    [
        (httpx.ConnectError("refused", request=REQUEST), False),
        (httpx.ConnectTimeout("slow", request=REQUEST), False),
        (httpx.PoolTimeout("busy", request=REQUEST), False),
        (httpx.WriteTimeout("slow", request=REQUEST), True),
        (httpx.ReadTimeout("slow", request=REQUEST), True),
        (httpx.RemoteProtocolError("cut", request=REQUEST), True),
        (httpx.ReadError("reset", request=REQUEST), True),
        (httpx.DecodingError("gzip", request=REQUEST), True),
    ],
)
def test_only_a_request_that_never_left_is_known_not_done(
    exc: httpx.RequestError, maybe_done: bool
) -> None:
    message, done = transport_failure(exc, "http://127.0.0.1:9")
    assert done is maybe_done
    assert type(exc).__name__ in message
    assert "127.0.0.1:9/v26.0" not in message  # never httpx's text: URLs hold tokens


# Which calls retry


@pytest.mark.parametrize("kind", [CallKind.READ, CallKind.UPDATE, CallKind.DELETE])
def test_reads_updates_and_deletes_retry_even_when_maybe_done(
    fake: FakeTime, kind: CallKind
) -> None:
    attempt, calls = failing(error(), error())

    result = policy(fake).call(
        attempt, kind=kind, classify=classify_as(TRANSIENT), target=TARGET
    )

    assert result == "ok"
    assert len(calls) == 3
    assert len(fake.sleeps) == 2


def test_a_push_that_may_have_happened_is_an_unknown_outcome_at_once(
    fake: FakeTime,
) -> None:
    cause = error()
    attempt, calls = failing(cause)

    with pytest.raises(PushOutcomeUnknown) as info:
        policy(fake).call(
            attempt, kind=CallKind.PUSH, classify=classify_as(TRANSIENT), target=TARGET
        )

    assert len(calls) == 1
    assert fake.sleeps == []
    unknown = info.value
    assert (unknown.target, unknown.status, unknown.code) == (TARGET, 500, 2)
    assert unknown.message == cause.message
    assert unknown.__cause__ is cause
    assert "may have been published" in (unknown.remedy or "")


def test_a_push_that_was_not_sent_is_retried(fake: FakeTime) -> None:
    attempt, calls = failing(error("cannot reach (ConnectError)"))

    result = policy(fake).call(
        attempt, kind=CallKind.PUSH, classify=classify_as(NOT_SENT), target=TARGET
    )

    assert result == "ok"
    assert len(calls) == 2


def test_a_push_never_sent_after_every_attempt_is_not_an_unknown_outcome(
    fake: FakeTime,
) -> None:
    refused = error("cannot reach (ConnectError)")
    attempt, calls = failing(*[refused] * 5)

    with pytest.raises(ProviderError) as info:
        policy(fake).call(
            attempt, kind=CallKind.PUSH, classify=classify_as(NOT_SENT), target=TARGET
        )

    assert info.value is refused
    assert not isinstance(info.value, PushOutcomeUnknown)
    assert len(calls) == 5


def test_a_refusal_is_raised_at_once(fake: FakeTime) -> None:
    refused = error("Invalid OAuth access token")
    attempt, calls = failing(refused)

    with pytest.raises(ProviderError) as info:
        policy(fake).call(
            attempt, kind=CallKind.PUSH, classify=classify_as(REFUSED), target=TARGET
        )

    assert info.value is refused
    assert len(calls) == 1
    assert fake.sleeps == []


@pytest.mark.parametrize("kind", [CallKind.READ, CallKind.UPDATE, CallKind.DELETE])
def test_a_fatal_error_of_an_idempotent_call_is_raised_at_once(
    fake: FakeTime, kind: CallKind
) -> None:
    cause = error("the API answered with a redirect")
    attempt, calls = failing(cause)

    with pytest.raises(ProviderError) as info:
        policy(fake).call(
            attempt, kind=kind, classify=classify_as(FATAL), target=TARGET
        )

    assert info.value is cause
    assert len(calls) == 1


def test_a_push_failing_without_proof_of_refusal_is_an_unknown_outcome(
    fake: FakeTime,
) -> None:
    """Issue 19: a redirect or an HTML page is not retried, but it proves nothing
    either: the push may have published the post."""
    cause = error("the API answered with a redirect")
    attempt, calls = failing(cause)

    with pytest.raises(PushOutcomeUnknown) as info:
        policy(fake).call(
            attempt, kind=CallKind.PUSH, classify=classify_as(FATAL), target=TARGET
        )

    assert info.value.__cause__ is cause
    assert len(calls) == 1
    assert fake.sleeps == []


def test_a_bug_is_never_retried_nor_wrapped(fake: FakeTime) -> None:
    attempt, calls = failing(KeyError("bug"))

    with pytest.raises(KeyError):
        policy(fake).call(
            attempt, kind=CallKind.READ, classify=classify_as(TRANSIENT), target=TARGET
        )

    assert len(calls) == 1


# Backoff and bounds


def test_each_attempt_runs_under_what_is_left_of_the_total_budget(
    fake: FakeTime,
) -> None:
    """Issue 19: max_total_s bounds the whole call, the time inside attempts too:
    each attempt's requests must end by what is left of it (a slow server cannot
    stretch the call), and no attempt starts once nothing is left."""
    lefts: list[float | None] = []

    def attempt() -> str:
        lefts.append(time_left())
        fake.now += 10  # a slow attempt
        raise error()

    with pytest.raises(ProviderError):
        policy(fake, attempts=9, max_total_s=30, base_s=0.0, max_backoff_s=0.0).call(
            attempt, kind=CallKind.READ, classify=classify_as(TRANSIENT), target=TARGET
        )

    assert [round(left) for left in lefts if left is not None] == [30, 20, 10]
    assert time_left() is None  # no deadline leaks out of the call


def test_a_budget_of_zero_leaves_the_one_attempt_to_its_request_deadline(
    fake: FakeTime,
) -> None:
    lefts: list[float | None] = []
    attempt, calls = failing(error())

    def watched() -> str:
        lefts.append(time_left())
        return attempt()

    with pytest.raises(ProviderError):
        policy(fake, max_total_s=0).call(
            watched, kind=CallKind.READ, classify=classify_as(TRANSIENT), target=TARGET
        )

    assert lefts == [None]
    assert len(calls) == 1


def test_backoff_windows_double_up_to_their_cap() -> None:
    bounds = RetryPolicy(base_s=0.5, max_backoff_s=3.0)
    assert [bounds.backoff_window_s(n) for n in range(1, 6)] == [
        0.5,
        1.0,
        2.0,
        3.0,
        3.0,
    ]


def test_attempts_are_bounded_and_waits_jittered_within_their_windows(
    fake: FakeTime,
) -> None:
    bounds = policy(fake, attempts=6, base_s=1.0, max_backoff_s=4.0, max_total_s=1e6)
    for _ in range(50):
        fake.sleeps.clear()
        attempt, calls = failing(*[error()] * 10)
        with pytest.raises(ProviderError):
            bounds.call(
                attempt,
                kind=CallKind.READ,
                classify=classify_as(TRANSIENT),
                target=TARGET,
            )
        assert len(calls) == 6
        assert len(fake.sleeps) == 5
        for number, slept in enumerate(fake.sleeps, start=1):
            assert 0 <= slept <= bounds.backoff_window_s(number)


def test_the_total_time_is_bounded(fake: FakeTime) -> None:
    """Attempts taking 25 s each: none starts (or is waited for) past 60 s."""
    bounds = policy(fake, attempts=10, max_total_s=60.0, base_s=0.5)
    started = fake.now
    starts: list[float] = []

    def attempt() -> str:
        starts.append(fake.now - started)
        fake.now += 25.0
        raise error()

    with pytest.raises(ProviderError):
        bounds.call(
            attempt, kind=CallKind.READ, classify=classify_as(TRANSIENT), target=TARGET
        )

    assert len(starts) == 3  # at 0, ~25 and ~50 s; a fourth would start past 60 s
    assert all(start <= 60.0 for start in starts)


def test_a_regain_time_within_the_maximum_is_waited_out(fake: FakeTime) -> None:
    throttled = Failure(is_transient=True, maybe_done=False, regain_s=240.0)
    attempt, calls = failing(error(), error())

    result = policy(fake, max_total_s=60.0).call(
        attempt, kind=CallKind.PUSH, classify=classify_as(throttled), target=TARGET
    )

    assert result == "ok"
    assert fake.sleeps == [240.0, 240.0]  # prescribed waits do not eat max_total_s
    assert len(calls) == 3


def test_a_regain_time_above_the_maximum_stops_at_once(
    fake: FakeTime, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    throttled = Failure(is_transient=True, maybe_done=False, regain_s=3600.0)
    refused = error("There have been too many calls to this Page account")
    attempt, calls = failing(refused)

    with pytest.raises(ProviderError) as info:
        policy(fake, max_wait_s=300.0).call(
            attempt, kind=CallKind.READ, classify=classify_as(throttled), target=TARGET
        )

    assert info.value is refused
    assert len(calls) == 1
    assert fake.sleeps == []
    assert "access returns in about 60 min, later than the 5 min" in caplog.text


def test_each_retry_is_logged_at_info_with_the_target(
    fake: FakeTime, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="statesync.providers.retry")
    attempt, _ = failing(error("An unexpected error has occurred"))

    policy(fake).call(
        attempt, kind=CallKind.READ, classify=classify_as(TRANSIENT), target=TARGET
    )

    (record,) = caplog.records
    assert record.levelno == logging.INFO
    assert record.getMessage().startswith(
        f"{TARGET}: An unexpected error has occurred; retrying in "
    )
    assert record.getMessage().endswith("(attempt 2 of 5)")


def test_a_policy_needs_an_attempt() -> None:
    with pytest.raises(ValueError, match="at least one attempt"):
        RetryPolicy(attempts=0)
    with pytest.raises(ValueError, match="negative"):
        RetryPolicy(max_total_s=-1)


# Pacing (issue 8): decisions from recorded usage headers

PAGE = "104510075301234"
OTHER_PAGE = "104510075305678"


def headers(
    app: int | None = None, page: int | None = None, legacy: int | None = None
) -> dict[str, str]:
    """Usage headers shaped as PROTOCOL §4 records them."""
    recorded: dict[str, str] = {}
    if app is not None:
        recorded["x-app-usage"] = json.dumps(
            {"call_count": app, "total_time": 25, "total_cputime": 25}
        )
    if page is not None:
        recorded["x-business-use-case-usage"] = json.dumps(
            {
                PAGE: [
                    {
                        "type": "pages",
                        "call_count": page,
                        "total_cputime": 23,
                        "total_time": 23,
                        "estimated_time_to_regain_access": 0,
                    }
                ]
            }
        )
    if legacy is not None:
        recorded["x-page-usage"] = json.dumps({"call_count": legacy})
    return recorded


def test_usage_headers_are_read_as_protocol_4_records_them() -> None:
    usage = usage_from_headers(headers(app=28, page=97))
    assert usage is not None
    assert usage.app == 28
    assert dict(usage.objects) == {PAGE: 97}
    legacy = usage_from_headers(headers(legacy=40))
    assert legacy is not None
    assert legacy.page == 40


def test_the_highest_figure_of_a_header_counts() -> None:
    usage = usage_from_headers(
        {"x-app-usage": '{"call_count":10,"total_time":81,"total_cputime":5}'}
    )
    assert usage is not None
    assert usage.app == 81


@pytest.mark.parametrize(
    "raw",
    [
        {},
        {"x-app-usage": "not json"},
        {"x-app-usage": "[1, 2]"},
        {"x-business-use-case-usage": '{"1": "nope"}'},
        {"x-app-usage": '{"call_count": true}'},
    ],
)
def test_absent_or_unreadable_usage_is_no_information(raw: dict[str, str]) -> None:
    assert usage_from_headers(raw) is None


def test_no_delay_below_the_threshold_then_growing_to_the_maximum() -> None:
    pacing = PacingPolicy(threshold=75.0, max_delay_s=30.0)
    assert [pacing.delay_s(p) for p in (0, 50, 74.9)] == [0.0, 0.0, 0.0]
    ramp = [pacing.delay_s(p) for p in (75, 80, 85, 90, 95, 99, 100)]
    assert ramp == sorted(ramp)
    assert len(set(ramp)) == len(ramp)
    assert ramp[0] == 0.0
    assert pacing.delay_s(100) == pacing.delay_s(130) == 30.0


def test_a_pacer_waits_before_a_call_on_a_budget_near_its_end() -> None:
    slept: list[float] = []
    pacer = Pacer(PacingPolicy(threshold=75.0, max_delay_s=30.0), sleep=slept.append)

    pacer.wait(PAGE)  # nothing known: no wait
    pacer.observe(headers(app=10, page=60), PAGE)
    pacer.wait(PAGE)
    pacer.observe(headers(app=10, page=90), PAGE)
    pacer.wait(PAGE)
    pacer.wait(OTHER_PAGE)  # another page's budget is not spent
    pacer.observe(headers(app=95), None)
    pacer.wait(OTHER_PAGE)  # the app's budget is everyone's

    assert slept == [pytest.approx(10.8), pytest.approx(19.2)]


def test_a_reply_without_usage_headers_keeps_what_was_known() -> None:
    pacer = Pacer(sleep=lambda seconds: None)
    pacer.observe(headers(page=92), PAGE)
    pacer.observe({}, PAGE)
    assert pacer.usage(PAGE) == 92


def test_legacy_page_usage_counts_for_the_page_of_the_call() -> None:
    pacer = Pacer(sleep=lambda seconds: None)
    pacer.observe(headers(legacy=88), OTHER_PAGE)
    assert pacer.usage(OTHER_PAGE) == 88
    assert pacer.usage(PAGE) is None


def test_a_pacer_is_shared_safely_between_threads() -> None:
    slept: list[float] = []
    pacer = Pacer(sleep=slept.append)

    def work(percent: int) -> None:
        for _ in range(200):
            pacer.observe(headers(app=percent, page=percent), PAGE)
            pacer.wait(PAGE)

    threads = [threading.Thread(target=work, args=(p,)) for p in (80, 90, 99)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(slept) == 600
    assert pacer.usage(PAGE) in (80, 90, 99)
