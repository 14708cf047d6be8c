"""The Graph API provider: a writer and a batch reader of page posts.

Wire facts come from seeds 002-004 and PROTOCOL.md (section numbers below). Every HTTP
request goes through ``GraphProvider._call``: the one seam where retries (issue 7) and
rate-limit bookkeeping from the usage headers (issue 8) will wrap; ``read`` works chunk
by chunk (``_read_chunk``) so that chunks can later run in parallel.

Tokens travel only in the ``Authorization`` header (PROTOCOL §2: ``Bearer`` works), never
in a URL; ``appsecret_proof``, derived and useless without the token, rides in the body
of a POST and the query of a GET or DELETE.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from statesync.errors import ConfigError
from statesync.model import PostFields
from statesync.providers.base import PostGone
from statesync.providers.graph_errors import (
    GraphError,
    error_from_envelope,
    error_from_transport,
    error_not_json,
)
from statesync.providers.http import check_base_url, display_url, make_client
from statesync.secret import Secret

logger = logging.getLogger(__name__)

API_VERSION = re.compile(r"v[0-9]+\.[0-9]+")
GRAPH_ID = re.compile(r"[0-9]+(_[0-9]+)?")  # page, media and `{page-id}_{post-id}` ids
BATCH_MAX = 50  # PROTOCOL §5: more items fail the whole batch
BATCH_NULL_RETRIES = (
    2  # PROTOCOL §5: items unfinished at the batch timeout come as null
)
ACCOUNTS_PAGE_SIZE = 100
# PROTOCOL §8: the Post node has no `link` field (asking for it fails the whole
# request with code 12); a shared link and media ids are read from the attachments.
READ_FIELDS = (
    "id,message,attachments{type,media_type,unshimmed_url,url,target,subattachments}"
)
_SHIM_HOSTS = frozenset({"l.facebook.com", "lm.facebook.com"})


@dataclass(frozen=True, slots=True)
class GraphCall:
    """One Graph request, described as data so a policy can replay it."""

    method: str
    path: str  # without the version prefix: "/104510075301234/feed"
    token: Secret
    params: Mapping[str, str] = field(default_factory=dict)  # query (GET, DELETE)
    form: Mapping[str, str] | None = None  # form body (POST)
    page_id: str | None = None  # the page acted on, for remedies naming its tasks
    note: str | None = None  # what a path alone does not say, e.g. for a batch

    @property
    def target(self) -> str:
        """What errors name: the method and path, never a query string or token."""
        note = f" ({self.note})" if self.note else ""
        return f"{self.method} {self.path}{note}"


@dataclass(frozen=True, slots=True)
class PageAccess:
    """How to act on one page: its page token, and the tasks ``/me/accounts`` listed
    for the token's user (``None`` when the configured token is itself a page token)."""

    token: Secret
    tasks: frozenset[str] | None


class GraphProvider:
    """Writer and Reader over the Graph API (seeds 002-004)."""

    # seed 003: `POST /{page-id}_{post-id}` takes message and attached_media but no
    # link, so a link change is a replace.
    in_place_fields = frozenset({"message", "attachments"})

    def __init__(
        self,
        *,
        base_url: str,
        api_version: str,
        token: Secret,
        app_secret: Secret | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        url = check_base_url(base_url, service="Graph API")
        if not API_VERSION.fullmatch(api_version):
            raise ConfigError(
                f"Graph API version {api_version!r} must look like v26.0 "
                "(PROTOCOL.md lists the versions in service)"
            )
        self._base = display_url(url)
        self._version = api_version
        self._token = token
        self._app_secret = app_secret
        self._client = make_client(url, transport=transport)
        self._pages: dict[str, PageAccess] | None = None  # resolved on first use
        self._pages_lock = threading.Lock()  # parallel reads resolve only once

    def __repr__(self) -> str:
        return f"GraphProvider(base_url={self._base!r}, api_version={self._version!r})"

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> GraphProvider:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # Reader

    def read(
        self, page_id: str, post_ids: Sequence[str]
    ) -> dict[str, PostFields | None]:
        """Live fields per id, one batch request per 50 ids (PROTOCOL §5)."""
        _check_id(page_id, "page")
        ids = list(dict.fromkeys(post_ids))
        for post_id in ids:
            _check_id(post_id, "post")
        if not ids:
            return {}
        token = self.page_access(page_id).token
        live: dict[str, PostFields | None] = {}
        for chunk in _chunks(ids, BATCH_MAX):
            live.update(self._read_chunk(page_id, token, chunk))
        return live

    def _read_chunk(
        self, page_id: str, token: Secret, post_ids: Sequence[str]
    ) -> dict[str, PostFields | None]:
        live: dict[str, PostFields | None] = {}
        pending = list(post_ids)
        for _attempt in range(1 + BATCH_NULL_RETRIES):
            items = [
                {"method": "GET", "relative_url": f"{post_id}?fields={READ_FIELDS}"}
                for post_id in pending
            ]
            replies = self._batch(page_id, token, items)
            unfinished = []
            for post_id, reply in zip(pending, replies, strict=True):
                if reply is None:  # PROTOCOL §5: unfinished at the batch timeout
                    unfinished.append(post_id)
                else:
                    live[post_id] = self._read_reply(page_id, post_id, reply)
            pending = unfinished
            if not pending:
                return live
        raise GraphError(
            f"the batch request timed out for {len(pending)} of {len(post_ids)} posts, "
            f"{1 + BATCH_NULL_RETRIES} times",
            target=f"POST / (batch read on page {page_id})",
            is_transient=True,
            remedy="a temporary slowness on Facebook's side: retry later",
        )

    def _batch(
        self, page_id: str, token: Secret, items: Sequence[Mapping[str, str]]
    ) -> list[Any]:
        call = GraphCall(
            "POST",
            "/",
            token,
            form={
                "batch": json.dumps(items, separators=(",", ":")),
                "include_headers": "false",
            },
            page_id=page_id,
            note=f"batch of {len(items)} reads on page {page_id}",
        )
        replies = self._call(call)
        if not isinstance(replies, list) or len(replies) != len(items):
            raise GraphError(
                "the batch reply does not hold one answer per request",
                target=call.target,
            )
        return replies

    def _read_reply(self, page_id: str, post_id: str, reply: Any) -> PostFields | None:
        target = f"GET /{post_id} (in a batch)"
        status = reply.get("code") if isinstance(reply, dict) else None
        raw = reply.get("body") if isinstance(reply, dict) else None
        try:
            body = json.loads(raw) if isinstance(raw, str) else raw
        except ValueError:
            raise error_not_json(target, status or 0) from None
        if status == 200 and isinstance(body, dict) and "error" not in body:
            return parse_post(body)
        error = error_from_envelope(
            target,
            status if isinstance(status, int) else None,
            body,
            {},
            self._secrets(),
            known_tasks=self._known_tasks(page_id),
        )
        if error.is_gone:
            return None
        raise error

    # Writer

    def push(self, page_id: str, fields: PostFields) -> str:
        """``POST /{page-id}/feed`` (PROTOCOL §9); returns ``{page-id}_{post-id}``."""
        _check_id(page_id, "page")
        form: dict[str, str] = {}
        if fields.message is not None:
            form["message"] = fields.message
        if fields.link is not None:
            form["link"] = fields.link
        if fields.attachments:
            form["attached_media"] = _attached_media(fields.attachments)
        call = GraphCall(
            "POST",
            f"/{page_id}/feed",
            self.page_access(page_id).token,
            form=form,
            page_id=page_id,
        )
        body = self._call(call)
        post_id = body.get("id") if isinstance(body, dict) else None
        if isinstance(post_id, int) and not isinstance(post_id, bool):
            post_id = str(post_id)
        if not isinstance(post_id, str) or not GRAPH_ID.fullmatch(post_id):
            raise GraphError(
                "the API accepted the post but answered no post id",
                target=call.target,
                remedy="the post may have been published: check the page before "
                "running again",
            )
        return post_id

    def update(self, page_id: str, post_id: str, fields: PostFields) -> None:
        """``POST /{page-id}_{post-id}`` with every in-place field (seed 003).

        ``message`` is always sent, ``""`` for none, so that removing a message from a
        manifest clears it live. ``attached_media`` is sent (``[]`` clears) unless the
        post carries a link: link and attachments never go together (seeds 000/001),
        and an empty list must not touch a link's share attachment. ``link`` is never
        sent: seed 003 has no such parameter (a link change is a replace).
        """
        _check_id(page_id, "page")
        _check_id(post_id, "post")
        form = {"message": fields.message or ""}
        if fields.link is None:
            form["attached_media"] = _attached_media(fields.attachments)
        call = GraphCall(
            "POST",
            f"/{post_id}",
            self.page_access(page_id).token,
            form=form,
            page_id=page_id,
        )
        try:
            body = self._call(call)
        except GraphError as exc:
            if exc.is_gone:
                raise PostGone(
                    f"post {post_id} no longer exists",
                    target=call.target,
                    status=exc.status,
                    code=exc.code,
                ) from None
            raise
        _expect_success(call, body)

    def delete(self, page_id: str, post_id: str) -> None:
        """``DELETE /{page-id}_{post-id}``; already gone (100/33) counts as deleted
        (PROTOCOL §10), although 100/33 can also mean the token lost its access."""
        _check_id(page_id, "page")
        _check_id(post_id, "post")
        call = GraphCall(
            "DELETE", f"/{post_id}", self.page_access(page_id).token, page_id=page_id
        )
        try:
            body = self._call(call)
        except GraphError as exc:
            if exc.is_gone:
                logger.info("%s: already gone", call.target)
                return
            raise
        _expect_success(call, body)

    # Page tokens (seed 004)

    def page_access(self, page_id: str) -> PageAccess:
        """The page token for ``page_id``, resolved once from the configured token."""
        with self._pages_lock:
            if self._pages is None:
                self._pages = self._resolve_pages()
            pages = self._pages
        access = pages.get(page_id)
        if access is not None:
            return access
        if len(pages) == 1 and next(iter(pages.values())).tasks is None:
            (own,) = pages
            raise GraphError(
                f"page {page_id} cannot be reached with this token: it is a page "
                f"token for page {own}",
                target="GET /me",
                remedy="use a user token whose user has a task on every page of the "
                "project, or that page's own token",
            )
        raise GraphError(
            f"page {page_id} is not among the pages this token administers",
            target="GET /me/accounts",
            remedy="check that the token's user has a task on the page (seed 004: "
            "CREATE_CONTENT to publish and edit), that the token has the "
            "pages_show_list permission (and business_management for a "
            "business-owned page), and that the page id is right",
        )

    def _resolve_pages(self) -> dict[str, PageAccess]:
        try:
            return self._accounts()
        except GraphError as exc:
            # A page token has no `accounts` edge: 100 "nonexisting field (accounts)
            # on node type (Page)". Then the token stands for its own page only.
            if exc.code != 100 or exc.is_gone:
                raise
        me = self._call(GraphCall("GET", "/me", self._token, params={"fields": "id"}))
        page_id = me.get("id") if isinstance(me, dict) else None
        if not isinstance(page_id, str) or not page_id:
            raise GraphError("the API answered no id for the token", target="GET /me")
        logger.debug("the configured token is a page token for page %s", page_id)
        return {page_id: PageAccess(token=self._token, tasks=None)}

    def _accounts(self) -> dict[str, PageAccess]:
        """Every page of ``/me/accounts``, following the ``after`` cursor; never the
        ``next`` URL, which embeds the token (PROTOCOL §7)."""
        pages: dict[str, PageAccess] = {}
        # seed 004: the default fields are id, name, access_token, tasks, category
        params = {"limit": str(ACCOUNTS_PAGE_SIZE)}
        seen: set[str] = set()
        while True:
            body = self._call(GraphCall("GET", "/me/accounts", self._token, params))
            for entry in _data(body):
                page_id, token = entry.get("id"), entry.get("access_token")
                if isinstance(page_id, str) and isinstance(token, str) and token:
                    tasks = entry.get("tasks")
                    pages[page_id] = PageAccess(
                        token=Secret(token),
                        tasks=frozenset(t for t in tasks or () if isinstance(t, str)),
                    )
            paging = body.get("paging") if isinstance(body, dict) else None
            paging = paging if isinstance(paging, dict) else {}
            cursors = paging.get("cursors")
            after = cursors.get("after") if isinstance(cursors, dict) else None
            if not paging.get("next") or not isinstance(after, str) or after in seen:
                return pages
            seen.add(after)
            params = {**params, "after": after}

    def _known_tasks(self, page_id: str | None) -> frozenset[str] | None:
        pages = self._pages
        access = pages.get(page_id) if pages is not None and page_id else None
        return access.tasks if access is not None else None

    # The HTTP seam

    def _call(self, call: GraphCall) -> Any:
        """Send ``call``; its JSON body, or one ``GraphError`` for any failure."""
        response = self._send(call)
        try:
            body = response.json()
        except ValueError:
            raise error_not_json(call.target, response.status_code) from None
        if response.is_success and not (isinstance(body, dict) and "error" in body):
            return body
        raise error_from_envelope(
            call.target,
            response.status_code,
            body,
            response.headers,
            self._secrets(),
            known_tasks=self._known_tasks(call.page_id),
        )

    def _send(self, call: GraphCall) -> httpx.Response:
        params = dict(call.params)
        form = dict(call.form) if call.form is not None else None
        if self._app_secret is not None:  # PROTOCOL §2
            proof = appsecret_proof(call.token, self._app_secret)
            (form if form is not None else params)["appsecret_proof"] = proof
        try:
            response = self._client.request(
                call.method,
                f"/{self._version}{call.path}",
                params=params or None,
                data=form,
                headers={"Authorization": f"Bearer {call.token.reveal()}"},
            )
        except httpx.RequestError as exc:
            raise error_from_transport(call.target, self._base, exc) from None
        logger.debug("%s -> HTTP %s", call.target, response.status_code)
        return response

    def _secrets(self) -> list[Secret]:
        secrets = [self._token]
        if self._app_secret is not None:
            secrets.append(self._app_secret)
        if self._pages is not None:
            secrets.extend(access.token for access in self._pages.values())
        return secrets


def appsecret_proof(token: Secret, app_secret: Secret) -> str:
    """PROTOCOL §2: lowercase hex HMAC-SHA256 of the token, keyed by the app secret."""
    return hmac.new(
        app_secret.reveal().encode(), token.reveal().encode(), hashlib.sha256
    ).hexdigest()


def parse_post(body: Mapping[str, Any]) -> PostFields:
    """Live fields from a Post node read with ``READ_FIELDS`` (PROTOCOL §8).

    A shared link is the share attachment's ``unshimmed_url``; media ids are the
    ``target.id`` of a photo or video, or of each of an album's subattachments in
    attach order.
    """
    message = body.get("message")
    link: str | None = None
    media: list[str] = []
    for attachment in _data(body.get("attachments")):
        subs = _data(attachment.get("subattachments"))
        if attachment.get("type") == "share" or attachment.get("media_type") == "link":
            link = link or _shared_link(attachment)
        elif subs:
            media.extend(_target_id(sub) for sub in subs)
        elif attachment.get("media_type") in ("photo", "video"):
            media.append(_target_id(attachment))
    return PostFields(
        message=message if isinstance(message, str) and message else None,
        link=link,
        attachments=tuple(media_id for media_id in media if media_id),
    )


def _shared_link(attachment: Mapping[str, Any]) -> str | None:
    unshimmed = attachment.get("unshimmed_url")
    if isinstance(unshimmed, str) and unshimmed:
        return unshimmed
    url = attachment.get("url")
    if not isinstance(url, str) or not url:
        return None
    parts = urlsplit(url)
    if parts.hostname in _SHIM_HOSTS and parts.path == "/l.php":
        original = parse_qs(parts.query).get("u")
        if original:
            return original[0]
    return url


def _target_id(attachment: Mapping[str, Any]) -> str:
    target = attachment.get("target")
    media_id = target.get("id") if isinstance(target, dict) else None
    return str(media_id) if isinstance(media_id, str | int) else ""


def _data(container: Any) -> list[Mapping[str, Any]]:
    """The dict items of a Graph list (``{"data": [...]}``), or nothing."""
    items = container.get("data") if isinstance(container, dict) else None
    if not isinstance(items, list):
        return []
    return [item for item in items if isinstance(item, dict)]


def _attached_media(media_ids: Sequence[str]) -> str:
    """PROTOCOL §9: a JSON list of ``{"media_fbid": id}``."""
    for media_id in media_ids:
        _check_id(media_id, "media")
    return json.dumps(
        [{"media_fbid": media_id} for media_id in media_ids], separators=(",", ":")
    )


def _expect_success(call: GraphCall, body: Any) -> None:
    if not (isinstance(body, dict) and body.get("success") is True):
        raise GraphError("the API did not confirm success", target=call.target)


def _check_id(value: str, kind: str) -> None:
    """Ids become URL paths: anything but Graph's digit ids would change the path."""
    if not isinstance(value, str) or not GRAPH_ID.fullmatch(value):
        raise GraphError(
            f"{value!r} is not a Graph {kind} id",
            target=f"{kind} id",
            remedy="ids are digits (posts: <page-id>_<post-id>); check the manifest "
            "and the lockfile",
        )


def _chunks(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
