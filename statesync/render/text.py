"""The terminal rendering of a plan, in Terraform's visual vocabulary.

``+`` push, ``~`` update, ``-/+`` replace, ``-`` delete, and where a writer cannot
(statesync.kinds) ``=`` forget and ``!`` impossible; the field that forces a replace, or
makes an action impossible, is marked; drift is named; a delete or a forget shows the
live post it removes or leaves (when it was read); exactly one summary line ends the
plan, preceded by the scope of a plan under ``--only``.
"""

from __future__ import annotations

from statesync.model import PostFields
from statesync.plan import Action, ActionKind, Plan
from statesync.render._common import (
    DRIFT_SUFFIX,
    NO_READER_NOTE,
    SHOWS_LIVE_POST,
    SYMBOLS,
    UNKNOWN_OUTCOME,
    count_drifted,
    deleted_lines,
    drift_sentence,
    field_mark,
    field_value,
    media_head,
    message_diff,
    page_lines,
    present_fields,
    publish_change,
    replace_warning,
    scope_sentence,
    show,
    timeline_lines,
    unread_note,
)

__all__ = ["SYMBOLS", "render_plan"]

_INLINE_LIMIT = 60  # longer or multi-line messages are shown as a unified diff
_INDENT = "      "
# Terraform's colours: green creates, yellow edits, magenta replaces, red deletes.
_COLOURS = {
    ActionKind.PUSH: "32",
    ActionKind.UPDATE: "33",
    ActionKind.REPLACE: "35",
    ActionKind.DELETE: "31",
    ActionKind.FORGET: "33",
    ActionKind.IMPOSSIBLE: "1;31",
    ActionKind.UPLOAD: "32",
    ActionKind.MOVE: "36",
}
_BOLD, _YELLOW = "1", "33"


def render_plan(plan: Plan, *, color: bool = False) -> str:
    """``color`` adds ANSI colours, for a terminal only (the CLI decides: NO_COLOR)."""

    def paint(text: str, code: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if color else text

    lines: list[str] = []
    if not plan.reads_live:
        lines.append(f"Note: {NO_READER_NOTE}")
        lines.append("")
    for key in plan.unread:
        lines.append(f"Note: {unread_note(key)}")
        lines.append("")
    drift = drift_sentence(count_drifted(plan.actions))
    if drift:
        lines.append(paint(f"Drift: {drift}", _YELLOW))
        lines.append("")
    for action in plan.actions:
        head, *rest = _render_action(action, plan.timezone)
        lines.append(paint(head, _COLOURS[action.kind]))
        lines.extend(rest)
        lines.append("")
    for unknown in plan.unknown:
        lines.append(paint(f"  ? {unknown.address}: unknown outcome", _YELLOW))
        lines.append(f"{_INDENT}# {UNKNOWN_OUTCOME}")
        lines.append(f"{_INDENT}# {unknown.resolve_hint()}")
        lines.append("")
    timeline = timeline_lines(plan)
    if timeline:
        lines.append("Time:")
        lines.extend(f"  {line}" for line in timeline)
        lines.append("")
    if plan.scope is not None:
        # Right above the summary it qualifies: "No changes." in these manifests only.
        lines.append(f"Scope: {scope_sentence(plan.scope)}")
    lines.append(paint(plan.summary(), _BOLD))
    return "\n".join(lines) + "\n"


def _render_action(action: Action, zone: str) -> list[str]:
    if action.on_page:
        head = f"  {SYMBOLS[action.kind]} {action.name}"
        if action.drift:
            head += f" (drift: {DRIFT_SUFFIX})"
        lines = [head]
        if action.note and action.kind is ActionKind.IMPOSSIBLE:
            lines.append(f"{_INDENT}# {action.note}")
        return lines + [f"{_INDENT}{line}" for line in page_lines(action)]
    if action.on_media:
        name, about = media_head(action)
        head = f"  {SYMBOLS[action.kind]} {name}: {action.kind.value}"
        head += f" ({about})" if about else ""
        return [head] + ([f"{_INDENT}# {action.note}"] if action.note else [])
    if action.moved_from is not None:  # `moved:`: the lockfile alone changes
        return [
            f"  {SYMBOLS[action.kind]} {action.moved_from} -> {action.address}: "
            f"moved (post {action.post_id})"
        ]
    head = f"  {SYMBOLS[action.kind]} {action.address}: {action.kind.value}"
    facts = []
    if action.post_id and action.kind is not ActionKind.PUSH:
        facts.append(f"post {action.post_id}")
    if action.drift:
        facts.append(f"drift: {DRIFT_SUFFIX}")
    if facts:
        head += f" ({', '.join(facts)})"
    lines = [head]
    if action.note:
        lines.append(f"{_INDENT}# {action.note}")
    if action.schedule is not None and "publish_at" not in action.changed:
        lines.append(f"{_INDENT}# {publish_change(action, zone)}")
    if action.changed:  # an update or a replace, or an edit that is impossible
        for name in action.changed:
            if name == "publish_at":
                lines.append(f"{_INDENT}publish_at: {publish_change(action, zone)}")
                continue
            lines.extend(_render_change(name, action))
        if action.kind is ActionKind.REPLACE:
            lines.append(f"{_INDENT}! {replace_warning(action)}")
    elif action.after is not None:  # a push, or one that is impossible
        lines.extend(_render_new(action.after, action))
    elif action.kind in SHOWS_LIVE_POST and action.before is not None:
        lines.extend(f"{_INDENT}{line}" for line in deleted_lines(action.before))
    return lines


def _render_new(fields: PostFields, action: Action) -> list[str]:
    values = {name: field_value(fields, name) for name in present_fields(fields)}
    present = present_fields(fields)
    width = max(len(name) for name in present) if present else 0
    lines = []
    for name in present:
        value = values[name]
        suffix = _suffix(name, action)
        if name == "message" and _is_long(value):
            lines.append(f"{_INDENT}message:{suffix}")
            lines.extend(f"{_INDENT}  | {line}" for line in str(value).splitlines())
        else:
            lines.append(f"{_INDENT}{name + ':':<{width + 1}} {show(value)}{suffix}")
    return lines


def _suffix(name: str, action: Action) -> str:
    mark = field_mark(name, action)
    return f"  # {mark}" if mark else ""


def _render_change(name: str, action: Action) -> list[str]:
    old = field_value(action.before, name)
    new = field_value(action.after, name)
    suffix = _suffix(name, action)
    old_text = "(not read)" if action.before is None else show(old)
    if name == "message" and (_is_long(old) or _is_long(new)) and action.before:
        diff = message_diff(old, new)
        return [f"{_INDENT}message:{suffix}"] + [f"{_INDENT}  {line}" for line in diff]
    return [f"{_INDENT}{name}: {old_text} -> {show(new)}{suffix}"]


def _is_long(value: object) -> bool:
    return isinstance(value, str) and (len(value) > _INLINE_LIMIT or "\n" in value)
