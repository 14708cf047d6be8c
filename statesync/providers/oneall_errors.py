"""OneAll's errors: its error result set mapped to ``ProviderError``s with a remedy, and
what each failure means for retrying it (seeds 000/001, PROTOCOL §12)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from statesync.errors import ProviderError
from statesync.providers.oneall_wire import dig
from statesync.providers.retry import FATAL, REFUSED, Failure
from statesync.secret import Secret, redact

_REMEDIES = {
    400: (
        "OneAll refused the request's content: see its message above (a post carries "
        "a link or attachments, never both; attachments must be media of the page)"
    ),
    401: (
        "OneAll refused the site's keys: check the public and private key of the "
        "OneAll site (Settings > API Credentials) in their environment variables"
    ),
    403: (
        "the identity does not administer this page, or lacks the Manage Pages / "
        "Publish Pages permissions: enable both in the Facebook settings of the OneAll "
        "site and have the user log in with Facebook again to grant them (seeds 000/001)"
    ),
    404: (
        "OneAll does not know this identity token or post: check the identity token "
        "of the network's login through OneAll (ONEALL_IDENTITY_TOKEN for Facebook; "
        "oneall.identities names X's, LinkedIn's and Pinterest's) and the post id"
    ),
    409: (
        "OneAll reports a conflict with the post's current state: see its message "
        "above, then run plan again"
    ),
    429: "OneAll's rate limit was reached: wait, then run again",
}


class OneAllError(ProviderError):
    """OneAll answered with its error envelope, or could not be reached."""

    def __init__(
        self,
        message: str,
        *,
        target: str | None = None,
        status: int | None = None,
        remedy: str | None = None,
        regain_s: float | None = None,
        is_refusal: bool = False,
    ) -> None:
        self.regain_s = regain_s  # Retry-After of a 429, if it said
        # OneAll's error result set with a 4xx status: it refused, nothing was done.
        self.is_refusal = is_refusal
        super().__init__(message, target=target, status=status, remedy=remedy)


class OneAllUnreachable(OneAllError):
    """No usable reply. ``maybe_done``: the request was sent, so OneAll may have
    carried it out (a push must then be reconciled, never blindly repeated)."""

    def __init__(self, message: str, *, target: str, maybe_done: bool) -> None:
        self.maybe_done = maybe_done
        super().__init__(
            message,
            target=target,
            remedy="check the network and OneAll's status, then run again",
        )


class PullRefused(OneAllError):
    """The Pull API refused to read: plan from the recorded hashes instead."""


def error_from_reply(
    shown: str,
    status: int,
    data: Any,
    headers: Mapping[str, str],
    secrets: Sequence[Secret],
) -> OneAllError:
    """OneAll's error result set (or a bare status) as a ``OneAllError`` with a
    remedy; its message passes through ``redact``: OneAll may echo what it was sent."""
    info = dig(data, "response", "request", "status", "info")
    message = redact(str(info), secrets) if info else "OneAll refused the request"
    remedy = _REMEDIES.get(status)
    if remedy is None and status >= 500:
        remedy = "a temporary error on OneAll's side: retry later"
    regain = retry_after_s(headers.get("retry-after")) if status == 429 else None
    if regain is not None and remedy is not None:
        remedy = f"{remedy} (OneAll asks to wait {regain:.0f} s)"
    flag = dig(data, "response", "request", "status", "flag")
    return OneAllError(
        message,
        target=shown,
        status=status,
        remedy=remedy,
        regain_s=regain,
        # Seeds 000/001: the result set's status says "error" when OneAll refuses.
        is_refusal=400 <= status < 500 and flag == "error",
    )


def failure_of(error: ProviderError) -> Failure:
    """What a OneAll failure means for retrying it (issues 7 and 19).

    A 429 refused the call before doing anything; a 5xx or a lost reply may come
    after the write was done; 400, 401, 403, 404 and 409 will not change by
    retrying, and prove that nothing was done only with OneAll's error result set
    (``is_refusal``). A redirect or a 4xx without that result set (a proxy's page)
    is not retried and proves nothing: a push ends as an unknown outcome.
    """
    if isinstance(error, OneAllUnreachable):
        return Failure(is_transient=True, maybe_done=error.maybe_done)
    if not isinstance(error, OneAllError) or error.status is None:
        return FATAL
    if error.status == 429:  # RFC 6585: the server refuses to process the request
        return Failure(is_transient=True, maybe_done=False, regain_s=error.regain_s)
    if error.status >= 500:
        return Failure(is_transient=True, maybe_done=True)
    return REFUSED if error.is_refusal else FATAL


def retry_after_s(raw: str | None) -> float | None:
    """Retry-After in seconds (its HTTP-date form is not used by OneAll's docs)."""
    if raw is None or not raw.strip().isdigit():
        return None
    return float(raw.strip())
