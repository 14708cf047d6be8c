"""A page's details and settings that a manifest may manage (seed 004), as data: each
field's kind, how a value is checked offline, and how it is normalized the way the
Graph API hands it back, so that a re-plan after apply says ``No changes.``.

A field is named by its section and its name, ``details.about`` or
``settings.USERS_CAN_MESSAGE``: one namespace for the plan, the lockfile and messages.

Sources (docs/page-details.md keeps the list and what is unconfirmed): seed 004 "Get
Details", "Update Details" and "Update Page Settings"; Meta's Page reference
(developers.facebook.com/docs/graph-api/reference/page) for the other details and
their types; the Page Settings reference (…/reference/page/settings) for the options.
"""

from __future__ import annotations

import enum
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from statesync.normalize import is_web_url, normalize_link, normalize_message

DETAILS = "details"
SETTINGS = "settings"


class FieldKind(enum.Enum):
    TEXT = "text"
    PHONE = "phone"
    URL = "url"
    EMAILS = "emails"
    HOURS = "hours"
    LOCATION = "location"
    PARKING = "parking"
    CHOICE = "choice"
    BOOLEAN = "boolean"


@dataclass(frozen=True, slots=True)
class PageField:
    section: str  # DETAILS: POST /{page-id}; SETTINGS: POST /{page-id}/settings
    name: str  # as the API names it
    kind: FieldKind
    choices: tuple[str, ...] = ()  # for CHOICE

    @property
    def qualified(self) -> str:
        return f"{self.section}.{self.name}"


def _fields(section: str, kinds: Mapping[str, FieldKind]) -> dict[str, PageField]:
    return {name: PageField(section, name, kind) for name, kind in kinds.items()}


_T = FieldKind
# seed 004 reads about, attire, bio, location, parking, hours, emails, website and
# updates "phone, email, or hours of operation"; the Page reference adds the texts.
# Fields the API derives (single_line_address) or sets once (username) are not here.
DETAIL_FIELDS: dict[str, PageField] = {
    **_fields(
        DETAILS,
        {
            "about": _T.TEXT,
            "bio": _T.TEXT,
            "company_overview": _T.TEXT,
            "description": _T.TEXT,
            "founded": _T.TEXT,
            "general_info": _T.TEXT,
            "impressum": _T.TEXT,
            "mission": _T.TEXT,
            "phone": _T.PHONE,
            "website": _T.URL,
            "emails": _T.EMAILS,
            "hours": _T.HOURS,
            "location": _T.LOCATION,
            "parking": _T.PARKING,
        },
    ),
    # Page reference: attire is one of these three words.
    "attire": PageField(
        DETAILS, "attire", _T.CHOICE, ("Casual", "Dressy", "Unspecified")
    ),
}
# Page Settings reference (unconfirmed beyond seed 004's USERS_CAN_MESSAGE): the
# options a page team changes; the others (age and country restrictions) are
# account policy, not content, and are left to the Page's own settings screen.
SETTING_FIELDS: dict[str, PageField] = {
    **_fields(
        SETTINGS,
        {
            "USERS_CAN_POST": _T.BOOLEAN,
            "USERS_CAN_POST_PHOTOS": _T.BOOLEAN,
            "USERS_CAN_TAG_SELF": _T.BOOLEAN,
            "USERS_CAN_MESSAGE": _T.BOOLEAN,
        },
    ),
    "PROFANITY_FILTER": PageField(
        SETTINGS, "PROFANITY_FILTER", _T.CHOICE, ("OFF", "MEDIUM", "STRONG")
    ),
}
BY_QUALIFIED: dict[str, PageField] = {
    field.qualified: field
    for field in (*DETAIL_FIELDS.values(), *SETTING_FIELDS.values())
}

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
HOURS_KEY = re.compile(r"(mon|tue|wed|thu|fri|sat|sun)_([12])_(open|close)")
_TIME = re.compile(r"([01]?[0-9]|2[0-3]):([0-5][0-9])")
_PHONE = re.compile(r"\+?[0-9 ().-]+")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
LOCATION_TEXT = ("street", "city", "state", "country", "zip")
LOCATION_NUMBERS = {"latitude": 90.0, "longitude": 180.0}
PARKING_KEYS = ("lot", "street", "valet")


def problem(field: PageField, value: Any) -> str | None:
    """What is wrong with a manifest's value for ``field`` (plain YAML data), or None."""
    name = field.qualified
    kind = field.kind
    if kind is FieldKind.TEXT:
        if not isinstance(value, str):
            return f"{name} must be a string (write it in quotes)"
        return None if value.strip() else f"{name} is blank: remove it or write text"
    if kind is FieldKind.PHONE:
        if not isinstance(value, str):
            return f'{name} must be a quoted string ("+1 555 0100")'
        if not _PHONE.fullmatch(value.strip()) or sum(c.isdigit() for c in value) < 3:
            return f"{name} must be digits, spaces and + - ( ) . only"
        return None
    if kind is FieldKind.URL:
        if not isinstance(value, str) or not is_web_url(value):
            return f"{name} must be an absolute http:// or https:// URL with a host"
        return None
    if kind is FieldKind.EMAILS:
        return _emails_problem(name, value)
    if kind is FieldKind.HOURS:
        return _hours_problem(name, value)
    if kind is FieldKind.LOCATION:
        return _location_problem(name, value)
    if kind is FieldKind.PARKING:
        return _parking_problem(name, value)
    if kind is FieldKind.CHOICE:
        if value not in field.choices:
            return f"{name} must be one of {', '.join(field.choices)}"
        return None
    if not isinstance(value, bool):
        return f"{name} must be true or false"
    return None


def _emails_problem(name: str, value: Any) -> str | None:
    if not isinstance(value, list) or not value:
        return f"{name} must be a list of addresses (emails: [hello@acme.example])"
    seen: set[str] = set()
    for index, item in enumerate(value):
        if not isinstance(item, str) or not _EMAIL.fullmatch(item.strip()):
            return f"{name}[{index}] is not an email address"
        if item.strip().lower() in seen:
            return f"{name}[{index}] is listed twice"
        seen.add(item.strip().lower())
    return None


def _hours_problem(name: str, value: Any) -> str | None:
    if not isinstance(value, dict) or not value:
        return f'{name} must be a mapping such as {{mon_1_open: "08:00"}}'
    for key, time in value.items():
        if not HOURS_KEY.fullmatch(str(key)):
            return (
                f"{name}: {key!r} is not a day slot: write <day>_<1|2>_<open|close> "
                f"with day one of {', '.join(_DAYS)} (mon_1_open)"
            )
        if not isinstance(time, str) or not _TIME.fullmatch(time.strip()):
            return f'{name}.{key} must be a 24-hour time in quotes, such as "08:00"'
    for key in value:
        day_slot, end = str(key).rsplit("_", 1)
        other = f"{day_slot}_{'close' if end == 'open' else 'open'}"
        if other not in value:
            return f"{name}.{key} has no matching {other}"
    return None


def _location_problem(name: str, value: Any) -> str | None:
    known = (*LOCATION_TEXT, *LOCATION_NUMBERS)
    if not isinstance(value, dict) or not value:
        return f"{name} must be a mapping with {', '.join(known)}"
    for key, item in value.items():
        if key not in known:
            return f"{name}: unknown field {key!r}: a location has {', '.join(known)}"
        if key in LOCATION_NUMBERS:
            bound = LOCATION_NUMBERS[key]
            if isinstance(item, bool) or not isinstance(item, int | float):
                return f"{name}.{key} must be a number"
            if not -bound <= item <= bound:
                return f"{name}.{key} must be between -{bound:g} and {bound:g}"
        elif not isinstance(item, str) or not item.strip():
            return f"{name}.{key} must be a non-blank string (write it in quotes)"
    return None


def _parking_problem(name: str, value: Any) -> str | None:
    if not isinstance(value, dict) or not value:
        return f"{name} must be a mapping of lot, street, valet to true or false"
    for key, item in value.items():
        if key not in PARKING_KEYS:
            return f"{name}: unknown field {key!r}: parking has lot, street and valet"
        if not isinstance(item, bool) and item not in (0, 1):
            return f"{name}.{key} must be true or false"
    return None


def normalize(field: PageField, value: Any) -> Any:
    """The value as the API returns it (seed 004's examples; docs/page-details.md):
    for a manifest's checked value and for a live one alike, so both compare equal
    when they mean the same. Lenient: a live value of an unexpected shape is kept."""
    if value is None:
        return None
    kind = field.kind
    if kind is FieldKind.TEXT and isinstance(value, str):
        return normalize_message(value)
    if kind is FieldKind.PHONE and isinstance(value, str):
        return value.strip()
    if kind is FieldKind.URL and isinstance(value, str):
        return normalize_link(value)
    if kind is FieldKind.EMAILS and isinstance(value, list):
        # unconfirmed: the order the API returns emails in; compared as a set
        return sorted(str(item).strip() for item in value)
    if kind is FieldKind.HOURS and isinstance(value, dict):
        return {key: _padded(str(time)) for key, time in sorted(value.items())}
    if kind is FieldKind.PARKING and isinstance(value, dict):
        return {key: int(bool(item)) for key, item in sorted(value.items())}
    if kind is FieldKind.LOCATION and isinstance(value, dict):
        # Coordinates as floats: 40 in a manifest is 40.0 read back.
        return {
            key: float(value[key])
            if key in LOCATION_NUMBERS and isinstance(value[key], int | float)
            else value[key]
            for key in sorted(value)
        }
    return value


def _padded(time: str) -> str:
    """seed 004 hours read back as "HH:MM" (unconfirmed for "8:00"; PROTOCOL style)."""
    match = _TIME.fullmatch(time.strip())
    return f"{int(match.group(1)):02d}:{match.group(2)}" if match else time


def value_hash(value: Any) -> str:
    """A short hash of a normalized value, as the lockfile records it."""
    canonical = json.dumps(value, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def wire_value(value: Any) -> str:
    """A detail as a form parameter of ``POST /{page-id}``: text as it is, structured
    values (emails, hours, location, parking) as JSON, as seed 004's examples show."""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
