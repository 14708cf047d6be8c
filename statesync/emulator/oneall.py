"""The OneAll API (seeds 000, 001; PROTOCOL §12), on the same store as Graph.

A post pushed here is a Facebook post that Graph reads, as in the real world: OneAll's
`post_id` is the Facebook post id.
"""

from __future__ import annotations

import json
import re
from typing import Any

from statesync.emulator.context import Context
from statesync.emulator.oneall_common import (
    PROCESSED,
    authenticate,
    dated,
    envelope,
    identity,
    json_body,
    require_admin,
    text,
)
from statesync.emulator.oneall_media import push_media
from statesync.emulator.oneall_networks import network_route_template, route_network
from statesync.emulator.records import Post, User
from statesync.emulator.wire import ApiRequest, ApiResponse, OneAllError, oneall_time

__all__ = [
    "decode_json_body",
    "envelope",
    "handle_oneall",
    "is_oneall_path",
    "route_template",
]

_PUSH = re.compile(r"^/push/identities/(?P<identity>[^/]+)/facebook/page/post\.json$")
# seed 001: "Upload Page Picture" and "Upload Page Video".
_PUSH_MEDIA = re.compile(
    r"^/push/identities/(?P<identity>[^/]+)/facebook/page/(?P<kind>picture|video)\.json$"
)
_UPDATE = re.compile(
    r"^/update/identities/(?P<identity>[^/]+)/facebook/page/(?P<page>\d+)"
    r"/(?P<kind>post|picture|video)/(?P<object>[0-9_]+)\.json$"
)
_PULL_PAGES = re.compile(r"^/pull/identities/(?P<identity>[^/]+)/facebook/pages\.json$")
_PULL_POSTS = re.compile(
    r"^/pull/identities/(?P<identity>[^/]+)/facebook/page/(?P<page>\d+)/posts\.json$"
)
MAX_ENTRIES_PER_PAGE = 500  # PROTOCOL §12


def is_oneall_path(path: str) -> bool:
    return path.startswith(("/push/", "/update/", "/pull/"))


def route_template(path: str) -> str:
    """The route under which stats count a OneAll request."""
    if template := network_route_template(path):  # X, LinkedIn, Pinterest
        return template
    if _PUSH.match(path):
        return "/push/identities/{identity_token}/facebook/page/post.json"
    if match := _PUSH_MEDIA.match(path):
        return f"/push/identities/{{identity_token}}/facebook/page/{match['kind']}.json"
    match = _UPDATE.match(path)
    if match:
        kind = match["kind"]
        return f"/update/identities/{{identity_token}}/facebook/page/{{page-id}}/{kind}/{{{kind}-id}}.json"
    if _PULL_PAGES.match(path):
        return "/pull/identities/{identity_token}/facebook/pages.json"
    if _PULL_POSTS.match(path):
        return "/pull/identities/{identity_token}/facebook/page/{page-id}/posts.json"
    return path


def handle_oneall(ctx: Context, request: ApiRequest) -> ApiResponse:
    try:
        authenticate(ctx, request)
        response = _route(ctx, request)
    except OneAllError as error:
        response = envelope(request, error.status, error.info)
    return dated(response, ctx.store.now())  # the emulator's clock, as it may be moved


def _route(ctx: Context, request: ApiRequest) -> ApiResponse:
    path, method = request.path, request.method
    if (match := _PUSH.match(path)) and method == "POST":
        return _push(ctx, request, identity(ctx, match["identity"]))
    if (match := _PUSH_MEDIA.match(path)) and method == "POST":
        user = identity(ctx, match["identity"])
        return push_media(ctx, request, user, match["kind"])
    if match := _UPDATE.match(path):
        user = identity(ctx, match["identity"])
        require_admin(ctx, user, match["page"])
        if match["kind"] == "post" and method == "PUT":
            return _update(ctx, request, match["page"], match["object"])
        if method == "DELETE":
            return _delete(ctx, request, match["page"], match["kind"], match["object"])
        raise OneAllError(
            405, f"The method {method} is not supported for this resource"
        )
    if (match := _PULL_PAGES.match(path)) and method == "GET":
        return _pull_pages(ctx, request, identity(ctx, match["identity"]))
    if (match := _PULL_POSTS.match(path)) and method == "GET":
        user = identity(ctx, match["identity"])
        require_admin(ctx, user, match["page"])
        return _pull_posts(ctx, request, match["page"])
    if (response := route_network(ctx, request)) is not None:
        return response  # X, LinkedIn, Pinterest (oneall_networks.py)
    raise OneAllError(404, f"The resource [{path}] does not exist")


def _attachments(ctx: Context, page_id: str, value: Any) -> list[str]:
    """Seed 001: the identifiers (integers, or strings) of pictures or videos."""
    if not isinstance(value, list):
        raise OneAllError(
            400, "attachments must be a list of picture or video identifiers"
        )
    ids = []
    for item in value:
        if (
            isinstance(item, bool)
            or not isinstance(item, int | str)
            or not str(item).isdigit()
        ):
            raise OneAllError(400, f"Invalid attachment identifier [{item}]")
        media = ctx.store.media(str(item))
        if media is None or media.page_id != page_id:
            raise OneAllError(
                400, f"The attachment [{item}] does not exist on page [{page_id}]"
            )
        ids.append(str(item))
    return ids


def _push(ctx: Context, request: ApiRequest, user: User) -> ApiResponse:
    """Seed 001: publish on a page; answers `result.data` with the Facebook post id."""
    page = json_body(request, "request", "push", "page")
    page_id = str(page.get("id", ""))
    if not page_id.isdigit():
        raise OneAllError(400, "request.push.page.id is required: the page identifier")
    # OneAll knows only the identity's pages: any other page, existing or not, is 403.
    require_admin(ctx, user, page_id)
    message = text(page, "message")
    link = text(page, "link") or None
    attachments = _attachments(ctx, page_id, page.get("attachments") or [])
    if link and attachments:
        # seed 001: "You can either include a link or an attachment but not both".
        raise OneAllError(
            400, "You can either include a link or attachments but not both"
        )
    if not (message or link or attachments):
        raise OneAllError(400, "request.push.page.message is required")
    post = ctx.store.create_post(
        page_id,
        message=message,
        link=link,
        attachments=attachments,
        is_published=True,
        scheduled_publish_time=None,
    )
    data = {
        "provider": "facebook",
        "object": "post",
        "post_id": post.id,
        "post_location": f"https://www.facebook.com/{post.id}",
    }
    return envelope(request, 200, PROCESSED, {"data": data})


def _post_on_page(ctx: Context, page_id: str, object_id: str) -> Post:
    """Seed 000's example uses the full `{page-id}_{post-id}`; bare digits work too."""
    post_id = object_id if "_" in object_id else f"{page_id}_{object_id}"
    post = ctx.store.post(post_id)
    if post is None or post.page_id != page_id:
        raise OneAllError(
            404, f"The post [{object_id}] does not exist on page [{page_id}]"
        )
    return post


def _update(
    ctx: Context, request: ApiRequest, page_id: str, object_id: str
) -> ApiResponse:
    """Seed 000: message, link and attachments change in place; `[]` removes them all."""
    fields = json_body(request, "request", "update", "post")
    post = _post_on_page(ctx, page_id, object_id)
    changes: dict[str, Any] = {}
    if "message" in fields:
        changes["message"] = text(fields, "message")
    link = text(fields, "link") if "link" in fields else None
    attachments = (
        _attachments(ctx, page_id, fields["attachments"])
        if "attachments" in fields
        else None
    )
    if link and attachments:
        raise OneAllError(
            400, "You can either include a link or attachments but not both"
        )
    if "link" in fields:
        changes["link"] = link or None
        if link:
            changes["attachments"] = []  # a link share replaces the attached media
    if attachments is not None:
        changes["attachments"] = attachments
        if attachments:
            changes["link"] = None
    if not changes:
        raise OneAllError(400, "Nothing to update: send message, link or attachments")
    if ctx.store.update_post(post.id, changes) is None:
        raise OneAllError(
            404, f"The post [{object_id}] does not exist on page [{page_id}]"
        )
    return envelope(request, 200, "The post has successfully been updated.")


def _delete(
    ctx: Context, request: ApiRequest, page_id: str, kind: str, object_id: str
) -> ApiResponse:
    """Seed 000: delete a page post, picture or video."""
    if kind == "post":
        post = _post_on_page(ctx, page_id, object_id)
        ctx.store.delete_post(post.id)
        return envelope(request, 200, "The post has successfully been deleted.")
    media = ctx.store.media(object_id)
    expected = "video" if kind == "video" else "photo"
    if media is None or media.page_id != page_id or media.kind != expected:
        raise OneAllError(
            404, f"The {kind} [{object_id}] does not exist on page [{page_id}]"
        )
    if ctx.store.media_in_use(object_id):
        raise OneAllError(409, f"The {kind} [{object_id}] is attached to a post")
    ctx.store.delete_media(object_id)
    return envelope(request, 200, f"The {kind} has successfully been deleted.")


def _paging(request: ApiRequest, total: int) -> tuple[int, int, dict[str, Any]]:
    """PROTOCOL §12: `page`, `entries_per_page` (<= 500), `order_direction`."""
    try:
        page = int(request.params.get("page", 1))
        per_page = int(request.params.get("entries_per_page", 50))
    except (TypeError, ValueError):
        raise OneAllError(400, "page and entries_per_page must be integers") from None
    if page < 1 or not 1 <= per_page <= MAX_ENTRIES_PER_PAGE:
        raise OneAllError(
            400,
            f"page must be >= 1 and entries_per_page between 1 and {MAX_ENTRIES_PER_PAGE}",
        )
    pages = max(1, -(-total // per_page))
    info = {
        "current_page": page,
        "entries_per_page": per_page,
        "total_entries": total,
        "total_pages": pages,
        "order_direction": _direction(request),
    }
    return (page - 1) * per_page, per_page, info


def _direction(request: ApiRequest) -> str:
    direction = str(request.params.get("order_direction", "desc")).lower()
    if direction not in ("asc", "desc"):
        raise OneAllError(400, "order_direction must be asc or desc")
    return direction


def _pull_pages(ctx: Context, request: ApiRequest, user: User) -> ApiResponse:
    """The identity's pages; shape defined by the emulator (PROTOCOL §12: unconfirmed)."""
    roles = ctx.store.roles_of_user(user.id)
    start, size, pagination = _paging(request, len(roles))
    entries = []
    for role in roles[start : start + size]:
        page = ctx.store.page(role.page_id)
        entries.append(
            {
                "page_id": role.page_id,
                "name": page.name if page else None,
                "category": page.category if page else None,
                "tasks": list(role.tasks),
            }
        )
    result = {
        "data": {"provider": "facebook", "pages": entries, "pagination": pagination}
    }
    return envelope(request, 200, PROCESSED, result)


def _pull_posts(ctx: Context, request: ApiRequest, page_id: str) -> ApiResponse:
    """A page's published posts, newest first; shape defined by the emulator."""
    posts = [p for p in ctx.store.page_posts(page_id) if p.is_published]
    if _direction(request) == "asc":
        posts.reverse()
    start, size, pagination = _paging(request, len(posts))
    entries = [
        {
            "post_id": post.id,
            "message": (post.message or "").rstrip() or None,
            "link": post.link,
            "attachments": list(post.attachments),
            "created_at": oneall_time(post.created_time),
        }
        for post in posts[start : start + size]
    ]
    result = {
        "data": {"provider": "facebook", "posts": entries, "pagination": pagination}
    }
    return envelope(request, 200, PROCESSED, result)


def decode_json_body(raw: bytes) -> Any:
    """OneAll bodies are JSON; a body that is not is a 400 envelope."""
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except ValueError:
        raise OneAllError(400, "The request body is not valid JSON") from None
