"""A total deadline per request, and per retried call (issue 19).

A loopback server that answers one byte at a time, never slower than httpx's per-read
timeout, would hold a request forever without a total deadline. These tests show the
mechanism (statesync/providers/deadline.py) cutting it: in the headers, in the body
read after the transport has returned, under the retry policy's total budget, and
before connecting when no time is left. Bounds are generous (3x), never tight.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext

import httpcore
import httpx
import pytest

from statesync.media import MediaFile
from statesync.model import PostFields
from statesync.providers import deadline
from statesync.providers.base import PushOutcomeUnknown
from statesync.providers.deadline import (
    DeadlineBackend,
    DeadlineTransport,
    allowance_s,
    allowing,
    bounded_by,
    install_backend,
    time_left,
)
from statesync.providers.graph import GraphProvider
from statesync.providers.graph_errors import GraphUnreachable, failure_of
from statesync.providers.http import make_client, time_to_send, upload_allowance_s
from statesync.providers.pacing import Pacer
from statesync.providers.retry import CallKind, RetryPolicy
from statesync.secret import Secret

BODY = b'{"data": [], "note": "' + b"x" * 200 + b'"}'
HEAD = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
    + f"Content-Length: {len(BODY)}\r\n\r\n".encode()
)
DRIP_S = 0.2  # well under httpx's per-read timeout: only a total deadline stops it


ACME = "104510075301234"
ACCOUNTS = (
    b'{"data": [{"id": "104510075301234", "access_token": "page-t0ken", '
    b'"tasks": ["CREATE_CONTENT"]}]}'
)


@contextmanager
def loopback_server(
    serve: Callable[[socket.socket, threading.Event], None],
    *,
    receive_buffer: int | None = None,
) -> Iterator[str]:
    """A server on 127.0.0.1 that hands each connection to ``serve`` on its own
    thread, with the event set when the test is done; its URL."""
    stop = threading.Event()
    listener = socket.create_server(("127.0.0.1", 0))
    if receive_buffer is not None:  # accepted connections inherit it
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    listener.settimeout(0.05)

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except (TimeoutError, OSError):
                continue
            threading.Thread(target=serve, args=(conn, stop), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()


def json_reply(body: bytes) -> bytes:
    return HEAD.replace(str(len(BODY)).encode(), str(len(body)).encode()) + body


@contextmanager
def dripping_server(*, fast_headers: bool = False) -> Iterator[str]:
    """Answers every request one byte every ``DRIP_S`` (the headers at once, if
    ``fast_headers``), until the client hangs up; but ``/me/accounts`` at once."""

    def serve(conn: socket.socket, stop: threading.Event) -> None:
        with conn:
            request = conn.recv(65536)  # small, in one segment on loopback
            if b"/me/accounts" in request.split(b"\r\n", 1)[0]:
                conn.sendall(json_reply(ACCOUNTS))
                return
            reply = HEAD + BODY
            if fast_headers:
                conn.sendall(HEAD)
                reply = BODY
            for index in range(len(reply)):
                try:
                    conn.sendall(reply[index : index + 1])
                except OSError:
                    return
                if stop.wait(DRIP_S):
                    return

    with loopback_server(serve) as url:
        yield url


def timed(action: Callable[[], object]) -> tuple[Exception | None, float]:
    began = time.monotonic()
    try:
        action()
    except Exception as exc:  # returned for the test to check
        return exc, time.monotonic() - began
    return None, time.monotonic() - began


@pytest.mark.parametrize("fast_headers", [False, True])
def test_a_dripping_reply_is_cut_at_the_request_deadline(fast_headers: bool) -> None:
    """Headers dripped, or headers at once and the body dripped (read by httpx
    after the transport returned): either way the request ends by its deadline."""
    with (
        dripping_server(fast_headers=fast_headers) as url,
        make_client(httpx.URL(url), timeout_s=1.0) as client,
    ):
        error, took = timed(lambda: client.get("/"))

    assert isinstance(error, httpx.ReadTimeout)
    assert took < 3 * 1.0


def test_the_retry_budget_bounds_the_time_inside_attempts() -> None:
    """A client deadline of 10 s, a retry budget of 1 s: the budget wins, and the
    retried read ends within it, however the server drips."""
    policy = RetryPolicy(attempts=5, max_total_s=1.0, sleep=lambda seconds: None)
    with dripping_server() as url, make_client(httpx.URL(url), timeout_s=10) as client:

        def attempt() -> httpx.Response:
            try:
                return client.get("/")
            except httpx.RequestError as exc:
                raise GraphUnreachable(
                    type(exc).__name__, target="GET /", maybe_done=True
                ) from exc

        error, took = timed(
            lambda: policy.call(
                attempt, kind=CallKind.READ, classify=failure_of, target="GET /"
            )
        )

    assert isinstance(error, GraphUnreachable)
    assert took < 3 * 1.0


def test_a_provider_on_a_dripping_server_gives_up_and_a_push_is_unknown() -> None:
    """Through the whole provider: a batch read and a push both end within the
    budget; the push, sent before its reply dripped, is an unknown outcome, never a
    refusal (issue 19)."""
    policy = RetryPolicy(attempts=3, max_total_s=1.0, sleep=lambda seconds: None)
    with (
        dripping_server() as url,
        GraphProvider(
            base_url=url, api_version="v26.0", token=Secret("t0ken"), retry=policy
        ) as provider,
    ):
        read_error, read_s = timed(lambda: provider.read(ACME, [f"{ACME}_1"]))
        push_error, push_s = timed(
            lambda: provider.push(ACME, PostFields(message="hi"))
        )

    assert isinstance(read_error, GraphUnreachable)
    assert "in time (ReadTimeout)" in str(read_error)
    assert read_s < 3 * 1.0
    assert isinstance(push_error, PushOutcomeUnknown)
    assert "in time (ReadTimeout)" in str(push_error)
    assert push_s < 3 * 1.0


def test_no_time_left_means_never_sent() -> None:
    """With the deadline already passed, the request fails before connecting: a
    ConnectTimeout, which proves the request never reached the server."""
    with (
        dripping_server() as url,
        make_client(httpx.URL(url)) as client,
        bounded_by(0),
    ):
        error, _ = timed(lambda: client.get("/"))

    assert isinstance(error, httpx.ConnectTimeout)


def test_an_enclosing_deadline_that_comes_sooner_holds() -> None:
    assert time_left() is None
    with bounded_by(1.0):
        with bounded_by(60.0):
            left = time_left()
            assert left is not None
            assert left <= 1.0
        with bounded_by(None):
            assert (time_left() or 0) <= 1.0
    assert time_left() is None


def test_make_client_installs_the_deadline_backend() -> None:
    """Pins the private attributes install_backend relies on (httpx 0.28's
    ``HTTPTransport._pool``, httpcore 1.0's ``ConnectionPool._network_backend``):
    an upgrade that moves them fails here, not silently in production."""
    with make_client(httpx.URL("http://127.0.0.1:9")) as client:
        transport = client._transport
        assert isinstance(transport, DeadlineTransport)
        inner = transport._inner
        assert isinstance(inner, httpx.HTTPTransport)
        assert isinstance(inner._pool, httpcore.ConnectionPool)
        assert isinstance(inner._pool._network_backend, DeadlineBackend)


def test_an_httpx_without_the_expected_pool_fails_loudly() -> None:
    transport = httpx.HTTPTransport()
    transport._pool = object()  # type: ignore[assignment]
    with pytest.raises(RuntimeError, match="cannot install the request deadline"):
        install_backend(transport)


def test_installing_twice_wraps_once() -> None:
    transport = install_backend(install_backend(httpx.HTTPTransport()))
    backend = transport._pool._network_backend  # type: ignore[union-attr]
    assert isinstance(backend, DeadlineBackend)
    assert not isinstance(backend._inner, DeadlineBackend)


class FakeClock:
    """Stands for the ``time`` module inside statesync.providers.deadline."""

    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_a_pacing_wait_does_not_eat_the_deadline(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The pacer waits before a request when the usage headers near 100% (up to
    30 s): the API asked for that wait, so it is not the request's time to answer."""
    clock = FakeClock()
    monkeypatch.setattr("statesync.providers.deadline.time", clock)
    pacer = Pacer(sleep=clock.sleep)
    pacer.observe({"x-app-usage": '{"call_count": 100}'})

    with bounded_by(1.0):
        pacer.wait()
        left = time_left()

    assert clock.now == 1000.0 + pacer.policy.max_delay_s  # it did wait
    assert left == 1.0


class Probe(httpx.BaseTransport):
    """Answers at once, noting how long the request was given."""

    def __init__(self) -> None:
        self.left: float | None = None

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.left = time_left()
        return httpx.Response(200, json={})


def test_an_upload_is_given_the_time_its_size_needs_and_no_more() -> None:
    """10 s fit a photo, not a video of up to 1 GB: inside ``allowing`` the request
    and the retry budget are widened to the file's time; outside, nothing changes."""
    probe = Probe()
    transport = DeadlineTransport(probe, timeout_s=1.0)
    request = httpx.Request("POST", "http://127.0.0.1/upload")
    transport.handle_request(request)
    assert probe.left is not None
    assert probe.left <= 1.0
    with allowing(30.0):
        transport.handle_request(request)
    assert probe.left is not None
    assert 29.0 < probe.left <= 30.0
    policy = RetryPolicy(max_total_s=1.0, sleep=lambda seconds: None)
    with allowing(30.0):
        policy.call(
            lambda: transport.handle_request(request),
            kind=CallKind.UPLOAD,
            classify=failure_of,
            target="POST /upload",
        )
    assert probe.left is not None
    assert 29.0 < probe.left <= 30.0
    gigabyte = MediaFile("", "v.mp4", "0" * 64, "video/mp4", 1024**3)
    with time_to_send(gigabyte):
        assert allowance_s() == upload_allowance_s(1024**3) > 4000
    assert allowance_s() == 0.0


@contextmanager
def slow_reader(bytes_per_s: int) -> Iterator[str]:
    """A server that reads a chunked request body at ``bytes_per_s`` (0: never
    reads it), then answers."""

    def serve(conn: socket.socket, stop: threading.Event) -> None:
        with conn:
            conn.settimeout(10)
            head = b""
            while b"\r\n\r\n" not in head:
                head += conn.recv(1)
            if not bytes_per_s:
                stop.wait(10)  # never reads: the client's writes stall
                return
            tail = b""
            while tail != b"0\r\n\r\n":  # the last chunk of a chunked body
                chunk = conn.recv(bytes_per_s // 20)
                if not chunk:
                    return  # the client gave up
                tail = (tail + chunk)[-5:]
                time.sleep(0.05)
            conn.sendall(json_reply(b"{}"))

    with loopback_server(serve, receive_buffer=128 * 1024) as url:
        yield url


def chunks(size: int, chunk: int = 64 * 1024) -> Iterator[bytes]:
    """A body sent as httpx sends a multipart file: 64 KiB at a time."""
    for _ in range(size // chunk):
        yield bytes(chunk)


@pytest.mark.parametrize("allowed", [False, True])
def test_a_slow_uplink_finishes_an_upload_inside_its_allowance(allowed: bool) -> None:
    """Over a real socket read at 2 MB/s: 5 MB take about 2.5 s, past a 0.5 s
    request deadline; with the upload's allowance the same request completes."""
    with (
        slow_reader(2 * 1024 * 1024) as url,
        make_client(httpx.URL(url), timeout_s=0.5) as client,
        allowing(30.0) if allowed else nullcontext(),
    ):
        error, took = timed(lambda: client.post("/", content=chunks(5 * 1024**2)))
    if allowed:
        assert error is None, error
        assert took > 0.5
    else:
        assert isinstance(error, httpx.TimeoutException)
        assert took < 3 * 0.5 + 1.0


def test_an_upload_the_server_stops_reading_is_cut_off_at_the_stall_bound(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The allowance is for a slow uplink, not a dead one: a server that stops
    reading ends the upload after one stalled write, not at the allowance."""
    monkeypatch.setattr(deadline, "UPLOAD_STALL_S", 1.0)
    with (
        slow_reader(0) as url,
        make_client(httpx.URL(url), timeout_s=0.5) as client,
        allowing(60.0),
    ):
        error, took = timed(lambda: client.post("/", content=chunks(20 * 1024**2)))
    assert isinstance(error, httpx.WriteTimeout)
    assert 1.0 <= took < 3 * 1.0


def test_an_upload_is_retried_within_its_allowance_not_max_total_s() -> None:
    """A transient failure 2 s into an upload, with max_total_s 1 s: retried inside
    the upload's allowance, and not retried outside one."""
    now = [0.0]

    def attempt_factory() -> Callable[[], str]:
        tries = []

        def attempt() -> str:
            tries.append(1)
            now[0] += 2.0
            if len(tries) == 1:
                raise GraphUnreachable("cut", target="POST /x/videos", maybe_done=True)
            return "ok"

        return attempt

    policy = RetryPolicy(
        max_total_s=1.0, sleep=lambda s: None, clock=lambda: now[0], base_s=0.0
    )

    def call() -> str:
        return policy.call(
            attempt_factory(),
            kind=CallKind.UPLOAD,
            classify=failure_of,
            target="POST /x/videos",
        )

    with allowing(30.0):
        assert call() == "ok"
    with pytest.raises(GraphUnreachable):
        call()
