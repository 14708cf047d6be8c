"""The committed lockfile: post ids and applied-field hashes, written atomically.

Layout (JSON, sorted, one post per line so a git diff is one line per changed post)::

    {
      "version": 1,
      "lineage": "<uuid, fixed when the lockfile is born>",
      "serial": 4,
      "pages": {
        "104510075301234": {
          "manifest": "acme-coffee",
          "posts": {
            "spring-menu": {"id": "104510075301234_100001", "hashes": {...}}
          },
          "media": {
            "<sha256>": {"id": "1021...", "file": "media/latte.jpg",
                         "type": "image/jpeg", "size": 862143, "used_by": ["latte-art"]}
          }
        }
      }
    }

``serial`` grows by one per run that changes the recorded state (and only then), and
``lineage`` never changes, so a saved plan can tell that the lockfile moved under it.

The lockfile is the one durable record: it is rewritten atomically after every change
(``save``), never through a side journal. Whatever stops the process, SIGKILL included,
the file that CI commits holds every id that was published, or the intent that lets
recovery find it.
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from statesync import lockfile_entries as codec
from statesync.atomic import os_reason, remove_stray_temps, write_atomically
from statesync.errors import LockfileError
from statesync.legacy_journal import replay_legacy_journal
from statesync.model import (
    Intent,
    MediaRecord,
    Record,
    RecordedPage,
    Upload,
)

FORMAT_VERSION = 1


class LockStore(Protocol):
    """What the planner, applier and recovery need of a lockfile: one file
    (``Lockfile``) or one per manifest (``statesync.lockset.LockSet``)."""

    @property
    def pages(self) -> dict[str, RecordedPage]: ...
    @property
    def lineage(self) -> str: ...
    @property
    def serial(self) -> int: ...
    @property
    def is_new(self) -> bool: ...

    def record(self, page_id: str, manifest: str, key: str, record: Record) -> None: ...
    def forget(self, page_id: str, key: str) -> None: ...
    def intend(self, page_id: str, manifest: str, key: str, intent: Intent) -> None: ...
    def clear_intent(self, page_id: str, key: str) -> None: ...
    def record_media(
        self, page_id: str, manifest: str, key: str, media: MediaRecord | None
    ) -> None: ...
    def intend_upload(
        self, page_id: str, manifest: str, key: str, upload: Upload | None
    ) -> None: ...
    def record_details(
        self, page_id: str, manifest: str, hashes: Mapping[str, str | None]
    ) -> None: ...
    def record_expired(
        self, page_id: str, manifest: str, key: str, at: int | None
    ) -> None: ...
    def save(self) -> None: ...
    def fold(self) -> None: ...


class LockfileWriteError(LockfileError):
    """The OS refused to write the lockfile (full disk, file-size limit, permissions).

    The file on disk is the last one written in full: it holds every action completed
    before, and an intent for any push in flight, which recovery settles by listing.
    """

    def __init__(self, path: Path, error: OSError) -> None:
        self.path = path
        self.reason = os_reason(error)
        super().__init__(
            f"{path}: cannot write the lockfile ({self.reason}). Apply stopped at "
            "once. The lockfile on disk records every action completed before this "
            "one; a push whose id could not be written is recorded there as a "
            "pending push, which the next plan settles by listing the page (or "
            "`statesync resolve` where the page cannot be listed). Fix the cause "
            "(free disk space, raise the file-size limit, restore write permission) "
            "and run apply again."
        )


_CONFLICT_MARKERS = ("<<<<<<< ", "=======", ">>>>>>> ")


@dataclass(slots=True)
class Lockfile:
    """The lockfile in memory; ``save()`` writes it whenever it changed.

    Changes come from the parallel apply's threads: one mutex guards the content,
    and writes are group commits (a thread that finds its change already written by
    another thread's save returns at once), so parallel actions share fsyncs.
    """

    path: Path
    lineage: str = field(default_factory=lambda: str(uuid.uuid4()))
    serial: int = 0
    pages: dict[str, RecordedPage] = field(default_factory=dict)
    is_new: bool = False  # no file yet: its lineage is not fixed until the first save
    legacy_journal: Path | None = None  # a 0.1 journal replayed, removed by save()
    _changes: int = 0  # changes made in memory
    _saved: int = 0  # changes the file on disk holds
    _bumped: bool = False  # the serial has grown in this run
    # What save() writes, cached: each page's block (encoded) and each post's entry;
    # a change re-renders one entry and re-encodes one page, never the whole file.
    _blocks: dict[str, bytes] = field(default_factory=dict, repr=False)
    _entries: dict[str, dict[str, str]] = field(default_factory=dict, repr=False)
    _mutex: threading.RLock = field(default_factory=threading.RLock, repr=False)
    _writing: threading.Lock = field(default_factory=threading.Lock, repr=False)
    # The state as loaded: a run whose changes cancel out (an intent written, then
    # cleared when the push was refused) ends with the file exactly as it was.
    _base_serial: int = field(default=0, repr=False)
    # None: the content as loaded, rendered only once something is about to change
    # (a plan that changes nothing never renders the lockfile at all).
    _base_blocks: dict[str, bytes] | None = field(default=None, repr=False)
    _born: bool = field(default=True, repr=False)  # the file existed when loaded

    def __post_init__(self) -> None:
        self.rebase()

    def rebase(self) -> None:
        """Take the current content as the state the run started from."""
        with self._mutex:
            self._base_serial, self._base_blocks = self.serial, None
            self._born = not self.is_new

    def _keep_base(self) -> None:
        """Before the first change of a run: render the content it started from."""
        if self._base_blocks is None:
            self._base_blocks = self._page_blocks()

    @property
    def unsaved(self) -> bool:
        return self._saved < self._changes

    def snapshot(self) -> dict[str, RecordedPage]:
        """The pages as of now, safe to iterate while other threads change them."""
        with self._mutex:
            return dict(self.pages)

    def record(self, page_id: str, manifest: str, key: str, record: Record) -> None:
        """Record a post; a pending intent for the same key is fulfilled by it."""
        with self._mutex:
            self._keep_base()
            page = self.pages.setdefault(page_id, RecordedPage(manifest=manifest))
            page.manifest = manifest
            page.posts[key] = Record(
                record.post_id,
                dict(record.hashes),
                record.applied_at,
                record.publish_at,
                dict(record.flags),
            )
            page.expired.pop(key, None)
            page.intents.pop(key, None)
            self._entries.get(page_id, {}).pop(key, None)
            self._changed(page_id)

    def intend(self, page_id: str, manifest: str, key: str, intent: Intent) -> None:
        with self._mutex:
            self._keep_base()
            page = self.pages.setdefault(page_id, RecordedPage(manifest=manifest))
            page.intents[key] = Intent(
                hashes=dict(intent.hashes),
                since=intent.since,
                publish_at=intent.publish_at,
            )
            self._changed(page_id)

    def forget(self, page_id: str, key: str) -> None:
        with self._mutex:
            self._keep_base()
            page = self.pages.get(page_id)
            if page is not None and page.posts.pop(key, None) is not None:
                self._entries.get(page_id, {}).pop(key, None)
                self._changed(page_id)

    def clear_intent(self, page_id: str, key: str) -> None:
        with self._mutex:
            self._keep_base()
            page = self.pages.get(page_id)
            if page is not None and page.intents.pop(key, None) is not None:
                self._changed(page_id)

    def record_media(
        self, page_id: str, manifest: str, key: str, media: MediaRecord | None
    ) -> None:
        """Record an uploaded media (fulfilling its pending upload), or forget it."""
        with self._mutex:
            self._keep_base()
            page = self.pages.get(page_id)
            if media is None:
                if page is not None and page.media.pop(key, None) is not None:
                    self._changed(page_id)
                return
            page = self.pages.setdefault(page_id, RecordedPage(manifest=manifest))
            page.media[key] = media
            page.uploads.pop(key, None)
            self._changed(page_id)

    def intend_upload(
        self, page_id: str, manifest: str, key: str, upload: Upload | None
    ) -> None:
        """Record an upload about to be sent, or clear it (None)."""
        with self._mutex:
            self._keep_base()
            page = self.pages.get(page_id)
            if upload is None:
                if page is not None and page.uploads.pop(key, None) is not None:
                    self._changed(page_id)
                return
            page = self.pages.setdefault(page_id, RecordedPage(manifest=manifest))
            page.uploads[key] = upload
            self._changed(page_id)

    def record_details(
        self, page_id: str, manifest: str, hashes: Mapping[str, str | None]
    ) -> None:
        """Record the page's own fields as applied (name -> hash), or forget those
        mapped to None: a forgotten field stays on the page as it is."""
        with self._mutex:
            self._keep_base()
            page = self.pages.setdefault(page_id, RecordedPage(manifest=manifest))
            for name, digest in hashes.items():
                if digest is None:
                    page.details.pop(name, None)
                else:
                    page.details[name] = digest
            self._changed(page_id)

    def record_expired(
        self, page_id: str, manifest: str, key: str, at: int | None
    ) -> None:
        """Remember that a post was deleted at its ``expire_at`` (``at``), or forget
        it (None): the manifest no longer names it, or names it with a new time."""
        with self._mutex:
            self._keep_base()
            if at is None:
                page = self.pages.get(page_id)
                if page is not None and page.expired.pop(key, None) is not None:
                    self._changed(page_id)
                return
            page = self.pages.setdefault(page_id, RecordedPage(manifest=manifest))
            page.expired[key] = at
            self._changed(page_id)

    def _changed(self, page_id: str) -> None:
        if not self._bumped:
            self.serial += 1
            self._bumped = True
        page = self.pages.get(page_id)
        if page is not None and page.is_empty():
            del self.pages[page_id]
            self._entries.pop(page_id, None)
        self._blocks.pop(page_id, None)
        self._changes += 1

    def render(self) -> str:
        """The file's exact text: stable for equal content, byte for byte."""
        with self._mutex:
            return b"".join(self._chunks(self._page_blocks())).decode("utf-8")

    def _chunks(self, blocks: dict[str, bytes]) -> list[bytes]:
        """The file as a list of byte strings, written without joining them: the
        pages' blocks are cached, so a save copies no more than the OS needs."""
        head = (
            "{\n"
            f'  "version": {FORMAT_VERSION},\n'
            f'  "lineage": {json.dumps(self.lineage)},\n'
            f'  "serial": {self.serial},\n'
            '  "pages": '
        ).encode()
        if not blocks:
            return [head, b"{}\n}\n"]
        chunks = [head, b"{\n"]
        for index, page_id in enumerate(sorted(blocks)):
            if index:
                chunks.append(b",\n")
            chunks.append(blocks[page_id])
        chunks.append(b"\n  }\n}\n")
        return chunks

    def _page_blocks(self) -> dict[str, bytes]:
        """Every page's block, rendering only those changed since they were cached."""
        for page_id, page in self.pages.items():
            if page_id not in self._blocks:
                entries = self._entries.setdefault(page_id, {})
                self._blocks[page_id] = codec.page_block(
                    page_id, page, entries
                ).encode()
        return dict(self._blocks)

    def save(self) -> None:
        """Write every change so far, atomically (temp file, fsync, rename, fsync the
        directory); nothing to write leaves the file byte for byte as it was.

        Raises ``LockfileWriteError`` when the OS refuses: the file on disk is then
        the previous one, whole.
        """
        with self._mutex:
            wanted = self._changes
        with self._writing:
            if self._saved >= wanted:
                return  # another thread's save already wrote this change
            with self._mutex:
                blocks, upto = self._page_blocks(), self._changes
                unchanged = blocks == (self._base_blocks or {})
                if unchanged:  # back where the run started: so is the serial
                    self.serial, self._bumped = self._base_serial, False
                chunks = self._chunks(blocks)
            try:
                if unchanged and not self._born:
                    self.path.unlink(missing_ok=True)  # as before: no file
                else:
                    write_atomically(self.path, chunks)
                if self.legacy_journal is not None:
                    self.legacy_journal.unlink(missing_ok=True)
            except OSError as exc:
                raise LockfileWriteError(self.path, exc) from None
            self.legacy_journal = None
            self._saved = upto
            self.is_new = unchanged and not self._born

    def fold(self) -> None:
        """Under the apply lock, before anything else: write what a leftover journal
        held and remove the temp files of writes a killed process left."""
        remove_stray_temps(self.path)
        self.save()
        if self.legacy_journal is not None:  # it held nothing to write
            try:
                self.legacy_journal.unlink(missing_ok=True)
            except OSError as exc:
                raise LockfileWriteError(self.legacy_journal, exc) from None
            self.legacy_journal = None


def load_lockfile(path: Path) -> Lockfile:
    """Read the lockfile, or start an empty one when there is none yet, then replay
    a journal that statesync 0.1 left behind (``fold()`` writes it in).

    A lockfile that cannot be trusted is refused with how to fix it, never overwritten.
    """
    lock = _read_file(path)
    replay_legacy_journal(lock)
    return lock


# The JSON escape of a UTF-16 surrogate (\uD800-\uDFFF), paired or not: a lone one
# decodes to text no file can hold, and it can come from nowhere else.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _read_file(path: Path) -> Lockfile:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Lockfile(path=path, is_new=True)
    except UnicodeDecodeError:
        raise LockfileError(
            f"{path}: the lockfile is not UTF-8 text. Restore it from git (git "
            "checkout -- <lockfile>); it is written only by statesync."
        ) from None
    except OSError as exc:
        raise LockfileError(
            f"{path}: cannot read the lockfile ({exc.strerror})"
        ) from None
    if any(line.startswith(_CONFLICT_MARKERS) for line in text.splitlines()):
        raise LockfileError(
            f"{path}: the lockfile has git conflict markers. Two applies recorded "
            "posts concurrently; keep every post entry from both sides (each is a "
            "post that exists), use the higher serial, remove the markers, then run "
            "plan again."
        )
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LockfileError(
            f"{path}:{exc.lineno}: the lockfile is not valid JSON ({exc.msg}). "
            "Restore it from git (git checkout -- <lockfile>) rather than deleting "
            "it: without it statesync cannot know which posts it published."
        ) from None
    except RecursionError:  # "[[[[..." deeper than the decoder's recursion limit
        raise LockfileError(
            f"{path}: the lockfile is nested far deeper than statesync writes it. "
            "Restore it from git (git checkout -- <lockfile>)."
        ) from None
    try:  # "\ud800" is valid JSON, but no file can hold the text it decodes to
        if _SURROGATE_ESCAPE.search(text):  # encoding 2 MB again costs 25 ms: only then
            json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise LockfileError(
            f"{path}: the lockfile holds an invalid Unicode escape (a lone "
            "surrogate); statesync never writes one. Restore it from git."
        ) from None
    return _parse(path, data)


def _parse(path: Path, data: Any) -> Lockfile:
    def corrupt(what: str) -> LockfileError:
        return LockfileError(
            f"{path}: the lockfile is corrupted ({what}). Restore it from git; it is "
            "written only by statesync."
        )

    if not isinstance(data, dict):
        raise corrupt("the top level is not an object")
    version = data.get("version")
    if version != FORMAT_VERSION:
        raise LockfileError(
            f"{path}: lockfile format version {version!r} is not supported by this "
            f"statesync (it reads version {FORMAT_VERSION}); upgrade statesync."
        )
    lineage, serial, pages = data.get("lineage"), data.get("serial"), data.get("pages")
    if not isinstance(lineage, str) or not lineage:
        raise corrupt("missing lineage")
    if not isinstance(serial, int) or isinstance(serial, bool) or serial < 0:
        raise corrupt("serial is not a non-negative integer")
    if not isinstance(pages, dict):
        raise corrupt("pages is not an object")
    lock = Lockfile(path=path, lineage=lineage, serial=serial)
    for page_id, page in pages.items():
        if not isinstance(page, dict) or not isinstance(page.get("manifest"), str):
            raise corrupt(f"page {page_id} has no manifest name")
        posts = page.get("posts")
        if not isinstance(posts, dict):
            raise corrupt(f"page {page_id} has no posts object")
        intents, media, uploads, details, expired = (
            codec.section(page, name, page_id, corrupt)
            for name in ("intents", "media", "uploads", "details", "expired")
        )
        recorded = RecordedPage(
            manifest=page["manifest"],
            posts={
                key: codec.parse_entry(entry, corrupt) for key, entry in posts.items()
            },
            intents={
                key: codec.parse_intent(entry, corrupt)
                for key, entry in intents.items()
            },
            media={
                key: codec.parse_media(entry, corrupt) for key, entry in media.items()
            },
            uploads={
                key: codec.parse_upload(entry, corrupt)
                for key, entry in uploads.items()
            },
            details=codec.parse_details(details, corrupt),
            expired=codec.parse_expired(expired, corrupt),
        )
        if not recorded.is_empty():
            lock.pages[page_id] = recorded
    lock.rebase()
    return lock
