"""The `fields=` parameter and the shapes of the nodes it selects from.

Seed 002/003 list the Page Post's fields; PROTOCOL §8 says how they read back (times,
attachments, the missing `link`). A field that is not set is left out of the reply.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from statesync.emulator.records import Media, Page, Post
from statesync.emulator.wire import GraphError, graph_time


@dataclass(frozen=True, slots=True)
class FieldSpec:
    name: str
    sub: tuple[FieldSpec, ...] | None  # `attachments{url,target}`
    modifiers: tuple[tuple[str, str], ...] = ()  # `.limit(5)`


@functools.lru_cache(maxsize=512)
def parse_fields(text: str | None) -> tuple[FieldSpec, ...] | None:
    """`a,b{c,d{e}},f.limit(2)` -> specs; None when no `fields` was sent."""
    if text is None:
        return None
    specs, rest = _parse_list(text.replace(" ", ""), 0)
    if rest != len(text.replace(" ", "")):
        raise GraphError(
            2500, "Syntax error: unbalanced braces in fields", type_="OAuthException"
        )
    return tuple(spec for spec in specs if spec.name)


def _parse_list(text: str, pos: int) -> tuple[list[FieldSpec], int]:
    specs: list[FieldSpec] = []
    while pos < len(text) and text[pos] != "}":
        start = pos
        while pos < len(text) and text[pos] not in ",{}.":
            pos += 1
        name = text[start:pos]
        modifiers = []
        while pos < len(text) and text[pos] == ".":
            end = text.find(")", pos)
            if end < 0:
                raise GraphError(2500, f"Syntax error in fields near {name!r}")
            call = text[pos + 1 : end]
            key, _, arg = call.partition("(")
            modifiers.append((key, arg))
            pos = end + 1
        sub = None
        if pos < len(text) and text[pos] == "{":
            inner, pos = _parse_list(text, pos + 1)
            if pos >= len(text) or text[pos] != "}":
                raise GraphError(2500, f"Syntax error in fields near {name!r}")
            pos += 1
            sub = tuple(inner)
        specs.append(FieldSpec(name, sub, tuple(modifiers)))
        if pos < len(text) and text[pos] == ",":
            pos += 1
    return specs, pos


def nonexisting(field: str, node_type: str) -> GraphError:
    return GraphError(
        100,
        f"(#100) Tried accessing nonexisting field ({field}) on node type ({node_type})",
    )


# PROTOCOL §8: removed legacy fields fail the whole request, lists included, with code 12.
LEGACY_POST_FIELDS = frozenset(
    {"link", "type", "name", "caption", "description", "object_id"}
)
_LEGACY_MESSAGE = (
    "(#12) deprecate_post_aggregated_fields_for_attachement is deprecated for versions"
    " v3.3 and higher"
)
# seed 002/003: fields of a Page Post the emulator knows but never sets (left out).
_UNSET_POST_FIELDS = frozenset(
    {
        "actions", "admin_creator", "allowed_advertising_objectives", "application",
        "backdated_time", "call_to_action", "child_attachments",
        "comments_mirroring_domain", "coordinates", "event", "expanded_height",
        "expanded_width", "feed_targeting", "height", "icon", "message_tags",
        "multi_share_end_card", "multi_share_optimized", "parent_id", "place", "privacy",
        "promotable_id", "properties", "shares", "story", "story_tags", "targeting",
        "to", "via", "width", "can_reply_privately", "subscribed",
    }
)  # fmt: skip
_EMPTY_EDGES = frozenset(
    {"comments", "likes", "reactions", "sharedposts", "sponsor_tags"}
)
_FALSE_POST_FIELDS = frozenset(
    {"is_expired", "is_popular", "is_spherical", "is_inline_created", "is_app_share"}
)
_ATTACHMENT_FIELDS = frozenset(
    {"description", "description_tags", "media", "media_type", "target", "title", "type",
     "unshimmed_url", "url", "subattachments"}
)  # fmt: skip
DEFAULT_POST_FIELDS = parse_fields("id,message,created_time")

MediaLookup = Callable[[str], Media | None]


def check_post_fields(specs: Sequence[FieldSpec]) -> None:
    """Legacy fields first: PROTOCOL §8 says code 12 fails the whole request."""
    for spec in specs:
        if spec.name in LEGACY_POST_FIELDS:
            raise GraphError(12, _LEGACY_MESSAGE)


def render_post(
    post: Post, page: Page | None, media: MediaLookup, specs: Sequence[FieldSpec] | None
) -> dict[str, Any]:
    """The fields of a post that are set; the caller has checked them first
    (`check_post_fields`), once per request rather than once per post."""
    specs = specs if specs is not None else DEFAULT_POST_FIELDS or ()
    out: dict[str, Any] = {}
    for spec in specs:
        read = _POST_FIELDS.get(spec.name)
        if read is None:
            raise nonexisting(spec.name, "PagePost")
        value = read(post, page, media, spec)
        if value is not None:
            out[spec.name] = value
    out.setdefault("id", post.id)  # seed 004: a node read always carries its id
    return out


# How each field of a Page Post reads: one lookup per field, for a batch's 50 reads.
PostField = Callable[[Post, Page | None, MediaLookup, FieldSpec], Any]


def _message(post: Post, *_: Any) -> str | None:
    # PROTOCOL §11: a trailing newline is not echoed back; the rest is kept as sent.
    text = (post.message or "").rstrip()
    return text or None


def _permalink_url(post: Post, *_: Any) -> str:
    digits = post.id.split("_", 1)[1]
    return f"https://www.facebook.com/{post.page_id}/posts/{digits}"


def _is_pinned(post: Post, page: Page | None, *_: Any) -> bool:
    # seed 003 lists is_pinned among the update parameters; read back as set.
    return page is not None and page.pinned_post_id == post.id


def _from(post: Post, page: Page | None, _: MediaLookup, spec: FieldSpec) -> Any:
    if page is None:
        return None
    return _select({"name": page.name, "id": page.id}, spec.sub, "Page")


def _status_type(post: Post, _: Page | None, media: MediaLookup, *__: Any) -> str:
    if post.link:
        return "shared_story"
    if post.attachments:
        kinds = {m.kind for m in map(media, post.attachments) if m}
        return "added_video" if kinds == {"video"} else "added_photos"
    return "mobile_status_update"


def _full_picture(post: Post, _: Page | None, media: MediaLookup, *__: Any) -> Any:
    first = media(post.attachments[0]) if post.attachments else None
    return media_src(first) if first else None


def _attachments(
    post: Post, page: Page | None, media: MediaLookup, spec: FieldSpec
) -> Any:
    if not (post.link or post.attachments):
        return None  # PROTOCOL §8: the key is absent when there are none
    items = post_attachments(post, page, media)
    if not items:
        return None
    return {"data": [_select(item, spec.sub, "StoryAttachment") for item in items]}


_POST_FIELDS: dict[str, PostField] = {
    "id": lambda post, *_: post.id,
    "message": _message,
    "created_time": lambda post, *_: graph_time(post.created_time),
    "updated_time": lambda post, *_: graph_time(post.updated_time),
    "permalink_url": _permalink_url,
    "is_published": lambda post, *_: post.is_published,
    "is_hidden": lambda post, *_: post.is_hidden,
    "is_pinned": _is_pinned,
    "is_eligible_for_promotion": lambda post, *_: post.is_published,
    "timeline_visibility": lambda post, *_: "hidden" if post.is_hidden else "normal",
    # PROTOCOL §8: reads back as a UNIX int
    "scheduled_publish_time": lambda post, *_: post.scheduled_publish_time,
    "from": _from,
    "status_type": _status_type,
    "full_picture": _full_picture,
    "attachments": _attachments,
    **{name: lambda *_: {"data": []} for name in _EMPTY_EDGES},
    **dict.fromkeys(_FALSE_POST_FIELDS, lambda *_: False),
    **dict.fromkeys(_UNSET_POST_FIELDS, lambda *_: None),
}


def _select(
    obj: dict[str, Any], sub: Sequence[FieldSpec] | None, node: str
) -> dict[str, Any]:
    """Apply `{a,b{c}}` to a nested object; unknown subfields are error 100."""
    if sub is None:
        return obj
    known = _ATTACHMENT_FIELDS if node == "StoryAttachment" else set(obj)
    out = {}
    for spec in sub:
        if spec.name not in known and spec.name not in obj:
            raise nonexisting(spec.name, node)
        value = obj.get(spec.name)
        if value is None:
            continue
        if spec.sub is not None and isinstance(value, dict):
            if "data" in value and isinstance(value["data"], list):
                value = {"data": [_select(v, spec.sub, node) for v in value["data"]]}
            else:
                value = _select(value, spec.sub, "Node")
        out[spec.name] = value
    return out


def media_src(media: Media) -> str:
    if media.url and media.kind == "photo":
        return media.url
    return f"https://scontent.xx.fbcdn.net/v/t39.30808-6/{media.id}_n.jpg"


def shim(link: str) -> str:
    """PROTOCOL §8: a shared link reads back as an l.facebook.com redirect."""
    digest = hashlib.sha256(link.encode()).hexdigest()[:24]
    return f"https://l.facebook.com/l.php?u={quote(link, safe='')}&h=AT{digest}"


def _media_item(item: Media) -> dict[str, Any]:
    # An uploaded image's own size (read from its header), else a plausible one.
    width, height = (
        (item.width, item.height) if item.width and item.height else (960, 720)
    )
    image = {"height": height, "width": width, "src": media_src(item)}
    if item.kind == "video":
        url = f"https://www.facebook.com/watch/?v={item.id}"
        return {
            "media": {
                "image": image,
                "source": item.url or f"https://video.xx.fbcdn.net/{item.id}.mp4",
            },
            "media_type": "video",
            "target": {"id": item.id, "url": url},
            "type": "video_inline",
            "url": url,
        }
    url = f"https://www.facebook.com/photo.php?fbid={item.id}"
    return {
        "media": {"image": image},
        "media_type": "photo",
        "target": {"id": item.id, "url": url},
        "type": "photo",
        "url": url,
    }


def post_attachments(
    post: Post, page: Page | None, media: MediaLookup
) -> list[dict[str, Any]]:
    """PROTOCOL §8: a link share, one photo, or an album with subattachments in order."""
    if post.link:
        shimmed = shim(post.link)
        return [
            {
                "media_type": "link",
                "target": {"url": shimmed},
                "title": urlsplit(post.link).hostname or post.link,
                "type": "share",
                "unshimmed_url": post.link,
                "url": shimmed,
            }
        ]
    items = [_media_item(m) for m in map(media, post.attachments) if m is not None]
    if len(items) <= 1:
        return items
    digits = post.id.split("_", 1)[1]
    url = f"https://www.facebook.com/media/set/?set=pcb.{digits}"
    title = f"Photos from {page.name}'s post" if page else None
    album: dict[str, Any] = {
        "media": items[0]["media"],
        "media_type": "album",
        "subattachments": {"data": items},
        "target": {"id": digits, "url": url},
        "type": "album",
        "url": url,
    }
    if title:
        album["title"] = title
    return [album]


# seed 004: page fields; the details a page can set plus what every page has.
PAGE_FIELDS = frozenset(
    {"id", "name", "category", "category_list", "link", "access_token", "roles",
     "is_published", "fan_count", "followers_count", "verification_status", "cover",
     "picture", "page_about_story", "tasks"}
)  # fmt: skip
DEFAULT_PAGE_FIELDS = parse_fields("id,name")


def category_list(page: Page) -> list[dict[str, str]] | None:
    if page.category_list:
        return [{"id": cid, "name": name} for cid, name in page.category_list]
    if not page.category:
        return None
    # A stable made-up category id, like seed 004's "2256".
    cid = str(int(hashlib.sha256(page.category.encode()).hexdigest()[:10], 16) % 10**15)
    return [{"id": cid, "name": page.category}]
