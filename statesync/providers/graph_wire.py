"""Reading Graph replies: post fields, times, paging cursors, batch item headers.

Pure functions of the JSON the API answers (PROTOCOL §5, §7, §8), kept apart from the
provider's HTTP work in statesync/providers/graph.py.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

from statesync.media import MediaFile
from statesync.model import PostFields
from statesync.providers.base import ListedPost
from statesync.providers.graph_errors import GraphError
from statesync.providers.listing import iso_time, unix_seconds
from statesync.providers.listing import listed_post as checked_listed_post
from statesync.secret import Secret

# PROTOCOL §8: the Post node has no `link` field (asking for it fails the whole
# request with code 12); a shared link and media ids are read from the attachments.
READ_FIELDS = (
    "id,message,attachments{type,media_type,unshimmed_url,url,target,subattachments},"
    "is_pinned,is_hidden,"  # seed 003: the flags a manifest may manage
    "is_published,scheduled_publish_time"  # PROTOCOL §8: a scheduled post's time
)
LIST_FIELDS = f"{READ_FIELDS},created_time"
_SHIM_HOSTS = frozenset({"l.facebook.com", "lm.facebook.com"})


def parse_post(body: Mapping[str, Any]) -> PostFields:
    """Live fields from a Post node read with ``READ_FIELDS`` (PROTOCOL §8).

    A shared link is the share attachment's ``unshimmed_url``; media ids are the
    ``target.id`` of a photo or video, or of each of an album's subattachments in
    attach order.
    """
    message = body.get("message")
    link: str | None = None
    media: list[str] = []
    attachments = data_items(body.get("attachments"))
    for attachment in attachments:
        subs = data_items(attachment.get("subattachments"))
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
        # Only the flags that are on: an unpinned, visible post compares equal to
        # one whose manifest manages no flag (the 10,000-post plan's fast path).
        flags=tuple(
            (name, True)
            for name in ("hidden", "pinned")
            if body.get(f"is_{name}") is True
        ),
        scheduled_at=_scheduled_at(body),
        # docs/media.md §3.1: a video post reads as one video_inline attachment
        # whose target is the video (obs; no Meta enum found); a shared video
        # (a "video_share_..." type) is a link's, not the page's own.
        video=len(attachments) == 1
        and attachments[0].get("media_type") == "video"
        and "share" not in str(attachments[0].get("type", ""))
        and not data_items(attachments[0].get("subattachments")),
    )


def _scheduled_at(body: Mapping[str, Any]) -> int | None:
    """An unpublished post's publishing time (PROTOCOL §8: a UNIX int as read;
    an ISO time is taken too); None for a published post."""
    if body.get("is_published") is not False:
        return None
    return parse_graph_time(body.get("scheduled_publish_time"))


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


def data_items(container: Any) -> list[Mapping[str, Any]]:
    """The dict items of a Graph list (``{"data": [...]}``), or nothing."""
    items = container.get("data") if isinstance(container, dict) else None
    if not isinstance(items, list):
        return []
    return [item for item in items if isinstance(item, dict)]


def parse_graph_time(value: object) -> int | None:
    """Unix seconds from a Graph time: ``2026-01-01T12:00:00+0000`` as read, though
    the reference says UNIX (PROTOCOL §8), so a number is taken too."""
    return unix_seconds(value, _graph_time)


def _graph_time(text: str) -> datetime | None:
    moment = iso_time(text)
    if moment is None:
        try:
            moment = datetime.strptime(text, "%Y-%m-%dT%H:%M:%S%z")
        except ValueError:
            return None
    return moment


def listed_post(entry: Mapping[str, Any], target: str) -> ListedPost:
    """A post of a page listing (``LIST_FIELDS``), checked (``listing.listed_post``)."""
    return checked_listed_post(
        entry.get("id"),
        parse_graph_time(entry.get("created_time")),
        parse_post(entry),
        fail=lambda message: GraphError(message, target=target),
    )


def next_cursor(body: Any) -> str | None:
    """PROTOCOL §7: the ``after`` cursor while ``next`` exists, else None."""
    paging = body.get("paging") if isinstance(body, dict) else None
    paging = paging if isinstance(paging, dict) else {}
    cursors = paging.get("cursors")
    after = cursors.get("after") if isinstance(cursors, dict) else None
    if not paging.get("next") or not isinstance(after, str) or not after:
        return None
    return after


def item_headers(reply: Any) -> dict[str, str]:
    """A batch item's ``headers`` list (PROTOCOL §5) as a lower-cased mapping."""
    items = reply.get("headers") if isinstance(reply, dict) else None
    headers: dict[str, str] = {}
    for item in items if isinstance(items, list) else ():
        if isinstance(item, dict) and isinstance(item.get("name"), str):
            headers[item["name"].lower()] = str(item.get("value", ""))
    return headers


@dataclass(frozen=True, slots=True)
class GraphCall:
    """One Graph request, described as data so a policy can replay it."""

    method: str
    path: str  # without the version prefix: "/104510075301234/feed"
    token: Secret
    params: Mapping[str, str] = field(default_factory=dict)  # query (GET, DELETE)
    form: Mapping[str, str] | None = None  # form body (POST)
    page_id: str | None = None  # the page acted on, for remedies naming its tasks
    upload: MediaFile | None = None  # a file sent as the multipart ``source`` part
    note: str | None = None  # what a path alone does not say, e.g. for a batch

    @property
    def target(self) -> str:
        """What errors name: the method and path, never a query string or token."""
        note = f" ({self.note})" if self.note else ""
        return f"{self.method} {self.path}{note}"


def appsecret_proof(token: Secret, app_secret: Secret) -> str:
    """PROTOCOL §2: lowercase hex HMAC-SHA256 of the token, keyed by the app secret."""
    return hmac.new(
        app_secret.reveal().encode(), token.reveal().encode(), hashlib.sha256
    ).hexdigest()


def expect_success(call: GraphCall, body: Any) -> None:
    """A write's reply must be ``{"success": true}`` (seeds 003, 004)."""
    if not (isinstance(body, dict) and body.get("success") is True):
        raise GraphError("the API did not confirm success", target=call.target)


# application/x-www-form-urlencoded as urllib.parse.urlencode writes it (quote_plus:
# only letters, digits and "_.-~" stay, a space is "+"), by one str.translate per
# value: urlencode quotes byte by byte in Python, which cost a 10,000-post plan
# 0.2 s of CPU on its batch bodies (about 8 KB of JSON each).
_FORM_BYTES = str.maketrans(
    {
        chr(byte): chr(byte)
        if chr(byte).isascii() and (chr(byte).isalnum() or chr(byte) in "_.-~")
        else "+"
        if byte == 0x20
        else f"%{byte:02X}"
        for byte in range(256)
    }
)


class FormEncoded(str):
    """A form value encoded already: ``form_body`` sends it as it is."""

    __slots__ = ()


def form_body(form: Mapping[str, str]) -> bytes:
    """``form`` encoded as a POST body, byte for byte what httpx's ``data=`` sends."""
    return "&".join(
        f"{_form_quote(key)}="
        f"{value if isinstance(value, FormEncoded) else _form_quote(value)}"
        for key, value in form.items()
    ).encode("ascii")


def batch_of_reads(post_ids: Sequence[str], query: str) -> FormEncoded:
    """The ``batch`` value of one ``GET {id}?{query}`` per post id (PROTOCOL §5),
    form-encoded: what ``form_body`` makes of the items' compact JSON, with the parts
    every item shares encoded once (encoding the same fields list fifty times was a
    fifth of a batch read's client CPU)."""
    head, tail = _read_item_parts(query)
    items = [head + _form_quote(_json_inner(post_id)) + tail for post_id in post_ids]
    return FormEncoded(f"%5B{'%2C'.join(items)}%5D")


@functools.lru_cache(maxsize=8)
def _read_item_parts(query: str) -> tuple[str, str]:
    head = '{"method":"GET","relative_url":"'
    tail = f'?{_json_inner(query)}"}}'
    return _form_quote(head), _form_quote(tail)


def _json_inner(text: str) -> str:
    """``text`` as a JSON string's contents, as ``json.dumps`` writes them."""
    return json.dumps(text)[1:-1]


def _form_quote(text: str) -> str:
    return text.encode("utf-8").decode("latin-1").translate(_FORM_BYTES)
