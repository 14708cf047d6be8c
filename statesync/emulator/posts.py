"""Page posts: create, read, list, update, delete (seeds 002-004, PROTOCOL §8-10).

Photos and videos are uploaded in `graph_media.py`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from statesync.emulator.call import Call
from statesync.emulator.fields import (
    FieldSpec,
    MediaLookup,
    check_post_fields,
    nonexisting,
    parse_fields,
    post_attachments,
    render_post,
)
from statesync.emulator.paging import page_of
from statesync.emulator.params import (
    check_params,
    fold_indexed,
    param_bool,
    param_media_ids,
    param_str,
    param_unix_time,
)
from statesync.emulator.records import Post
from statesync.emulator.uploads import as_served
from statesync.emulator.wire import ApiResponse, GraphError, unsupported

MAX_MESSAGE = 63206  # PROTOCOL §11
# PROTOCOL §9: the emulator enforces the Feed reference's window, 10 minutes to 75 days.
MIN_SCHEDULE_S = 10 * 60
MAX_SCHEDULE_S = 75 * 24 * 3600
# seed 003: the parameters POST /{page-id}_{post-id} takes, plus is_published (PROTOCOL §10).
UPDATE_PARAMS = frozenset(
    {
        "attached_media", "backdated_time", "backdated_time_granularity",
        "composer_session_id", "direct_share_status", "explicitly_added_mentionee_ids",
        "feed_story_visibility", "is_approved", "is_explicit_location", "is_hidden",
        "is_pinned", "is_published", "message", "og_action_type_id",
        "og_hide_object_attachment", "og_icon_id", "og_object_id", "og_phrase",
        "og_set_profile_badge", "og_suggestion_mechanism", "place", "privacy",
        "product_item", "scheduled_publish_time", "should_sync_product_edit",
        "source_type", "sponsor_id", "sponsor_relationship", "tags",
        "text_format_preset_id", "timeline_visibility", "tracking",
    }
)  # fmt: skip
CREATE_PARAMS = frozenset(
    {
        "message", "link", "published", "scheduled_publish_time", "attached_media",
        "unpublished_content_type", "privacy", "place", "tags", "targeting",
        "feed_targeting", "backdated_time", "backdated_time_granularity",
        "child_attachments", "formatting", "composer_session_id", "is_pinned",
        "no_story", "client_mutation_id", "call_to_action", "application_id",
        "is_explicit_location", "text_format_preset_id", "timeline_visibility",
    }
)  # fmt: skip
_FEED_EDGES = frozenset({"feed", "posts", "published_posts", "scheduled_posts"})
_FEED_DEFAULT = parse_fields("id,message,created_time")


def check_legacy(specs: Sequence[FieldSpec]) -> None:
    check_post_fields(specs)


def _media_lookup(call: Call) -> MediaLookup:
    """Media as this call's replies show them: uploaded bytes at their served URL."""
    store, base_url = call.ctx.store, call.request.base_url
    return lambda media_id: as_served(store.media(media_id), base_url)


def read_post(
    call: Call, post_id: str, specs: tuple[FieldSpec, ...] | None
) -> dict[str, Any]:
    if specs is not None:
        check_post_fields(specs)
    post = call.ctx.store.post(post_id)
    if post is None:
        raise _gone("GET", post_id)
    page = call.ctx.store.page(post.page_id)
    return render_post(post, page, _media_lookup(call), specs)


def _gone(method: str, post_id: str) -> GraphError:
    return unsupported(method, post_id)


def handle_post_node(
    call: Call, method: str, post_id: str, edge: str | None
) -> ApiResponse:
    if edge is not None:
        return _post_edge(call, method, post_id, edge)
    if method == "GET":
        return ApiResponse(200, read_post(call, post_id, call.fields))
    post = call.ctx.store.post(post_id)
    if post is None:
        raise _gone(method, post_id)
    if method == "DELETE":
        call.require_page_writer(post.page_id)
        if not call.ctx.store.delete_post(post_id):
            raise _gone(method, post_id)  # pragma: no cover - a concurrent delete
        return ApiResponse(200, {"success": True})
    if method == "POST":
        call.require_page_writer(post.page_id)
        return update_post(call, post)
    raise _gone(method, post_id)


def _post_edge(call: Call, method: str, post_id: str, edge: str) -> ApiResponse:
    post = call.ctx.store.post(post_id)
    if post is None:
        raise _gone(method, post_id)
    if method != "GET":
        raise _gone(method, f"{post_id}/{edge}")
    if edge == "attachments":
        page = call.ctx.store.page(post.page_id)
        return ApiResponse(
            200, {"data": post_attachments(post, page, _media_lookup(call))}
        )
    if edge in ("comments", "likes", "reactions", "sharedposts"):
        return ApiResponse(200, {"data": []})
    raise nonexisting(edge, "PagePost")


def handle_page_edge(call: Call, method: str, page_id: str, edge: str) -> ApiResponse:
    if edge in _FEED_EDGES:
        if method == "GET":
            return ApiResponse(200, list_posts(call, page_id, edge))
        if method == "POST" and edge == "feed":
            return create_post(call, page_id)
        raise _gone(method, f"{page_id}/{edge}")
    raise nonexisting(edge, "Page")


# -- listing ---------------------------------------------------------------------------


def list_posts(call: Call, page_id: str, edge: str) -> dict[str, Any]:
    """Newest first. /feed, /posts, /published_posts: published posts, hidden ones only
    with `include_hidden=true` (PROTOCOL §7, unconfirmed); /scheduled_posts: scheduled."""
    call.require_reader(page_id)
    specs = call.fields if call.fields is not None else _FEED_DEFAULT
    check_post_fields(specs or ())
    include_hidden = param_bool(call.request.params, "include_hidden") or False
    every = call.ctx.store.page_posts(page_id)
    if edge == "scheduled_posts":
        chosen = [p for p in every if not p.is_published and p.scheduled_publish_time]
    else:
        chosen = [
            p for p in every if p.is_published and (include_hidden or not p.is_hidden)
        ]
    window, paging = page_of(chosen, lambda p: (-p.created_time, -p.seq), call.request)
    page = call.ctx.store.page(page_id)
    media = _media_lookup(call)
    body: dict[str, Any] = {
        "data": [render_post(p, page, media, specs) for p in window]
    }
    if paging:
        body["paging"] = paging
    return body


# -- writing ---------------------------------------------------------------------------


def check_message(message: str | None) -> None:
    if message is not None and len(message) > MAX_MESSAGE:
        raise GraphError(
            100, f"(#100) The message is too long (maximum {MAX_MESSAGE} characters)"
        )


def check_link(link: str) -> None:
    """A link to share or a photo's `url`: an absolute http(s) URL."""
    parts = urlsplit(link)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise GraphError(100, "(#100) The link is not a valid URL")


def _check_media(call: Call, page_id: str, media_ids: Sequence[str]) -> None:
    """Media ids must be photos or videos of this page (uploaded or seeded)."""
    for index, media_id in enumerate(media_ids):
        media = call.ctx.store.media(media_id)
        if media is None or media.page_id != page_id:
            raise GraphError(
                100,
                f"(#100) param attached_media[{index}] has invalid media_fbid {media_id}",
            )
    if len(set(media_ids)) != len(media_ids):
        raise GraphError(100, "(#100) attached_media lists the same media_fbid twice")


def _check_schedule(call: Call, when: int) -> None:
    delta = when - call.ctx.store.now()
    if not MIN_SCHEDULE_S <= delta <= MAX_SCHEDULE_S:
        raise GraphError(100, "(#100) The specified scheduled publish time is invalid.")


def create_post(call: Call, page_id: str) -> ApiResponse:
    """PROTOCOL §9: `POST /{page-id}/feed`, answering `{"id": "{page-id}_{post-id}"}`."""
    call.require_page_writer(page_id)
    params = check_params(call.request.params, CREATE_PARAMS)
    message = param_str(params, "message")
    link = param_str(params, "link") or None
    media_ids = param_media_ids(params) or []
    published = param_bool(params, "published")
    scheduled = param_unix_time(params, "scheduled_publish_time")
    if not (message or link or media_ids):
        raise GraphError(100, "(#100) Missing message or attachment")
    check_message(message)
    if link:
        check_link(link)
        if media_ids:
            # DESIGN: a post has a link or attachments, never both; the emulator refuses it.
            raise GraphError(
                100, "(#100) A post can share a link or attach media, not both"
            )
    _check_media(call, page_id, media_ids)
    if scheduled is not None:
        if published is not False:
            raise GraphError(
                100,
                "(#100) You cannot specify a scheduled publish time on a published post",
            )
        _check_schedule(call, scheduled)
    pinned = param_bool(params, "is_pinned")
    post = call.ctx.store.create_post(
        page_id,
        message=message,
        link=link,
        attachments=media_ids,
        is_published=published is not False,
        scheduled_publish_time=scheduled,
    )
    if pinned:  # unconfirmed: `is_pinned` at creation pins the new post at once
        call.ctx.store.set_pinned(post.id, page_id, True)
    return ApiResponse(200, _write_reply(call, post, {"id": post.id}))


def _write_reply(call: Call, post: Post, reply: dict[str, Any]) -> dict[str, Any]:
    """PROTOCOL §1: writes accept `fields=` and answer them (read-after-write)."""
    specs = call.fields
    if specs:
        check_post_fields(specs)  # after the write, as the API answers it
        page = call.ctx.store.page(post.page_id)
        rendered = render_post(post, page, _media_lookup(call), specs)
        return rendered | reply
    return reply


def _is_video_post(call: Call, post: Post) -> bool:
    """Whether the post is a video's own (`POST /{video-id}`, docs/media.md §3.1)."""
    if len(post.attachments) != 1:
        return False
    video = call.ctx.store.media(post.attachments[0])
    return video is not None and video.post_id == post.id


def update_post(call: Call, post: Post) -> ApiResponse:
    """seed 003: `POST /{page-id}_{post-id}`; `link` is not among its parameters."""
    params = fold_indexed(call.request.params)
    if "link" in params:
        raise GraphError(
            100,
            "(#100) Param link is not a valid parameter for updating a post: a post's link"
            " cannot be changed",
        )
    params = check_params(call.request.params, UPDATE_PARAMS, "updating a post")
    changes: dict[str, Any] = {}
    if "message" in params:
        message = param_str(params, "message")
        check_message(message)
        changes["message"] = message
    media_ids = param_media_ids(params)
    if media_ids is not None:
        if _is_video_post(call, post):
            # unconfirmed: the code and wording; integrations publish a video through
            # `/videos` only, and its file cannot be swapped (docs/media.md §3.1).
            raise GraphError(
                100, "(#100) The attachments of a video post cannot be changed"
            )
        if media_ids and post.link:
            raise GraphError(
                100, "(#100) Media cannot be attached to a post that shares a link"
            )
        _check_media(call, post.page_id, media_ids)
        changes["attachments"] = media_ids  # replaces them all; [] clears
    hidden = param_bool(params, "is_hidden")
    if hidden is not None:
        changes["is_hidden"] = int(hidden)
    scheduled = param_unix_time(params, "scheduled_publish_time")
    if scheduled is not None:
        if post.is_published:
            raise GraphError(
                100, "(#100) The specified scheduled publish time is invalid."
            )
        _check_schedule(call, scheduled)
        changes["scheduled_publish_time"] = scheduled
    published = param_bool(params, "is_published")
    if published is True and not post.is_published:
        # PROTOCOL §10: publishes a draft now; idempotent on a published post.
        changes["is_published"] = 1
        changes["scheduled_publish_time"] = None
        changes["created_time"] = call.ctx.store.now()
    elif published is False and post.is_published:
        raise GraphError(100, "(#100) A published post cannot be unpublished")
    pinned = param_bool(params, "is_pinned")
    if pinned is not None:
        call.ctx.store.set_pinned(post.id, post.page_id, pinned)
    # unconfirmed: pinning alone is not an edit, so it leaves updated_time as it was.
    pin_only = pinned is not None and not changes
    updated = (
        call.ctx.store.post(post.id)
        if pin_only
        else call.ctx.store.update_post(post.id, changes)
    )
    if updated is None:
        raise _gone("POST", post.id)  # pragma: no cover - a concurrent delete
    return ApiResponse(200, _write_reply(call, updated, {"success": True}))
