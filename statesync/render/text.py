"""The terminal rendering of a plan, in Terraform's visual vocabulary.

``+`` push, ``~`` update, ``-/+`` replace, ``-`` delete; the field that forces a replace
is marked; drift is named; exactly one summary line ends the plan.
"""

from __future__ import annotations

import difflib
import json

from statesync.model import POST_FIELDS, PostFields
from statesync.plan import Action, ActionKind, Plan

SYMBOLS = {
    ActionKind.PUSH: "+",
    ActionKind.UPDATE: "~",
    ActionKind.REPLACE: "-/+",
    ActionKind.DELETE: "-",
}
_INLINE_LIMIT = 60  # longer or multi-line messages are shown as a unified diff
_INDENT = "      "


def render_plan(plan: Plan) -> str:
    lines: list[str] = []
    if not plan.reads_live:
        lines.append(
            "Note: live posts are not read, so drift (edits made outside statesync) "
            "cannot be seen; changes are found from the lockfile's recorded hashes."
        )
        lines.append("")
    drifted = sum(1 for action in plan.actions if action.drift)
    if drifted:
        lines.append(
            f"Drift: {drifted} post{'s' if drifted != 1 else ''} changed outside "
            "statesync since the last apply; apply restores the manifests' content."
        )
        lines.append("")
    for action in plan.actions:
        lines.extend(_render_action(action))
        lines.append("")
    lines.append(plan.summary())
    return "\n".join(lines) + "\n"


def _render_action(action: Action) -> list[str]:
    head = f"  {SYMBOLS[action.kind]} {action.address}: {action.kind.value}"
    facts = []
    if action.post_id and action.kind is not ActionKind.PUSH:
        facts.append(f"post {action.post_id}")
    if action.drift:
        facts.append("drift: changed outside statesync")
    if facts:
        head += f" ({', '.join(facts)})"
    lines = [head]
    if action.note:
        lines.append(f"{_INDENT}# {action.note}")
    if action.kind is ActionKind.PUSH and action.after is not None:
        lines.extend(_render_new(action.after))
    elif action.kind in (ActionKind.UPDATE, ActionKind.REPLACE):
        for name in action.changed:
            lines.extend(_render_change(name, action))
        if action.kind is ActionKind.REPLACE:
            lines.append(
                f"{_INDENT}! the post is deleted and pushed again: its likes, comments "
                "and shares are lost"
            )
    return lines


def _render_new(fields: PostFields) -> list[str]:
    values = fields.as_dict()
    present = [name for name in POST_FIELDS if values[name] not in (None, [])]
    width = max(len(name) for name in present) if present else 0
    lines = []
    for name in present:
        value = values[name]
        if name == "message" and _is_long(value):
            lines.append(f"{_INDENT}message:")
            lines.extend(f"{_INDENT}  | {line}" for line in str(value).splitlines())
        else:
            lines.append(f"{_INDENT}{name + ':':<{width + 1}} {_show(value)}")
    return lines


def _render_change(name: str, action: Action) -> list[str]:
    old = action.before.as_dict()[name] if action.before else None
    new = action.after.as_dict()[name] if action.after else None
    suffix = "  # forces replacement" if name == action.forced_by else ""
    old_text = "(not read)" if action.before is None else _show(old)
    if name == "message" and (_is_long(old) or _is_long(new)) and action.before:
        diff = difflib.unified_diff(
            str(old or "").splitlines(),
            str(new or "").splitlines(),
            fromfile="live",
            tofile="desired",
            lineterm="",
        )
        return [f"{_INDENT}message:{suffix}"] + [f"{_INDENT}  {line}" for line in diff]
    return [f"{_INDENT}{name}: {old_text} -> {_show(new)}{suffix}"]


def _is_long(value: object) -> bool:
    return isinstance(value, str) and (len(value) > _INLINE_LIMIT or "\n" in value)


def _show(value: object) -> str:
    if value is None or value == []:
        return "(none)"
    return json.dumps(value, ensure_ascii=False)
