"""Normalize post fields the way the API does, so a re-plan after apply settles.

PROTOCOL §11: a trailing newline is not echoed back and CRLF handling is unconfirmed,
so messages are compared with CRLF turned into LF and trailing whitespace stripped.
Links are compared with the scheme and host lowercased, default ports dropped and an
empty path written as ``/``, the forms in which URL libraries hand them back.
"""

from __future__ import annotations

import hashlib
import json
import re
from urllib.parse import SplitResult, urlsplit, urlunsplit

from statesync.media import REF_PREFIX, is_ref, ref_key
from statesync.model import POST_FIELDS, PostFields

_DEFAULT_PORTS = {"http": 80, "https": 443}


def normalize_message(message: str | None) -> str | None:
    if message is None:
        return None
    text = message.replace("\r\n", "\n").replace("\r", "\n")
    text = "\n".join(line.rstrip() for line in text.split("\n")).rstrip()
    return text or None


def normalize_link(link: str | None) -> str | None:
    if not link:
        return None
    parts = urlsplit(link.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    netloc = host
    if parts.port is not None and parts.port != _DEFAULT_PORTS.get(scheme):
        netloc = f"{host}:{parts.port}"
    if parts.username:
        netloc = f"{parts.username}@{netloc}"
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, parts.fragment))


def normalize(fields: PostFields) -> PostFields:
    """Idempotent: ``normalize(normalize(f)) == normalize(f)``."""
    return PostFields(
        message=normalize_message(fields.message),
        link=normalize_link(fields.link),
        attachments=tuple(_identity(str(a)) for a in fields.attachments),
    )


def _identity(attachment: str) -> str:
    """A file attachment by its media key alone: renaming the file changes nothing
    (a pin's image travels as a file, and is hashed as one)."""
    return REF_PREFIX + ref_key(attachment) if is_ref(attachment) else attachment


def field_hashes(fields: PostFields) -> dict[str, str]:
    """A short hash per normalized field, as the lockfile records them.

    Per field rather than one hash for the post, so that with no reader the planner
    still knows *which* fields changed, and so whether the writer can change them in
    place.
    """
    values = normalize(fields).as_dict()
    return {name: _digest(values[name]) for name in POST_FIELDS}


def _digest(value: object) -> str:
    canonical = json.dumps(value, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def split_url(text: str) -> SplitResult | None:
    """``text`` split as a URL, or None where it cannot be one (a port out of range)."""
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError on a port out of range
    except ValueError:
        return None
    return parts


_SPACE = re.compile(r"\s")  # str.isspace's characters, found in C


def is_web_url(text: str) -> bool:
    """An absolute http(s) URL with a host and no whitespace: a link or a website."""
    parts = None if _SPACE.search(text) else split_url(text)
    return (
        parts is not None and parts.scheme in ("http", "https") and bool(parts.hostname)
    )
