"""A manifest's ``details:`` and ``settings:`` checked offline, field by field, with
the line of every problem (the field table is ``statesync.page_fields``)."""

from __future__ import annotations

from typing import Any

from statesync.errors import Location
from statesync.model import DesiredDetails
from statesync.page_fields import (
    DETAIL_FIELDS,
    DETAILS,
    SETTING_FIELDS,
    FieldKind,
    PageField,
    normalize,
    problem,
)
from statesync.yamlcheck import Checker, suggest
from statesync.yamlnodes import (
    Mapping,
    Node,
    Scalar,
    Sequence,
    describe,
    is_secret_key,
    looks_like_token,
)

# Names people reach for that difflib cannot connect to the API's.
_SYNONYMS = {
    "email": "emails",
    "url": "website",
    "site": "website",
    "homepage": "website",
    "telephone": "phone",
    "phone_number": "phone",
    "opening_hours": "hours",
    "address": "location",
    "messaging": "USERS_CAN_MESSAGE",
}


def check_page_fields(
    checker: Checker, details: Node | None, settings: Node | None
) -> DesiredDetails:
    """The managed fields of both sections, normalized; problems go to ``checker``."""
    values: dict[str, object] = {}
    lines: dict[str, Location] = {}
    for section, node, table in (
        (DETAILS, details, DETAIL_FIELDS),
        ("settings", settings, SETTING_FIELDS),
    ):
        if node is None or (isinstance(node, Scalar) and node.value is None):
            continue
        if not isinstance(node, Mapping):
            example = "about: ..." if section == DETAILS else "USERS_CAN_MESSAGE: true"
            checker.at(
                node.line,
                f"{section} must be a mapping of field names to values "
                f"({example}), got {describe(node)}",
            )
            continue
        for entry in node.entries:
            if _secret_shaped(entry.key) or _holds_secret_keys(entry.value):
                continue  # reported as a secret, which no message may repeat
            field = table.get(entry.key)
            if field is None:
                checker.at(entry.line, _unknown(section, entry.key, tuple(table)))
                continue
            value = _plain(entry.value, field)
            why = problem(field, value)
            if why is not None:
                if isinstance(entry.value, Scalar):  # a collection's item is named
                    why += f", got {checker.shown(entry.value)}"
                checker.at(entry.value.line, why)
                continue
            values[field.qualified] = normalize(field, value)
            lines[field.qualified] = Location(checker.file, entry.line)
    return DesiredDetails(values=values, lines=lines)


def _secret_shaped(key: str) -> bool:
    return looks_like_token(key) or is_secret_key(key)


def _holds_secret_keys(node: Node) -> bool:
    """A mapping (hours, location, parking) with a token-shaped key at any depth."""
    if isinstance(node, Mapping):
        return any(
            _secret_shaped(e.key) or _holds_secret_keys(e.value) for e in node.entries
        )
    if isinstance(node, Sequence):
        return any(_holds_secret_keys(item) for item in node.items)
    return False


def _unknown(section: str, key: str, known: tuple[str, ...]) -> str:
    guess = key.upper() if key.upper() in known else suggest(key, known, _SYNONYMS)
    if guess is not None:
        return f"unknown {section} field {key!r}: did you mean {guess!r}?"
    return (
        f"unknown {section} field {key!r}: statesync manages "
        f"{', '.join(sorted(known))} (docs/page-details.md)"
    )


def _plain(node: Node, field: PageField) -> Any:
    """The node as plain data. Times keep their source text: unquoted ``18:00`` is
    the integer 1080 in YAML 1.1 (base 60), but it means six in the evening."""
    if isinstance(node, Scalar):
        if field.kind is FieldKind.CHOICE and node.text in field.choices:
            return node.text  # unquoted OFF is the boolean false in YAML 1.1
        if field.kind is FieldKind.HOURS or (
            isinstance(node.value, int)
            and not isinstance(node.value, bool)
            and ":" in node.text
        ):
            return node.text
        return node.value
    if isinstance(node, Sequence):
        return [_plain(item, field) for item in node.items]
    return {entry.key: _plain(entry.value, field) for entry in node.entries}
