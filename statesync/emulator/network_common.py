"""What the X, LinkedIn and Pinterest routes share (docs/oneall-networks.md): the
identity of one network, the checks of a body's fields, and uploaded files.

Apart from the router (`oneall_networks.py`) so that each network's module uses the
same checks without importing the module that dispatches to it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping
from typing import Any

import filetype

from statesync.emulator.context import Context
from statesync.emulator.records import UploadedBytes
from statesync.emulator.seed_networks import SeedIdentity
from statesync.emulator.uploads import PHOTO_TYPES, VIDEO_TYPES, image_size
from statesync.emulator.wire import OneAllError

MB = 1000 * 1000


def network_identity(ctx: Context, token: str, network: str) -> SeedIdentity:
    """The identity a token stands for on this network. A token of another network,
    or a Facebook one, is refused as OneAll refuses an unknown token (404)."""
    for user in ctx.seed.users:
        for identity in user.oneall_identities:
            if identity.token == token and identity.network == network:
                return identity
    raise OneAllError(404, f"The identity_token [{token}] is invalid")


def optional_text(
    fields: Mapping[str, Any], key: str, where: str, *, limit: int | None = None
) -> str | None:
    """A string field, or None when absent; `limit` in code points."""
    value = fields.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise OneAllError(400, f"{where}.{key} must be a string")
    if limit is not None and len(value) > limit:
        raise OneAllError(
            400,
            f"{where}.{key} is too long: {len(value)} characters, the limit is {limit}",
        )
    return value


def optional_url(fields: Mapping[str, Any], key: str, where: str) -> str | None:
    """A link or picture URL: absolute, http or https; "" is no URL."""
    value = optional_text(fields, key, where)
    if not value:
        return None
    if not value.lower().startswith(("http://", "https://")) or len(value) < 11:
        raise OneAllError(
            400, f"{where}.{key} must be a full URL starting with http:// or https://"
        )
    return value


def digits_id(value: Any, where: str) -> str:
    """An id sent as digits, in a string or a JSON integer."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.isdigit():
        raise OneAllError(400, f"{where} is required: a numeric identifier")
    return value


def inline_file(
    item: Mapping[str, Any], where: str, kind: str, limit: int
) -> UploadedBytes:
    """A file sent inside the JSON body as `{"data": "<base64>", "name": ...}`
    (the emulator's Facebook upload convention, unconfirmed; oneall_media.py)."""
    raw = item.get("data")
    if not isinstance(raw, str) or not raw.strip():
        raise OneAllError(400, f"{where}.data is required: the file in base64")
    try:
        data = base64.b64decode("".join(raw.split()), validate=True)
    except (binascii.Error, ValueError):
        raise OneAllError(400, f"{where}.data is not valid base64") from None
    optional_text(item, "name", where)  # unconfirmed: the file's name
    return checked_file(data, where, kind, limit)


def checked_file(data: bytes, where: str, kind: str, limit: int) -> UploadedBytes:
    """The type from the bytes alone (as `uploads.check_upload`), this network's size
    limit: X takes pictures of up to 5 MB (OneAll's Upload Picture page), more than
    Graph's 4 MB."""
    types = PHOTO_TYPES if kind == "picture" else VIDEO_TYPES
    mime = filetype.guess_mime(data) if data else None
    if mime not in types:
        wanted = (
            "a JPEG, PNG, GIF or WebP image"
            if kind == "picture"
            else "an MP4 or MOV video"
        )
        found = f"its bytes are {mime}" if mime else "its bytes are of no known type"
        raise OneAllError(
            400, f"{where} was refused: the file is not {wanted}: {found}"
        )
    if len(data) > limit:
        raise OneAllError(
            400,
            f"{where} was refused: the file is too large: {len(data)} bytes,"
            f" the limit is {limit} bytes",
        )
    width, height = image_size(data) if kind == "picture" else (None, None)
    return UploadedBytes(
        data, str(mime), hashlib.sha256(data).hexdigest(), width, height
    )


def described_upload(
    upload: UploadedBytes, alt_text: str | None, name: str | None
) -> dict[str, Any]:
    """An inline picture as the inspection route shows it."""
    found = {
        "kind": "picture",
        "mime": upload.mime,
        "size": len(upload.data),
        "sha256": upload.sha256,
        "width": upload.width,
        "height": upload.height,
        "alt_text": alt_text,
        "name": name,
    }
    return {key: value for key, value in found.items() if value is not None}
