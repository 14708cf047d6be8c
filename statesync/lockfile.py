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
          }
        }
      }
    }

``serial`` grows by one per apply and ``lineage`` never changes, so a saved plan can
tell that the lockfile moved under it.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from statesync.errors import LockfileError
from statesync.model import POST_FIELDS, Intent, Record, RecordedPage

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
    def bump_serial(self) -> None: ...
    def commit(self) -> None: ...
    def save(self) -> None: ...


_CONFLICT_MARKERS = ("<<<<<<< ", "=======", ">>>>>>> ")


@dataclass(slots=True)
class Lockfile:
    """The lockfile in memory, and its journal.

    Every change is an *op*, applied in memory and queued; ``commit()`` appends the
    queued ops to ``<lockfile>.journal`` and fsyncs it (constant cost per action,
    whatever the size of the project); ``save()`` folds everything into the lockfile
    atomically and removes the journal. A run that dies leaves the journal, which
    the next load replays: no acknowledged change is lost.
    """

    path: Path
    lineage: str = field(default_factory=lambda: str(uuid.uuid4()))
    serial: int = 0
    pages: dict[str, RecordedPage] = field(default_factory=dict)
    is_new: bool = False  # no file yet: its lineage is not fixed until the first save
    has_journal: bool = False  # replayed ops of an interrupted run, not yet folded
    _queued: list[dict[str, Any]] = field(default_factory=list, repr=False)
    _mutex: threading.RLock = field(default_factory=threading.RLock, repr=False)

    @property
    def journal_path(self) -> Path:
        return self.path.with_name(self.path.name + ".journal")

    def record(self, page_id: str, manifest: str, key: str, record: Record) -> None:
        """Record a post; a pending intent for the same key is fulfilled by it."""
        self._change(
            op="record",
            page=page_id,
            manifest=manifest,
            key=key,
            id=record.post_id,
            hashes=dict(record.hashes),
        )

    def forget(self, page_id: str, key: str) -> None:
        self._change(op="forget", page=page_id, key=key)

    def intend(self, page_id: str, manifest: str, key: str, intent: Intent) -> None:
        self._change(
            op="intend",
            page=page_id,
            manifest=manifest,
            key=key,
            hashes=dict(intent.hashes),
            since=intent.since,
        )

    def clear_intent(self, page_id: str, key: str) -> None:
        self._change(op="clear", page=page_id, key=key)

    def bump_serial(self) -> None:
        self._change(op="serial", value=self.serial + 1)

    def _change(self, **op: Any) -> None:
        with self._mutex:
            _apply_op(self, op)
            self._queued.append(op)

    def commit(self) -> None:
        """Make every change so far durable: append to the journal, fsync."""
        with self._mutex:
            if not self._queued:
                return
            lines = [json.dumps(op, sort_keys=True) for op in self._queued]
            if not self.journal_path.exists():
                begin = {"op": "begin", "lineage": self.lineage, "serial": self.serial}
                lines.insert(0, json.dumps(begin, sort_keys=True))
                _append(self.journal_path, lines, new=True)
            else:
                _append(self.journal_path, lines, new=False)
            self._queued.clear()
            self.has_journal = True

    def render(self) -> str:
        """The file's exact text: stable for equal content, byte for byte."""
        lines = [
            "{",
            f'  "version": {FORMAT_VERSION},',
            f'  "lineage": {json.dumps(self.lineage)},',
            f'  "serial": {self.serial},',
        ]
        if not self.pages:
            lines.append('  "pages": {}')
        else:
            lines.append('  "pages": {')
            page_blocks = []
            for page_id in sorted(self.pages):
                page = self.pages[page_id]
                page_blocks.append(_page_block(page_id, page))
            lines.append(",\n".join(page_blocks))
            lines.append("  }")
        lines.append("}")
        return "\n".join(lines) + "\n"

    def save(self) -> None:
        """Fold: temp file, fsync, rename, fsync the directory (a crash leaves old or
        new), then drop the journal, whose every op the new file holds."""
        with self._mutex:
            write_atomically(self.path, self.render())
            self.is_new = False
            self._queued.clear()
            if self.has_journal or self.journal_path.exists():
                self.journal_path.unlink(missing_ok=True)
                _fsync_dir(self.path.parent)
            self.has_journal = False


def _apply_op(lock: Lockfile, op: Mapping[str, Any]) -> None:
    """The one place a change takes effect: for live changes and journal replay."""
    kind = op["op"]
    if kind == "serial":
        lock.serial = op["value"]
        return
    page_id, key = op["page"], op["key"]
    if kind in ("record", "intend"):
        page = lock.pages.setdefault(page_id, RecordedPage(manifest=op["manifest"]))
        if kind == "record":
            page.manifest = op["manifest"]
            page.posts[key] = Record(post_id=op["id"], hashes=dict(op["hashes"]))
            page.intents.pop(key, None)
        else:
            page.intents[key] = Intent(hashes=dict(op["hashes"]), since=op["since"])
        return
    existing = lock.pages.get(page_id)
    if existing is None:
        return
    if kind == "forget":
        existing.posts.pop(key, None)
    else:
        existing.intents.pop(key, None)
    if not existing.posts and not existing.intents:
        del lock.pages[page_id]


def _append(path: Path, lines: list[str], *, new: bool) -> None:
    with path.open("a", encoding="utf-8", newline="\n") as handle:
        handle.write("".join(line + "\n" for line in lines))
        handle.flush()
        os.fsync(handle.fileno())
    if new:
        _fsync_dir(path.parent)


def _fsync_dir(directory: Path) -> None:
    dir_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _page_block(page_id: str, page: RecordedPage) -> str:
    """One page; ``intents`` appears only while a push is pending, so a settled
    lockfile's diff stays one line per post."""
    sections = [
        ("posts", {key: _entry_json(page.posts[key]) for key in sorted(page.posts)}),
    ]
    if page.intents:
        intents = {key: _intent_json(page.intents[key]) for key in sorted(page.intents)}
        sections.append(("intents", intents))
    blocks = [f'      "manifest": {json.dumps(page.manifest)}']
    for name, entries in sections:
        lines = [f"        {json.dumps(key)}: {text}" for key, text in entries.items()]
        body = "\n" + ",\n".join(lines) + "\n      " if lines else ""
        blocks.append(f"      {json.dumps(name)}: {{{body}}}")
    return f"    {json.dumps(page_id)}: {{\n" + ",\n".join(blocks) + "\n    }"


def _intent_json(intent: Intent) -> str:
    hashes = {name: intent.hashes[name] for name in sorted(intent.hashes)}
    return json.dumps({"hashes": hashes, "since": intent.since}, ensure_ascii=False)


def _entry_json(record: Record) -> str:
    hashes = {name: record.hashes[name] for name in sorted(record.hashes)}
    return json.dumps({"id": record.post_id, "hashes": hashes}, ensure_ascii=False)


def write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def load_lockfile(path: Path) -> Lockfile:
    """Read the lockfile, or start an empty one when there is none yet, then replay
    the journal an interrupted apply left behind.

    A lockfile that cannot be trusted is refused with how to fix it, never overwritten.
    """
    lock = _read_file(path)
    _replay_journal(lock)
    return lock


def _replay_journal(lock: Lockfile) -> None:
    try:
        text = lock.journal_path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise LockfileError(
            f"{lock.journal_path}: cannot read the journal ({reason}); restore the "
            "lockfile from git, move the journal away and run plan (recovery finds "
            "the posts by content)"
        ) from None
    lines = text.split("\n")
    ops = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            op = json.loads(line)
        except (json.JSONDecodeError, RecursionError):
            op = None
        if isinstance(op, dict):
            ops.append(op)
            continue
        if number >= len(lines) - 1:
            break  # the last line of a run killed mid-write: never acknowledged
        raise LockfileError(
            f"{lock.journal_path}:{number}: the journal is corrupted; restore the "
            "lockfile from git and run plan (recovery finds the posts by content)"
        )
    if not ops or ops[0].get("op") != "begin":
        raise LockfileError(f"{lock.journal_path}: the journal has no beginning")
    begin = ops[0]
    lineage, serial = begin.get("lineage"), begin.get("serial")
    if (
        not isinstance(lineage, str)
        or not isinstance(serial, int)
        or not _is_count(serial)
    ):
        raise LockfileError(
            f"{lock.journal_path}: the journal's beginning is corrupted"
        )
    if lock.is_new:
        lock.lineage, lock.serial = lineage, serial
    elif lineage != lock.lineage:
        raise LockfileError(
            f"{lock.journal_path}: this journal belongs to another lockfile (lineage "
            f"{begin.get('lineage')!r}); move it away if the lockfile was replaced "
            "on purpose"
        )
    try:
        for op in ops[1:]:
            _check_op(op)
            _apply_op(lock, op)
    except (KeyError, TypeError, ValueError) as exc:
        raise LockfileError(
            f"{lock.journal_path}: the journal is corrupted ({exc!r})"
        ) from None
    lock.has_journal = True


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _check_op(op: Mapping[str, Any]) -> None:
    """A journal op as ``Lockfile`` writes it, or ValueError: replay must never put
    a value in memory that the lockfile could not have held."""
    json.dumps(op, ensure_ascii=False).encode("utf-8")  # no lone surrogate
    kind = op.get("op")
    if kind == "serial":
        if not _is_count(op.get("value")):
            raise ValueError("serial is not a count")
        return
    if kind not in ("record", "intend", "forget", "clear"):
        raise ValueError(f"unknown op {kind!r}")
    if not isinstance(op.get("page"), str) or not isinstance(op.get("key"), str):
        raise ValueError("page and key must be strings")
    if kind in ("record", "intend"):
        hashes = op.get("hashes")
        if not isinstance(op.get("manifest"), str) or not (
            isinstance(hashes, dict)
            and set(hashes) == set(POST_FIELDS)
            and all(isinstance(value, str) for value in hashes.values())
        ):
            raise ValueError("malformed manifest or hashes")
    if kind == "record" and not isinstance(op.get("id"), str):
        raise ValueError("a recorded post has no id")
    if kind == "intend" and not (
        isinstance(op.get("since"), int) and not isinstance(op.get("since"), bool)
    ):
        raise ValueError("an intent has no time")


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
        for key, entry in posts.items():
            lock.record(page_id, page["manifest"], key, _parse_entry(entry, corrupt))
        intents = page.get("intents", {})
        if not isinstance(intents, dict):
            raise corrupt(f"page {page_id} has a malformed intents object")
        for key, entry in intents.items():
            intent = _parse_intent(entry, corrupt)
            lock.intend(page_id, page["manifest"], key, intent)
    lock._queued.clear()  # what was read is already on disk
    return lock


def _parse_intent(entry: Any, corrupt: Any) -> Intent:
    if not isinstance(entry, dict):
        raise corrupt("an intent is not an object")
    hashes, since = entry.get("hashes"), entry.get("since")
    if not isinstance(hashes, dict) or set(hashes) != set(POST_FIELDS):
        raise corrupt("an intent has no field hashes")
    if not all(isinstance(value, str) for value in hashes.values()):
        raise corrupt("an intent has a malformed hash")
    if not isinstance(since, int) or isinstance(since, bool):
        raise corrupt("an intent has no time")
    return Intent(hashes=dict(hashes), since=since)


def _parse_entry(entry: Any, corrupt: Any) -> Record:
    if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
        raise corrupt("a post entry has no id")
    hashes = entry.get("hashes")
    if not isinstance(hashes, dict) or set(hashes) != set(POST_FIELDS):
        raise corrupt(f"post {entry['id']} has no field hashes")
    if not all(isinstance(value, str) for value in hashes.values()):
        raise corrupt(f"post {entry['id']} has a malformed hash")
    return Record(post_id=entry["id"], hashes=dict(hashes))
