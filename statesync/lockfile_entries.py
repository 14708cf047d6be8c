"""One lockfile page's entries as text and back: posts, pending pushes, media, and
pending uploads; each entry one line, sorted, so a git diff is one line per change.

The reader is strict: an entry that statesync would not have written is corrupt, and
the caller names the file and how to restore it.
"""

from __future__ import annotations

import json
from typing import Any

from statesync.model import (
    POST_FIELDS,
    Intent,
    MediaRecord,
    Record,
    RecordedPage,
    Upload,
)
from statesync.page_fields import BY_QUALIFIED

_HASHED = frozenset(POST_FIELDS)  # the fields an entry has a hash of


def page_block(page_id: str, page: RecordedPage, entries: dict[str, str]) -> str:
    """One page; ``intents`` appears only while a push is pending, so a settled
    lockfile's diff stays one line per post. ``entries`` caches each post's text."""
    for key in page.posts.keys() - entries.keys():
        entries[key] = _entry_json(page.posts[key])
    sections = [("posts", {key: entries[key] for key in sorted(page.posts)})]
    if page.intents:
        intents = {key: _intent_json(page.intents[key]) for key in sorted(page.intents)}
        sections.append(("intents", intents))
    if page.media:
        media = {key: _media_json(page.media[key]) for key in sorted(page.media)}
        sections.append(("media", media))
    if page.uploads:
        uploads = {key: _upload_json(page.uploads[key]) for key in sorted(page.uploads)}
        sections.append(("uploads", uploads))
    if page.details:
        details = {key: json.dumps(page.details[key]) for key in sorted(page.details)}
        sections.append(("details", details))
    if page.expired:
        expired = {key: str(page.expired[key]) for key in sorted(page.expired)}
        sections.append(("expired", expired))
    blocks = [f'      "manifest": {json.dumps(page.manifest)}']
    for name, texts in sections:
        lines = [f"        {json.dumps(key)}: {text}" for key, text in texts.items()]
        body = "\n" + ",\n".join(lines) + "\n      " if lines else ""
        blocks.append(f"      {json.dumps(name)}: {{{body}}}")
    return f"    {json.dumps(page_id)}: {{\n" + ",\n".join(blocks) + "\n    }"


def _intent_json(intent: Intent) -> str:
    hashes = {name: intent.hashes[name] for name in sorted(intent.hashes)}
    entry: dict[str, Any] = {"hashes": hashes, "since": intent.since}
    if intent.publish_at is not None:
        entry["publish_at"] = intent.publish_at
    return json.dumps(entry, ensure_ascii=False)


def _media_json(media: MediaRecord) -> str:
    return json.dumps(
        {
            "id": media.media_id,
            "file": media.shown,
            "type": media.mime,
            "size": media.size,
            "used_by": list(media.used_by),
        },
        ensure_ascii=False,
    )


def _upload_json(upload: Upload) -> str:
    return json.dumps({"file": upload.shown, "since": upload.since}, ensure_ascii=False)


def _entry_json(record: Record) -> str:
    hashes = {name: record.hashes[name] for name in sorted(record.hashes)}
    entry: dict[str, Any] = {"id": record.post_id, "hashes": hashes}
    if record.applied_at is not None:
        entry["at"] = record.applied_at
    if record.publish_at is not None:
        entry["publish_at"] = record.publish_at
    if record.flags:
        entry["flags"] = {name: record.flags[name] for name in sorted(record.flags)}
    return json.dumps(entry, ensure_ascii=False)


def section(page: dict[str, Any], name: str, page_id: str, corrupt: Any) -> Any:
    """An optional section of a page: absent until the page has such an entry."""
    section = page.get(name, {})
    if not isinstance(section, dict):
        raise corrupt(f"page {page_id} has a malformed {name} object")
    return section


def parse_details(section: dict[str, Any], corrupt: Any) -> dict[str, str]:
    """The page's own fields as applied: ``details.about`` -> hash of its value."""
    for name, digest in section.items():
        if name not in BY_QUALIFIED:
            raise corrupt(
                f"page field {name!r} is not one this statesync manages (written by a "
                "newer version?)"
            )
        if not isinstance(digest, str) or not digest:
            raise corrupt(f"page field {name!r} is malformed")
    return dict(section)


def parse_media(entry: Any, corrupt: Any) -> MediaRecord:
    if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
        raise corrupt("a media entry has no id")
    size, used_by = entry.get("size"), entry.get("used_by")
    if not (
        isinstance(entry.get("type"), str)
        and isinstance(entry.get("file"), str)
        and isinstance(size, int)
        and not isinstance(size, bool)
        and isinstance(used_by, list)
        and all(isinstance(key, str) for key in used_by)
    ):
        raise corrupt(f"media {entry['id']} is malformed")
    return MediaRecord(
        media_id=entry["id"],
        mime=entry["type"],
        size=size,
        shown=entry["file"],
        used_by=tuple(used_by),
    )


def parse_upload(entry: Any, corrupt: Any) -> Upload:
    since = entry.get("since") if isinstance(entry, dict) else None
    if not isinstance(since, int) or isinstance(since, bool):
        raise corrupt("a pending upload has no time")
    if not isinstance(entry.get("file"), str):
        raise corrupt("a pending upload has no file")
    return Upload(shown=entry["file"], since=since)


def parse_intent(entry: Any, corrupt: Any) -> Intent:
    if not isinstance(entry, dict):
        raise corrupt("an intent is not an object")
    hashes, since = entry.get("hashes"), entry.get("since")
    if not isinstance(hashes, dict) or hashes.keys() != _HASHED:
        raise corrupt("an intent has no field hashes")
    if not all(isinstance(value, str) for value in hashes.values()):
        raise corrupt("an intent has a malformed hash")
    if not isinstance(since, int) or isinstance(since, bool):
        raise corrupt("an intent has no time")
    publish_at = entry.get("publish_at")
    if publish_at is not None and not is_instant(publish_at):
        raise corrupt("an intent has a malformed publishing time")
    return Intent(hashes=dict(hashes), since=since, publish_at=publish_at)


def parse_entry(entry: Any, corrupt: Any) -> Record:
    if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
        raise corrupt("a post entry has no id")
    hashes = entry.get("hashes")
    if not isinstance(hashes, dict) or hashes.keys() != _HASHED:
        raise corrupt(f"post {entry['id']} has no field hashes")
    if not all(isinstance(value, str) for value in hashes.values()):
        raise corrupt(f"post {entry['id']} has a malformed hash")
    applied_at, publish_at = entry.get("at"), entry.get("publish_at")
    for value in (applied_at, publish_at):
        if value is not None and not is_instant(value):
            raise corrupt(f"post {entry['id']} has a malformed time")
    flags = entry.get("flags", {})
    if not isinstance(flags, dict) or not all(
        name in ("hidden", "pinned") and isinstance(on, bool)
        for name, on in flags.items()
    ):
        raise corrupt(f"post {entry['id']} has malformed flags")
    return Record(
        post_id=entry["id"],
        hashes=dict(hashes),
        applied_at=applied_at,
        publish_at=publish_at,
        flags=dict(flags),
    )


def is_instant(value: Any) -> bool:
    """Unix seconds as statesync writes them: an int, before the year 6325."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**37


def parse_expired(section: dict[str, Any], corrupt: Any) -> dict[str, int]:
    """Posts deleted at their ``expire_at``: post key -> that instant."""
    for key, value in section.items():
        if not is_instant(value):
            raise corrupt(f"expired post {key!r} has a malformed time")
    return dict(section)
