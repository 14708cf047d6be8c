"""The one way providers make an httpx client: same timeout, User-Agent and URL rules.

Shared by the Graph provider and, later, OneAll's. No environment reads here: the base
URL, transport and credentials come from the caller.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

import httpx

from statesync import __version__
from statesync.errors import ConfigError
from statesync.secret import Secret, redact

DEFAULT_TIMEOUT_S = 10.0  # no call hangs; a batch of 50 reads fits well within it
USER_AGENT = f"statesync/{__version__}"
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
    """A client that never follows redirects (a redirect could carry a body elsewhere)."""
    return httpx.Client(
        base_url=base_url,
        transport=transport,
        timeout=timeout_s,
        headers={"User-Agent": USER_AGENT},
        follow_redirects=False,
    )


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
