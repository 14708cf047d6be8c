"""The machine rendering of a plan: versioned JSON, and its exact inverse.

Format version 1, published as ``statesync/schemas/plan-v1.schema.json``::

    {
      "format_version": 1,
      "reads_live": true,            # false: planned from recorded hashes, no drift seen
      "scope": ["acme", "beta"],     # the manifests a plan under --only covers;
                                     # null: the whole project
      "summary": {"push": 0, "update": 0, "replace": 0, "delete": 0},
                                     # + "forget", "impossible" when there are any
      "actions": [                   # in plan order
        {
          "address": "acme/hours",   # "<manifest>/<post_key>"
          "manifest": "acme",
          "post_key": "hours",
          "page_id": "104510075301234",
          "kind": "update",          # push | update | replace | delete, and
                                     # forget | impossible (writers that cannot)
          "resource": "post",        # the kind of thing acted on
          "post_id": "104510075301234_1",  # null for a new post
          "before": {"message": "Mon", "link": null, "attachments": []},
                                     # live fields; null when not read or not there;
                                     # for a delete, the post it deletes
          "after": {"message": "Tue", "link": null, "attachments": []},
                                     # desired fields; null for a delete
          "changed": ["message"],    # sorted field names; for a push, the fields it
                                     # sets (as the markdown table lists them)
          "forced_by": null,         # the field that turned an edit into a replace,
                                     # or the first that makes it impossible
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
A change that old readers could misread raises ``format_version``; ``scope`` was added
to version 1 (readers ignore what they do not know), so a version 1 plan without it is
read as a plan of the whole project.

When a plan cannot be made because the input is invalid, ``plan --format json`` writes
an error document instead (``render_error_json``, schema
``statesync/schemas/error-v1.schema.json``), so that automation never parses an empty
stdout::

    {
      "format_version": 1,
      "kind": "statesync-error",
      "errors": [                    # in the order given (statesync sorts by place)
        {"file": "pages/acme.yaml", "line": 4, "message": "unknown field 'titel'"},
        {"file": null, "line": null, "message": "FACEBOOK_ACCESS_TOKEN is not set"}
      ]
    }
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from statesync.kinds import Kind
from statesync.model import POST_FIELDS, Address, PostFields
from statesync.plan import (
    KIND_ORDER,
    RARE_KINDS,
    Action,
    ActionKind,
    Plan,
    UnknownOutcome,
)
from statesync.post_flags import POST_FLAGS
from statesync.render._common import present_fields
from statesync.render.json_media import media_from_data, media_summary, media_to_data
from statesync.render.json_page import (
    all_fields,
    page_from_data,
    page_summary,
    page_to_data,
)
from statesync.render.json_time import (
    instant_or_none,
    timeline_from_data,
    timeline_to_data,
    times_to_data,
)

__all__ = [
    "ERROR_FORMAT_VERSION",
    "ERROR_KIND",
    "FORMAT_VERSION",
    "plan_from_data",
    "plan_to_data",
    "render_error_json",
    "render_json",
]

FORMAT_VERSION = 1
ERROR_FORMAT_VERSION = 1
ERROR_KIND = "statesync-error"  # tells an error document from a plan at a glance
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
    {
        "actions",
        "format_version",
        "media_summary",
        "page_summary",
        "next_due_at",
        "timeline",
        "reads_live",
        "scope",
        "summary",
        "unknown_outcomes",
        "unread",
    }
)
# added to version 1
_OPTIONAL_PLAN_KEYS = frozenset(
    {"scope", "media_summary", "page_summary", "timeline", "next_due_at", "unread"}
)
# added to version 1: "post" if absent; "media" on media actions only
_OPTIONAL_ACTION_KEYS = frozenset(
    {"resource", "media", "moved_from", "page", "schedule", "expired_at", "video_post"}
)
_UNKNOWN_KEYS = frozenset({"address", "manifest", "page_id", "post_key", "since"})


def render_json(plan: Plan) -> str:
    return _dumps(plan_to_data(plan))


def render_error_json(problems: Sequence[tuple[str | None, int | None, str]]) -> str:
    """The error document for ``(file, line, message)`` problems, in the order given.

    ``file`` and ``line`` are None when a problem has no place (a missing environment
    variable, an unreadable directory). Bytes are stable as a plan's are. A document
    the schema would refuse (no problem, an empty message, a line below 1) is a bug of
    the caller: ``ValueError``, rather than a document automation cannot trust.
    """
    if not problems:
        raise ValueError("an error document needs at least one problem")
    for _, line, message in problems:
        if not message or (line is not None and line < 1):
            raise ValueError(f"not a problem to report: line {line!r}, {message!r}")
    return _dumps(
        {
            "format_version": ERROR_FORMAT_VERSION,
            "kind": ERROR_KIND,
            "errors": [
                {"file": file, "line": line, "message": message}
                for file, line, message in problems
            ],
        }
    )


def _dumps(data: Mapping[str, Any]) -> str:
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


def plan_to_data(plan: Plan) -> dict[str, Any]:
    return {
        "format_version": FORMAT_VERSION,
        "reads_live": plan.reads_live,
        **({"unread": list(plan.unread)} if plan.unread else {}),
        "scope": None if plan.scope is None else list(plan.scope),
        "summary": {kind.value: count for kind, count in plan.counts().items()},
        **media_summary(plan),
        **page_summary(plan),
        **timeline_to_data(plan),
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
        "changed": _changed(action),
        "forced_by": action.forced_by,
        "drift": action.drift,
        "note": action.note,
        "resource": action.resource.value,
        **media_to_data(action.media),
        **page_to_data(action.page),
        **times_to_data(action),
        **({"moved_from": str(action.moved_from)} if action.moved_from else {}),
        **({"video_post": True} if action.video_post else {}),
    }


def _changed(action: Action) -> list[str]:
    """A push changes every field it sets, as the markdown table lists them; the
    planner leaves a push's ``changed`` empty (there is nothing to compare with)."""
    if action.kind is ActionKind.PUSH and action.after is not None:
        return sorted(present_fields(action.after))
    return list(action.changed)


def _fields_to_data(fields: PostFields | None) -> dict[str, object] | None:
    """The content, and the flags where some are managed (desired) or on (live)."""
    if fields is None:
        return None
    return {**fields.as_dict(), **dict(fields.flags)}


def plan_from_data(data: object) -> Plan:
    """The plan ``plan_to_data`` made, checked: ``ValueError`` names what is wrong.

    It checks what the schema says without needing a schema library at run time,
    plus what a schema cannot: the address agrees with its halves and the summary
    with the actions.
    """
    plan = _mapping(data, _PLAN_KEYS, "plan", optional=_OPTIONAL_PLAN_KEYS)
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
        scope=_scope(plan.get("scope")),
        timeline=timeline_from_data(plan),
        unread=_unread(plan.get("unread", [])),
    )
    summary = _mapping(
        plan["summary"],
        {kind.value for kind in (*KIND_ORDER, *RARE_KINDS)},
        "summary",
        optional=frozenset(kind.value for kind in RARE_KINDS),
    )
    expected = {kind.value: count for kind, count in result.counts().items()}
    if dict(summary) != expected or any(
        type(count) is not int for count in summary.values()
    ):
        raise ValueError(f"summary: {dict(summary)} does not count the actions")
    return result


def _scope(value: object) -> tuple[str, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(n, str) for n in value):
        raise ValueError("scope: must be a list of manifest names or null")
    return tuple(value)


def _action_from_data(data: object, where: str) -> Action:
    entry = _mapping(
        data,
        _ACTION_KEYS | _OPTIONAL_ACTION_KEYS,
        where,
        optional=_OPTIONAL_ACTION_KEYS,
    )
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
    try:
        resource = Kind(entry.get("resource", Kind.POST.value))
        if resource is Kind.VIDEO_POST:  # a capability, never an action's resource
            raise ValueError
    except ValueError:
        raise ValueError(
            f"{where}.resource: {entry['resource']!r} is not a kind"
        ) from None
    changed, forced_by = entry["changed"], entry["forced_by"]
    page = resource is Kind.PAGE  # a page's own fields, named ``details.about``
    if not (all_fields(changed) if page else _post_fields(changed)):
        raise ValueError(f"{where}.changed: {changed!r} is not a list of fields")
    if forced_by is not None and not (
        all_fields([forced_by]) if page else forced_by in (*POST_FIELDS, *POST_FLAGS)
    ):
        raise ValueError(f"{where}.forced_by: {forced_by!r} is not a field")
    return Action(
        kind=kind,
        address=address,
        page_id=_str(entry["page_id"], f"{where}.page_id"),
        post_id=_optional_str(entry["post_id"], f"{where}.post_id"),
        before=_fields_from_data(entry["before"], f"{where}.before"),
        after=_fields_from_data(entry["after"], f"{where}.after"),
        # A push's ``changed`` is derived from ``after`` (``_changed``): the plan
        # value keeps it empty, as the planner made it.
        changed=() if kind is ActionKind.PUSH else tuple(changed),
        forced_by=forced_by,
        drift=_bool(entry["drift"], f"{where}.drift"),
        note=_optional_str(entry["note"], f"{where}.note"),
        resource=resource,
        media=media_from_data(entry.get("media"), f"{where}.media"),
        moved_from=_address_from_data(entry.get("moved_from"), f"{where}.moved_from"),
        page=page_from_data(entry.get("page"), f"{where}.page"),
        schedule=instant_or_none(entry.get("schedule"), f"{where}.schedule"),
        expired_at=instant_or_none(entry.get("expired_at"), f"{where}.expired_at"),
        video_post=_bool(entry.get("video_post", False), f"{where}.video_post"),
    )


def _post_fields(names: object) -> bool:
    """A post's fields, and ``publish_at`` (a scheduled post's time) where changed."""
    known = (*POST_FIELDS, *POST_FLAGS, "publish_at")
    return isinstance(names, list) and all(name in known for name in names)


def _address_from_data(value: object, where: str) -> Address | None:
    if value is None:
        return None
    manifest, slash, key = _str(value, where).partition("/")
    if not (manifest and slash and key):
        raise ValueError(f"{where}: {value!r} is not an address")
    return Address(manifest, key)


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
    fields = _mapping(
        data, {*POST_FIELDS, *POST_FLAGS}, where, optional=frozenset(POST_FLAGS)
    )
    flags = tuple((name, fields[name]) for name in POST_FLAGS if name in fields)
    if not all(isinstance(on, bool) for _, on in flags):
        raise ValueError(f"{where}: pinned and hidden must be true or false")
    attachments = fields["attachments"]
    if not isinstance(attachments, list) or not all(
        isinstance(item, str) for item in attachments
    ):
        raise ValueError(f"{where}.attachments: must be a list of strings")
    return PostFields(
        message=_optional_str(fields["message"], f"{where}.message"),
        link=_optional_str(fields["link"], f"{where}.link"),
        attachments=tuple(attachments),
        flags=flags,
    )


def _mapping(
    data: object,
    keys: frozenset[str] | set[str],
    where: str,
    *,
    optional: frozenset[str] = frozenset(),
) -> Mapping[str, Any]:
    """``data`` as an object with exactly ``keys``, of which ``optional`` may be absent."""
    if not isinstance(data, Mapping):
        raise ValueError(f"{where}: must be an object")
    missing = sorted(keys - optional - set(data))
    unknown = sorted(set(data) - keys)
    if missing or unknown:
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


def _unread(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(k, str) for k in value):
        raise ValueError("plan: unread must be a list of target keys")
    return tuple(value)
