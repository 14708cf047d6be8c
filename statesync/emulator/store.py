"""The emulator's state in SQLite: users, tokens, pages, media and posts.

One connection behind one lock: every write is a short transaction, so concurrent
requests can never lose a write or hand out the same id twice. Both APIs share this
store, as Graph and OneAll share Facebook in the real world.

Reads cost no more than they must, since a 50-item batch read runs through here 50
times: users, tokens, roles, pages and media (written only by the seed and a few
routes) are kept in memory until a write that can change them; the posts of a batch
are read in one SELECT beforehand (`prefetch_posts`) and kept until the next write;
scheduled posts are published by a write transaction only once one can be due. So
the store assumes it is the only writer of its database file while it is open (a
restart on the same state file is fine).
"""

from __future__ import annotations

import json
import math
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from statesync.emulator import seeding, tables
from statesync.emulator.records import (
    Media,
    Page,
    Post,
    Principal,
    Role,
    UploadedBytes,
    User,
    media_from_row,
    page_from_row,
    post_from_row,
    role_from_row,
)
from statesync.emulator.seed import Seed

__all__ = ["Media", "Page", "Post", "Principal", "Role", "Store", "User"]

# Lookups kept in memory between writes; past this many (unknown ids included), the
# cache starts over rather than grow without bound.
_MAX_LOOKUPS = 50_000
# SQLite's default limit of host parameters in one statement is 999 (older builds).
_MAX_IN = 900


class Store:
    def __init__(
        self, path: Path | None, *, clock: Callable[[], float] = time.time
    ) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        # The earliest time an unpublished scheduled post falls due: reads publish
        # due posts only once it has come (0: unknown, after a write that may
        # schedule one; inf: none), so a read is a SELECT, not a write transaction.
        self._next_due: float = 0.0
        # (kind, key) -> a user, principal, role, page or media (None: not there);
        # cleared by every write that touches them.
        self._lookups: dict[tuple[str, str], Any] = {}
        # Posts read ahead for a batch (None: not there); cleared by every write.
        self._posts: dict[str, Post | None] = {}
        self._db = sqlite3.connect(
            str(path) if path else ":memory:",
            check_same_thread=False,
            isolation_level=None,
        )
        self._db.row_factory = sqlite3.Row
        if path:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(tables.SCHEMA)

    def now(self) -> int:
        return int(self._clock())

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _tx(
        self, *, people: bool = False, schedules: bool = False
    ) -> Iterator[sqlite3.Connection]:
        """A write transaction. ``people``: it may change users, tokens, roles, pages
        or media; ``schedules``: it may leave a scheduled post waiting to go live."""
        with self._lock:
            self._posts.clear()
            if people:
                self._lookups.clear()
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
            if schedules:
                self._next_due = 0.0  # unknown: the next read looks again

    def _lookup(
        self, kind: str, key: str, load: Callable[[sqlite3.Connection], Any]
    ) -> Any:
        """A user, principal, role, page or media, from memory or from ``load``."""
        with self._lock:
            try:
                return self._lookups[(kind, key)]
            except KeyError:
                pass
            value = load(self._db)
            if len(self._lookups) >= _MAX_LOOKUPS:
                self._lookups.clear()
            self._lookups[(kind, key)] = value
            return value

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        """Posts as a reader sees them now: due scheduled posts published first (only
        when one can be due), then plain SELECTs with no transaction of their own."""
        with self._lock:
            if self.now() >= self._next_due:
                self._posts.clear()
                self._db.execute("BEGIN IMMEDIATE")
                tables.publish_due(self._db, self.now())
                self._db.execute("COMMIT")
                (due,) = self._db.execute(
                    "SELECT MIN(scheduled_publish_time) FROM posts"
                    " WHERE is_published=0 AND scheduled_publish_time IS NOT NULL"
                ).fetchone()
                self._next_due = math.inf if due is None else float(due)
            yield self._db

    # -- seeding -------------------------------------------------------------------

    def apply_seed(self, seed: Seed) -> None:
        """On start: upsert users, tokens, pages and media; posts only on new pages.

        So that restarting on the same state file never duplicates the seed's posts,
        while edits to the seed's users and pages take effect.
        """
        with self._tx(people=True, schedules=True) as db:
            seeding.apply_seed(db, seed, self.now())

    def reset(self, seed: Seed) -> None:
        """Back to the seed exactly: everything else is gone, ids start over."""
        with self._tx(people=True, schedules=True) as db:
            seeding.reset(db, seed, self.now())

    # -- principals, users, pages --------------------------------------------------

    def principal(self, token: str) -> Principal | None:
        def load(db: sqlite3.Connection) -> Principal | None:
            row = db.execute("SELECT id FROM users WHERE token=?", (token,)).fetchone()
            if row:
                return Principal(row["id"], None)
            row = db.execute(
                "SELECT user_id, page_id FROM roles WHERE page_token=?", (token,)
            ).fetchone()
            return Principal(row["user_id"], row["page_id"]) if row else None

        principal: Principal | None = self._lookup("principal", token, load)
        return principal

    def user(self, user_id: str) -> User | None:
        def load(db: sqlite3.Connection) -> User | None:
            row = db.execute("SELECT * FROM users WHERE id=?", (user_id,)).fetchone()
            return User(row["id"], row["name"], row["identity_token"]) if row else None

        user: User | None = self._lookup("user", user_id, load)
        return user

    def user_by_identity(self, identity_token: str) -> User | None:
        def load(db: sqlite3.Connection) -> User | None:
            row = db.execute(
                "SELECT * FROM users WHERE identity_token=?", (identity_token,)
            ).fetchone()
            return User(row["id"], row["name"], row["identity_token"]) if row else None

        user: User | None = self._lookup("identity", identity_token, load)
        return user

    def roles_of_user(self, user_id: str) -> list[Role]:
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM roles WHERE user_id=? ORDER BY ord", (user_id,)
            ).fetchall()
        return [role_from_row(row) for row in rows]

    def roles_of_page(self, page_id: str) -> list[tuple[User, Role]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT roles.*, users.name, users.identity_token FROM roles"
                " JOIN users ON users.id = roles.user_id WHERE page_id=? ORDER BY users.ord",
                (page_id,),
            ).fetchall()
        return [
            (
                User(row["user_id"], row["name"], row["identity_token"]),
                role_from_row(row),
            )
            for row in rows
        ]

    def role(self, user_id: str, page_id: str) -> Role | None:
        def load(db: sqlite3.Connection) -> Role | None:
            row = db.execute(
                "SELECT * FROM roles WHERE user_id=? AND page_id=?", (user_id, page_id)
            ).fetchone()
            return role_from_row(row) if row else None

        role: Role | None = self._lookup("role", f"{user_id}/{page_id}", load)
        return role

    def page(self, page_id: str) -> Page | None:
        def load(db: sqlite3.Connection) -> Page | None:
            row = db.execute("SELECT * FROM pages WHERE id=?", (page_id,)).fetchone()
            return page_from_row(row) if row else None

        page: Page | None = self._lookup("page", page_id, load)
        return page

    def update_page_details(self, page_id: str, changes: dict[str, Any]) -> None:
        with self._tx(people=True) as db:
            row = db.execute(
                "SELECT details FROM pages WHERE id=?", (page_id,)
            ).fetchone()
            details = json.loads(row["details"]) | changes
            details = {
                key: value for key, value in details.items() if value not in (None, "")
            }
            db.execute(
                "UPDATE pages SET details=? WHERE id=?", (json.dumps(details), page_id)
            )

    # -- media ---------------------------------------------------------------------

    def media(self, media_id: str) -> Media | None:
        def load(db: sqlite3.Connection) -> Media | None:
            row = db.execute(
                f"{tables.MEDIA_SELECT} WHERE media.id=?", (media_id,)
            ).fetchone()
            return media_from_row(row) if row else None

        media: Media | None = self._lookup("media", media_id, load)
        return media

    def page_media(self, page_id: str, kind: str | None = None) -> list[Media]:
        """A page's media (of one kind, if given), newest first."""
        with self._lock:
            rows = self._db.execute(
                f"{tables.MEDIA_SELECT} WHERE media.page_id=? AND ? IN (media.kind, '')"
                " ORDER BY media.created_time DESC, media.id DESC",
                (page_id, kind or ""),
            ).fetchall()
        return [media_from_row(row) for row in rows]

    def add_media(
        self,
        page_id: str,
        kind: str,
        url: str | None,
        *,
        upload: UploadedBytes | None = None,
        alt_text: str | None = None,
        name: str | None = None,
    ) -> Media:
        """A new photo or video: from a `url`, or with its bytes (`upload`)."""
        with self._tx(people=True) as db:
            media_id = tables.next_id(db)
            db.execute(
                "INSERT INTO media (id, page_id, kind, url, created_time) VALUES (?,?,?,?,?)",
                (media_id, page_id, kind, url, self.now()),
            )
            if upload is not None or alt_text is not None or name is not None:
                tables.insert_upload(db, media_id, upload, alt_text, name)
            row = db.execute(
                f"{tables.MEDIA_SELECT} WHERE media.id=?", (media_id,)
            ).fetchone()
        return media_from_row(row)

    def media_bytes(self, media_id: str) -> tuple[str, str, bytes] | None:
        """(mime, sha256, bytes) of an uploaded media; None without stored bytes."""
        with self._lock:
            row = self._db.execute(
                "SELECT mime, sha256, data FROM media_uploads"
                " WHERE media_id=? AND data IS NOT NULL",
                (media_id,),
            ).fetchone()
        return (row["mime"], row["sha256"], bytes(row["data"])) if row else None

    def media_in_use(self, media_id: str) -> bool:
        with self._lock:
            rows = self._db.execute(
                "SELECT attachments FROM posts WHERE attachments LIKE ?",
                (f'%"{media_id}"%',),
            ).fetchall()
        return any(media_id in json.loads(row["attachments"]) for row in rows)

    def delete_media(self, media_id: str) -> bool:
        """The media and its bytes go together."""
        with self._tx(people=True) as db:
            db.execute("DELETE FROM media_uploads WHERE media_id=?", (media_id,))
            return db.execute("DELETE FROM media WHERE id=?", (media_id,)).rowcount > 0

    # -- posts ---------------------------------------------------------------------

    def create_post(
        self,
        page_id: str,
        *,
        message: str | None,
        link: str | None,
        attachments: Sequence[str],
        is_published: bool,
        scheduled_publish_time: int | None,
    ) -> Post:
        waits = scheduled_publish_time is not None and not is_published
        with self._tx(schedules=waits) as db:
            post_id = tables.insert_post(
                db,
                page_id,
                self.now(),
                message=message,
                link=link,
                attachments=attachments,
                is_published=is_published,
                scheduled_publish_time=scheduled_publish_time,
                is_hidden=False,
            )
            return post_from_row(
                db.execute("SELECT * FROM posts WHERE id=?", (post_id,)).fetchone()
            )

    def post(self, post_id: str) -> Post | None:
        with self._lock:  # read ahead, and no scheduled post can be due meanwhile
            if post_id in self._posts and self.now() < self._next_due:
                return self._posts[post_id]
        with self._read() as db:
            if post_id in self._posts:
                return self._posts[post_id]
            row = db.execute("SELECT * FROM posts WHERE id=?", (post_id,)).fetchone()
        return post_from_row(row) if row else None

    def prefetch_posts(self, post_ids: Sequence[str]) -> None:
        """Read these posts in one SELECT, so that the `post` calls of a batch that
        follow cost no query; kept until the next write (or the next prefetch)."""
        wanted = list(dict.fromkeys(post_ids))[:_MAX_IN]
        if not wanted:
            return
        marks = ",".join("?" * len(wanted))
        with self._read() as db:
            rows = db.execute(
                f"SELECT * FROM posts WHERE id IN ({marks})",  # noqa: S608 - only ?s
                wanted,
            ).fetchall()
            found = {row["id"]: post_from_row(row) for row in rows}
            self._posts = {post_id: found.get(post_id) for post_id in wanted}

    def page_posts(self, page_id: str) -> list[Post]:
        """All posts of a page, newest first (created_time, then creation order)."""
        with self._read() as db:
            rows = db.execute(
                "SELECT * FROM posts WHERE page_id=? ORDER BY created_time DESC, seq DESC",
                (page_id,),
            ).fetchall()
        return [post_from_row(row) for row in rows]

    def update_post(self, post_id: str, changes: dict[str, Any]) -> Post | None:
        """Apply column changes and move `updated_time`; None if the post is gone."""
        columns = {"message", "link", "attachments", "is_published", "is_hidden",
                   "scheduled_publish_time", "created_time"}  # fmt: skip
        assert set(changes) <= columns, changes  # noqa: S101 - a programming error
        values = {
            key: json.dumps(list(value)) if key == "attachments" else value
            for key, value in changes.items()
        }
        values["updated_time"] = self.now()
        assignments = ", ".join(f"{key}=?" for key in values)
        waits = changes.get("scheduled_publish_time") is not None
        with self._tx(schedules=waits) as db:
            tables.publish_due(db, self.now())
            updated = db.execute(
                f"UPDATE posts SET {assignments} WHERE id=?",  # noqa: S608 - fixed columns
                (*values.values(), post_id),
            ).rowcount
            row = db.execute("SELECT * FROM posts WHERE id=?", (post_id,)).fetchone()
        return post_from_row(row) if updated else None

    def delete_post(self, post_id: str) -> bool:
        with self._tx() as db:
            return db.execute("DELETE FROM posts WHERE id=?", (post_id,)).rowcount > 0
