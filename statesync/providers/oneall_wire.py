"""OneAll's wire values: the post object of seeds 000/001, dates as OneAll writes them,
the identity token as a path segment, and reading into its nested replies."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime, timedelta, timezone
from pathlib import PurePath
from typing import Any, BinaryIO

from statesync.errors import ConfigError
from statesync.media import MediaFile
from statesync.model import PostFields
from statesync.providers.listing import iso_time, unix_seconds
from statesync.secret import Secret

_IDENTITY = re.compile(r"[A-Za-z0-9._~-]+")  # RFC 3986 unreserved: a safe path segment


# PROTOCOL §12: `Thu, 21 Sep 2017 15:56:59  0200`, the offset's `+` shown as a space
# (a form decoder's doing); the emulator sends `Mon, 23 Nov 2026 20:29:44 +0000`.
_ONEALL_TIME = re.compile(
    r"(?:[A-Za-z]{3},?\s*)?(?P<day>\d{1,2})\s+(?P<month>[A-Za-z]{3})\s+"
    r"(?P<year>\d{4})\s+(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?"
    r"\s*(?:(?P<sign>[+-])?\s*(?P<offset>\d{4})|(?P<zone>GMT|UTC|Z))?"
)
_MONTHS = {
    name: number
    for number, name in enumerate(
        [
            "jan",
            "feb",
            "mar",
            "apr",
            "may",
            "jun",
            "jul",
            "aug",
            "sep",
            "oct",
            "nov",
            "dec",
        ],
        start=1,
    )
}


def parse_oneall_time(value: object) -> int | None:
    """Unix seconds from a OneAll date, read leniently (PROTOCOL §12); an ISO 8601
    time or a number is taken too. No offset means UTC."""
    return unix_seconds(value, _oneall_time)


def _oneall_time(text: str) -> datetime | None:
    match = _ONEALL_TIME.fullmatch(text)
    if match is None:
        return iso_time(text)
    month = _MONTHS.get(match["month"].lower())
    if month is None:
        return None
    offset = timedelta(0)
    if match["offset"]:
        hours, minutes = int(match["offset"][:2]), int(match["offset"][2:])
        offset = timedelta(hours=hours, minutes=minutes)
        if match["sign"] == "-":
            offset = -offset
    try:
        return datetime(
            int(match["year"]),
            month,
            int(match["day"]),
            int(match["hour"]),
            int(match["minute"]),
            int(match["second"] or 0),
            tzinfo=timezone(offset),
        )
    except ValueError:
        return None


def check_identity(identity_token: Secret) -> None:
    """The identity token is a path segment of every OneAll URL: a ``/``, ``?``,
    ``#`` or ``%`` in it would send requests to another resource, and httpx would
    percent-encode anything else into the URL that logs show. OneAll's are UUIDs."""
    value = identity_token.reveal()
    if not _IDENTITY.fullmatch(value) or value in (".", ".."):
        raise ConfigError(
            "the OneAll identity token is malformed: it may hold only letters, "
            "digits and - . _ ~ (OneAll's are UUIDs; the value is not shown)"
        )


def pulled_fields(post: Mapping[str, Any]) -> PostFields:
    attachments = post.get("attachments") or []
    return PostFields(
        message=post.get("message") or None,
        link=post.get("link") or None,
        attachments=tuple(str(a) for a in attachments)
        if isinstance(attachments, list)
        else (),
    )


def post_content(fields: PostFields, *, clearing: bool) -> dict[str, Any]:
    """The seeds' post object: a link and attachments never travel together (seeds
    000/001).

    On update (``clearing``) every field is set, so that a field the manifest dropped
    is removed live: an empty ``attachments`` list removes them all (seed 000); an
    empty message and an empty link remove those (not in seed 000, which documents
    no removal for them: our choice, mirrored by the emulator).
    """
    content: dict[str, Any] = {}
    if fields.message is not None or clearing:
        content["message"] = fields.message or ""
    if fields.link is not None:
        content["link"] = fields.link
    elif fields.attachments or clearing:
        content["attachments"] = list(fields.attachments)
        if clearing and not fields.attachments:
            content["link"] = ""
    return content


def dig(data: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


# Base64 turns each 3 bytes into 4 characters: chunks of a multiple of 3 bytes encode
# independently, so a file is sent without ever being held whole in memory.
_UPLOAD_CHUNK = 3 * 256 * 1024


def upload_body(page_id: str, media: MediaFile, handle: BinaryIO) -> Iterator[bytes]:
    """The JSON body of an Upload Page Picture or Video request, streamed.

    unconfirmed: seed 001 names the endpoints but not their body. Assumed, after the
    page post's shape: ``{"request":{"push":{"page":{"id":..., "picture":{"data":
    <base64>, "name": <file name>, "alt_text": ...}}}}}`` ("video" for a video).
    """
    what = "video" if media.is_video else "picture"
    document = {"request": {"push": {"page": {"id": page_id, what: file_item(media)}}}}
    return streamed_body(document, handle)


# A file to send, and the body streamed from its open handle (built again for each
# attempt, so that a retry reads the file from its start).
Upload = tuple[MediaFile, Callable[[BinaryIO], Iterator[bytes]]]

# Stands for a file's base64 in a document until ``streamed_body`` sends it.
_FILE_DATA = "\x00statesync-file-data\x00"


def file_item(media: MediaFile) -> dict[str, str]:
    """A file as OneAll's uploads carry it: its name, its alt text, and its bytes in
    base64 (docs/media.md §4, unconfirmed), sent by ``streamed_body``."""
    item = {"name": PurePath(media.shown).name}
    if media.alt:
        item["alt_text"] = media.alt
    item["data"] = _FILE_DATA
    return item


def streamed_body(document: Mapping[str, Any], handle: BinaryIO) -> Iterator[bytes]:
    """``document`` as JSON, its one ``file_item`` data streamed from ``handle`` in
    base64 chunks: a large video is never held in memory."""
    head, tail = json.dumps(document).split(json.dumps(_FILE_DATA), 1)
    yield (head + '"').encode()
    while chunk := handle.read(_UPLOAD_CHUNK):
        yield base64.b64encode(chunk)
    yield ('"' + tail).encode()


def uploaded_id(result: Any, media: MediaFile) -> Any:
    """unconfirmed: the reply is assumed to mirror a post push's,
    ``result.data.{picture_id | video_id}``."""
    what = "video" if media.is_video else "picture"
    return dig(result, "response", "result", "data", f"{what}_id")
