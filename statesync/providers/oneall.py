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
from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from typing import Any

import httpx

from statesync.errors import ProviderError
from statesync.kinds import Capabilities, Kind
from statesync.media import VIDEO_TYPES, MediaFile
from statesync.model import POST_FIELDS, PostFields
from statesync.providers.base import (
    Access,
    ListedPost,
    PageInfo,
    PostGone,
    facebook_access,
)
from statesync.providers.http import (
    SETTLE_WINDOW_S,
    HttpProvider,
    HttpSession,
    open_media,
    path_id,
    post_path_id,
    time_to_send,
)
from statesync.providers.listing import listed_post, pushed_post_id
from statesync.providers.oneall_errors import (
    OneAllError,
    OneAllUnreachable,
    PullRefused,
    error_from_reply,
    failure_of,
)
from statesync.providers.oneall_networks import NetworkCalls, capabilities_of
from statesync.providers.oneall_wire import (
    Upload,
    check_identity,
    dig,
    parse_oneall_time,
    post_content,
    pulled_fields,
    upload_body,
    uploaded_id,
)
from statesync.providers.retry import CallKind, RetryPolicy
from statesync.secret import MASK, Secret
from statesync.targets import Network, is_facebook, target_of

log = logging.getLogger(__name__)

PULL_PAGE_SIZE = 500  # PROTOCOL §12: entries_per_page ≤ 500
_WRITE_TASKS = frozenset({"CREATE_CONTENT", "MANAGE"})
_MAX_PULL_PAGES = (
    1000  # a bound, so that a server that never stops paging cannot hang us
)


class OneAllProvider(HttpProvider):
    """Writer over the Push and Update APIs; reader and lister over the Pull API.

    HTTP Basic auth with the site's public and private keys (PROTOCOL §12).
    ``retry`` bounds how failed calls are tried again (default: ``RetryPolicy()``).
    """

    # seed 000: the Update API edits message, link and attachments, and deletes.
    reads_flags = False  # PROTOCOL §12: the Pull API has no pinned or hidden
    read_chunk: int | None = (
        None  # one pass over the Pull listing serves all of a page's ids
    )
    settle_window_s = SETTLE_WINDOW_S  # every request is bounded by DEFAULT_TIMEOUT_S
    capabilities: Mapping[Kind, Capabilities] = {
        Kind.POST: Capabilities(
            fields=frozenset(POST_FIELDS),
            in_place=frozenset(POST_FIELDS),
            delete=True,  # seed 000: DELETE of a page post
            read=True,  # seed 001 names the Pull API; PROTOCOL §12 (shape unconfirmed)
            list=True,  # the same Pull listing of the page's posts
        ),
        # seed 001: Upload Page Picture / Video, attached to a post by id; seed 000:
        # Delete Page Picture / Video.
        Kind.MEDIA: Capabilities(
            fields=frozenset({"image", "video"}),
            in_place=frozenset(),
            delete=True,
            read=False,
            list=False,
        ),
    }

    def __init__(
        self,
        *,
        base_url: str,
        public_key: Secret,
        private_key: Secret,
        identity_token: Secret | None,
        identities: Mapping[Network, Secret] | None = None,
        files: Mapping[str, MediaFile] | None = None,
        transport: httpx.BaseTransport | None = None,
        retry: RetryPolicy | None = None,
        may_pull: bool = True,
    ) -> None:
        """``identity_token``: the Facebook login's (None: a project with no
        Facebook page); ``identities``: the other networks' logins; ``files``: media
        key -> file, for the images that travel inside a push (a pin's)."""
        self._may_pull = may_pull  # False: `read: none`, no Pull API call at all
        tokens = dict(identities or {})
        if identity_token is not None:
            tokens[Network.FACEBOOK] = identity_token
        for token in tokens.values():
            check_identity(token)
        self._tokens = tokens
        # The Basic credentials as they travel, in case a reply echoes the header.
        basic = base64.b64encode(
            f"{public_key.reveal()}:{private_key.reveal()}".encode()
        ).decode()
        self._secrets = (public_key, private_key, *tokens.values(), Secret(basic))
        self._networks = NetworkCalls(self._network_call, self._token, files or {})
        self._retry = retry if retry is not None else RetryPolicy()
        self._session = HttpSession(
            base_url,
            service="OneAll",
            secrets=lambda: self._secrets,
            unreachable=OneAllUnreachable,
            transport=transport,
            auth=httpx.BasicAuth(public_key.reveal(), private_key.reveal()),
        )

    def capabilities_for(self, target: str) -> Mapping[Kind, Capabilities]:
        if is_facebook(target):
            return self.capabilities
        return capabilities_of(target)

    def push(
        self, page_id: str, fields: PostFields, *, schedule: int | None = None
    ) -> str:
        # seed 001: request.push.page{id, message, link | attachments}; no time
        where = "POST /push/.../facebook/page/post.json"
        if schedule is not None:
            raise _cannot_schedule(where)
        if not is_facebook(page_id):
            return self._networks.push(target_of(page_id), fields)
        page: dict[str, Any] = {"id": path_id(page_id, "page", where=where)}
        page.update(post_content(fields, clearing=False))
        path = (
            f"/push/identities/{self._token(Network.FACEBOOK)}/facebook/page/post.json"
        )
        body = {"request": {"push": {"page": page}}}
        result = self._call("POST", path, body, CallKind.PUSH)
        post_id = dig(result, "response", "result", "data", "post_id")
        return pushed_post_id(post_id, target=self._shown("POST", path))

    def update(self, page_id: str, post_id: str, fields: PostFields) -> None:
        try:
            if not is_facebook(page_id):
                self._networks.update(target_of(page_id), post_id, fields)
                return
            # seed 000: every field in place; an empty attachments list removes all.
            post = post_content(fields, clearing=True)
            path = self._post_path("PUT", page_id, post_id)
            self._call(
                "PUT", path, {"request": {"update": {"post": post}}}, CallKind.UPDATE
            )
        except OneAllError as exc:
            if _is_gone(exc, page_id, post_id):
                raise PostGone(
                    f"post {post_id} no longer exists", target=exc.target, status=404
                ) from exc
            raise

    def reschedule(self, page_id: str, post_id: str, when: int | None) -> None:
        raise _cannot_schedule("PUT /update/.../facebook/page/post.json")

    def delete(self, page_id: str, post_id: str) -> None:
        if not is_facebook(page_id):
            path = self._networks.delete_path(target_of(page_id), post_id)
        else:
            path = self._post_path("DELETE", page_id, post_id)
        self._delete(path, f"post {post_id}", page_id, post_id)

    def upload(self, page_id: str, media: MediaFile) -> str:
        """seed 001: Upload Page Picture or Video (request body unconfirmed)."""
        if not is_facebook(page_id):
            return self._networks.upload(target_of(page_id), media)
        what = "video" if media.is_video else "picture"
        where = f"POST /push/.../facebook/page/{what}.json"
        path_id(page_id, "page", where=where)
        path = f"/push/identities/{self._token(Network.FACEBOOK)}/facebook/page/{what}.json"
        result = self._call(
            "POST",
            path,
            None,
            CallKind.UPLOAD,
            upload=(media, lambda handle: upload_body(page_id, media, handle)),
        )
        media_id = uploaded_id(result, media)
        if not isinstance(media_id, str | int) or isinstance(media_id, bool):
            raise OneAllError(
                f"OneAll returned no {what} id", target=self._shown("POST", path)
            )
        return path_id(str(media_id), "media", where=where)

    def delete_media(self, page_id: str, media_id: str, mime: str) -> None:
        """seed 000: Delete Page Picture or Video; OneAll's own 404: already gone."""
        what = "video" if mime in VIDEO_TYPES else "picture"
        where = f"DELETE /update/.../facebook/page/{{page-id}}/{what}/{{id}}.json"
        path_id(page_id, "page", where=where)
        path_id(media_id, "media", where=where)
        identity = self._token(Network.FACEBOOK)
        path = f"/update/identities/{identity}/facebook/page/{page_id}/{what}/{media_id}.json"
        self._delete(path, f"{what} {media_id}", page_id, media_id)

    def _delete(self, path: str, what: str, page_id: str, object_id: str) -> None:
        """One Update API DELETE; OneAll's own 404 (not a proxy's) means already gone."""
        try:
            self._call("DELETE", path, None, CallKind.DELETE)
        except OneAllError as exc:
            if not _is_gone(exc, page_id, object_id):
                raise
            log.info("%s was already gone", what)

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
                    found[str(post["post_id"])] = pulled_fields(post)
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
        return facebook_access(pages, self._page_problems)

    def _page_problems(self, pages: Mapping[str, Access]) -> Mapping[str, str] | None:
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

    def pages(self) -> list[PageInfo]:
        """PROTOCOL §12: the Pull API's pages of the identity (names: unconfirmed)."""
        return [
            PageInfo(page_id, None, tasks)
            for page_id, tasks in sorted(self._administered_pages().items())
        ]

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
        where = "GET /pull/.../facebook/page/{page-id}/posts.json"
        resource = f"facebook/page/{path_id(page_id, 'page', where=where)}/posts.json"
        return self._pull(resource, "posts", number, "&order_direction=desc")

    def _pull(
        self, resource: str, key: str, number: int, extra: str
    ) -> list[Mapping[str, Any]]:
        """One page of a Pull API listing: the objects of ``response.result.data.
        <key>``. A refusal (401/403) raises ``PullRefused``."""
        path = f"/pull/identities/{self._token(Network.FACEBOOK)}/{resource}"
        query = f"?page={number}&entries_per_page={PULL_PAGE_SIZE}{extra}"
        try:
            reply = self._call("GET", path + query, None, CallKind.READ)
        except OneAllError as exc:
            if exc.status in (401, 403):
                raise PullRefused(
                    exc.message, target=exc.target, status=exc.status
                ) from exc
            raise
        entries = dig(reply, "response", "result", "data", key)
        if not isinstance(entries, list):
            raise OneAllError(
                f"OneAll's Pull API answered without response.result.data.{key}",
                target=self._shown("GET", path),
            )
        return [entry for entry in entries if isinstance(entry, dict)]

    def _listed_post(self, page_id: str, post: Mapping[str, Any]) -> ListedPost:
        """A pulled post, checked (``listing.listed_post``)."""
        target = self._shown("GET", f"/pull/.../page/{page_id}/posts.json")
        return listed_post(
            post.get("post_id"),
            parse_oneall_time(post.get("created_at")),
            pulled_fields(post),
            fail=lambda message: OneAllError(message, target=target),
        )

    def _post_path(self, method: str, page_id: str, post_id: str) -> str:
        where = f"{method} /update/.../facebook/page/{{page-id}}/post/{{post-id}}.json"
        post_path_id(post_id, page_id, where=where)
        identity = self._token(Network.FACEBOOK)
        return (
            f"/update/identities/{identity}/facebook/page/{page_id}/post/{post_id}.json"
        )

    def _call(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | None,
        kind: CallKind,
        *,
        upload: Upload | None = None,
    ) -> Any:
        """``_call_once`` under the retry policy for this kind of call; ``upload``: a
        file and the body streamed from it, read again for each attempt."""
        # The file travels base64-encoded in the JSON body: 4/3 of its size.
        with time_to_send(upload[0] if upload is not None else None, 4 / 3):
            return self._retry.call(
                lambda: self._call_once(method, path, body, upload),
                kind=kind,
                classify=failure_of,
                target=self._shown(method, path),
            )

    def _call_once(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | None,
        upload: Upload | None = None,
    ) -> Any:
        """Send once; the reply's JSON object, or one ``OneAllError``.

        What proves that nothing was done (``failure_of``): OneAll's error result set
        with a 4xx status, a 429, or a request that never left. A redirect, a body
        that is not a JSON object (an HTML 502 page, a cut body), a 5xx or no reply
        at all leave a push's outcome unknown (PROTOCOL §3, issue 19).
        """
        shown = self._shown(method, path)
        log.debug("%s", shown)
        with ExitStack() as stack:
            content: dict[str, Any] = {"json": body}
            if upload is not None:  # (file, body from its handle)
                media, body_of = upload
                handle = stack.enter_context(open_media(media, shown))
                content = {"content": body_of(handle)}
            reply = self._session.send(
                method,
                path,
                target=shown,
                headers={
                    "Accept": "application/json",
                    "Content-Type": "application/json",
                },
                **content,
            )
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
        raise error_from_reply(
            shown, reply.status_code, data, reply.headers, self._secrets
        )

    def _shown(self, method: str, path: str) -> str:
        for token in self._tokens.values():
            path = path.replace(token.reveal(), MASK)
        return f"{method} {path}"

    def _token(self, network: Network) -> str:
        token = self._tokens.get(network)
        if token is None:  # connection refuses a project that needs one first
            raise ProviderError(f"no OneAll identity token for {network}")
        return token.reveal()

    def _network_call(
        self, method: str, path: str, body: Any, upload: Upload | None, kind: str
    ) -> Any:
        return self._call(method, path, body, CallKind(kind), upload=upload)


def _is_gone(error: OneAllError, target: str, object_id: str) -> bool:
    """OneAll's own 404 (not a proxy's) for the object itself. On another network
    an identity OneAll does not know is a 404 too (docs/oneall-networks.md), and
    taking it for "already deleted" would drop a live post from the lockfile: there
    the reply must name the object (``The tweet [<id>] does not exist``;
    unconfirmed wording, the emulator's)."""
    if error.status != 404 or not error.is_refusal:
        return False
    return is_facebook(target) or (
        f"[{object_id}]" in error.message and "identity" not in error.message
    )


def _cannot_schedule(where: str) -> ProviderError:
    """seed 001 has no publishing time: the planner never asks (capabilities)."""
    return ProviderError("the OneAll Push API cannot schedule a post", target=where)
