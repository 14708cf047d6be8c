"""Media actions in the JSON plan, and back (for a saved plan): the file uploaded
or deleted, and the plan's ``media_summary``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from statesync.media import MediaFile
from statesync.plan import Plan

_KEYS = frozenset({"file", "sha256", "type", "size", "alt"})


def media_summary(plan: Plan) -> dict[str, Any]:
    counts = plan.media_counts()
    if not counts:
        return {}
    return {"media_summary": {kind.value: count for kind, count in counts.items()}}


def media_to_data(media: MediaFile | None) -> dict[str, Any]:
    if media is None:
        return {}
    return {
        "media": {
            "file": media.shown,
            "sha256": media.sha256,
            "type": media.mime,
            "size": media.size,
            "alt": media.alt,
        }
    }


def media_from_data(data: object, where: str) -> MediaFile | None:
    if data is None:
        return None
    if not isinstance(data, Mapping) or set(data) != _KEYS:
        raise ValueError(f"{where}: must be an object with {sorted(_KEYS)}")
    size = data["size"]
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise ValueError(f"{where}.size: {size!r} is not a size")
    for key in ("file", "sha256", "type"):
        if not isinstance(data[key], str):
            raise ValueError(f"{where}.{key}: must be a string")
    if data["alt"] is not None and not isinstance(data["alt"], str):
        raise ValueError(f"{where}.alt: must be a string")
    # The file's place on disk is the project's business: a saved plan names it by
    # its path from the project (``statesync.savedplan`` finds it again).
    return MediaFile(
        path="",
        shown=data["file"],
        sha256=data["sha256"],
        mime=data["type"],
        size=size,
        alt=data["alt"],
    )
