"""What every OneAll route shares: the envelope, authentication, the identity and its
page rights, and reading the JSON body (seeds 000, 001; PROTOCOL §12).

Apart from the router so that the upload routes (`oneall_media.py`) use the same
checks as the post routes without importing the module that dispatches to them.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import time
from collections.abc import Mapping
from typing import Any

from statesync.emulator.context import Context
from statesync.emulator.records import User
from statesync.emulator.wire import ApiRequest, ApiResponse, OneAllError, oneall_time

_WRITE_TASKS = frozenset({"CREATE_CONTENT", "MANAGE"})
PROCESSED = "Your request has been processed successfully"


def envelope(
    request: ApiRequest, status: int, info: str, result: Any = None
) -> ApiResponse:
    """Seeds 000/001: `response.request.{date,resource,status}` and `response.result`."""
    body: dict[str, Any] = {
        "response": {
            "request": {
                "date": oneall_time(time.time()),
                "resource": request.path,
                "status": {
                    "flag": "success" if status < 400 else "error",
                    "code": status,
                    "info": info,
                },
            }
        }
    }
    if result is not None:
        body["response"]["result"] = result
    return ApiResponse(status, body)


def dated(response: ApiResponse, unix: float) -> ApiResponse:
    """The envelope's `response.request.date` at the emulator's time: `envelope` has
    no store at hand, and replies that never reach a route keep real time."""
    if isinstance(response.body, dict) and "response" in response.body:
        response.body["response"]["request"]["date"] = oneall_time(unix)
    return response


def authenticate(ctx: Context, request: ApiRequest) -> None:
    """PROTOCOL §12: HTTP Basic with the site's public and private key."""
    public, private = ctx.seed.oneall_public_key, ctx.seed.oneall_private_key
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic" or not encoded:
        raise OneAllError(
            401, "Authentication required: use HTTP Basic with your API keys"
        )
    try:
        user, _, password = (
            base64.b64decode(encoded, validate=True).decode().partition(":")
        )
    except (binascii.Error, UnicodeDecodeError):
        raise OneAllError(401, "Authentication failed: malformed credentials") from None
    if not (
        public
        and private
        and hmac.compare_digest(user, public)
        and hmac.compare_digest(password, private)
    ):
        raise OneAllError(
            401, "Authentication failed: invalid API public or private key"
        )


def identity(ctx: Context, identity_token: str) -> User:
    """The user an identity token stands for; an unknown token is OneAll's 404."""
    user = ctx.store.user_by_identity(identity_token)
    if user is None:
        raise OneAllError(404, f"The identity_token [{identity_token}] is invalid")
    return user


def require_admin(ctx: Context, user: User, page_id: str) -> None:
    role = ctx.store.role(user.id, page_id)
    if role is None or not _WRITE_TASKS & set(role.tasks):
        raise OneAllError(
            403,
            f"The identity is not configured as an administrator of the page [{page_id}]",
        )


def json_body(request: ApiRequest, *keys: str) -> Mapping[str, Any]:
    """`{"request": {"push": {"page": {...}}}}` -> the innermost object."""
    node: Any = request.params.get("__json__")
    for key in keys:
        if not isinstance(node, Mapping) or not isinstance(node.get(key), Mapping):
            raise OneAllError(
                400, f"The request body must be JSON with request.{'.'.join(keys[1:])}"
            )
        node = node[key]
    found: Mapping[str, Any] = node
    return found


def text(fields: Mapping[str, Any], key: str) -> str | None:
    value = fields.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise OneAllError(400, f"{key} must be a string")
    return value
