"""The rows of the emulator's store, as frozen values handlers can pass around."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any, NamedTuple


@dataclass(frozen=True, slots=True)
class User:
    id: str
    name: str
    identity_token: str | None


@dataclass(frozen=True, slots=True)
class Role:
    user_id: str
    page_id: str
    page_token: str
    tasks: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Page:
    id: str
    name: str
    category: str | None
    category_list: tuple[tuple[str, str], ...] | None
    details: dict[str, Any]
    pinned_post_id: str | None = None  # its one pinned post, if any


@dataclass(frozen=True, slots=True)
class Media:
    id: str
    page_id: str
    kind: str  # "photo" | "video"
    url: str | None
    created_time: int
    # Set when the emulator holds the uploaded bytes (`media_uploads`), else None.
    mime: str | None = None
    size: int | None = None
    sha256: str | None = None
    width: int | None = None  # read from an image's header; None if unknown
    height: int | None = None
    alt_text: str | None = None  # Graph `alt_text_custom`, OneAll `alt_text`
    name: str | None = None  # a photo's caption, a video's description
    # A video's own post (`video_posts`) and when it was published (fractional UNIX
    # seconds of the emulator's clock); None while the video is unpublished.
    post_id: str | None = None
    published_at: float | None = None

    @property
    def has_bytes(self) -> bool:
        return self.mime is not None


@dataclass(frozen=True, slots=True)
class UploadedBytes:
    """A media file checked by `uploads.check_upload`, ready for the store."""

    data: bytes
    mime: str  # decided from the bytes, never from a file name
    sha256: str
    width: int | None
    height: int | None


class Post(NamedTuple):
    """A NamedTuple rather than a frozen dataclass: as immutable, and built several
    times faster (a frozen dataclass sets each field through object.__setattr__),
    which counts for a batch's 50 post reads."""

    seq: int
    id: str  # "{page-id}_{post-digits}"
    page_id: str
    message: str | None  # as sent
    link: str | None
    attachments: tuple[str, ...]  # media ids, in attach order
    is_published: bool
    is_hidden: bool
    scheduled_publish_time: int | None
    created_time: int
    updated_time: int


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a Graph token speaks for: a user, or a page (through one of its users)."""

    user_id: str
    page_id: str | None  # set for a page token

    @property
    def is_page(self) -> bool:
        return self.page_id is not None


def role_from_row(row: sqlite3.Row) -> Role:
    return Role(
        row["user_id"],
        row["page_id"],
        row["page_token"],
        tuple(json.loads(row["tasks"])),
    )


def media_from_row(row: sqlite3.Row) -> Media:
    """A row of `tables.MEDIA_SELECT`: the media joined with its upload, if any."""
    return Media(
        row["id"],
        row["page_id"],
        row["kind"],
        row["url"],
        row["created_time"],
        mime=row["mime"],
        size=row["size"],
        sha256=row["sha256"],
        width=row["width"],
        height=row["height"],
        alt_text=row["alt_text"],
        name=row["name"],
        post_id=row["post_id"],
        published_at=row["published_at"],
    )


def post_from_values(
    seq: int,
    post_id: str,
    page_id: str,
    message: str | None,
    link: str | None,
    attachments: str,
    is_published: int,
    is_hidden: int,
    scheduled_publish_time: int | None,
    created_time: int,
    updated_time: int,
) -> Post:
    """A row of `tables.POST_SELECT`, a plain tuple in the order of Post's fields."""
    return Post(
        seq,
        post_id,
        page_id,
        message,
        link,
        () if attachments == "[]" else tuple(json.loads(attachments)),
        bool(is_published),
        bool(is_hidden),
        scheduled_publish_time,
        created_time,
        updated_time,
    )


def page_from_row(row: sqlite3.Row) -> Page:
    """A row of `tables.PAGE_SELECT` (or of pages alone: nothing pinned)."""
    category_list = json.loads(row["category_list"]) if row["category_list"] else None
    return Page(
        row["id"],
        row["name"],
        row["category"],
        tuple((str(cid), str(name)) for cid, name in category_list)
        if category_list
        else None,
        json.loads(row["details"]),
        row["pinned_post_id"] if "pinned_post_id" in row.keys() else None,  # noqa: SIM118 - a Row
    )
