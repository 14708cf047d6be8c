"""The emulator's SQLite tables and the row writes that more than one caller needs.

The store wraps these in its transactions and caches; seeding writes through them too,
so a seeded post and a post created over HTTP are the same rows with the same ids.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping, Sequence
from typing import Any

from statesync.emulator.records import Post, UploadedBytes, post_from_values

# Real page post ids have 15-18 digits; new objects get increasing ids from here.
FIRST_OBJECT_ID = 122100000000000001

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS users (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, token TEXT NOT NULL UNIQUE,
    identity_token TEXT UNIQUE, ord INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS pages (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, category TEXT, category_list TEXT,
    details TEXT NOT NULL DEFAULT '{}');
CREATE TABLE IF NOT EXISTS roles (
    user_id TEXT NOT NULL, page_id TEXT NOT NULL, page_token TEXT NOT NULL UNIQUE,
    tasks TEXT NOT NULL, ord INTEGER NOT NULL, PRIMARY KEY (user_id, page_id));
CREATE TABLE IF NOT EXISTS media (
    id TEXT PRIMARY KEY, page_id TEXT NOT NULL, kind TEXT NOT NULL, url TEXT,
    created_time INTEGER NOT NULL);
-- What the emulator knows of a media beyond its row: the uploaded bytes (data, mime,
-- size, sha256, dimensions; all NULL for a `url` upload) and the texts sent with it.
-- A table of its own, so that a state file from before uploads needs no migration.
CREATE TABLE IF NOT EXISTS media_uploads (
    media_id TEXT PRIMARY KEY, data BLOB, mime TEXT, size INTEGER, sha256 TEXT,
    width INTEGER, height INTEGER, alt_text TEXT, name TEXT);
CREATE TABLE IF NOT EXISTS posts (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,
    page_id TEXT NOT NULL, message TEXT, link TEXT, attachments TEXT NOT NULL,
    is_published INTEGER NOT NULL, is_hidden INTEGER NOT NULL,
    scheduled_publish_time INTEGER, created_time INTEGER NOT NULL,
    updated_time INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS posts_by_page ON posts (page_id, created_time, seq);
-- Scheduled posts waiting to go live: every read checks them, so it must not scan.
CREATE INDEX IF NOT EXISTS posts_scheduled ON posts (scheduled_publish_time)
    WHERE is_published=0;
-- A page's settings set by the seed or over the API, each value as JSON (the others
-- are `page_values.SETTING_DEFAULTS`); and each page's one pinned post. Tables of their own, like media_uploads, so
-- that an older state file needs no migration.
CREATE TABLE IF NOT EXISTS page_settings (
    page_id TEXT NOT NULL, name TEXT NOT NULL, value TEXT NOT NULL,
    PRIMARY KEY (page_id, name));
CREATE TABLE IF NOT EXISTS pinned_posts (
    page_id TEXT PRIMARY KEY, post_id TEXT NOT NULL UNIQUE);
-- A video's own post (`POST /{video-id}` with published=true, or an upload published
-- at once) and when it was published, in fractional UNIX seconds of the emulator's
-- clock: `post_id` reads only once its processing is over. A table of its own, like
-- pinned_posts, so that an older state file needs no migration.
CREATE TABLE IF NOT EXISTS video_posts (
    video_id TEXT PRIMARY KEY, post_id TEXT NOT NULL UNIQUE,
    published_at REAL NOT NULL);
"""

# Every table, for a reset back to the seed.
TABLES = (
    "meta", "users", "pages", "roles", "media", "media_uploads", "posts",
    "page_settings", "pinned_posts", "video_posts",
)  # fmt: skip
# Pages with their pinned post, as `records.page_from_row` reads them.
PAGE_SELECT = (
    "SELECT pages.*, pins.post_id AS pinned_post_id"
    " FROM pages LEFT JOIN pinned_posts pins ON pins.page_id = pages.id"
)
# Post rows in the order of `records.Post`'s fields, read as plain tuples: by name, a
# sqlite3.Row's columns cost more than the rest of a batch's 50 post reads.
POST_SELECT = (
    "SELECT seq, id, page_id, message, link, attachments, is_published, is_hidden,"
    " scheduled_publish_time, created_time, updated_time FROM posts"
)
# Media rows with what `records.media_from_row` reads of their upload (never the bytes:
# a video may be a gigabyte, and the media lookups are cached) and of a video's post.
MEDIA_SELECT = (
    "SELECT media.*, u.mime, u.size, u.sha256, u.width, u.height, u.alt_text, u.name,"
    " vp.post_id, vp.published_at FROM media"
    " LEFT JOIN media_uploads u ON u.media_id = media.id"
    " LEFT JOIN video_posts vp ON vp.video_id = media.id"
)


def select_posts(
    db: sqlite3.Connection, where: str, parameters: Sequence[Any]
) -> list[Post]:
    """`POST_SELECT` with a WHERE (and ORDER BY) clause of ?s, as Post values."""
    cursor = db.cursor()
    cursor.row_factory = None  # tuples, not the connection's sqlite3.Row
    rows = cursor.execute(f"{POST_SELECT} {where}", parameters)
    return [post_from_values(*row) for row in rows]


def next_id(db: sqlite3.Connection) -> str:
    """The next object id, shared by posts and media as Facebook's ids are."""
    row = db.execute("SELECT value FROM meta WHERE key='next_object_id'").fetchone()
    value = int(row["value"]) if row else FIRST_OBJECT_ID
    while db.execute("SELECT 1 FROM media WHERE id=?", (str(value),)).fetchone():
        value += 1  # pragma: no cover - only when a seed picked an id in our range
    db.execute(
        "INSERT INTO meta (key, value) VALUES ('next_object_id', ?)"
        " ON CONFLICT(key) DO UPDATE SET value=excluded.value",
        (str(value + 1),),
    )
    return str(value)


def insert_upload(
    db: sqlite3.Connection,
    media_id: str,
    upload: UploadedBytes | None,
    alt_text: str | None,
    name: str | None,
) -> None:
    """What came with a new media: its bytes (None for a `url` upload) and texts."""
    db.execute(
        "INSERT INTO media_uploads (media_id, data, mime, size, sha256, width, height,"
        " alt_text, name) VALUES (?,?,?,?,?,?,?,?,?)",
        (
            media_id,
            upload.data if upload else None,
            upload.mime if upload else None,
            len(upload.data) if upload else None,
            upload.sha256 if upload else None,
            upload.width if upload else None,
            upload.height if upload else None,
            alt_text,
            name,
        ),
    )


def insert_post(
    db: sqlite3.Connection,
    page_id: str,
    now: int,
    *,
    message: str | None,
    link: str | None,
    attachments: Sequence[str],
    is_published: bool,
    scheduled_publish_time: int | None,
    is_hidden: bool,
) -> str:
    """Insert one post and return its id (`{page-id}_{object-id}`, as on Facebook)."""
    post_id = f"{page_id}_{next_id(db)}"
    db.execute(
        "INSERT INTO posts (id, page_id, message, link, attachments, is_published,"
        " is_hidden, scheduled_publish_time, created_time, updated_time)"
        " VALUES (?,?,?,?,?,?,?,?,?,?)",
        (
            post_id,
            page_id,
            message,
            link,
            json.dumps(list(attachments)),
            int(is_published),
            int(is_hidden),
            scheduled_publish_time,
            now,
            now,
        ),
    )
    return post_id


def set_settings(
    db: sqlite3.Connection,
    page_id: str,
    settings: Mapping[str, Any],
    *,
    replace: bool = False,
) -> None:
    """Store page settings (checked by the caller); `replace`: forget the others."""
    if replace:
        db.execute("DELETE FROM page_settings WHERE page_id=?", (page_id,))
    for name, value in settings.items():
        db.execute(
            "INSERT INTO page_settings (page_id, name, value) VALUES (?,?,?)"
            " ON CONFLICT(page_id, name) DO UPDATE SET value=excluded.value",
            (page_id, name, json.dumps(value)),
        )


def publish_due(db: sqlite3.Connection, now: int) -> None:
    """A scheduled post goes live once its time has come, as on Facebook: its
    `created_time` becomes the scheduled time, whenever a read notices it."""
    # unconfirmed: updated_time moves to the publish time too, unless edited later.
    db.execute(
        "UPDATE posts SET is_published=1, created_time=scheduled_publish_time,"
        " updated_time=MAX(updated_time, scheduled_publish_time) WHERE is_published=0"
        " AND scheduled_publish_time IS NOT NULL AND scheduled_publish_time<=?",
        (now,),
    )
