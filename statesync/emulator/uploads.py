"""Uploaded media files, as Graph and OneAll both take them: the type from the bytes,
the size limits, the dimensions of an image, and the URL the emulator serves them at.

One module for both APIs, because on Facebook they are one store: a picture pushed
through OneAll is a photo Graph reads, and both refuse the same files.
"""

from __future__ import annotations

import dataclasses
import hashlib
import struct
from typing import Literal

import filetype

from statesync.emulator.records import Media, UploadedBytes

# The image types the client's contract names (issue 11). unconfirmed: the Page photos
# reference lists JPEG, BMP, PNG, GIF and TIFF; WebP is not in it, BMP and TIFF are
# refused here because a browser cannot show them from the served URL.
PHOTO_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})
# unconfirmed: the Video API recommends MP4 and MOV and takes many more; the emulator
# takes only those two, as the client's contract does.
VIDEO_TYPES = frozenset({"video/mp4", "video/quicktime"})
# Graph Photo reference: "less than 4MB"; the emulator refuses only what is over 4 MiB,
# as the client's own check does.
MAX_PHOTO_BYTES = 4 * 1024 * 1024
# Video API: a non-resumable upload takes at most 1 GB.
MAX_VIDEO_BYTES = 1024**3
# Served like a CDN URL, under the control prefix: Graph paths are `/vNN.N/...` or
# `/<id>...`, OneAll's `/push|update|pull/...`, so nothing of either API can collide.
SERVE_PREFIX = "/_emulator/media/"
# What a photo reads back as when its size is unknown (a `url` upload, a seeded photo).
DEFAULT_SIZE = (960, 720)

Kind = Literal["photo", "video"]


class UploadRefused(Exception):
    """A file the API refuses: `reason` says which limit, `detail` says it in words."""

    def __init__(self, reason: Literal["type", "size"], detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


def check_upload(kind: Kind, data: bytes) -> UploadedBytes:
    """The file as the store keeps it, or UploadRefused: the type is decided from the
    bytes alone, never from a file name or a part's content type (both lie)."""
    types, limit = (
        (PHOTO_TYPES, MAX_PHOTO_BYTES)
        if kind == "photo"
        else (VIDEO_TYPES, MAX_VIDEO_BYTES)
    )
    mime = filetype.guess_mime(data) if data else None
    if mime not in types:
        wanted = (
            "a JPEG, PNG, GIF or WebP image"
            if kind == "photo"
            else "an MP4 or MOV video"
        )
        found = (
            f"its bytes are {mime}" if mime else "its bytes are of no known media type"
        )
        raise UploadRefused("type", f"the file is not {wanted}: {found}")
    assert isinstance(mime, str)  # noqa: S101 - narrowed for mypy: mime is in types
    if len(data) > limit:
        raise UploadRefused(
            "size",
            f"the file is too large: {len(data)} bytes, the limit is {limit} bytes",
        )
    width, height = image_size(data) if kind == "photo" else (None, None)
    return UploadedBytes(data, mime, hashlib.sha256(data).hexdigest(), width, height)


def served_url(base_url: str, media_id: str) -> str:
    """Where the emulator serves a media's bytes, as the client reached the emulator."""
    return f"{base_url}{SERVE_PREFIX}{media_id}"


def as_served(media: Media | None, base_url: str) -> Media | None:
    """The media as a reply shows it: with bytes, its `url` is the served URL (so that
    `picture`, `images`, `full_picture` and attachments point at it); else unchanged."""
    if media is None or not media.has_bytes:
        return media
    return dataclasses.replace(media, url=served_url(base_url, media.id))


def image_size(data: bytes) -> tuple[int | None, int | None]:
    """Width and height from a PNG, GIF, JPEG or WebP header; (None, None) if unreadable.

    Read by hand, since pillow is only a test dependency of the project."""
    try:
        if data.startswith(b"\x89PNG\r\n\x1a\n"):
            width, height = struct.unpack(">II", data[16:24])
        elif data[:6] in (b"GIF87a", b"GIF89a"):
            width, height = struct.unpack("<HH", data[6:10])
        elif data.startswith(b"\xff\xd8"):
            width, height = _jpeg_size(data)
        elif data[:4] == b"RIFF" and data[8:12] == b"WEBP":
            width, height = _webp_size(data)
        else:
            return None, None
    except (struct.error, ValueError):
        return None, None
    return (int(width), int(height)) if width and height else (None, None)


# JPEG start-of-frame markers carry the size; C4 (DHT), C8 (JPG), CC (DAC) do not.
_JPEG_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


def _jpeg_size(data: bytes) -> tuple[int, int]:
    pos = 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            raise ValueError("not a JPEG marker")
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        if marker in _JPEG_SOF:
            height, width = struct.unpack(">HH", data[pos + 5 : pos + 9])
            return width, height
        pos += 2 + length
    raise ValueError("no JPEG frame header")


def _webp_size(data: bytes) -> tuple[int, int]:
    chunk = data[12:16]
    if chunk == b"VP8X":  # 24-bit width-1, height-1
        return (
            int.from_bytes(data[24:27], "little") + 1,
            int.from_bytes(data[27:30], "little") + 1,
        )
    if chunk == b"VP8L":  # 14-bit width-1, height-1 after the 0x2f signature
        (bits,) = struct.unpack("<I", data[21:25])
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8 ":  # after the 3-byte frame tag and the start code
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    raise ValueError("unknown WebP chunk")
