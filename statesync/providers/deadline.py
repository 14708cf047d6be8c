"""A total deadline for every request: connect, send, headers and body together.

httpx's timeouts bound each socket operation, not a request: a server that drips one
byte every few seconds never trips a read timeout and holds a plan or an apply forever
(issue 19). Here the deadline is a point in time (``time.monotonic``) carried in a
context variable, so that it follows the call down to the sockets without passing
through httpx and httpcore:

- ``DeadlineTransport`` sets it for each request, ``timeout_s`` from its start, and
  keeps it while the body is read (after ``handle_request`` has returned);
- ``bounded_by`` lets a caller shorten it for everything inside, e.g. the retry policy
  for the time left of its total budget (statesync/providers/retry.py), and
  ``paused`` leaves out a wait the API's usage called for (the pacer's);
- ``allowing`` widens both for a request that must send much (a video of up to 1 GB
  cannot go in 10 s): the transport's per-request timeout and the retry budget are
  then at least that long, while one stalled read or write still ends after
  ``UPLOAD_STALL_S``;
- ``DeadlineBackend``, the httpcore network backend of the transport, gives every
  connect, TLS handshake, read and write at most the time left, and once it has passed
  raises httpcore's own timeout: ``ConnectTimeout`` before the request can have been
  sent, ``WriteTimeout`` or ``ReadTimeout`` after (httpx maps them to its own).

Not bounded: the DNS lookup inside ``connect_tcp`` (``getaddrinfo`` takes no timeout);
tests and the sandbox use IP addresses.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import httpcore
import httpx

_DEADLINE: ContextVar[float | None] = ContextVar("statesync_deadline", default=None)
_ALLOWANCE: ContextVar[float] = ContextVar("statesync_allowance", default=0.0)
# How long one read or write of an upload may wait before it is a stall: the server
# may take in a chunk slowly, or process a large file before it answers. A server
# that stops reading is cut off then, not at the end of the whole allowance.
UPLOAD_STALL_S = 60.0


def time_left() -> float | None:
    """Seconds until the current deadline (negative once passed), None without one."""
    deadline = _DEADLINE.get()
    return None if deadline is None else deadline - time.monotonic()


@contextmanager
def bounded_by(seconds: float | None) -> Iterator[None]:
    """Everything sent and received inside ends within ``seconds`` (``None``: no new
    bound). An enclosing deadline that comes sooner still holds."""
    if seconds is None:
        yield
        return
    with _until(time.monotonic() + max(seconds, 0.0)):
        yield


@contextmanager
def allowing(seconds: float) -> Iterator[None]:
    """Requests inside may each take ``seconds`` (at least), and so may a retried
    call's budget: for an upload, whose time is its size over the uplink's rate."""
    token = _ALLOWANCE.set(max(seconds, _ALLOWANCE.get()))
    try:
        yield
    finally:
        _ALLOWANCE.reset(token)


def allowance_s() -> float:
    """The time the current ``allowing`` grants each request; 0 outside one."""
    return _ALLOWANCE.get()


@contextmanager
def paused() -> Iterator[None]:
    """Time spent inside does not count against the current deadline: for waits the
    API's own usage figures call for (statesync/providers/pacing.py), which come
    before a request is sent and are bounded on their own."""
    began = time.monotonic()
    try:
        yield
    finally:
        deadline = _DEADLINE.get()
        if deadline is not None:  # the enclosing bounded_by restores it on exit
            _DEADLINE.set(deadline + (time.monotonic() - began))


@contextmanager
def _until(deadline: float) -> Iterator[None]:
    current = _DEADLINE.get()
    token = _DEADLINE.set(deadline if current is None else min(deadline, current))
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def _bounded(
    timeout: float | None, expired: type[httpcore.TimeoutException]
) -> float | None:
    """The socket timeout for one operation: the smaller of httpcore's and the time
    left; raises ``expired`` once the deadline has passed. Inside an upload a read
    or a write may wait up to ``UPLOAD_STALL_S`` (the server taking in the file, or
    processing it before its reply); connecting takes no longer for a big file."""
    allowance = _ALLOWANCE.get()
    if allowance and timeout is not None and expired is not httpcore.ConnectTimeout:
        timeout = max(timeout, min(allowance, UPLOAD_STALL_S))
    left = time_left()
    if left is None:
        return timeout
    if left <= 0:
        raise expired("the request's deadline has passed")
    return left if timeout is None else min(timeout, left)


class DeadlineStream(httpcore.NetworkStream):
    """A connection whose every operation ends by the current request's deadline."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _bounded(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _bounded(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        bounded = _bounded(timeout, httpcore.ConnectTimeout)
        return DeadlineStream(
            self._inner.start_tls(ssl_context, server_hostname, bounded)
        )

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's synchronous backend, with every stream a ``DeadlineStream``."""

    def __init__(self, inner: httpcore.NetworkBackend | None = None) -> None:
        self._inner = inner if inner is not None else httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        stream = self._inner.connect_tcp(
            host,
            port,
            _bounded(timeout, httpcore.ConnectTimeout),
            local_address,
            socket_options,
        )
        return DeadlineStream(stream)

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        stream = self._inner.connect_unix_socket(
            path, _bounded(timeout, httpcore.ConnectTimeout), socket_options
        )
        return DeadlineStream(stream)

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def install_backend(transport: httpx.HTTPTransport) -> httpx.HTTPTransport:
    """``transport``, its connections made by a ``DeadlineBackend`` from now on.

    httpx 0.28 has no option to choose the network backend of ``HTTPTransport``;
    its connection pool (``_pool``, an ``httpcore.ConnectionPool``) takes one, kept
    as ``_network_backend`` and used for every new connection. Both names are
    private, so they are checked here, loudly: an upgrade that renames them must fail
    at once rather than lose the deadlines silently (tests/unit/test_deadline.py
    pins this too).
    """
    pool = getattr(transport, "_pool", None)
    backend = getattr(pool, "_network_backend", None)
    if not isinstance(pool, httpcore.ConnectionPool) or not isinstance(
        backend, httpcore.NetworkBackend
    ):
        raise RuntimeError(
            "cannot install the request deadline in this httpx/httpcore version: "
            "HTTPTransport._pool._network_backend is gone"
        )
    if not isinstance(backend, DeadlineBackend):
        pool._network_backend = DeadlineBackend(backend)
    return transport


class DeadlineTransport(httpx.BaseTransport):
    """Gives each request ``timeout_s`` in all, from its start to its last body byte
    (sooner if an enclosing ``bounded_by`` says so)."""

    def __init__(self, inner: httpx.BaseTransport, timeout_s: float) -> None:
        self._inner = inner
        self._timeout_s = timeout_s

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with bounded_by(max(self._timeout_s, _ALLOWANCE.get())):
            deadline = _DEADLINE.get()
            response = self._inner.handle_request(request)
        if deadline is not None and isinstance(response.stream, httpx.SyncByteStream):
            response.stream = _DeadlineBody(response.stream, deadline)
        return response

    def close(self) -> None:
        self._inner.close()


class _DeadlineBody(httpx.SyncByteStream):
    """A response body read under its request's deadline: httpx reads it after
    ``handle_request`` has returned, outside the transport's context."""

    def __init__(self, inner: httpx.SyncByteStream, deadline: float) -> None:
        self._inner = inner
        self._deadline = deadline

    def __iter__(self) -> Iterator[bytes]:
        chunks = iter(self._inner)
        while True:
            # Set around each step, not across the yield: a generator runs in its
            # caller's context, and the caller's deadline must not change.
            with _until(self._deadline):
                chunk = next(chunks, None)
            if chunk is None:
                return
            yield chunk

    def close(self) -> None:
        self._inner.close()
