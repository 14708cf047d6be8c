"""The machine rendering of a plan: versioned JSON, and its exact inverse.

Format version 1, published as ``statesync/schemas/plan-v1.schema.json``::

    {
      "format_version": 1,
      "reads_live": true,            # false: planned from recorded hashes, no drift seen
      "summary": {"push": 0, "update": 0, "replace": 0, "delete": 0},
      "actions": [                   # in plan order
        {
          "address": "acme/hours",   # "<manifest>/<post_key>"
          "manifest": "acme",
          "post_key": "hours",
          "page_id": "104510075301234",
          "kind": "update",          # push | update | replace | delete
          "post_id": "104510075301234_1",  # null for a new post
          "before": {"message": "Mon", "link": null, "attachments": []},
                                     # live fields; null when not read or not there
          "after": {"message": "Tue", "link": null, "attachments": []},
                                     # desired fields; null for a delete
          "changed": ["message"],    # sorted field names
          "forced_by": null,         # the field that turned an edit into a replace
          "drift": false,            # live differs from what statesync last applied
          "note": null               # why, when it is not obvious
        }
      ],
      "unknown_outcomes": [          # pushes sent whose result is unknown (resolve)
        {"address": "acme/new", "manifest": "acme", "post_key": "new",
         "page_id": "104510075301234", "since": 1795000000}
      ]
    }

Keys are sorted, indentation is two spaces, the text ends with a newline and is ASCII
(other characters as ``\\u`` escapes), so the same plan is always the same bytes.
A change that old readers could misread raises ``format_version``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from statesync.model import POST_FIELDS, Address, PostFields
from statesync.plan import KIND_ORDER, Action, ActionKind, Plan, UnknownOutcome

__all__ = ["FORMAT_VERSION", "plan_from_data", "plan_to_data", "render_json"]

FORMAT_VERSION = 1
_ACTION_KEYS = frozenset(
    {
        "address",
        "after",
        "before",
        "changed",
        "drift",
        "forced_by",
        "kind",
        "manifest",
        "note",
        "page_id",
        "post_id",
        "post_key",
    }
)
_PLAN_KEYS = frozenset(
    {"actions", "format_version", "reads_live", "summary", "unknown_outcomes"}
)
_UNKNOWN_KEYS = frozenset({"address", "manifest", "page_id", "post_key", "since"})


def render_json(plan: Plan) -> str:
    return json.dumps(plan_to_data(plan), indent=2, sort_keys=True) + "\n"


def plan_to_data(plan: Plan) -> dict[str, Any]:
    return {
        "format_version": FORMAT_VERSION,
        "reads_live": plan.reads_live,
        "summary": {kind.value: count for kind, count in plan.counts().items()},
        "actions": [_action_to_data(action) for action in plan.actions],
        "unknown_outcomes": [
            {
                "address": str(unknown.address),
                "manifest": unknown.address.manifest,
                "post_key": unknown.address.key,
                "page_id": unknown.page_id,
                "since": unknown.since,
            }
            for unknown in plan.unknown
        ],
    }


def _action_to_data(action: Action) -> dict[str, Any]:
    return {
        "address": str(action.address),
        "manifest": action.address.manifest,
        "post_key": action.address.key,
        "page_id": action.page_id,
        "kind": action.kind.value,
        "post_id": action.post_id,
        "before": _fields_to_data(action.before),
        "after": _fields_to_data(action.after),
        "changed": list(action.changed),
        "forced_by": action.forced_by,
        "drift": action.drift,
        "note": action.note,
    }


def _fields_to_data(fields: PostFields | None) -> dict[str, object] | None:
    return fields.as_dict() if fields is not None else None


def plan_from_data(data: object) -> Plan:
    """The plan ``plan_to_data`` made, checked: ``ValueError`` names what is wrong.

    It checks what the schema says without needing a schema library at run time,
    plus what a schema cannot: the address agrees with its halves and the summary
    with the actions.
    """
    plan = _mapping(data, _PLAN_KEYS, "plan")
    if plan["format_version"] != FORMAT_VERSION or isinstance(
        plan["format_version"], bool
    ):
        raise ValueError(
            f"plan: format_version {plan['format_version']!r} is not "
            f"{FORMAT_VERSION}; this statesync cannot read it"
        )
    entries = plan["actions"]
    if not isinstance(entries, list):
        raise ValueError("plan: actions must be a list")
    actions = tuple(
        _action_from_data(entry, f"actions[{index}]")
        for index, entry in enumerate(entries)
    )
    outcomes = plan["unknown_outcomes"]
    if not isinstance(outcomes, list):
        raise ValueError("plan: unknown_outcomes must be a list")
    result = Plan(
        actions=actions,
        reads_live=_bool(plan["reads_live"], "reads_live"),
        unknown=tuple(
            _unknown_from_data(entry, f"unknown_outcomes[{index}]")
            for index, entry in enumerate(outcomes)
        ),
    )
    summary = _mapping(plan["summary"], {kind.value for kind in KIND_ORDER}, "summary")
    expected = {kind.value: count for kind, count in result.counts().items()}
    if dict(summary) != expected or any(
        type(count) is not int for count in summary.values()
    ):
        raise ValueError(f"summary: {dict(summary)} does not count the actions")
    return result


def _action_from_data(data: object, where: str) -> Action:
    entry = _mapping(data, _ACTION_KEYS, where)
    address = Address(
        _str(entry["manifest"], f"{where}.manifest"),
        _str(entry["post_key"], f"{where}.post_key"),
    )
    if entry["address"] != str(address):
        raise ValueError(
            f"{where}.address: {entry['address']!r} is not manifest/post_key "
            f"{str(address)!r}"
        )
    try:
        kind = ActionKind(entry["kind"])
    except ValueError:
        raise ValueError(f"{where}.kind: {entry['kind']!r} is not an action") from None
    changed = entry["changed"]
    if not isinstance(changed, list) or any(
        name not in POST_FIELDS for name in changed
    ):
        raise ValueError(f"{where}.changed: {changed!r} is not a list of fields")
    forced_by = entry["forced_by"]
    if forced_by is not None and forced_by not in POST_FIELDS:
        raise ValueError(f"{where}.forced_by: {forced_by!r} is not a field")
    return Action(
        kind=kind,
        address=address,
        page_id=_str(entry["page_id"], f"{where}.page_id"),
        post_id=_optional_str(entry["post_id"], f"{where}.post_id"),
        before=_fields_from_data(entry["before"], f"{where}.before"),
        after=_fields_from_data(entry["after"], f"{where}.after"),
        changed=tuple(changed),
        forced_by=forced_by,
        drift=_bool(entry["drift"], f"{where}.drift"),
        note=_optional_str(entry["note"], f"{where}.note"),
    )


def _unknown_from_data(data: object, where: str) -> UnknownOutcome:
    entry = _mapping(data, _UNKNOWN_KEYS, where)
    address = Address(
        _str(entry["manifest"], f"{where}.manifest"),
        _str(entry["post_key"], f"{where}.post_key"),
    )
    if entry["address"] != str(address):
        raise ValueError(
            f"{where}.address: {entry['address']!r} is not manifest/post_key"
        )
    since = entry["since"]
    if type(since) is not int:
        raise ValueError(f"{where}.since: must be an integer")
    return UnknownOutcome(address, _str(entry["page_id"], f"{where}.page_id"), since)


def _fields_from_data(data: object, where: str) -> PostFields | None:
    if data is None:
        return None
    fields = _mapping(data, set(POST_FIELDS), where)
    attachments = fields["attachments"]
    if not isinstance(attachments, list) or not all(
        isinstance(item, str) for item in attachments
    ):
        raise ValueError(f"{where}.attachments: must be a list of strings")
    return PostFields(
        message=_optional_str(fields["message"], f"{where}.message"),
        link=_optional_str(fields["link"], f"{where}.link"),
        attachments=tuple(attachments),
    )


def _mapping(
    data: object, keys: frozenset[str] | set[str], where: str
) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise ValueError(f"{where}: must be an object")
    if set(data) != keys:
        missing = sorted(keys - set(data))
        unknown = sorted(set(data) - keys)
        raise ValueError(f"{where}: missing keys {missing}, unknown keys {unknown}")
    return data


def _str(value: object, where: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{where}: must be a string")
    return value


def _optional_str(value: object, where: str) -> str | None:
    return None if value is None else _str(value, where)


def _bool(value: object, where: str) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{where}: must be true or false")
    return value
