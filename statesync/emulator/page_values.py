"""What a page's details and settings may hold, and how details read back (seed 004).

Pure rules with no HTTP in them, so that the seed loader and the Graph handlers check
a setting the same way. Every message names the parameter, since a client sends
several details in one `POST /{page-id}` and must know which one was refused.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

# -- settings (seed 004 "Update Page Settings") ---------------------------------------

# unconfirmed: seed 004 shows USERS_CAN_MESSAGE alone; the others and their defaults
# follow the Page Settings reference's names. The order is the order GET lists them in.
SETTING_DEFAULTS: Mapping[str, bool | str] = {
    "USERS_CAN_POST": True,
    "USERS_CAN_POST_PHOTOS": True,
    "USERS_CAN_TAG_SELF": True,
    "USERS_CAN_MESSAGE": True,
    "PROFANITY_FILTER": "OFF",
}
PROFANITY_LEVELS = ("OFF", "MEDIUM", "STRONG")
# seed 004's example sends `option={USERS_CAN_MESSAGE: true}`: a key without quotes.
_BARE_KEY = re.compile(r"([{,]\s*)([A-Za-z_][A-Za-z0-9_]*)(\s*:)")


def setting_problem(name: str, value: Any) -> str | None:
    """What is wrong with setting `name` to `value`, or None if it may be set."""
    if name not in SETTING_DEFAULTS:
        known = ", ".join(SETTING_DEFAULTS)
        return f"{name} is not a known page setting (known: {known})"
    if name == "PROFANITY_FILTER":
        if value not in PROFANITY_LEVELS:
            levels = ", ".join(f'"{level}"' for level in PROFANITY_LEVELS)
            return f"{name} must be one of {levels}, not {json.dumps(value)}"
        return None
    if not isinstance(value, bool):
        return f"{name} must be true or false, not {json.dumps(value)}"
    return None


def parse_option(raw: Any) -> tuple[str, bool | str]:
    """`option`, as a JSON object with one setting: `{"USERS_CAN_MESSAGE": false}`.

    Strict JSON, a native object (a JSON body), or seed 004's unquoted key. Raises
    ValueError with the reason."""
    option = raw
    if isinstance(raw, str):
        try:
            option = json.loads(raw)
        except ValueError:
            try:
                option = json.loads(_BARE_KEY.sub(r'\1"\2"\3', raw))
            except ValueError:
                option = None
    if not isinstance(option, Mapping):
        raise ValueError(
            'option must be a JSON object such as {"USERS_CAN_MESSAGE": true}'
        )
    if len(option) != 1:
        # unconfirmed: seed 004 sends one setting per request; more is refused.
        raise ValueError(
            f"option must name exactly one setting, not {len(option)}:"
            ' send {"USERS_CAN_MESSAGE": true}, one request per setting'
        )
    ((name, value),) = option.items()
    problem = setting_problem(str(name), value)
    if problem:
        raise ValueError(f"option: {problem}")
    return str(name), value


# -- details (seed 004 "Update Page Details") ----------------------------------------

# unconfirmed: what the API accepts of these four details; the emulator's own rules.
_HOURS_KEY = re.compile(r"(mon|tue|wed|thu|fri|sat|sun)_[12]_(open|close)")
_HOURS_TIME = re.compile(r"([01]?[0-9]|2[0-3]):([0-5][0-9])")
_PHONE = re.compile(r"[0-9 +\-().]+")


def detail_problem(name: str, value: Any) -> str | None:
    """What is wrong with a detail sent to `POST /{page-id}`, or None.

    `value` as decoded (JSON for emails and hours); an empty one clears the detail
    and is never checked."""
    if value is None or value == "":
        return None
    if name == "emails":
        if not isinstance(value, list) or not all(isinstance(e, str) for e in value):
            return (
                'Param emails must be a JSON list of addresses, e.g. ["hi@example.com"]'
            )
        for email in value:
            local, at, domain = email.partition("@")
            if not (at and local and domain) or "@" in domain:
                return f"Param emails: {email!r} is not an email address"
    if name == "website":
        parts = _split_url(value)
        if parts is None or parts[0] not in ("http", "https") or not parts[1]:
            return f"Param website must be an http(s) URL, not {value!r}"
    if name == "hours":
        return _hours_problem(value)
    if name == "phone" and not _PHONE.fullmatch(str(value)):
        return f"Param phone may hold only digits, spaces and + - ( ) ., not {value!r}"
    return None


def _split_url(value: Any) -> tuple[str, str] | None:
    """(scheme, host) of a URL, or None if it is not one."""
    if not isinstance(value, str) or any(c.isspace() for c in value):
        return None
    try:
        parts = urlsplit(value)
        return parts.scheme, parts.hostname or ""
    except ValueError:  # a malformed IPv6 host
        return None


def _hours_problem(value: Any) -> str | None:
    if not isinstance(value, Mapping):
        return 'Param hours must be a JSON object such as {"mon_1_open": "08:00"}'
    for key, time in value.items():
        if not _HOURS_KEY.fullmatch(str(key)):
            return (
                f"Param hours: key {key!r} must be like mon_1_open or sun_2_close"
                " (a day mon..sun, 1 or 2, open or close)"
            )
        if not isinstance(time, str) or not _HOURS_TIME.fullmatch(time):
            return f"Param hours: {key} must be a 24-hour time H:MM or HH:MM, not {json.dumps(time)}"
    return None


def read_back(name: str, value: Any) -> Any:
    """A stored detail as the API would return it; values the rules do not cover
    (a seed's, say) come back as they are."""
    if name == "website" and isinstance(value, str):
        # unconfirmed: a URL without a path reads back with "/", as browsers show it.
        scheme, sep, rest = value.partition("://")
        cut = min((rest.find(c) for c in "/?#" if c in rest), default=len(rest))
        if sep and rest[cut : cut + 1] != "/":
            return f"{scheme}{sep}{rest[:cut]}/{rest[cut:]}"
        return value
    if name == "emails" and isinstance(value, list):
        # unconfirmed: the API keeps a set of addresses; read back deduplicated, sorted.
        if all(isinstance(e, str) for e in value):
            return sorted(set(value))
        return value
    if name == "hours" and isinstance(value, Mapping):
        # unconfirmed: times read back zero-padded, "8:00" as "08:00".
        return {key: _pad_time(time) for key, time in value.items()}
    return value


def _pad_time(time: Any) -> Any:
    if isinstance(time, str) and (match := _HOURS_TIME.fullmatch(time)):
        return f"{int(match[1]):02d}:{match[2]}"
    return time
