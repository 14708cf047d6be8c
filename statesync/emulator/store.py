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

The connection, transactions and caches are `store_core.StoreCore`; media queries
are `store_media.MediaStore`; tweets, LinkedIn posts and pins are
`store_networks.NetworkStore`; the rest is here.
"""

from __future__ import annotations

import json
import math
import sqlite3
from collections.abc import Sequence
from typing import Any

from statesync.emulator import seeding, tables
from statesync.emulator.page_values import SETTING_DEFAULTS
from statesync.emulator.records import (
    Media,
    Page,
    Post,
    Principal,
    Role,
    User,
    page_from_row,
    role_from_row,
)
from statesync.emulator.seed import Seed
from statesync.emulator.store_networks import NetworkStore, clear_networks

__all__ = ["Media", "Page", "Post", "Principal", "Role", "Store", "User"]

# SQLite's default limit of host parameters in one statement is 999 (older builds).
_MAX_IN = 900


class Store(NetworkStore):
    # -- seeding -------------------------------------------------------------------

    def apply_seed(self, seed: Seed) -> None:
        """On start: upsert users, tokens, pages and media; posts only on new pages.

        So that restarting on the same state file never duplicates the seed's posts
        nor undoes what clients wrote to pages, while edits to the seed's users and
        pages take effect (`seeding.apply_seed`).
        """
        with self._tx(people=True, schedules=True) as db:
            seeding.apply_seed(db, seed, self.now())

    def reset(self, seed: Seed) -> None:
        """Back to the seed exactly: everything else is gone, ids start over."""
        with self._tx(people=True, schedules=True) as db:
            seeding.reset(db, seed, self.now())
            clear_networks(db)  # tweets, LinkedIn posts, pins (store_networks.py)

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
            row = db.execute(
                f"{tables.PAGE_SELECT} WHERE pages.id=?", (page_id,)
            ).fetchone()
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

    def page_settings(self, page_id: str) -> dict[str, bool | str]:
        """Every known setting of a page, set or default, in `SETTING_DEFAULTS` order."""

        def load(db: sqlite3.Connection) -> tuple[tuple[str, Any], ...]:
            rows = db.execute(
                "SELECT name, value FROM page_settings WHERE page_id=?", (page_id,)
            ).fetchall()
            return tuple((row["name"], json.loads(row["value"])) for row in rows)

        stored = dict(self._lookup("settings", page_id, load))
        return {
            name: stored.get(name, value) for name, value in SETTING_DEFAULTS.items()
        }

    def set_page_setting(self, page_id: str, name: str, value: bool | str) -> None:
        """One setting, checked by the caller (`page_values.parse_option`)."""
        with self._tx(people=True) as db:
            tables.set_settings(db, page_id, {name: value})

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
            return tables.select_posts(db, "WHERE id=?", (post_id,))[0]

    def post(self, post_id: str) -> Post | None:
        """A post, from the batch's read-ahead when no scheduled post can have
        fallen due since (the clock is read only when one waits).

        The read-ahead is read without the lock, like `_lookup`'s cache: a write
        or a publishing read empties it before it changes anything, under the lock."""
        due = self._next_due  # first: a publishing read empties the read-ahead
        try:  # before it moves this, so the pair read in this order is consistent
            ahead = self._posts[post_id]
        except KeyError:
            pass
        else:
            if due == math.inf or self.now() < due:
                return ahead
        with self._read() as db:
            if post_id in self._posts:
                return self._posts[post_id]
            found = tables.select_posts(db, "WHERE id=?", (post_id,))
        return found[0] if found else None

    def prefetch_posts(self, post_ids: Sequence[str]) -> None:
        """Read these posts in one SELECT, so that the `post` calls of a batch that
        follow cost no query; kept until the next write (or the next prefetch)."""
        wanted = list(dict.fromkeys(post_ids))[:_MAX_IN]
        if not wanted:
            return
        marks = ",".join("?" * len(wanted))
        with self._read() as db:
            posts = tables.select_posts(db, f"WHERE id IN ({marks})", wanted)
            ahead: dict[str, Post | None] = dict.fromkeys(wanted)  # None: not there
            ahead.update((post.id, post) for post in posts)
            self._posts = ahead  # whole: `post` reads it without the lock

    def page_posts(self, page_id: str) -> list[Post]:
        """All posts of a page, newest first (created_time, then creation order)."""
        with self._read() as db:
            return tables.select_posts(
                db, "WHERE page_id=? ORDER BY created_time DESC, seq DESC", (page_id,)
            )

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
            found = tables.select_posts(db, "WHERE id=?", (post_id,))
        return found[0] if updated else None

    def set_pinned(self, post_id: str, page_id: str, pinned: bool) -> None:
        """Pin a post, unpinning the page's previous one, or unpin it.

        unconfirmed: a page has at most one pinned post, as in Facebook's own page
        screen; the row is the page's (`pinned_posts`), so two can never be pinned."""
        with self._tx(people=True) as db:  # the page lookups carry the pinned post
            if pinned:
                db.execute(
                    "INSERT INTO pinned_posts (page_id, post_id) VALUES (?,?)"
                    " ON CONFLICT(page_id) DO UPDATE SET post_id=excluded.post_id",
                    (page_id, post_id),
                )
            else:
                db.execute("DELETE FROM pinned_posts WHERE post_id=?", (post_id,))

    def delete_post(self, post_id: str) -> bool:
        """unconfirmed: whether deleting a video's post deletes the video (docs/media.md
        §3.1); the emulator keeps the video, unpublished again (no post of its own)."""
        with self._tx() as db:
            unpinned = db.execute(
                "DELETE FROM pinned_posts WHERE post_id=?", (post_id,)
            ).rowcount
            unpublished = db.execute(
                "DELETE FROM video_posts WHERE post_id=?", (post_id,)
            ).rowcount
            if unpinned or unpublished:
                # The page no longer has a pinned post, or the video its post.
                self._lookups.clear()
            return db.execute("DELETE FROM posts WHERE id=?", (post_id,)).rowcount > 0
