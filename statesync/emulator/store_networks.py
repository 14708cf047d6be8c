"""The store's tweets, LinkedIn company posts and pins, and the media uploaded to X.

In the same SQLite file as Facebook's rows, so a persistent emulator (the sandbox's
`sandbox.db`) keeps them across restarts; a reset empties them (`clear_networks`).
A deleted object keeps its row, flagged, so that `GET /_emulator/networks` shows what
a test deleted as well as what it published.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from statesync.emulator.records import UploadedBytes
from statesync.emulator.store_media import MediaStore

# Tables of their own, like media_uploads: an older state file needs no migration.
NETWORK_SCHEMA = """
CREATE TABLE IF NOT EXISTS network_objects (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,
    network TEXT NOT NULL, object TEXT NOT NULL, target TEXT NOT NULL, text TEXT,
    fields TEXT NOT NULL, media TEXT NOT NULL, location TEXT NOT NULL,
    created_time INTEGER NOT NULL, updated_time INTEGER NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS network_objects_by_target
    ON network_objects (network, target, deleted, seq);
CREATE TABLE IF NOT EXISTS network_media (
    id TEXT PRIMARY KEY, network TEXT NOT NULL, target TEXT NOT NULL,
    kind TEXT NOT NULL, url TEXT, mime TEXT, size INTEGER, sha256 TEXT,
    alt_text TEXT, name TEXT, created_time INTEGER NOT NULL);
"""
_TABLES = ("network_objects", "network_media")
# New ids count up from here, per network, in the shapes the networks use: X's
# 19-digit snowflakes (tweets and media share them, as on X), Pinterest's 18-digit pin
# ids, LinkedIn's share URNs around a 19-digit number.
FIRST_IDS = {
    "twitter": 1850000000000000001,
    "pinterest": 813744226420795001,
    "linkedin": 7200000000000000001,
}


@dataclass(frozen=True, slots=True)
class NetworkObject:
    seq: int
    id: str  # tweet id, pin id, or "urn:li:share:<digits>"
    network: str  # "twitter" | "linkedin" | "pinterest"
    object: str  # "post" | "pin"
    target: str  # the X account id, LinkedIn company id or Pinterest board id
    text: str | None  # the tweet's or post's message, the pin's description
    fields: Mapping[str, Any]  # the rest: link, title, description, ...
    media: tuple[Mapping[str, Any], ...]  # what the object shows, as described
    location: str  # the `*_location` the push answered
    created_time: int
    updated_time: int
    deleted: bool


@dataclass(frozen=True, slots=True)
class NetworkMedia:
    """A picture or video uploaded to X, for a tweet to attach by id."""

    id: str
    network: str
    target: str  # the X account it was uploaded for
    kind: str  # "picture" | "video"
    url: str | None  # the `url` upload form; None when the bytes came inline
    mime: str | None
    size: int | None
    sha256: str | None
    alt_text: str | None
    name: str | None
    created_time: int

    def described(self) -> dict[str, Any]:
        """As a tweet's `media` keeps it: enough for a test to tell files apart."""
        found = {
            "id": self.id,
            "kind": self.kind,
            "url": self.url,
            "mime": self.mime,
            "size": self.size,
            "sha256": self.sha256,
            "alt_text": self.alt_text,
            "name": self.name,
        }
        return {key: value for key, value in found.items() if value is not None}


class NetworkStore(MediaStore):
    def __init__(
        self, path: Path | None, *, clock: Callable[[], float] = time.time
    ) -> None:
        super().__init__(path, clock=clock)
        self._db.executescript(NETWORK_SCHEMA)

    def create_network_object(
        self,
        network: str,
        object_kind: str,
        target: str,
        *,
        text: str | None,
        fields: Mapping[str, Any],
        media: Sequence[Mapping[str, Any]],
        location: Callable[[str], str],
    ) -> NetworkObject:
        """A new tweet, post or pin; `location` makes its URL from its new id."""
        with self._tx() as db:
            object_id = _next_id(db, network)
            now = self.now()
            db.execute(
                "INSERT INTO network_objects (id, network, object, target, text, fields,"
                " media, location, created_time, updated_time) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (
                    object_id,
                    network,
                    object_kind,
                    target,
                    text,
                    json.dumps(dict(fields)),
                    json.dumps([dict(item) for item in media]),
                    location(object_id),
                    now,
                    now,
                ),
            )
            row = db.execute(
                "SELECT * FROM network_objects WHERE id=?", (object_id,)
            ).fetchone()
        return _object_from_row(row)

    def network_object(self, network: str, object_id: str) -> NetworkObject | None:
        """A live (not deleted) object of this network."""
        with self._lock:
            row = self._db.execute(
                "SELECT * FROM network_objects WHERE id=? AND network=? AND deleted=0",
                (object_id, network),
            ).fetchone()
        return _object_from_row(row) if row else None

    def latest_network_object(self, network: str, target: str) -> NetworkObject | None:
        """The newest live object published to this account, company or board."""
        with self._lock:
            row = self._db.execute(
                "SELECT * FROM network_objects WHERE network=? AND target=? AND deleted=0"
                " ORDER BY seq DESC LIMIT 1",
                (network, target),
            ).fetchone()
        return _object_from_row(row) if row else None

    def update_network_object(
        self,
        network: str,
        object_id: str,
        *,
        target: str,
        text: str | None,
        fields: Mapping[str, Any],
    ) -> NetworkObject | None:
        """Change a live object in place; None if it is gone."""
        with self._tx() as db:
            updated = db.execute(
                "UPDATE network_objects SET target=?, text=?, fields=?, updated_time=?"
                " WHERE id=? AND network=? AND deleted=0",
                (
                    target,
                    text,
                    json.dumps(dict(fields)),
                    self.now(),
                    object_id,
                    network,
                ),
            ).rowcount
            row = db.execute(
                "SELECT * FROM network_objects WHERE id=?", (object_id,)
            ).fetchone()
        return _object_from_row(row) if updated else None

    def delete_network_object(self, network: str, object_id: str) -> bool:
        """Flag a live object deleted; False if it was not there (or already gone)."""
        with self._tx() as db:
            return (
                db.execute(
                    "UPDATE network_objects SET deleted=1, updated_time=?"
                    " WHERE id=? AND network=? AND deleted=0",
                    (self.now(), object_id, network),
                ).rowcount
                > 0
            )

    def network_objects(self) -> list[NetworkObject]:
        """Every object ever published, deleted ones too, oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM network_objects ORDER BY seq"
            ).fetchall()
        return [_object_from_row(row) for row in rows]

    def add_network_media(
        self,
        network: str,
        target: str,
        kind: str,
        *,
        url: str | None,
        upload: UploadedBytes | None,
        alt_text: str | None,
        name: str | None,
    ) -> NetworkMedia:
        """An uploaded picture or video: its bytes are described, not kept."""
        with self._tx() as db:
            media_id = _next_id(db, network)
            db.execute(
                "INSERT INTO network_media (id, network, target, kind, url, mime, size,"
                " sha256, alt_text, name, created_time) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (
                    media_id,
                    network,
                    target,
                    kind,
                    url,
                    upload.mime if upload else None,
                    len(upload.data) if upload else None,
                    upload.sha256 if upload else None,
                    alt_text,
                    name,
                    self.now(),
                ),
            )
            row = db.execute(
                "SELECT * FROM network_media WHERE id=?", (media_id,)
            ).fetchone()
        return _media_from_row(row)

    def network_media(self, network: str, media_id: str) -> NetworkMedia | None:
        with self._lock:
            row = self._db.execute(
                "SELECT * FROM network_media WHERE id=? AND network=?",
                (media_id, network),
            ).fetchone()
        return _media_from_row(row) if row else None


def clear_networks(db: sqlite3.Connection) -> None:
    """At a reset, inside its transaction: the id counters live in `meta`, which the
    reset empties too, so ids start over."""
    for table in _TABLES:
        db.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
    db.execute("DELETE FROM sqlite_sequence WHERE name='network_objects'")


def _next_id(db: sqlite3.Connection, network: str) -> str:
    key = f"next_id:{network}"
    row = db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
    value = int(row["value"]) if row else FIRST_IDS[network]
    db.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?)"
        " ON CONFLICT(key) DO UPDATE SET value=excluded.value",
        (key, str(value + 1)),
    )
    return f"urn:li:share:{value}" if network == "linkedin" else str(value)


def _object_from_row(row: sqlite3.Row) -> NetworkObject:
    return NetworkObject(
        seq=row["seq"],
        id=row["id"],
        network=row["network"],
        object=row["object"],
        target=row["target"],
        text=row["text"],
        fields=json.loads(row["fields"]),
        media=tuple(json.loads(row["media"])),
        location=row["location"],
        created_time=row["created_time"],
        updated_time=row["updated_time"],
        deleted=bool(row["deleted"]),
    )


def _media_from_row(row: sqlite3.Row) -> NetworkMedia:
    return NetworkMedia(
        id=row["id"],
        network=row["network"],
        target=row["target"],
        kind=row["kind"],
        url=row["url"],
        mime=row["mime"],
        size=row["size"],
        sha256=row["sha256"],
        alt_text=row["alt_text"],
        name=row["name"],
        created_time=row["created_time"],
    )
