"""The one way providers make an httpx client: same deadline, User-Agent and URL rules.

Shared by the Graph and OneAll providers. No environment reads here: the base
URL, transport and credentials come from the caller.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable

import httpx

from statesync import __version__
from statesync.errors import ConfigError, ProviderError
from statesync.providers.deadline import DeadlineTransport, install_backend
from statesync.secret import Secret, redact

# The longest one request may take, connect to last body byte (not only one read):
# no call hangs. A batch of 50 reads fits well within it.
DEFAULT_TIMEOUT_S = 10.0
# A push sent just before a crash may still be carried out after it: the server
# finishes what it received (PROTOCOL §3). Absence from a listing proves nothing until
# the longest a request can take has passed, plus this margin for the server's work.
SETTLE_WINDOW_S = DEFAULT_TIMEOUT_S + 5
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
) -> httpx.Client:
    """A client that never follows redirects (a redirect could carry a body elsewhere)
    and gives every request ``timeout_s`` in all, connect to last body byte
    (statesync/providers/deadline.py), however slowly the server answers."""
    inner = transport if transport is not None else httpx.HTTPTransport()
    if isinstance(inner, httpx.HTTPTransport):
        install_backend(inner)
    return httpx.Client(
        base_url=base_url,
        transport=DeadlineTransport(inner, timeout_s),
        timeout=timeout_s,
        headers={"User-Agent": USER_AGENT},
        follow_redirects=False,
    )


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


def path_id(value: object, kind: str) -> str:
    """``value`` if it may go into a URL path; else refuse before any request.

    Ids come from manifests (validated) and from the lockfile, which a hand edit or
    a bad merge can change: "../me" or "123/feed" would make statesync call another
    endpoint than the one it means to."""
    if not isinstance(value, str) or not PATH_ID.fullmatch(value):
        raise InvalidId(
            f"{value!r} is not a {kind} id",
            target=f"{kind} id",
            remedy="ids are digits (posts: <page-id>_<post-id>); check the manifest "
            "and the lockfile (restore it from git if it was edited by hand)",
        )
    return value
