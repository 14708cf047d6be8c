"""The OneAll provider: push, update and delete page posts through OneAll (seeds 000/001).

OneAll's Update API changes ``message``, ``link`` and ``attachments`` in place (seed 000),
so every field is in ``in_place_fields`` and a link change is an update, never a
replace. OneAll's ``post_id`` is the Facebook post id, so the Graph reader can read what
this writer publishes; without Graph access, the Pull API reads a page's posts.

The identity token is part of every OneAll URL, so every path this module shows is
passed through ``_shown`` first, which masks it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any

import httpx

from statesync.errors import ProviderError
from statesync.model import PostFields
from statesync.providers.base import PostGone
from statesync.providers.http import check_base_url, display_url, make_client
from statesync.secret import MASK, Secret, redact

log = logging.getLogger(__name__)

PULL_PAGE_SIZE = 500  # PROTOCOL §12: entries_per_page ≤ 500
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


class PullRefused(OneAllError):
    """The Pull API refused to read: plan from the recorded hashes instead."""


class OneAllProvider:
    """Writer over the Push and Update APIs and reader over the Pull API.

    HTTP Basic auth with the site's public and private keys (PROTOCOL §12).
    """

    in_place_fields = frozenset({"message", "link", "attachments"})  # seed 000

    def __init__(
        self,
        *,
        base_url: str,
        public_key: Secret,
        private_key: Secret,
        identity_token: Secret,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        url = check_base_url(base_url, service="OneAll")
        self._base = display_url(url)
        self._identity = identity_token
        self._secrets = (public_key, private_key, identity_token)
        self._client = make_client(url, transport=transport)
        self._client.auth = httpx.BasicAuth(public_key.reveal(), private_key.reveal())

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

    def push(self, page_id: str, fields: PostFields) -> str:
        # seed 001: request.push.page{id, message, link | attachments}
        page: dict[str, Any] = {"id": page_id}
        page.update(_content(fields, clearing=False))
        path = f"/push/identities/{self._identity.reveal()}/facebook/page/post.json"
        result = self._call("POST", path, {"request": {"push": {"page": page}}})
        post_id = _dig(result, "response", "result", "data", "post_id")
        if not isinstance(post_id, str | int) or not str(post_id):
            raise OneAllError(
                "OneAll answered without response.result.data.post_id",
                target=self._shown("POST", path),
            )
        return str(post_id)

    def update(self, page_id: str, post_id: str, fields: PostFields) -> None:
        # seed 000: every field in place; an empty attachments list removes them all.
        body = {"request": {"update": {"post": _content(fields, clearing=True)}}}
        try:
            self._call("PUT", self._post_path(page_id, post_id), body)
        except OneAllError as exc:
            if exc.status == 404:
                raise PostGone(
                    f"post {post_id} no longer exists", target=exc.target, status=404
                ) from exc
            raise

    def delete(self, page_id: str, post_id: str) -> None:
        try:
            self._call("DELETE", self._post_path(page_id, post_id), None)
        except OneAllError as exc:
            if exc.status != 404:
                raise
            log.info("post %s was already gone", post_id)

    def read(
        self, page_id: str, post_ids: Sequence[str]
    ) -> Mapping[str, PostFields | None]:
        """Live fields through OneAll's Pull API, for projects without Graph access.

        PROTOCOL §12: the reply shape of ``/pull/.../page/<id>/posts.json`` is
        unconfirmed; this is the one place that knows it: ``response.result.data.posts`` of
        ``{post_id, message, link, attachments}``, paged with ``page`` and
        ``entries_per_page``. A refusal (401/403) raises ``PullRefused``.
        """
        identity = self._identity.reveal()
        path = f"/pull/identities/{identity}/facebook/page/{page_id}/posts.json"
        wanted = set(post_ids)
        found: dict[str, PostFields] = {}
        for number in range(1, _MAX_PULL_PAGES + 1):
            query = f"?page={number}&entries_per_page={PULL_PAGE_SIZE}"
            try:
                reply = self._call("GET", path + query, None)
            except OneAllError as exc:
                if exc.status in (401, 403):
                    raise PullRefused(
                        exc.message, target=exc.target, status=exc.status
                    ) from exc
                raise
            posts = _dig(reply, "response", "result", "data", "posts")
            if not isinstance(posts, list):
                raise OneAllError(
                    "OneAll's Pull API answered without response.result.data.posts",
                    target=self._shown("GET", path),
                )
            for post in posts:
                if isinstance(post, dict) and str(post.get("post_id")) in wanted:
                    found[str(post["post_id"])] = _pulled_fields(post)
            if len(posts) < PULL_PAGE_SIZE or wanted <= found.keys():
                break
        return {post_id: found.get(post_id) for post_id in post_ids}

    def _post_path(self, page_id: str, post_id: str) -> str:
        identity = self._identity.reveal()
        return (
            f"/update/identities/{identity}/facebook/page/{page_id}/post/{post_id}.json"
        )

    def _call(self, method: str, path: str, body: Mapping[str, Any] | None) -> Any:
        shown = self._shown(method, path)
        log.debug("%s", shown)
        try:
            reply = self._client.request(
                method, path, json=body, headers={"Accept": "application/json"}
            )
        except httpx.TransportError as exc:
            raise OneAllError(
                f"cannot reach {self._base} ({type(exc).__name__})",
                target=shown,
                remedy="check the network and OneAll's status, then run again",
            ) from None
        try:
            data = reply.json()
        except ValueError:
            data = None
        if reply.is_success and isinstance(data, dict):
            return data
        raise self._error(shown, reply.status_code, data)

    def _error(self, shown: str, status: int, data: Any) -> OneAllError:
        info = _dig(data, "response", "request", "status", "info")
        message = (
            redact(str(info), self._secrets) if info else "OneAll refused the request"
        )
        remedy = _REMEDIES.get(status)
        if remedy is None and status >= 500:
            remedy = "a temporary error on OneAll's side: retry later"
        return OneAllError(message, target=shown, status=status, remedy=remedy)

    def _shown(self, method: str, path: str) -> str:
        return f"{method} {path.replace(self._identity.reveal(), MASK)}"


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
