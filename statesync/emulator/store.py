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

from statesync.emulator.records import (
    Media,
    Page,
    Post,
    Principal,
    Role,
    User,
    media_from_row,
    page_from_row,
    post_from_row,
    role_from_row,
)
from statesync.emulator.seed import Seed, SeedPage

__all__ = ["Media", "Page", "Post", "Principal", "Role", "Store", "User"]

# Lookups kept in memory between writes; past this many (unknown ids included), the
# cache starts over rather than grow without bound.
_MAX_LOOKUPS = 50_000
# SQLite's default limit of host parameters in one statement is 999 (older builds).
_MAX_IN = 900

# Real page post ids have 15-18 digits; new objects get increasing ids from here.
FIRST_OBJECT_ID = 122100000000000001

_SCHEMA = """
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
"""


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
        self._db.executescript(_SCHEMA)

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
                self._publish_due(self._db)
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
            self._upsert_people(db, seed)
            for page in seed.pages:
                is_new = (
                    db.execute("SELECT 1 FROM pages WHERE id=?", (page.id,)).fetchone()
                    is None
                )
                self._upsert_page(db, page)
                if is_new:
                    self._insert_seed_posts(db, page)

    def reset(self, seed: Seed) -> None:
        """Back to the seed exactly: everything else is gone, ids start over."""
        with self._tx(people=True, schedules=True) as db:
            for table in ("meta", "users", "pages", "roles", "media", "posts"):
                db.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
            db.execute("DELETE FROM sqlite_sequence WHERE name='posts'")
            self._upsert_people(db, seed)
            for page in seed.pages:
                self._upsert_page(db, page)
                self._insert_seed_posts(db, page)

    def _upsert_people(self, db: sqlite3.Connection, seed: Seed) -> None:
        for order, user in enumerate(seed.users):
            # A token or identity may move between users across seed edits.
            db.execute(
                "DELETE FROM users WHERE (token=? OR identity_token=?) AND id<>?",
                (user.token, user.oneall_identity_token, user.id),
            )
            db.execute(
                "INSERT INTO users (id, name, token, identity_token, ord) VALUES (?,?,?,?,?)"
                " ON CONFLICT(id) DO UPDATE SET name=excluded.name, token=excluded.token,"
                " identity_token=excluded.identity_token, ord=excluded.ord",
                (user.id, user.name, user.token, user.oneall_identity_token, order),
            )
            for role_order, role in enumerate(user.roles):
                db.execute(
                    "DELETE FROM roles WHERE page_token=? AND NOT (user_id=? AND page_id=?)",
                    (role.token, user.id, role.page_id),
                )
                db.execute(
                    "INSERT INTO roles (user_id, page_id, page_token, tasks, ord)"
                    " VALUES (?,?,?,?,?) ON CONFLICT(user_id, page_id) DO UPDATE SET"
                    " page_token=excluded.page_token, tasks=excluded.tasks, ord=excluded.ord",
                    (
                        user.id,
                        role.page_id,
                        role.token,
                        json.dumps(role.tasks),
                        role_order,
                    ),
                )

    def _upsert_page(self, db: sqlite3.Connection, page: SeedPage) -> None:
        category_list = json.dumps(page.category_list) if page.category_list else None
        db.execute(
            "INSERT INTO pages (id, name, category, category_list, details) VALUES (?,?,?,?,?)"
            " ON CONFLICT(id) DO UPDATE SET name=excluded.name, category=excluded.category,"
            " category_list=excluded.category_list, details=excluded.details",
            (
                page.id,
                page.name,
                page.category,
                category_list,
                json.dumps(dict(page.details)),
            ),
        )
        now = self.now()
        for media in page.media:
            db.execute(
                "INSERT INTO media (id, page_id, kind, url, created_time) VALUES (?,?,?,?,?)"
                " ON CONFLICT(id) DO UPDATE SET page_id=excluded.page_id, kind=excluded.kind,"
                " url=excluded.url",
                (media.id, page.id, media.kind, media.url, now),
            )

    def _insert_seed_posts(self, db: sqlite3.Connection, page: SeedPage) -> None:
        for post in page.posts:
            published = post.published and post.scheduled_publish_time is None
            self._insert_post(
                db,
                page.id,
                message=post.message,
                link=post.link,
                attachments=post.attachments,
                is_published=published,
                scheduled_publish_time=post.scheduled_publish_time,
                is_hidden=post.is_hidden,
            )

    # -- ids -----------------------------------------------------------------------

    def _next_id(self, db: sqlite3.Connection) -> str:
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
            row = db.execute("SELECT * FROM media WHERE id=?", (media_id,)).fetchone()
            return media_from_row(row) if row else None

        media: Media | None = self._lookup("media", media_id, load)
        return media

    def page_media(self, page_id: str) -> list[Media]:
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM media WHERE page_id=? ORDER BY created_time DESC, id DESC",
                (page_id,),
            ).fetchall()
        return [media_from_row(row) for row in rows]

    def add_media(self, page_id: str, kind: str, url: str | None) -> Media:
        with self._tx(people=True) as db:
            media_id = self._next_id(db)
            now = self.now()
            db.execute(
                "INSERT INTO media (id, page_id, kind, url, created_time) VALUES (?,?,?,?,?)",
                (media_id, page_id, kind, url, now),
            )
        return Media(media_id, page_id, kind, url, now)

    def media_in_use(self, media_id: str) -> bool:
        with self._lock:
            rows = self._db.execute(
                "SELECT attachments FROM posts WHERE attachments LIKE ?",
                (f'%"{media_id}"%',),
            ).fetchall()
        return any(media_id in json.loads(row["attachments"]) for row in rows)

    def delete_media(self, media_id: str) -> bool:
        with self._tx(people=True) as db:
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
            post_id = self._insert_post(
                db,
                page_id,
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

    def _insert_post(
        self,
        db: sqlite3.Connection,
        page_id: str,
        *,
        message: str | None,
        link: str | None,
        attachments: Sequence[str],
        is_published: bool,
        scheduled_publish_time: int | None,
        is_hidden: bool,
    ) -> str:
        post_id = f"{page_id}_{self._next_id(db)}"
        now = self.now()
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

    def _publish_due(self, db: sqlite3.Connection) -> None:
        """A scheduled post goes live once its time has come, as on Facebook."""
        db.execute(
            "UPDATE posts SET is_published=1 WHERE is_published=0"
            " AND scheduled_publish_time IS NOT NULL AND scheduled_publish_time<=?",
            (self.now(),),
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
            self._publish_due(db)
            updated = db.execute(
                f"UPDATE posts SET {assignments} WHERE id=?",  # noqa: S608 - fixed columns
                (*values.values(), post_id),
            ).rowcount
            row = db.execute("SELECT * FROM posts WHERE id=?", (post_id,)).fetchone()
        return post_from_row(row) if updated else None

    def delete_post(self, post_id: str) -> bool:
        with self._tx() as db:
            return db.execute("DELETE FROM posts WHERE id=?", (post_id,)).rowcount > 0
