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
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from statesync.errors import LockfileError
from statesync.model import POST_FIELDS, Record, RecordedPage

FORMAT_VERSION = 1
_CONFLICT_MARKERS = ("<<<<<<< ", "=======", ">>>>>>> ")


@dataclass(slots=True)
class Lockfile:
    path: Path
    lineage: str = field(default_factory=lambda: str(uuid.uuid4()))
    serial: int = 0
    pages: dict[str, RecordedPage] = field(default_factory=dict)
    is_new: bool = False  # no file yet: its lineage is not fixed until the first save

    def record(self, page_id: str, manifest: str, key: str, record: Record) -> None:
        page = self.pages.setdefault(page_id, RecordedPage(manifest=manifest))
        page.manifest = manifest
        page.posts[key] = record

    def forget(self, page_id: str, key: str) -> None:
        page = self.pages.get(page_id)
        if page is None:
            return
        page.posts.pop(key, None)
        if not page.posts:
            del self.pages[page_id]

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
                entries = [
                    f"        {json.dumps(key)}: {_entry_json(page.posts[key])}"
                    for key in sorted(page.posts)
                ]
                page_blocks.append(
                    f"    {json.dumps(page_id)}: {{\n"
                    f'      "manifest": {json.dumps(page.manifest)},\n'
                    f'      "posts": {{\n' + ",\n".join(entries) + "\n      }\n    }"
                )
            lines.append(",\n".join(page_blocks))
            lines.append("  }")
        lines.append("}")
        return "\n".join(lines) + "\n"

    def save(self) -> None:
        """Temp file, fsync, rename, fsync the directory: a crash leaves old or new."""
        write_atomically(self.path, self.render())
        self.is_new = False


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
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def load_lockfile(path: Path) -> Lockfile:
    """Read the lockfile, or start an empty one when there is none yet.

    A lockfile that cannot be trusted is refused with how to fix it, never overwritten.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Lockfile(path=path, is_new=True)
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
    return lock


def _parse_entry(entry: Any, corrupt: Any) -> Record:
    if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
        raise corrupt("a post entry has no id")
    hashes = entry.get("hashes")
    if not isinstance(hashes, dict) or set(hashes) != set(POST_FIELDS):
        raise corrupt(f"post {entry['id']} has no field hashes")
    if not all(isinstance(value, str) for value in hashes.values()):
        raise corrupt(f"post {entry['id']} has a malformed hash")
    return Record(post_id=entry["id"], hashes=dict(hashes))
