"""Writing a seed file's users, tokens, roles, pages, media and posts into the tables.

Kept apart from the store because it is the only writer that upserts: a restart on
the same state file applies edits to the seed's people and pages, yet never seeds a
page's posts twice, nor puts back the seed's details and settings over what clients
wrote unless the seed's own changed.
"""

from __future__ import annotations

import json
import sqlite3

from statesync.emulator import tables
from statesync.emulator.seed import Seed, SeedPage


def apply_seed(db: sqlite3.Connection, seed: Seed, now: int) -> None:
    """Upsert users, tokens, pages and media; insert posts only on pages that are new;
    details and settings as `_seed_page_values` says."""
    _upsert_people(db, seed)
    for page in seed.pages:
        is_new = (
            db.execute("SELECT 1 FROM pages WHERE id=?", (page.id,)).fetchone() is None
        )
        _upsert_page(db, page, now)
        if is_new:
            _insert_posts(db, page, now)


def reset(db: sqlite3.Connection, seed: Seed, now: int) -> None:
    """Back to the seed exactly: everything else is gone, ids start over."""
    for table in tables.TABLES:
        db.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
    db.execute("DELETE FROM sqlite_sequence WHERE name='posts'")
    _upsert_people(db, seed)
    for page in seed.pages:
        _upsert_page(db, page, now)
        _insert_posts(db, page, now)


def _upsert_people(db: sqlite3.Connection, seed: Seed) -> None:
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
                (user.id, role.page_id, role.token, json.dumps(role.tasks), role_order),
            )


def _upsert_page(db: sqlite3.Connection, page: SeedPage, now: int) -> None:
    category_list = json.dumps(page.category_list) if page.category_list else None
    db.execute(
        "INSERT INTO pages (id, name, category, category_list) VALUES (?,?,?,?)"
        " ON CONFLICT(id) DO UPDATE SET name=excluded.name, category=excluded.category,"
        " category_list=excluded.category_list",
        (page.id, page.name, page.category, category_list),
    )
    _seed_page_values(db, page)
    for media in page.media:
        db.execute(
            "INSERT INTO media (id, page_id, kind, url, created_time) VALUES (?,?,?,?,?)"
            " ON CONFLICT(id) DO UPDATE SET page_id=excluded.page_id, kind=excluded.kind,"
            " url=excluded.url",
            (media.id, page.id, media.kind, media.url, now),
        )


def _seed_page_values(db: sqlite3.Connection, page: SeedPage) -> None:
    """A page's details and settings are the seed's when the page is new (at reset
    too), or when the seed's own values for it changed since they were last applied.

    Otherwise they stay as the API left them: a restart on a state file keeps what
    clients wrote (the sandbox restarts on every command), as it keeps their posts.
    """
    key = f"seeded_page_values:{page.id}"
    seeded = json.dumps(
        {"details": dict(page.details), "settings": dict(page.settings)},
        sort_keys=True,
    )
    row = db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
    if row is not None and row["value"] == seeded:
        return
    db.execute(
        "UPDATE pages SET details=? WHERE id=?",
        (json.dumps(dict(page.details)), page.id),
    )
    tables.set_settings(db, page.id, page.settings, replace=True)
    db.execute(
        "INSERT INTO meta (key, value) VALUES (?,?)"
        " ON CONFLICT(key) DO UPDATE SET value=excluded.value",
        (key, seeded),
    )


def _insert_posts(db: sqlite3.Connection, page: SeedPage, now: int) -> None:
    for post in page.posts:
        tables.insert_post(
            db,
            page.id,
            now,
            message=post.message,
            link=post.link,
            attachments=post.attachments,
            is_published=post.published and post.scheduled_publish_time is None,
            scheduled_publish_time=post.scheduled_publish_time,
            is_hidden=post.is_hidden,
        )
