"""Graph API error envelopes and transport failures -> one ``ProviderError`` each.

    ProviderError
    └── GraphError            the API answered with an error (PROTOCOL §3), or with
        │                     something else than a result (a redirect)
        └── GraphUnreachable  no usable answer: refused, timed out, dropped, not JSON

Every message is built from fields chosen here, never from httpx's text (its URLs can
hold tokens), and the API's own message is redacted against every token in play.
The attributes (``code``, ``subcode``, ``is_transient``, ``regain_minutes``,
``is_refusal``) are what the retry policy (``failure_of``, statesync/providers/retry.py)
decides on, never the text.

PROTOCOL §3, issue 19: an answer proves that a request was *not* carried out only when
it is the API's well-formed error envelope with a 4xx status (``is_refusal``), or a
rate-limit refusal; anything else (a redirect, a 5xx, an HTML page, a cut body, no
answer) leaves a push's outcome unknown, and the applier settles it by listing.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from statesync.errors import ProviderError
from statesync.providers.retry import FATAL, REFUSED, Failure
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
        is_refusal: bool | None = None,
    ) -> None:
        self.subcode = subcode
        self.is_transient = is_transient
        self.regain_minutes = regain_minutes  # X-Business-Use-Case-Usage, if it said
        # The API's error envelope with a 4xx status: the API refused the request, so
        # it did nothing (the only proof of that a push can get). By default, any 4xx
        # that carries an API error code; error_from_envelope checks the envelope.
        if is_refusal is None:
            is_refusal = code is not None and status is not None and status // 100 == 4
        self.is_refusal = is_refusal
        super().__init__(
            message, target=target, status=status, code=code, remedy=remedy
        )

    @property
    def is_gone(self) -> bool:
        """The API says the object does not exist: only in a refusal, since an
        update or delete taken for "gone" leads to a new push or a forgotten id."""
        return self.is_refusal and (self.code, self.subcode) == GONE


class GraphUnreachable(GraphError):
    """No usable reply. ``maybe_done``: the request may have been carried out anyway
    (it was sent before the failure), so a create must be reconciled, not retried.
    For a transport failure, statesync/providers/http.py (``HttpSession.send``, the
    one mapping for both providers) decides it and builds the message."""

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
            is_refusal=False,
        )


def failure_of(error: ProviderError) -> Failure:
    """What a Graph failure means for retrying it (PROTOCOL §3, issues 7 and 19).

    Rate limits (4, 17, 32, 341, 613, 80001) refuse a call before doing anything,
    so even a push may be repeated once access returns. An unknown error (1, 2),
    another error flagged ``is_transient``, an HTTP 5xx or a lost reply may come
    after the write was done. A refusal (100, 190, 200, 368, 506, ... in a 4xx
    envelope) is not retried and proves nothing was done; any other answer (a
    redirect, an envelope on a 2xx or 3xx, a body that is neither result nor error)
    is not retried either, and proves nothing: a push ends as an unknown outcome.
    """
    if isinstance(error, GraphUnreachable):
        return Failure(is_transient=True, maybe_done=error.maybe_done)
    if not isinstance(error, GraphError):
        return FATAL
    # PROTOCOL §3: the status of a rate limit is unconfirmed (400 likely); any error
    # status will do, but not a 2xx or 3xx, which is no answer from the API's limiter.
    if error.code in RATE_LIMIT_CODES and (error.status or 400) >= 400:
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
    return REFUSED if error.is_refusal else FATAL


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
        is_refusal=_is_refusal(status, error),
    )


def _is_refusal(status: int | None, error: Mapping[str, Any]) -> bool:
    """PROTOCOL §3: the envelope's ``code`` and ``message`` are always there, and a
    refusal comes with a 4xx status. A 2xx or 3xx carrying an envelope, or an envelope
    missing its fields, is not the API refusing: it proves nothing."""
    return (
        status is not None
        and 400 <= status < 500
        and isinstance(error.get("message"), str)
        and _int_or_none(error.get("code")) is not None
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


def error_not_json(target: str, status: int) -> GraphUnreachable:
    """An HTML error page (a proxy's 502), an empty or a cut body: not the API's
    answer, so nothing is known of what the API did (issue 19)."""
    return GraphUnreachable(
        "the API answered with a body that is not JSON",
        target=target,
        status=status,
        maybe_done=True,
    )


def error_redirect(target: str, status: int) -> GraphError:
    """A 3xx: statesync never follows redirects (the body could go elsewhere), and a
    redirect is no refusal. It may be answered after the request was carried out (a
    proxy or load balancer in the way), so a push's outcome is unknown (issue 19);
    not transient, since the same URL will be redirected again."""
    return GraphError(
        "the API answered with a redirect, which statesync does not follow",
        target=target,
        status=status,
        remedy="check the Graph API base URL: it must be the API itself "
        "(https://graph.facebook.com), not a host that redirects",
    )


def _int_or_none(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None
