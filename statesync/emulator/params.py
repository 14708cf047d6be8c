"""Reading Graph parameters the way real clients send them.

Form values are strings, but the official SDKs JSON-encode lists, objects and booleans
(PROTOCOL §13), PHP-style clients send `attached_media[0][media_fbid]=...`, and JSON
bodies carry native values. Every accessor here accepts all of those.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from statesync.emulator.wire import GraphError

# Parameters any Graph call may carry that are not the endpoint's own.
CONTROL_PARAMS = frozenset(
    {
        "access_token",
        "appsecret_proof",
        "appsecret_time",
        "fields",
        "method",
        "format",
        "suppress_http_code",
        "pretty",
        "locale",
        "debug",
        "summary",
        "include_headers",
        "transport",
        "callback",
        "sdk",
    }
)
_INDEXED = re.compile(r"^(?P<name>\w+)\[(?P<index>\d+)\](?:\[(?P<key>\w+)\])?$")


def fold_indexed(params: Mapping[str, Any]) -> dict[str, Any]:
    """`attached_media[0]=...` and `attached_media[0][media_fbid]=...` become one list."""
    folded: dict[str, Any] = {}
    indexed: dict[str, dict[int, Any]] = {}
    for key, value in params.items():
        match = _INDEXED.match(key)
        if match is None:
            folded[key] = value
            continue
        slot = indexed.setdefault(match["name"], {})
        index = int(match["index"])
        if match["key"]:
            entry = slot.setdefault(index, {})
            if isinstance(entry, dict):
                entry[match["key"]] = value
        else:
            slot[index] = value
    for name, slot in indexed.items():
        folded.setdefault(name, [slot[i] for i in sorted(slot)])
    return folded


def check_params(
    params: Mapping[str, Any], allowed: frozenset[str], what: str = "this endpoint"
) -> dict[str, Any]:
    """The parameters, indexed ones folded (`fold_indexed`); any that is neither the
    endpoint's (`allowed`) nor one every call may carry is refused with 100."""
    folded = fold_indexed(params)
    for key in folded:
        if key not in CONTROL_PARAMS and key not in allowed:
            raise GraphError(
                100, f"(#100) Param {key} is not a valid parameter for {what}"
            )
    return folded


def param_str(params: Mapping[str, Any], name: str) -> str | None:
    value = params.get(name)
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    raise GraphError(100, f"(#100) Param {name} must be a string")


def param_bool(params: Mapping[str, Any], name: str) -> bool | None:
    value = params.get(name)
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1"):
        return True
    if text in ("false", "0"):
        return False
    raise GraphError(100, f"(#100) Param {name} must be a boolean")


def param_json(params: Mapping[str, Any], name: str) -> Any:
    """A value that may arrive JSON-encoded (SDKs) or native (JSON bodies)."""
    value = params.get(name)
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def param_media_ids(
    params: Mapping[str, Any], name: str = "attached_media"
) -> list[str] | None:
    """PROTOCOL §9: `attached_media` as a JSON array, or indexed `[{"media_fbid": ...}]`."""
    value = param_json(params, name)
    if value is None:
        return None
    if not isinstance(value, list):
        raise GraphError(100, f"(#100) Param {name} must be an array")
    ids = []
    for index, entry in enumerate(value):
        item = (
            json.loads(entry)
            if isinstance(entry, str) and entry.startswith("{")
            else entry
        )
        media_fbid = item.get("media_fbid") if isinstance(item, Mapping) else None
        if media_fbid is None or isinstance(media_fbid, bool):
            raise GraphError(
                100, f"(#100) Param {name}[{index}] must be an object with media_fbid"
            )
        ids.append(str(media_fbid))
    return ids


def param_unix_time(params: Mapping[str, Any], name: str) -> int | None:
    """PROTOCOL §9: a UNIX integer or an ISO 8601 text (strtotime text is not emulated)."""
    value = params.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return int(value)
    text = str(value).strip()
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return int(float(text))
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise GraphError(
            100, "(#100) The specified scheduled publish time is invalid."
        ) from None
    if moment.tzinfo is None:
        raise GraphError(100, "(#100) The specified scheduled publish time is invalid.")
    return int(moment.timestamp())
