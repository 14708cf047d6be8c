"""Reading a manifest's attached files: where they are, what their bytes are, their hash.

The limits are the APIs' own (docs/media.md names the sources): a photo under 4 MB in
JPEG, PNG, GIF or WebP; a video (MP4 or QuickTime) up to 1 GB, the largest a single,
non-resumable upload takes. The type is read from the bytes (``filetype``), so a text
file named ``.jpg`` is refused before anything is sent.
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

from statesync.media import (
    IMAGE_TYPES,
    MAX_IMAGE_BYTES,
    MAX_VIDEO_BYTES,
    VIDEO_TYPES,
    MediaFile,
    human_size,
)

# filetype reads no further than this into a file to decide its type.
_SNIFF_BYTES = 8192


class MediaProblem(Exception):
    """Why a file cannot be attached: one sentence for a ``FILE:LINE`` message."""


def locate(root: Path, written: str) -> tuple[Path, str]:
    """The file a manifest names, and how to show it; refused unless it is a regular
    file inside the project, after following every symlink: a manifest must never make
    statesync upload ``/etc/passwd`` or a CI secret."""
    if not written.strip():
        raise MediaProblem("the file path is empty")
    if "\x00" in written:  # no file system takes it; Path would raise ValueError
        raise MediaProblem("the file path holds a NUL character")
    candidate = Path(written)
    if candidate.is_absolute():
        raise MediaProblem(
            f"{_shown(written)} is an absolute path: name the file relative to the "
            "project (the directory holding statesync.yaml)"
        )
    base = root.resolve()
    try:
        resolved = (base / candidate).resolve()
    except RuntimeError:  # Path.resolve's word for a symlink loop
        raise MediaProblem(f"{_shown(written)} is a symlink loop") from None
    except OSError as exc:
        raise MediaProblem(
            f"{_shown(written)} cannot be read ({exc.strerror})"
        ) from None
    if not resolved.is_relative_to(base):
        raise MediaProblem(
            f"{_shown(written)} leads outside the project: only files inside it can be "
            "attached"
        )
    try:
        mode = os.stat(resolved).st_mode
    except FileNotFoundError:
        raise MediaProblem(f"{_shown(written)} does not exist") from None
    except OSError as exc:
        raise MediaProblem(
            f"{_shown(written)} cannot be read ({exc.strerror})"
        ) from None
    if not stat.S_ISREG(mode):
        raise MediaProblem(f"{_shown(written)} is not a regular file")
    return resolved, resolved.relative_to(base).as_posix()


def _shown(written: str) -> str:
    """A path as messages quote it: cut after 60 characters, as manifest values are."""
    return repr(written if len(written) <= 60 else written[:57] + "...")


def inspect(
    path: Path, shown: str, limits: tuple[int, int] = (MAX_IMAGE_BYTES, MAX_VIDEO_BYTES)
) -> tuple[str, int]:
    """The file's type, from its first bytes, and its size; within the APIs' limits."""
    import filetype  # here: only commands that read media pay for importing it

    try:
        with path.open("rb") as handle:
            head = handle.read(_SNIFF_BYTES)
            size = os.fstat(handle.fileno()).st_size
    except OSError as exc:
        raise MediaProblem(f"{shown!r} cannot be read ({exc.strerror})") from None
    mime = filetype.guess_mime(head)
    if mime not in IMAGE_TYPES | VIDEO_TYPES:
        found = f"its bytes are {mime}" if mime else "its bytes are no known type"
        raise MediaProblem(
            f"{shown!r} is not an image or video the API accepts ({found}); "
            "attach JPEG, PNG, GIF or WebP images, or MP4 or QuickTime videos"
        )
    limit = limits[1] if mime in VIDEO_TYPES else limits[0]
    if size > limit:
        what = "a video" if mime in VIDEO_TYPES else "a photo"
        raise MediaProblem(
            f"{shown!r} is {size:,} bytes, over the {human_size(limit)} "
            f"({limit:,} bytes) that {what} upload accepts"
        )
    if size == 0:  # pragma: no cover - no type is read from no bytes
        raise MediaProblem(f"{shown!r} is empty")
    return mime, size


def sha256_of(path: Path) -> str:
    """Streamed, so a 1 GB video is never read into memory."""
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def load_media_file(
    root: Path,
    written: str,
    alt: str | None,
    limits: tuple[int, int] = (MAX_IMAGE_BYTES, MAX_VIDEO_BYTES),
) -> MediaFile:
    """A manifest's file attachment, checked and hashed; ``MediaProblem`` says why not.
    ``limits``: the largest image and video its targets take (Facebook's, by default)."""
    path, shown = locate(root, written)
    mime, size = inspect(path, shown, limits)
    if alt is not None and mime in VIDEO_TYPES:
        raise MediaProblem(
            f"{shown!r} is a video: alt text describes an image; remove 'alt'"
        )
    try:
        digest = sha256_of(path)
    except OSError as exc:  # pragma: no cover - it was just read
        raise MediaProblem(f"{shown!r} cannot be read ({exc.strerror})") from None
    return MediaFile(
        path=str(path), shown=shown, sha256=digest, mime=mime, size=size, alt=alt
    )
