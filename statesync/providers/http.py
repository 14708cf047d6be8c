"""What both providers share of HTTP: one way to make the httpx client (same deadline,
User-Agent and URL rules), one session lifecycle (``HttpSession``: open, send, close,
with the HTTP libraries' logs redacted meanwhile), one mapping of transport failures
(``transport_failure``), and one check of every id put into a URL path (``path_id``,
``post_path_id``).

No environment reads here: the base URL, transport and credentials come from the
caller.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager, nullcontext
from types import TracebackType
from typing import Any, BinaryIO, Protocol, Self

import httpx

from statesync import __version__
from statesync.errors import ConfigError, ProviderError
from statesync.media import MediaFile
from statesync.providers.deadline import DeadlineTransport, allowing, install_backend
from statesync.secret import Secret, redact

# The longest one request may take, connect to last body byte (not only one read):
# no call hangs. A batch of 50 reads fits well within it.
DEFAULT_TIMEOUT_S = 10.0
# A push sent just before a crash may still be carried out after it: the server
# finishes what it received (PROTOCOL §3). Absence from a listing proves nothing until
# the longest a request can take has passed, plus this margin for the server's work.
SETTLE_WINDOW_S = DEFAULT_TIMEOUT_S + 5
# The slowest uplink an upload is given time for: 256 KiB/s (about 2 Mbit/s), so a
# 1 GB video may take 68 minutes and a 4 MB photo 26 s, while a server that stops
# reading is cut off after UPLOAD_STALL_S (statesync/providers/deadline.py).
MIN_UPLOAD_BYTES_PER_S = 256 * 1024


def upload_allowance_s(size: int) -> float:
    """The time one request sending a file of ``size`` bytes is given."""
    return DEFAULT_TIMEOUT_S + size / MIN_UPLOAD_BYTES_PER_S


def time_to_send(
    media: MediaFile | None, expansion: float = 1.0
) -> AbstractContextManager[None]:
    """Around a call that may upload ``media``: its requests, and the retry budget,
    get the time the file needs, ``expansion`` times its size on the wire (4/3 for
    base64); none is added without a file."""
    if media is None:
        return nullcontext()
    return allowing(upload_allowance_s(int(media.size * expansion)))


USER_AGENT = f"statesync/{__version__}"
# Page, media and `{page-id}_{post-id}` ids, on both APIs (seeds 000/001/003: OneAll's
# post_id is the Facebook post id).
PATH_ID = re.compile(r"[0-9]+(_[0-9]+)?")
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})
# Where the HTTP libraries log: httpx every URL at INFO (OneAll's URLs hold the
# identity token), httpcore every reply's headers at DEBUG (a WWW-Authenticate header
# may echo a token). A logger's filters see only its own records, so each is named.
HTTP_LOGGERS = (
    "httpx",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "httpcore.socks",
)


def check_base_url(base_url: str, *, service: str) -> httpx.URL:
    """The base URL as a checked ``httpx.URL``: https, or plain http on loopback only.

    Tokens travel in headers and bodies, so plain http to anything but this machine
    would hand them to the network.
    """
    try:
        url = httpx.URL(base_url)
    except (httpx.InvalidURL, TypeError) as exc:
        raise ConfigError(f"{service} base URL {base_url!r} is not a URL") from exc
    if url.scheme not in ("https", "http") or not url.host:
        raise ConfigError(
            f"{service} base URL {base_url!r} must look like https://host[:port]"
        )
    if url.userinfo or url.query or url.fragment:
        raise ConfigError(
            f"{service} base URL must not carry credentials, a query or a fragment; "
            "credentials come from the environment"
        )
    if url.scheme == "http" and url.host not in LOOPBACK_HOSTS:
        raise ConfigError(
            f"{service} base URL {url.scheme}://{url.host} is not https: plain http "
            "is only allowed to a loopback address (127.0.0.1, ::1, localhost)"
        )
    return url


def display_url(url: httpx.URL) -> str:
    """``scheme://host[:port]``: what error messages may show of a base URL."""
    port = f":{url.port}" if url.port is not None else ""
    host = f"[{url.host}]" if ":" in url.host else url.host
    return f"{url.scheme}://{host}{port}"


def make_client(
    base_url: httpx.URL,
    *,
    transport: httpx.BaseTransport | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    auth: httpx.Auth | None = None,
) -> httpx.Client:
    """A client that never follows redirects (a redirect could carry a body elsewhere)
    and gives every request ``timeout_s`` in all, connect to last body byte
    (statesync/providers/deadline.py), however slowly the server answers."""
    if transport is not None:
        inner = transport
    elif base_url.scheme == "http":
        # Plain HTTP, which check_base_url allows on loopback only (an emulator): no TLS
        # ever happens on this client, so loading the CA bundle (~50 ms) is skipped.
        inner = httpx.HTTPTransport(verify=False)
    else:
        inner = httpx.HTTPTransport()
    if isinstance(inner, httpx.HTTPTransport):
        install_backend(inner)
    return httpx.Client(
        base_url=base_url,
        transport=DeadlineTransport(inner, timeout_s),
        timeout=timeout_s,
        headers={"User-Agent": USER_AGENT},
        auth=auth,
        follow_redirects=False,
    )


class Unreachable(Protocol):
    """A provider's error for a request that got no complete reply."""

    def __call__(
        self, message: str, *, target: str, maybe_done: bool
    ) -> ProviderError: ...


class HttpSession:
    """One provider's way to its API, from opening to ``close``: the checked base URL,
    the httpx client (``make_client``), the redaction of the HTTP libraries' logs, and
    the one mapping of transport failures to the provider's error (``send``)."""

    def __init__(
        self,
        base_url: str,
        *,
        service: str,
        secrets: Callable[[], Iterable[Secret]],
        unreachable: Unreachable,
        transport: httpx.BaseTransport | None = None,
        auth: httpx.Auth | None = None,
    ) -> None:
        url = check_base_url(base_url, service=service)
        self.base = display_url(url)  # what messages may show of the base URL
        self._unreachable = unreachable
        self._client = make_client(url, transport=transport, auth=auth)
        self._unredact_logs = redact_http_logs(secrets)

    def send(
        self, method: str, url: str, *, target: str, **kwargs: Any
    ) -> httpx.Response:
        """One request (``kwargs`` as ``httpx.Client.request``); a transport failure
        raises the provider's ``unreachable`` error, named by ``target``, never by
        httpx's text."""
        try:
            return self._client.request(method, url, **kwargs)
        except httpx.RequestError as exc:
            message, maybe_done = transport_failure(exc, self.base)
            raise self._unreachable(
                message, target=target, maybe_done=maybe_done
            ) from None

    def close(self) -> None:
        self._client.close()
        self._unredact_logs()


class HttpProvider:
    """What both providers share of their lifecycle: a context manager that closes
    its ``HttpSession``."""

    _session: HttpSession

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


# PROTOCOL §3: a failed write may have happened anyway. Only these failures prove
# that a request never reached the server: no connection was made (refused, DNS,
# TLS, connect timeout, the request's deadline passed before connecting), no pooled
# connection was free, or the URL could not be sent at all.
_NEVER_SENT = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.UnsupportedProtocol,
)


def transport_failure(exc: httpx.RequestError, base: str) -> tuple[str, bool]:
    """What to say about a request that got no complete reply, and whether it may
    have been carried out (``maybe_done``).

    Names only the exception's class: httpx's text can hold a full URL. Anything
    after the connection was made (a read or write timeout, the total deadline, a
    dropped connection, a body cut short of its Content-Length, an undecodable body)
    may come after the server acted.
    """
    kind = type(exc).__name__
    if isinstance(exc, _NEVER_SENT):
        return f"cannot reach {base} ({kind})", False
    if isinstance(exc, httpx.TimeoutException):
        what = f"no complete reply from {base} in time ({kind})"
    else:
        what = f"the exchange with {base} broke before a complete reply ({kind})"
    return f"{what}: the request may have been carried out", True


class RedactingFilter(logging.Filter):
    """Masks secrets in log records before any handler formats them."""

    def __init__(self, secrets: Callable[[], Iterable[Secret]]) -> None:
        super().__init__()
        self._secrets = secrets  # a callable: page tokens are learnt as calls go

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = redact(message, self._secrets())
        if masked != message:
            record.msg, record.args = masked, None
        return True


def redact_http_logs(secrets: Callable[[], Iterable[Secret]]) -> Callable[[], None]:
    """Redact ``secrets`` from the HTTP libraries' log records until the returned
    function is called (a provider's ``close``). Loggers are process-wide, so this is
    the one place providers touch shared state, and they undo it."""
    guard = RedactingFilter(secrets)
    loggers = [logging.getLogger(name) for name in HTTP_LOGGERS]
    for http_logger in loggers:
        http_logger.addFilter(guard)

    def undo() -> None:
        for http_logger in loggers:
            http_logger.removeFilter(guard)

    return undo


class InvalidId(ProviderError):
    """An id that is not digits would change the URL path it is put into."""


_ID_REMEDY = (
    "ids are digits (posts: <page-id>_<post-id>); check the manifest and the "
    "lockfile (restore it from git if it was edited by hand)"
)


def path_id(value: object, kind: str, *, where: str) -> str:
    """``value`` if it may go into a URL path (``where``: the request, for the
    message); else refuse before any request is sent.

    Ids come from manifests (validated) and from the lockfile, which a hand edit or
    a bad merge can change: "../me" or "123/feed" would make statesync call another
    endpoint than the one it means to."""
    if not isinstance(value, str) or not PATH_ID.fullmatch(value):
        raise InvalidId(
            f"{value!r} is not a {kind} id", target=where, remedy=_ID_REMEDY
        )
    return value


def post_path_id(post_id: object, page_id: str, *, where: str) -> str:
    """``path_id`` for a post of ``page_id``: ``{page-id}_{post-id}`` (or the bare
    post id), never a post of another page, which the same token may reach."""
    path_id(page_id, "page", where=where)
    value = path_id(post_id, "post", where=where)
    owner, _, _ = value.rpartition("_")
    if owner and owner != page_id:
        raise InvalidId(
            f"{value!r} is not a post id of page {page_id}",
            target=where,
            remedy=_ID_REMEDY,
        )
    return value


def open_media(media: MediaFile, target: str) -> BinaryIO:
    """The file to upload, opened for httpx to stream; a file gone or unreadable since
    the plan is the provider's refusal, named by path (nothing was sent)."""
    try:
        return open(media.path, "rb")  # the caller closes it
    except OSError as exc:
        raise ProviderError(
            f"cannot read {media.shown} to upload it ({exc.strerror})", target=target
        ) from None
