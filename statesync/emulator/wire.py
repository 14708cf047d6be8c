"""Request, response and error values shared by the Graph and OneAll handlers.

Handlers are plain synchronous functions from an `ApiRequest` to an `ApiResponse`, so
that a batch item and a top-level HTTP request go through exactly the same code.
"""

from __future__ import annotations

import base64
import json
import random
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any, NamedTuple

# PROTOCOL §1: versions in service; a call to a dead version runs on the oldest live one.
LIVE_VERSIONS = ("v21.0", "v22.0", "v23.0", "v24.0", "v25.0", "v26.0")
DEFAULT_VERSION = "v26.0"  # what an unversioned call runs on (the app's default)
_VERSION_PREFIX = re.compile(r"^/(v\d+\.\d+)(?=/|$)")
NO_FILES: Mapping[str, bytes] = MappingProxyType({})  # a request without any (shared)
# One encoder for every reply and batch item (json.dumps with options builds one per call).
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
# ...and its C encoder, made once: `JSONEncoder.encode` makes a new one on every call,
# which costs more than encoding a batch item's body. Its arguments are the ones
# `JSONEncoder.iterencode` passes, but no circular check (a reply is built fresh, and
# the check's state is not thread-safe).


def _c_encoder() -> Any:
    """The C encoder, or None: without the C accelerator, or where a later Python
    changed its private signature (the plain encoder then serves, only slower)."""
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:  # pragma: no cover - CPython has the C accelerator
        return None
    args = (None, _JSON.default, json.encoder.encode_basestring, None, ":", ",")
    try:
        encode = make(*args, False, False, True)
        encode({"a": [1, "b"]}, 0)
    except TypeError:  # pragma: no cover - another Python's private signature
        return None
    return encode


_C_ENCODE = _c_encoder()


class ApiRequest(NamedTuple):
    """One API call, parsed: a top-level HTTP request or one batch item.

    A NamedTuple rather than a frozen dataclass: as immutable, and built several times
    faster (a frozen dataclass sets each field through object.__setattr__), which
    counts once per batch item."""

    method: str  # upper case
    path: str  # without the version prefix and trailing slash: "/104510075301234/feed"
    version: str | None  # "v26.0" as sent, or None when unversioned
    params: Mapping[str, Any]  # query + body merged; body wins
    query: tuple[tuple[str, str], ...]  # the query string as sent, for paging URLs
    headers: Mapping[str, str]  # lower-case names
    base_url: str  # "http://127.0.0.1:8790", the emulator as the client reached it
    files: Mapping[str, bytes] = NO_FILES
    in_batch: bool = False

    @property
    def effective_version(self) -> str:
        """PROTOCOL §1: unversioned runs on the default, a dead version on the oldest live."""
        if self.version is None:
            return DEFAULT_VERSION
        if self.version in LIVE_VERSIONS:
            return self.version
        if _version_key(self.version) > _version_key(LIVE_VERSIONS[-1]):
            return self.version
        return LIVE_VERSIONS[0]


def _version_key(version: str) -> tuple[int, int]:
    major, minor = version[1:].split(".")
    return int(major), int(minor)


def split_version(raw_path: str) -> tuple[str | None, str]:
    """`/v26.0/123/feed/` -> ("v26.0", "/123/feed"); the root stays "/"."""
    if not raw_path.startswith("/v"):  # no version: the regex could not match
        return None, "/" + raw_path.strip("/")
    match = _VERSION_PREFIX.match(raw_path)
    version = match.group(1) if match else None
    path = raw_path[match.end() :] if match else raw_path
    path = "/" + path.strip("/")
    return version, path


class JsonText:
    """A reply body already written as JSON text: a batch's reply, whose entries are
    written one by one as they are answered (`batch.py`) instead of being built as
    dictionaries and encoded all over again at the end. `encode_json` passes it through
    as it is; it stands only for a whole body, never inside another value."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def value(self) -> Any:
        """The body as a value, for a `{result=...}` reference to it."""
        return json.loads(self.text)


@dataclass(slots=True)
class ApiResponse:
    status: int
    body: Any  # JSON-serializable, or JsonText
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None  # sent as is instead of `body` (served media bytes)

    def encoded(self) -> bytes:
        if self.raw is not None:
            return self.raw
        return encode_json(self.body).encode()


def encode_json(value: Any) -> str:
    """Compact JSON as the API sends it: no spaces, non-ASCII characters as they are."""
    if isinstance(value, JsonText):
        return value.text
    if _C_ENCODE is None:  # pragma: no cover - CPython has the C accelerator
        return _JSON.encode(value)
    return "".join(_C_ENCODE(value, 0))


def json_value(body: Any) -> Any:
    """A reply body as a value, whether it is one already or JSON text."""
    return body.value() if isinstance(body, JsonText) else body


class GraphError(Exception):
    """A Graph API error, rendered as PROTOCOL §3's envelope."""

    def __init__(
        self,
        code: int,
        message: str,
        *,
        status: int = 400,
        type_: str = "OAuthException",
        subcode: int | None = None,
        is_transient: bool | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.type = type_
        self.subcode = subcode
        self.is_transient = is_transient
        self.headers = dict(headers or {})

    def response(self, trace_id: str) -> ApiResponse:
        error: dict[str, Any] = {
            "message": self.message,
            "type": self.type,
            "code": self.code,
        }
        if self.subcode is not None:
            error["error_subcode"] = self.subcode
        if self.is_transient is not None:
            error["is_transient"] = self.is_transient
        error["fbtrace_id"] = trace_id
        return ApiResponse(self.status, {"error": error}, dict(self.headers))


class OneAllError(Exception):
    """A OneAll error: the request envelope with `flag: error` and no result."""

    def __init__(self, status: int, info: str) -> None:
        super().__init__(info)
        self.status = status
        self.info = info


def unsupported(method: str, object_id: str) -> GraphError:
    """PROTOCOL §3: 100/33, the real API's 'object does not exist' error."""
    return GraphError(
        100,
        f"Unsupported {method.lower()} request. Object with ID '{object_id}' does not exist,"
        " cannot be loaded due to missing permissions, or does not support this operation."
        " Please read the Graph API documentation at"
        " https://developers.facebook.com/docs/graph-api",
        type_="GraphMethodException",
        subcode=33,
    )


# What a fault rule's Graph error looks like for each code: seed 003's error table
# (100, 102, 190, 200, 210, 283, 368, 459, 2500, 3001, 80001) and PROTOCOL §3's
# transient and throttling codes. (HTTP status, type, message); unknown codes get a
# generic message. Codes 1 and 2 are 500s; the rest are 400 except permissions (403).
_FAULT_ERRORS: dict[int, tuple[int, str, str]] = {
    1: (500, "OAuthException", "An unknown error occurred"),
    2: (
        500,
        "OAuthException",
        "An unexpected error has occurred. Please retry your request later.",
    ),
    4: (400, "OAuthException", "(#4) Application request limit reached"),
    17: (400, "OAuthException", "(#17) User request limit reached"),
    32: (400, "OAuthException", "(#32) Page request limit reached"),
    100: (400, "OAuthException", "(#100) Invalid parameter"),
    102: (400, "OAuthException", "Session key invalid or no longer valid"),
    190: (400, "OAuthException", "Invalid OAuth 2.0 Access Token"),
    200: (403, "OAuthException", "(#200) Permissions error"),
    210: (400, "OAuthException", "(#210) User not visible"),
    283: (
        400,
        "OAuthException",
        "(#283) That action requires the extended permission pages_read_engagement "
        "and/or pages_read_user_content and/or pages_manage_ads and/or "
        "pages_manage_metadata",
    ),
    368: (
        400,
        "OAuthException",
        "(#368) The action attempted has been deemed abusive or is otherwise "
        "disallowed",
    ),
    459: (
        400,
        "OAuthException",
        "The session is invalid because the user has been checkpointed",
    ),
    613: (
        400,
        "OAuthException",
        "(#613) Calls to this api have exceeded the rate limit.",
    ),
    2500: (400, "OAuthException", "Error parsing graph query"),
    3001: (400, "OAuthException", "Invalid query"),
    80001: (
        400,
        "OAuthException",
        "(#80001) There have been too many calls to this Page account. Wait a bit "
        "and try again. For more info, please refer to "
        "https://developers.facebook.com/docs/graph-api/overview/rate-limiting.",
    ),
}


def fault_graph_error(status: int | None = None, code: int | None = None) -> GraphError:
    """The error a fault rule answers with: by default the API's transient error
    (code 2, HTTP 500, ``is_transient``); with a code, that code's real shape."""
    code = 2 if code is None else code
    default_status, type_, message = _FAULT_ERRORS.get(
        code, (500, "OAuthException", f"(#{code}) An error occurred")
    )
    return GraphError(
        code,
        message,
        status=default_status if status is None else status,
        type_=type_,
        is_transient=True if code == 2 else None,
    )


def graph_time(unix: float) -> str:
    """PROTOCOL §8: `2026-01-01T12:00:00+0000` (UTC, no colon in the offset)."""
    return datetime.fromtimestamp(int(unix), UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def oneall_time(unix: float) -> str:
    """Seed 000: `Wed, 06 Nov 2019 11:17:54 +0100`; the emulator is always in UTC."""
    return datetime.fromtimestamp(int(unix), UTC).strftime(
        "%a, %d %b %Y %H:%M:%S +0000"
    )


_TRACE_LETTERS = bytes.maketrans(b"+/", b"Az")
# Trace ids made ahead, a batch's worth at a time: one random draw and one base64
# encoding for 64 ids, not one each (every batch item carries its own).
_TRACE_IDS_AHEAD = 64
_trace_ids: list[str] = []


def new_trace_id() -> str:
    """An opaque id like the real `x-fb-trace-id` (11 letters and digits)."""
    while True:
        try:
            return _trace_ids.pop()  # atomic: threads never share an id
        except IndexError:
            _trace_ids.extend(_make_trace_ids(_TRACE_IDS_AHEAD))


def _make_trace_ids(count: int) -> list[str]:
    """Opaque, not secret: 9 random bytes in base64 each (12 letters, 11 kept), cut
    from one draw; 9 bytes are whole base64 groups, so each id is as if drawn alone."""
    raw = base64.b64encode(random.randbytes(9 * count))  # noqa: S311
    text = raw.translate(_TRACE_LETTERS).decode()
    return [text[start : start + 11] for start in range(0, 12 * count, 12)]
