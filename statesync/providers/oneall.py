"""The OneAll provider: push, update and delete page posts through OneAll (seeds 000/001).

OneAll's Update API changes ``message``, ``link`` and ``attachments`` in place (seed 000),
so every field changes in place (``capabilities``) and a link change is an update, never a
replace. OneAll's ``post_id`` is the Facebook post id, so the Graph reader can read what
this writer publishes; without Graph access, the Pull API reads a page's posts.

The identity token is part of every OneAll URL, so every path this module shows is
passed through ``_shown`` first, which masks it, and the HTTP libraries' log records are
redacted while the provider is open. Every request goes through ``_call``, which retries
it under the shared policy (statesync/providers/retry.py): OneAll publishes no numeric
rate limit (PROTOCOL §12), so 429 and 5xx are all there is to go by.
"""

from __future__ import annotations

import base64
import logging
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta, timezone
from types import TracebackType
from typing import Any

import httpx

from statesync.errors import ConfigError, ProviderError
from statesync.kinds import Capabilities, Kind
from statesync.model import POST_FIELDS, PostFields
from statesync.providers.base import (
    Access,
    ListedPost,
    PostGone,
    PushOutcomeUnknown,
)
from statesync.providers.http import (
    SETTLE_WINDOW_S,
    check_base_url,
    display_url,
    make_client,
    path_id,
    redact_http_logs,
    transport_failure,
)
from statesync.providers.retry import FATAL, REFUSED, CallKind, Failure, RetryPolicy
from statesync.secret import MASK, Secret, redact

log = logging.getLogger(__name__)

_IDENTITY = re.compile(r"[A-Za-z0-9._~-]+")  # RFC 3986 unreserved: a safe path segment
PULL_PAGE_SIZE = 500  # PROTOCOL §12: entries_per_page ≤ 500
_WRITE_TASKS = frozenset({"CREATE_CONTENT", "MANAGE"})
_MAX_PULL_PAGES = (
    1000  # a bound, so that a server that never stops paging cannot hang us
)

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
        "(it comes from the user's Facebook login through OneAll) and the post id"
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


class OneAllProvider:
    """Writer over the Push and Update APIs; reader and lister over the Pull API.

    HTTP Basic auth with the site's public and private keys (PROTOCOL §12).
    ``retry`` bounds how failed calls are tried again (default: ``RetryPolicy()``).
    """

    # seed 000: the Update API edits message, link and attachments, and deletes.
    read_chunk: int | None = (
        None  # one pass over the Pull listing serves all of a page's ids
    )
    settle_window_s = SETTLE_WINDOW_S  # every request is bounded by DEFAULT_TIMEOUT_S
    capabilities: Mapping[Kind, Capabilities] = {
        Kind.POST: Capabilities(
            fields=frozenset(POST_FIELDS), in_place=frozenset(POST_FIELDS)
        ),
    }

    def __init__(
        self,
        *,
        base_url: str,
        public_key: Secret,
        private_key: Secret,
        identity_token: Secret,
        transport: httpx.BaseTransport | None = None,
        retry: RetryPolicy | None = None,
        may_pull: bool = True,
    ) -> None:
        url = check_base_url(base_url, service="OneAll")
        self._may_pull = may_pull  # False: `read: none`, no Pull API call at all
        self._base = display_url(url)
        _check_identity(identity_token)
        self._identity = identity_token
        # The Basic credentials as they travel, in case a reply echoes the header.
        basic = base64.b64encode(
            f"{public_key.reveal()}:{private_key.reveal()}".encode()
        ).decode()
        self._secrets = (public_key, private_key, identity_token, Secret(basic))
        self._retry = retry if retry is not None else RetryPolicy()
        self._client = make_client(url, transport=transport)
        self._client.auth = httpx.BasicAuth(public_key.reveal(), private_key.reveal())
        self._unredact_logs = redact_http_logs(lambda: self._secrets)

    def __enter__(self) -> OneAllProvider:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()
        self._unredact_logs()

    def push(self, page_id: str, fields: PostFields) -> str:
        # seed 001: request.push.page{id, message, link | attachments}
        page: dict[str, Any] = {"id": path_id(page_id, "page")}
        page.update(_content(fields, clearing=False))
        path = f"/push/identities/{self._identity.reveal()}/facebook/page/post.json"
        body = {"request": {"push": {"page": page}}}
        result = self._call("POST", path, body, CallKind.PUSH)
        post_id = _dig(result, "response", "result", "data", "post_id")
        if not isinstance(post_id, str | int) or not str(post_id):
            raise PushOutcomeUnknown(
                "OneAll answered without response.result.data.post_id",
                target=self._shown("POST", path),
                remedy="the post may have been published: statesync looks at the "
                "page's recent posts before pushing it again",
            )
        return str(post_id)

    def update(self, page_id: str, post_id: str, fields: PostFields) -> None:
        # seed 000: every field in place; an empty attachments list removes them all.
        body = {"request": {"update": {"post": _content(fields, clearing=True)}}}
        try:
            self._call("PUT", self._post_path(page_id, post_id), body, CallKind.UPDATE)
        except OneAllError as exc:
            if exc.status == 404 and exc.is_refusal:  # OneAll's own 404, not a proxy's
                raise PostGone(
                    f"post {post_id} no longer exists", target=exc.target, status=404
                ) from exc
            raise

    def delete(self, page_id: str, post_id: str) -> None:
        try:
            path = self._post_path(page_id, post_id)
            self._call("DELETE", path, None, CallKind.DELETE)
        except OneAllError as exc:
            if exc.status != 404 or not exc.is_refusal:  # OneAll's own 404 only
                raise
            log.info("post %s was already gone", post_id)

    def read(
        self, page_id: str, post_ids: Sequence[str]
    ) -> Mapping[str, PostFields | None]:
        """Live fields through OneAll's Pull API, for projects without Graph access.

        PROTOCOL §12: the reply shape of ``/pull/.../page/<id>/posts.json`` is
        unconfirmed; ``_pull_page`` is the one place that knows it. A refusal
        (401/403) raises ``PullRefused``.
        """
        wanted = set(post_ids)
        found: dict[str, PostFields] = {}
        for number in range(1, _MAX_PULL_PAGES + 1):
            posts = self._pull_page(page_id, number)
            for post in posts:
                if str(post.get("post_id")) in wanted:
                    found[str(post["post_id"])] = _pulled_fields(post)
            if len(posts) < PULL_PAGE_SIZE or wanted <= found.keys():
                break
        return {post_id: found.get(post_id) for post_id in post_ids}

    def recent_posts(self, page_id: str, *, since: int) -> list[ListedPost]:
        """The page's posts created at or after ``since``, newest first, through the
        Pull API (``order_direction=desc``), stopping at the first page of results
        that reaches back before ``since``."""
        listed: list[ListedPost] = []
        for number in range(1, _MAX_PULL_PAGES + 1):
            posts = self._pull_page(page_id, number)
            reached_since = False
            for post in posts:
                entry = self._listed_post(page_id, post)
                if entry.created_time < since:
                    reached_since = True
                else:
                    listed.append(entry)
            if reached_since or len(posts) < PULL_PAGE_SIZE:
                break
        listed.sort(key=lambda post: -post.created_time)  # stable: API order in ties
        return listed

    def check_access(self, pages: Mapping[str, Access]) -> Mapping[str, str] | None:
        """The identity's pages through the Pull API (``/pull/identities/<token>/
        facebook/pages.json``, PROTOCOL §12, reply shape unconfirmed: the one place
        that knows it). OneAll refuses an identity that does not administer a page
        (403); where the listing gives tasks, a write needs CREATE_CONTENT or MANAGE
        (as OneAll's own check). None when the Pull API is refused: OneAll cannot
        tell beforehand, or when the project reads nothing (``read: none``)."""
        if not self._may_pull:
            return None
        try:
            admin = self._administered_pages()
        except PullRefused:
            return None
        problems: dict[str, str] = {}
        for page_id, access in sorted(pages.items()):
            if page_id not in admin:
                problems[page_id] = (
                    "the OneAll identity does not administer this page (Pull API: "
                    "not among its Facebook pages); check the page id and the "
                    "identity token's Facebook login"
                )
                continue
            tasks = admin[page_id]
            if access == "write" and tasks is not None and not _WRITE_TASKS & tasks:
                held = ", ".join(sorted(tasks)) or "none"
                problems[page_id] = (
                    f"the identity's user lacks the task to publish there (needs "
                    f"CREATE_CONTENT or MANAGE; holds {held})"
                )
        return problems

    def _administered_pages(self) -> dict[str, frozenset[str] | None]:
        """Page id -> the tasks the Pull API lists (None when it lists none)."""
        pages: dict[str, frozenset[str] | None] = {}
        for number in range(1, _MAX_PULL_PAGES + 1):
            entries = self._pull("facebook/pages.json", "pages", number, "")
            for entry in entries:
                if entry.get("page_id") is not None:
                    tasks = entry.get("tasks")
                    pages[str(entry["page_id"])] = (
                        frozenset(t for t in tasks if isinstance(t, str))
                        if isinstance(tasks, list)
                        else None
                    )
            if len(entries) < PULL_PAGE_SIZE:
                break
        return pages

    def _pull_page(self, page_id: str, number: int) -> list[Mapping[str, Any]]:
        """One page of ``/pull/.../page/<id>/posts.json``, newest first; its reply
        shape (PROTOCOL §12: unconfirmed) is ``response.result.data.posts`` of
        ``{post_id, message, link, attachments, created_at}``."""
        resource = f"facebook/page/{path_id(page_id, 'page')}/posts.json"
        return self._pull(resource, "posts", number, "&order_direction=desc")

    def _pull(
        self, resource: str, key: str, number: int, extra: str
    ) -> list[Mapping[str, Any]]:
        """One page of a Pull API listing: the objects of ``response.result.data.
        <key>``. A refusal (401/403) raises ``PullRefused``."""
        path = f"/pull/identities/{self._identity.reveal()}/{resource}"
        query = f"?page={number}&entries_per_page={PULL_PAGE_SIZE}{extra}"
        try:
            reply = self._call("GET", path + query, None, CallKind.READ)
        except OneAllError as exc:
            if exc.status in (401, 403):
                raise PullRefused(
                    exc.message, target=exc.target, status=exc.status
                ) from exc
            raise
        entries = _dig(reply, "response", "result", "data", key)
        if not isinstance(entries, list):
            raise OneAllError(
                f"OneAll's Pull API answered without response.result.data.{key}",
                target=self._shown("GET", path),
            )
        return [entry for entry in entries if isinstance(entry, dict)]

    def _listed_post(self, page_id: str, post: Mapping[str, Any]) -> ListedPost:
        """A pulled post; one without an id or a readable time fails the listing,
        since recovery must not miss a post (it would push it again)."""
        post_id = post.get("post_id")
        created = parse_oneall_time(post.get("created_at"))
        target = self._shown("GET", f"/pull/.../page/{page_id}/posts.json")
        if not isinstance(post_id, str | int) or not str(post_id):
            raise OneAllError("OneAll listed a post without a post_id", target=target)
        if created is None:
            raise OneAllError(
                f"OneAll listed post {post_id} without a readable created_at",
                target=target,
            )
        return ListedPost(
            post_id=str(post_id), fields=_pulled_fields(post), created_time=created
        )

    def _post_path(self, page_id: str, post_id: str) -> str:
        path_id(page_id, "page")
        path_id(post_id, "post")
        identity = self._identity.reveal()
        return (
            f"/update/identities/{identity}/facebook/page/{page_id}/post/{post_id}.json"
        )

    def _call(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | None,
        kind: CallKind,
    ) -> Any:
        """``_call_once`` under the retry policy for this kind of call."""
        return self._retry.call(
            lambda: self._call_once(method, path, body),
            kind=kind,
            classify=failure_of,
            target=self._shown(method, path),
        )

    def _call_once(self, method: str, path: str, body: Mapping[str, Any] | None) -> Any:
        """Send once; the reply's JSON object, or one ``OneAllError``.

        What proves that nothing was done (``failure_of``): OneAll's error result set
        with a 4xx status, a 429, or a request that never left. A redirect, a body
        that is not a JSON object (an HTML 502 page, a cut body), a 5xx or no reply
        at all leave a push's outcome unknown (PROTOCOL §3, issue 19).
        """
        shown = self._shown(method, path)
        log.debug("%s", shown)
        try:
            reply = self._client.request(
                method, path, json=body, headers={"Accept": "application/json"}
            )
        except httpx.RequestError as exc:
            message, maybe_done = transport_failure(exc, self._base)
            raise OneAllUnreachable(
                message, target=shown, maybe_done=maybe_done
            ) from None
        if 300 <= reply.status_code < 400:
            raise OneAllError(
                "OneAll answered with a redirect, which statesync does not follow",
                target=shown,
                status=reply.status_code,
                remedy="check the OneAll site URL: it must be the site's API itself "
                "(https://<subdomain>.api.oneall.com), not a host that redirects",
            )
        try:
            data = reply.json()
        except ValueError:  # UnicodeDecodeError included
            data = None
        if reply.is_success and isinstance(data, dict):
            return data
        if reply.is_success:
            raise OneAllUnreachable(
                "OneAll answered with a body that is not a JSON object",
                target=shown,
                maybe_done=True,
            )
        raise self._error(shown, reply.status_code, data, reply.headers)

    def _error(
        self, shown: str, status: int, data: Any, headers: Mapping[str, str]
    ) -> OneAllError:
        info = _dig(data, "response", "request", "status", "info")
        message = (
            redact(str(info), self._secrets) if info else "OneAll refused the request"
        )
        remedy = _REMEDIES.get(status)
        if remedy is None and status >= 500:
            remedy = "a temporary error on OneAll's side: retry later"
        regain = _retry_after_s(headers.get("retry-after")) if status == 429 else None
        if regain is not None and remedy is not None:
            remedy = f"{remedy} (OneAll asks to wait {regain:.0f} s)"
        flag = _dig(data, "response", "request", "status", "flag")
        return OneAllError(
            message,
            target=shown,
            status=status,
            remedy=remedy,
            regain_s=regain,
            # Seeds 000/001: the result set's status says "error" when OneAll refuses.
            is_refusal=400 <= status < 500 and flag == "error",
        )

    def _shown(self, method: str, path: str) -> str:
        return f"{method} {path.replace(self._identity.reveal(), MASK)}"


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


# PROTOCOL §12: `Thu, 21 Sep 2017 15:56:59  0200`, the offset's `+` shown as a space
# (a form decoder's doing); the emulator sends `Mon, 23 Nov 2026 20:29:44 +0000`.
_ONEALL_TIME = re.compile(
    r"(?:[A-Za-z]{3},?\s*)?(?P<day>\d{1,2})\s+(?P<month>[A-Za-z]{3})\s+"
    r"(?P<year>\d{4})\s+(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?"
    r"\s*(?:(?P<sign>[+-])?\s*(?P<offset>\d{4})|(?P<zone>GMT|UTC|Z))?"
)
_MONTHS = {
    name: number
    for number, name in enumerate(
        [
            "jan",
            "feb",
            "mar",
            "apr",
            "may",
            "jun",
            "jul",
            "aug",
            "sep",
            "oct",
            "nov",
            "dec",
        ],
        start=1,
    )
}


def parse_oneall_time(value: object) -> int | None:
    """Unix seconds from a OneAll date, read leniently (PROTOCOL §12); an ISO 8601
    time or a number is taken too. No offset means UTC."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return int(value)
    if not isinstance(value, str):
        return None
    text = value.strip()
    if text.isdigit():
        return int(text)
    match = _ONEALL_TIME.fullmatch(text)
    if match is None:
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return int(moment.timestamp())
    month = _MONTHS.get(match["month"].lower())
    if month is None:
        return None
    offset = timedelta(0)
    if match["offset"]:
        hours, minutes = int(match["offset"][:2]), int(match["offset"][2:])
        offset = timedelta(hours=hours, minutes=minutes)
        if match["sign"] == "-":
            offset = -offset
    try:
        moment = datetime(
            int(match["year"]),
            month,
            int(match["day"]),
            int(match["hour"]),
            int(match["minute"]),
            int(match["second"] or 0),
            tzinfo=timezone(offset),
        )
    except ValueError:
        return None
    return int(moment.timestamp())


def _check_identity(identity_token: Secret) -> None:
    """The identity token is a path segment of every OneAll URL: a ``/``, ``?``,
    ``#`` or ``%`` in it would send requests to another resource, and httpx would
    percent-encode anything else into the URL that logs show. OneAll's are UUIDs."""
    value = identity_token.reveal()
    if not _IDENTITY.fullmatch(value) or value in (".", ".."):
        raise ConfigError(
            "the OneAll identity token is malformed: it may hold only letters, "
            "digits and - . _ ~ (OneAll's are UUIDs; the value is not shown)"
        )


def _retry_after_s(raw: str | None) -> float | None:
    """Retry-After in seconds (its HTTP-date form is not used by OneAll's docs)."""
    if raw is None or not raw.strip().isdigit():
        return None
    return float(raw.strip())


def _pulled_fields(post: Mapping[str, Any]) -> PostFields:
    attachments = post.get("attachments") or []
    return PostFields(
        message=post.get("message") or None,
        link=post.get("link") or None,
        attachments=tuple(str(a) for a in attachments)
        if isinstance(attachments, list)
        else (),
    )


def _content(fields: PostFields, *, clearing: bool) -> dict[str, Any]:
    """The seeds' post object: a link and attachments never travel together (seeds
    000/001).

    On update (``clearing``) every field is set, so that a field the manifest dropped
    is removed live: an empty ``attachments`` list removes them all (seed 000); an
    empty message and an empty link remove those (not in seed 000, which documents
    no removal for them: our choice, mirrored by the emulator).
    """
    content: dict[str, Any] = {}
    if fields.message is not None or clearing:
        content["message"] = fields.message or ""
    if fields.link is not None:
        content["link"] = fields.link
    elif fields.attachments or clearing:
        content["attachments"] = list(fields.attachments)
        if clearing and not fields.attachments:
            content["link"] = ""
    return content


def _dig(data: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data
