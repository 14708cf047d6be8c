"""OneAll's Pinterest routes: Publish Pin on a board (seed 001), Update and Delete Pin
(seed 000). docs/oneall-networks.md §3.

A pin needs an image: OneAll's SDK gives it by URL (`image_url`); the emulator also
takes it inline (`picture`, as uploads are sent: unconfirmed), so that a repository
file can become a pin's image.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from statesync.emulator.context import Context
from statesync.emulator.network_common import (
    MB,
    described_upload,
    digits_id,
    inline_file,
    optional_text,
    optional_url,
)
from statesync.emulator.oneall_common import PROCESSED, envelope, json_body
from statesync.emulator.seed_networks import SeedIdentity
from statesync.emulator.store_networks import NetworkObject
from statesync.emulator.wire import ApiRequest, ApiResponse, OneAllError

NETWORK = "pinterest"
MAX_DESCRIPTION = 500  # Pinterest: a pin's description
MAX_TITLE = 100
MAX_ALT_TEXT = 500
MAX_PICTURE = 20 * MB  # unconfirmed: Pinterest's image limit as publishers state it
_UPDATABLE = frozenset({"board", "description", "note", "link", "title"})


def push_pin(
    ctx: Context, request: ApiRequest, identity: SeedIdentity, board: str
) -> ApiResponse:
    """`POST /push/identities/<identity_token>/pinterest/board/<board_id>/pin.json`."""
    where = "request.push.pin"
    pin = json_body(request, "request", "push", "pin")
    _require_board(identity, board)
    if pin.get("board") is not None and str(pin["board"]) != board:
        raise OneAllError(
            400,
            f"{where}.board [{pin['board']}] is not the board of the path [{board}]",
        )
    image_url = optional_url(pin, "image_url", where)
    picture = pin.get("picture")
    if (image_url is None) == (picture is None):
        raise OneAllError(
            400,
            f"{where}.image_url or {where}.picture is required, not both: a pin needs"
            " one image",
        )
    if image_url is not None:
        media = {"kind": "picture", "url": image_url}
    else:
        media = _inline_picture(picture, f"{where}.picture")
    pinned = ctx.store.create_network_object(
        NETWORK,
        "pin",
        board,
        text=_description(pin, where),
        fields=_fields(pin, where),
        media=[media],
        location=lambda pin_id: f"https://www.pinterest.com/pin/{pin_id}/",
    )
    data = {
        "provider": NETWORK,
        "object": "pin",
        "pin_id": pinned.id,
        "pin_location": pinned.location,
    }
    return envelope(request, 200, PROCESSED, {"data": data})


def update_pin(
    ctx: Context, request: ApiRequest, identity: SeedIdentity, pin_id: str
) -> ApiResponse:
    """`PUT /update/identities/<identity_token>/pinterest/pin/<pinid>.json`: board,
    description and link change in place (OneAll's Update Pin page); not the image."""
    where = "request.update.pin"
    changes = json_body(request, "request", "update", "pin")
    pin = _own_pin(ctx, identity, pin_id)
    refused = sorted(set(changes) - _UPDATABLE)
    if refused:
        raise OneAllError(
            400,
            f"{where}.{refused[0]} cannot be updated: send board, description or link"
            " (a new image is a new pin)",
        )
    if not changes:
        raise OneAllError(
            400, f"Nothing to update: send {where}.description, link or board"
        )
    board = pin.target
    if changes.get("board") is not None:
        board = digits_id(changes["board"], f"{where}.board")
        _require_board(identity, board)
    text = pin.text
    if "description" in changes or "note" in changes:
        text = _description(changes, where)
    fields = _fields(changes, where, keep=pin.fields)
    updated = ctx.store.update_network_object(
        NETWORK,
        pin_id,
        target=board,
        text=text,
        fields={key: value for key, value in fields.items() if value is not None},
    )
    if updated is None:  # pragma: no cover - deleted between the two statements
        raise OneAllError(404, f"The pin [{pin_id}] does not exist")
    return envelope(request, 200, "The pin has successfully been updated.")


def delete_pin(
    ctx: Context, request: ApiRequest, identity: SeedIdentity, pin_id: str
) -> ApiResponse:
    """`DELETE /update/identities/<identity_token>/pinterest/pin/<pinid>.json`."""
    _own_pin(ctx, identity, pin_id)
    if not ctx.store.delete_network_object(NETWORK, pin_id):
        raise OneAllError(404, f"The pin [{pin_id}] does not exist")  # pragma: no cover
    return envelope(request, 200, "The pin has successfully been deleted.")


def _require_board(identity: SeedIdentity, board: str) -> None:
    if board not in identity.targets:
        raise OneAllError(
            403,
            f"The identity may not publish to the board [{board}]: it is not one of"
            " the identity's boards",
        )


def _own_pin(ctx: Context, identity: SeedIdentity, pin_id: str) -> NetworkObject:
    """OneAll: "The <pinid> must correspond to the identifier of a pin published
    using our API and/or owned by the same user": a pin on the identity's boards."""
    pin = ctx.store.network_object(NETWORK, pin_id)
    if pin is None or pin.target not in identity.targets:
        raise OneAllError(404, f"The pin [{pin_id}] does not exist")
    return pin


def _description(fields: Mapping[str, Any], where: str) -> str | None:
    """`description` (OneAll's Update Pin page), or `note` (the older php-sdk name)."""
    description = optional_text(fields, "description", where, limit=MAX_DESCRIPTION)
    note = optional_text(fields, "note", where, limit=MAX_DESCRIPTION)
    if description is not None and note is not None and description != note:
        raise OneAllError(
            400, f"{where}.description and {where}.note differ: send one of them"
        )
    return (description if description is not None else note) or None


def _fields(
    fields: Mapping[str, Any], where: str, keep: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """`link` and `title`: those sent (an empty one removes it), or those kept."""
    found = dict(keep or {})
    if "link" in fields:
        found["link"] = optional_url(fields, "link", where)
    if "title" in fields:
        found["title"] = optional_text(fields, "title", where, limit=MAX_TITLE) or None
    return found


def _inline_picture(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise OneAllError(
            400, f"{where} must be an object with data (the file in base64) and name"
        )
    upload = inline_file(value, where, "picture", MAX_PICTURE)
    alt_text = optional_text(value, "alt_text", where, limit=MAX_ALT_TEXT) or None
    return described_upload(upload, alt_text, optional_text(value, "name", where))
