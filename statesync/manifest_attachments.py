"""A post's ``attachments`` checked offline: media ids, and files of the project
(found, inside it, typed from their bytes, within the API's size; statesync.media_files)
turned into refs that the media planner uploads once per page."""

from __future__ import annotations

from typing import TYPE_CHECKING

from statesync.media import is_ref, ref_key
from statesync.media_files import MediaProblem, load_media_file
from statesync.yamlcheck import digits, value_of
from statesync.yamlnodes import (
    Mapping,
    Node,
    Scalar,
    Sequence,
    describe,
    looks_like_token,
)

if TYPE_CHECKING:
    from statesync.manifest_check import ManifestChecker


def check_attachments(checker: ManifestChecker, node: Node | None) -> tuple[str, ...]:
    """Media ids and files, in order; a file becomes its ref (statesync.media)."""
    if node is None or (isinstance(node, Scalar) and node.value is None):
        return ()
    if not isinstance(node, Sequence):
        checker.at(
            node.line,
            "attachments must be a list of files or media ids "
            f"(attachments: [media/photo.jpg]), got {describe(node)}",
        )
        return ()
    items: list[str] = []
    first: dict[str, int] = {}
    videos: list[int] = []
    for index, item in enumerate(node.items):
        attachment = _attachment(checker, index, item)
        if attachment is None:
            continue
        value, shown, is_video = attachment
        same = ref_key(value) if is_ref(value) else value  # a file by its content
        if same in first:
            checker.at(
                item.line,
                f"{shown} is attached twice (first at line {first[same]})",
            )
            continue
        first[same] = item.line
        items.append(value)
        if is_video:
            videos.append(item.line)
    if videos and len(node.items) > 1:
        # Facebook posts a video alone: no album mixes videos with photos
        checker.at(
            videos[0],
            "a video is posted alone: attach one video, or only images",
        )
    return tuple(items)


def _attachment(
    checker: ManifestChecker, index: int, item: Node
) -> tuple[str, str, bool] | None:
    """(media id or file ref, how to name it, whether it is a video)."""
    media_id = digits(item)
    if media_id is not None:
        return media_id, f"media {media_id}", False
    written, alt = _file_entry(checker, index, item)
    if written is None:
        return None
    if looks_like_token(written):  # a pasted secret: never repeated, never read
        checker.at(
            item.line,
            f"attachments[{index}] must be a file path or a media id, got a "
            "string (not shown: it looks like a secret)",
        )
        return None
    try:
        image, video = checker.media_limits
        media = load_media_file(checker.media_root, written, alt, (image, video))
    except MediaProblem as problem:
        checker.at(item.line, f"attachments[{index}]: {problem}")
        return None
    checker.media[media.key] = media
    return media.ref, media.shown, media.is_video


def _file_entry(
    checker: ManifestChecker, index: int, item: Node
) -> tuple[str | None, str | None]:
    """A path (``media/a.jpg``) or ``{file: media/a.jpg, alt: ...}``."""
    if isinstance(item, Scalar) and isinstance(item.value, str):
        return item.value, None
    if isinstance(item, Mapping):
        entries = checker.known_entries(
            item,
            ("file", "alt"),
            lambda key: (
                f"unknown field {key!r} in attachments[{index}]: "
                "an attachment has 'file' and 'alt'"
            ),
        )
        file_node = value_of(entries, "file")
        if file_node is None:
            checker.at(item.line, f"attachments[{index}] needs 'file: <path>'")
            return None, None
        written = checker.string(file_node, "file")
        alt_node = value_of(entries, "alt")
        alt = None if alt_node is None else checker.string(alt_node, "alt")
        if alt is not None and not alt.strip():
            checker.at(alt_node.line if alt_node else item.line, "alt is blank")
            return None, None
        return written, alt
    checker.at(
        item.line,
        f"attachments[{index}] must be a file path, {{file: ..., alt: ...}} or a "
        f"media id (a string of digits), got {checker.shown(item)}",
    )
    return None, None
