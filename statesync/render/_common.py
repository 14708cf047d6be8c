"""What every human-facing renderer says the same way: symbols, notes, diffs, values.

The text and markdown renderings must not drift apart in wording, so the sentences and
the message diff live here once.
"""

from __future__ import annotations

import difflib
import json

from statesync.model import POST_FIELDS, PostFields
from statesync.plan import Action, ActionKind

SYMBOLS = {
    ActionKind.PUSH: "+",
    ActionKind.UPDATE: "~",
    ActionKind.REPLACE: "-/+",
    ActionKind.DELETE: "-",
}

NO_READER_NOTE = (
    "live posts are not read, so drift (edits made outside statesync) "
    "cannot be seen; changes are found from the lockfile's recorded hashes."
)
REPLACE_WARNING = (
    "the post is deleted and pushed again: its likes, comments and shares are lost"
)
DRIFT_SUFFIX = "changed outside statesync"  # how one action's drift is named


def drift_sentence(drifted: int) -> str:
    """The plan-level drift sentence after its ``Drift:`` label; "" if none drifted."""
    if not drifted:
        return ""
    return (
        f"{drifted} post{'s' if drifted != 1 else ''} changed outside statesync "
        "since the last apply; apply restores the manifests' content."
    )


def count_drifted(actions: tuple[Action, ...]) -> int:
    return sum(1 for action in actions if action.drift)


def field_value(fields: PostFields | None, name: str) -> object:
    return fields.as_dict()[name] if fields is not None else None


def present_fields(fields: PostFields) -> list[str]:
    """The fields a post sets, in POST_FIELDS order."""
    values = fields.as_dict()
    return [name for name in POST_FIELDS if values[name] not in (None, [])]


def message_diff(old: object, new: object) -> list[str]:
    """The unified diff of two messages, live -> desired, without line terminators."""
    return list(
        difflib.unified_diff(
            message_lines(old),
            message_lines(new),
            fromfile="live",
            tofile="desired",
            lineterm="",
        )
    )


def message_lines(value: object) -> list[str]:
    return str(value or "").splitlines()


def show(value: object) -> str:
    """A field value on one line: JSON, so quotes and newlines stay visible."""
    if value is None or value == []:
        return "(none)"
    return json.dumps(value, ensure_ascii=False)


UNKNOWN_OUTCOME = (
    "a push was sent but its answer was lost, and the page cannot be listed to find "
    "out whether it was published: nothing is planned for this post until resolved"
)
