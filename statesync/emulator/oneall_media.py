"""OneAll's "Upload Page Picture" and "Upload Page Video" (seed 001), on Graph's store.

A picture pushed here is a Graph photo of the page, unpublished, with its bytes: Graph
reads and serves it, and a post push (or a Graph post) attaches it by id.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any

from statesync.emulator.context import Context
from statesync.emulator.oneall_common import (
    PROCESSED,
    envelope,
    json_body,
    require_admin,
    text,
)
from statesync.emulator.records import User
from statesync.emulator.uploads import UploadRefused, check_upload
from statesync.emulator.wire import ApiRequest, ApiResponse, OneAllError


def push_media(ctx: Context, request: ApiRequest, user: User, kind: str) -> ApiResponse:
    """`POST /push/identities/<identity_token>/facebook/page/{picture|video}.json`.

    unconfirmed: seed 001 names the routes but not their body; the emulator takes
    `{"request":{"push":{"page":{"id":"<page id>","picture":{"data":"<base64>",
    "name":"latte-1.jpg","alt_text":"<optional>"}}}}}` (`video` instead of `picture`,
    no `alt_text`), and answers like the post push with the new media's id.
    """
    page = json_body(request, "request", "push", "page")
    page_id = str(page.get("id", ""))
    if not page_id.isdigit():
        raise OneAllError(400, "request.push.page.id is required: the page identifier")
    # As for a post push: OneAll knows only the identity's pages.
    require_admin(ctx, user, page_id)
    item = page.get(kind)
    if not isinstance(item, Mapping):
        raise OneAllError(
            400,
            f"request.push.page.{kind} is required: an object with data (the file in"
            " base64) and name",
        )
    data = _decode(item, kind)
    text(item, "name")  # unconfirmed: the file's name; checked, not kept
    alt_text = text(item, "alt_text") if kind == "picture" else None
    try:
        upload = check_upload("photo" if kind == "picture" else "video", data)
    except UploadRefused as refused:
        raise OneAllError(400, f"The {kind} was refused: {refused.detail}") from None
    media = ctx.store.add_media(
        page_id,
        "photo" if kind == "picture" else "video",
        None,
        upload=upload,
        alt_text=alt_text or None,
    )
    location = (
        f"https://www.facebook.com/photo.php?fbid={media.id}"
        if kind == "picture"
        else f"https://www.facebook.com/watch/?v={media.id}"
    )
    result: dict[str, Any] = {
        "provider": "facebook",
        "object": kind,
        f"{kind}_id": media.id,
        f"{kind}_location": location,
    }
    return envelope(request, 200, PROCESSED, {"data": result})


def _decode(item: Mapping[str, Any], kind: str) -> bytes:
    """The file's bytes from standard base64; line breaks (MIME style) are allowed."""
    raw = item.get("data")
    if not isinstance(raw, str) or not raw.strip():
        raise OneAllError(
            400, f"request.push.page.{kind}.data is required: the file in base64"
        )
    try:
        return base64.b64decode("".join(raw.split()), validate=True)
    except (binascii.Error, ValueError):
        raise OneAllError(
            400, f"request.push.page.{kind}.data is not valid base64"
        ) from None
