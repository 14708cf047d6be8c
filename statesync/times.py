"""Instants in manifests and in plans: parsing ``publish_at``/``expire_at`` and showing
an instant to people, in UTC and in the project's time zone.

A manifest writes an instant in RFC 3339 with an offset (``2026-12-01T08:00:00+01:00``,
``...Z``), or as a local date-time (``2026-12-01 08:00``) read in the project's
``timezone:`` (an IANA name, default UTC). Inside statesync an instant is Unix seconds.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, tzinfo
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_ZONE = "UTC"
# A date and a time, "T" or a space between, seconds and fraction optional, then an
# optional offset: RFC 3339's profile of ISO 8601, and its local form.
_INSTANT = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?",
    re.IGNORECASE,
)


class TimeProblem(ValueError):
    """An instant that cannot be read; the message says what to write instead."""


@cache
def zone(name: str) -> tzinfo:
    """The IANA zone ``name`` (``Europe/Paris``); ``TimeProblem`` if there is none."""
    if name.upper() == "UTC":
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise TimeProblem(
            f"{name!r} is not an IANA time zone (write e.g. Europe/Paris, "
            "America/New_York or UTC)"
        ) from None


def parse_instant(text: str, zone_name: str = DEFAULT_ZONE) -> int:
    """Unix seconds of ``text``; a local date-time is read in ``zone_name``."""
    cleaned = text.strip()
    if not _INSTANT.fullmatch(cleaned):
        raise TimeProblem(
            f"{cleaned!r} is not a date and time: write 2026-12-01T08:00:00+01:00 "
            "(RFC 3339), or 2026-12-01 08:00 in the project's timezone"
        )
    try:
        moment = datetime.fromisoformat(cleaned.replace("z", "Z"))
    except ValueError:
        raise TimeProblem(f"{cleaned!r} is not a real date and time") from None
    if moment.tzinfo is None:
        local = zone(zone_name)
        early, late = moment.replace(tzinfo=local), moment.replace(tzinfo=local, fold=1)
        if early.utcoffset() != late.utcoffset():
            raise TimeProblem(
                f"{cleaned!r} falls in a daylight-saving change in {zone_name} (a time "
                "that happens twice, or never): write it with an offset"
            )
        moment = early
    return int(moment.timestamp())


def utc_text(instant: int) -> str:
    """RFC 3339 in UTC, to the second: ``2026-12-01T07:00:00Z``."""
    return datetime.fromtimestamp(instant, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def shown(instant: int, zone_name: str = DEFAULT_ZONE) -> str:
    """An instant as a plan shows it: UTC, and the project's zone when it is not UTC
    (``2026-12-01 07:00 UTC (08:00 Europe/Paris)``)."""
    moment = datetime.fromtimestamp(instant, UTC)
    text = moment.strftime("%Y-%m-%d %H:%M UTC")
    if zone_name.upper() == DEFAULT_ZONE:
        return text
    local = moment.astimezone(zone(zone_name))
    day = "" if local.date() == moment.date() else local.strftime("%Y-%m-%d ")
    return f"{text} ({day}{local.strftime('%H:%M')} {zone_name})"
