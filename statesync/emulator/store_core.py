"""The store's foundation: one SQLite connection behind one lock, its transactions,
its in-memory lookups, and the clock its times come from.

Kept apart from the queries (`store.py`, `store_media.py`) so that each stays short;
`store.py` says why reads and writes are shaped as they are.
"""

from __future__ import annotations

import math
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from statesync.emulator import tables
from statesync.emulator.clock import Clock
from statesync.emulator.records import Post

# Lookups kept in memory between writes; past this many (unknown ids included), the
# cache starts over rather than grow without bound.
_MAX_LOOKUPS = 50_000
_UNKNOWN = object()  # not in a cache (None there means: not in the store)


class StoreCore:
    def __init__(
        self, path: Path | None, *, clock: Callable[[], float] = time.time
    ) -> None:
        self._lock = threading.Lock()
        # Every time the store writes or compares comes from here: `clock` as it is,
        # until a test moves it (`POST /_emulator/clock`).
        self.clock = clock if isinstance(clock, Clock) else Clock(clock)
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
        """The emulator's time in UNIX seconds: real time, or as a test moved it.

        Reads compare it with `_next_due` afresh each time, so a clock moved forward
        publishes the posts it passed on the next read, and one moved back publishes
        nothing early (a published post stays published)."""
        return int(self.clock())

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
        """A user, principal, role, page or media, from memory or from ``load``.

        One known already is read without the lock (a batch item makes two such
        reads): `_lookups` is only added to, or cleared by a write before it commits,
        each under the lock, so a read that races a write sees what was there before
        it, as if it had come first."""
        known = self._lookups.get((kind, key), _UNKNOWN)
        if known is not _UNKNOWN:
            return known
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
