"""Graph API error envelopes and transport failures -> one ``ProviderError`` each.

    ProviderError
    └── GraphError            the API answered with an error (PROTOCOL §3)
        └── GraphUnreachable  no usable answer: refused, timed out, dropped, not JSON

Every message is built from fields chosen here, never from httpx's text (its URLs can
hold tokens), and the API's own message is redacted against every token in play.
The attributes (``code``, ``subcode``, ``is_transient``, ``regain_minutes``) are what the
retry policy (``failure_of``, statesync/providers/retry.py) decides on, never the text.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

import httpx

from statesync.errors import ProviderError
from statesync.providers.retry import FATAL, Failure
from statesync.secret import Secret, redact

GONE = (100, 33)  # PROTOCOL §3: the object does not exist (or cannot be seen)
TRANSIENT_CODES = frozenset({1, 2})
RATE_LIMIT_CODES = frozenset({4, 17, 32, 341, 613, 80001})
PERMISSION_CODES = frozenset({10, *range(200, 300)})

_PERMISSION_REMEDY = (
    "the token lacks a permission or a page task: publishing and editing need the "
    "CREATE_CONTENT task on the page (seed 004: GET /me/accounts lists the tasks) and "
    "the permissions pages_manage_posts, pages_read_engagement and pages_show_list"
)


class GraphError(ProviderError):
    """The Graph API answered with its error envelope."""

    def __init__(
        self,
        message: str,
        *,
        target: str,
        status: int | None = None,
        code: int | None = None,
        subcode: int | None = None,
        is_transient: bool = False,
        regain_minutes: int | None = None,
        remedy: str | None = None,
    ) -> None:
        self.subcode = subcode
        self.is_transient = is_transient
        self.regain_minutes = regain_minutes  # X-Business-Use-Case-Usage, if it said
        super().__init__(
            message, target=target, status=status, code=code, remedy=remedy
        )

    @property
    def is_gone(self) -> bool:
        return (self.code, self.subcode) == GONE


class GraphUnreachable(GraphError):
    """No usable reply. ``maybe_done``: the request may have been carried out anyway
    (it was sent before the failure), so a create must be reconciled, not retried."""

    def __init__(
        self, message: str, *, target: str, maybe_done: bool, status: int | None = None
    ) -> None:
        self.maybe_done = maybe_done
        super().__init__(
            message,
            target=target,
            status=status,
            is_transient=True,
            remedy="check the network and the API's status, then run again",
        )


def failure_of(error: ProviderError) -> Failure:
    """What a Graph failure means for retrying it (PROTOCOL §3, issue 7).

    Rate limits (4, 17, 32, 341, 613, 80001) refuse a call before doing anything, so
    even a push may be repeated once access returns. An unknown error (1, 2), another
    error flagged ``is_transient``, an HTTP 5xx or a lost reply may come after the
    write was done. Anything else (100, 190, 200, 368, 506, ...) is not retried.
    """
    if isinstance(error, GraphUnreachable):
        return Failure(is_transient=True, maybe_done=error.maybe_done)
    if not isinstance(error, GraphError):
        return FATAL
    if error.code in RATE_LIMIT_CODES:
        regain = error.regain_minutes
        return Failure(
            is_transient=True,
            maybe_done=False,
            regain_s=regain * 60 if regain else None,
        )
    if (
        error.code in TRANSIENT_CODES
        or error.is_transient
        or (error.status is not None and error.status >= 500)
    ):
        return Failure(is_transient=True, maybe_done=True)
    return FATAL


def error_from_envelope(
    target: str,
    status: int | None,
    body: Any,
    headers: Mapping[str, str],
    secrets: Iterable[Secret],
    *,
    known_tasks: Iterable[str] | None = None,
    cls: type[GraphError] = GraphError,
) -> GraphError:
    """One ``GraphError`` from a Graph error body (a whole reply or a batch item)."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return cls(
            "the API answered with neither a result nor a Graph error",
            target=target,
            status=status,
        )
    code = _int_or_none(error.get("code"))
    subcode = _int_or_none(error.get("error_subcode"))
    text = str(error.get("message") or "no message")
    user_msg = error.get("error_user_msg")
    if isinstance(user_msg, str) and user_msg and user_msg not in text:
        text = f"{text} ({user_msg})"
    regain = regain_minutes(headers)
    is_transient = error.get("is_transient") is True or code in TRANSIENT_CODES
    return cls(
        redact(text, secrets),
        target=target,
        status=status,
        code=code,
        subcode=subcode,
        is_transient=is_transient or code in RATE_LIMIT_CODES,
        regain_minutes=regain,
        remedy=remedy_for(code, subcode, is_transient, regain, known_tasks),
    )


def remedy_for(
    code: int | None,
    subcode: int | None,
    is_transient: bool,
    regain: int | None,
    known_tasks: Iterable[str] | None,
) -> str | None:
    """What the user should do about a Graph error code (PROTOCOL §3, seed 003)."""
    if code == 190:
        return (
            "the access token is invalid or has expired: create a new user or page "
            "access token and set it again"
        )
    if code == 104:
        return "no access token reached the API: set the access token"
    if code in PERMISSION_CODES:
        if known_tasks is None:
            return _PERMISSION_REMEDY
        tasks = ", ".join(sorted(known_tasks)) or "none"
        return f"{_PERMISSION_REMEDY}; this token's tasks on the page: {tasks}"
    if code == 368:
        return (
            "Facebook blocked the action under its policies: review the post's content "
            "and the page's standing in Meta Business Suite; running again will not help"
        )
    if code == 506:
        return "Facebook refuses a post identical to a recent one: change its content"
    if code in RATE_LIMIT_CODES:
        wait = f" (access returns in about {regain} min)" if regain else ""
        return f"rate limit reached: wait before running again{wait}"
    if code in TRANSIENT_CODES or is_transient:
        return "a temporary error on Facebook's side: retry later"
    if (code, subcode) == GONE:
        return (
            "the object does not exist, or this token cannot see it: check the id and "
            "that the token's user has a task on the page"
        )
    if code == 100:
        return "the API refused a parameter of the request; see its message"
    if code == 12:
        return "a field statesync asked for is deprecated in this API version"
    return None


def regain_minutes(headers: Mapping[str, str]) -> int | None:
    """The longest ``estimated_time_to_regain_access`` in X-Business-Use-Case-Usage
    (PROTOCOL §4: minutes), or None when the header is absent, zero or unreadable."""
    raw = headers.get("x-business-use-case-usage")
    if not raw:
        return None
    try:
        usage = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(usage, dict):
        return None
    waits = [
        entry.get("estimated_time_to_regain_access")
        for entries in usage.values()
        if isinstance(entries, list)
        for entry in entries
        if isinstance(entry, dict)
    ]
    minutes = [int(w) for w in waits if isinstance(w, int | float) and w > 0]
    return max(minutes) if minutes else None


def error_from_transport(
    target: str, base: str, exc: httpx.RequestError
) -> GraphUnreachable:
    """Name only the exception's class: httpx's text can hold a full URL."""
    kind = type(exc).__name__
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout):
        return GraphUnreachable(
            f"cannot reach {base} ({kind})", target=target, maybe_done=False
        )
    return GraphUnreachable(
        f"cannot reach {base} ({kind}): no complete reply; the request may have been "
        "carried out",
        target=target,
        maybe_done=True,
    )


def error_not_json(target: str, status: int) -> GraphUnreachable:
    return GraphUnreachable(
        "the API answered with a body that is not JSON",
        target=target,
        status=status,
        maybe_done=True,
    )


def _int_or_none(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None
