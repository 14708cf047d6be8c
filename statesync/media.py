"""Media files from the repository: what a file attachment is, and the checks on it.

A file is identified by its content (SHA-256) and its alt text, never by its name:
renaming or moving a file changes nothing on the network, the same bytes attached by
two posts of a page are uploaded once, and a changed file is a new media. In a post's
``attachments`` a file appears as a *ref* (``file:<key>:<path>``) until the lockfile knows
the media id its upload returned; the planner resolves refs to ids.

Pure values, for the planner; ``statesync.media_files`` reads and checks the files.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})
VIDEO_TYPES = frozenset({"video/mp4", "video/quicktime"})
# Graph Photo reference: "photos should be less than 4MB".
MAX_IMAGE_BYTES = 4 * 1024 * 1024
# Video API publishing guide: a non-resumable upload takes a file up to 1 GB.
MAX_VIDEO_BYTES = 1024 * 1024 * 1024
REF_PREFIX = "file:"


@dataclass(frozen=True, slots=True)
class MediaFile:
    """One file a post attaches, as validated: where it is and what its bytes are."""

    path: str  # absolute, inside the project (statesync.media_files checked it)
    shown: str  # relative to the project root, as plans and the lockfile name it
    sha256: str
    mime: str
    size: int
    alt: str | None = None

    @property
    def key(self) -> str:
        """Content and alt text: a photo carries its alt text on the network, so the
        same bytes with another alt text are another upload."""
        return media_key(self.sha256, self.alt)

    @property
    def ref(self) -> str:
        """``file:<key>:<path>``: the key identifies it, the path is for people."""
        return f"{REF_PREFIX}{self.key}:{self.shown}"

    @property
    def is_video(self) -> bool:
        return self.mime in VIDEO_TYPES

    @property
    def capability(self) -> str:
        """The name a writer's media capabilities use: "image" or "video"."""
        return "video" if self.is_video else "image"


def media_key(sha256: str, alt: str | None) -> str:
    if not alt:
        return sha256
    return f"{sha256}.{hashlib.sha256(alt.encode()).hexdigest()[:12]}"


def is_ref(attachment: str) -> bool:
    return attachment.startswith(REF_PREFIX)


def ref_key(attachment: str) -> str:
    return attachment.removeprefix(REF_PREFIX).split(":", 1)[0]


def shown_attachment(attachment: str) -> str:
    """How a plan names an attachment: a file by its path, a media by its id."""
    if not is_ref(attachment):
        return attachment
    return attachment.removeprefix(REF_PREFIX).split(":", 1)[-1]


def human_size(size: int) -> str:
    """Sizes as people read them in a plan: ``842 KB``, ``1.4 MB``."""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    if size < 1024 * 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    return f"{size / (1024 * 1024 * 1024):.2f} GB"
