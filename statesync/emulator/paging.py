"""Cursor paging as PROTOCOL §7 describes it.

Cursors are opaque to clients but encode a position in the listing's order, not an
index, so a page stays correct when posts are created or deleted between calls.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from typing import Any, TypeVar
from urllib.parse import urlencode

from statesync.emulator.params import param_str
from statesync.emulator.wire import ApiRequest, GraphError

T = TypeVar("T")
Position = tuple[int, ...]


def _encode(position: Position) -> str:
    raw = json.dumps(list(position), separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str) -> Position:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value = json.loads(raw)
        if not isinstance(value, list) or not all(isinstance(v, int) for v in value):
            raise ValueError(cursor)
    except ValueError:
        raise GraphError(100, "(#100) Invalid cursor") from None
    return tuple(value)


def page_of(
    items: Sequence[T],
    position: Callable[[T], Position],
    request: ApiRequest,
    *,
    default_limit: int = 25,
    max_limit: int = 100,
) -> tuple[list[T], dict[str, Any] | None]:
    """Slice `items` (already in listing order) by `limit`/`after`/`before`."""
    limit_text = param_str(request.params, "limit")
    limit = default_limit
    if limit_text is not None:
        try:
            limit = int(limit_text)
        except ValueError:
            raise GraphError(100, "(#100) Param limit must be an integer") from None
        if limit < 0:
            raise GraphError(100, "(#100) Param limit must be a non-negative integer")
        if limit > max_limit:
            # PROTOCOL §7: on /feed, a limit over 100 is an error.
            raise GraphError(
                100, f"(#100) The limit parameter cannot exceed {max_limit}"
            )
    after = param_str(request.params, "after")
    before = param_str(request.params, "before")
    if after:
        start = _decode(after)
        rest = [item for item in items if position(item) > start]
        chosen = rest[:limit]
    elif before:
        end = _decode(before)
        rest = [item for item in items if position(item) < end]
        chosen = rest[-limit:] if limit else []
    else:
        chosen = list(items[:limit])
    if not chosen:
        return [], None
    first, last = position(chosen[0]), position(chosen[-1])
    paging: dict[str, Any] = {
        "cursors": {"before": _encode(first), "after": _encode(last)}
    }
    if any(position(item) > last for item in items):
        paging["next"] = _url(request, "after", _encode(last))
    if any(position(item) < first for item in items):
        paging["previous"] = _url(request, "before", _encode(first))
    return chosen, paging


def _url(request: ApiRequest, key: str, cursor: str) -> str:
    """Absolute, on the emulator's own base URL, with the same query (token included)."""
    query = [(k, v) for k, v in request.query if k not in ("after", "before")]
    if not any(k == "limit" for k, _ in query) and "limit" in request.params:
        query.append(("limit", str(request.params["limit"])))
    query.append((key, cursor))
    return f"{request.base_url}/{request.effective_version}{request.path}?{urlencode(query)}"
