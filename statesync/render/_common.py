"""What every human-facing renderer says the same way: symbols, notes, diffs, values.

The text and markdown renderings must not drift apart in wording, so the sentences and
the message diff live here once.
"""

from __future__ import annotations

import difflib
import json

from statesync.media import human_size, shown_attachment
from statesync.model import POST_FIELDS, PostFields
from statesync.plan import Action, ActionKind, Plan, TimeStateKind
from statesync.post_flags import POST_FLAGS
from statesync.targets import LABEL_SEPARATOR, Network, network_of, target_of
from statesync.times import shown as shown_instant
from statesync.times import utc_text

SYMBOLS = {
    ActionKind.PUSH: "+",
    ActionKind.UPDATE: "~",
    ActionKind.REPLACE: "-/+",
    ActionKind.DELETE: "-",
    ActionKind.FORGET: "=",  # the lockfile forgets it; the network keeps it
    ActionKind.IMPOSSIBLE: "!",
    ActionKind.UPLOAD: "+",
    ActionKind.MOVE: "mv",  # the lockfile renames it; the network keeps it as it is
}

NO_READER_NOTE = (
    "live posts are not read, so drift (edits made outside statesync) "
    "cannot be seen; changes are found from the lockfile's recorded hashes."
)
REPLACE_WARNING = (
    "the post is deleted and pushed again: its likes, comments and shares are lost"
)
# What a replace loses on the other networks (a LinkedIn post is never replaced:
# OneAll cannot delete it).
_REPLACE_WARNINGS = {
    Network.TWITTER: "the tweet is deleted and posted again: its replies, reposts "
    "and likes are lost",
    Network.PINTEREST: "the pin is deleted and pinned again: its saves and comments "
    "are lost",
}


def replace_warning(action: Action) -> str:
    """What replacing this action's post loses, in its network's words."""
    return _REPLACE_WARNINGS.get(network_of(action.page_id), REPLACE_WARNING)


def unread_note(key: str) -> str:
    """Said once per target whose posts cannot be read back (statesync.targets)."""
    return (
        f"posts on {target_of(key)} cannot be read back through OneAll, so drift "
        "there cannot be seen; changes are found from the lockfile's recorded hashes."
    )


DRIFT_SUFFIX = "changed outside statesync"  # how one action's drift is named
# What the field named by ``forced_by`` did to the action, by the action's kind.
_FIELD_MARKS = {
    ActionKind.REPLACE: "forces replacement",
    ActionKind.IMPOSSIBLE: "makes this impossible",
}
# Actions whose ``before`` is the live post they leave (deleted, or left as it is).
SHOWS_LIVE_POST = frozenset({ActionKind.DELETE, ActionKind.FORGET})


def media_head(action: Action) -> tuple[str, str]:
    """A media action's name and facts: ``media/a.jpg`` and ``842 KB, image/jpeg``
    for an upload, ``media 1021..., image/jpeg`` for a delete or a forget."""
    media = action.media
    if media is None:  # pragma: no cover - the planner always sets it
        return str(action.address), ""
    facts = [human_size(media.size), media.mime] if media.mime else []
    if action.post_id:
        facts.insert(0, f"media {action.post_id}")
    if media.alt:
        facts.append("with alt text")
    name = media.shown
    if LABEL_SEPARATOR in action.address.manifest:  # one of a manifest's targets
        name += f" ({action.address.manifest})"
    return name, ", ".join(facts)


def page_lines(action: Action) -> list[str]:
    """A page-details action's fields: each change as ``old -> new``, each field no
    longer managed with the value it is left at (when read)."""
    change = action.page
    if change is None:  # pragma: no cover - the planner always sets it
        return []
    before = change.before
    lines = []
    for name in action.changed:
        old = "(not read)" if before is None else show(before.get(name))
        mark = field_mark(name, action)
        suffix = f"  # {mark}" if mark else ""
        lines.append(f"{name}: {old} -> {show(change.after.get(name))}{suffix}")
    for name in change.forgotten:
        left = "" if before is None else f" {show(before.get(name))}"
        lines.append(f"{name}:{left} (no longer managed; left as it is)")
    return lines


def field_mark(name: str, action: Action) -> str | None:
    """Terraform's ``# forces replacement``: why this field decides the action."""
    return _FIELD_MARKS.get(action.kind) if name == action.forced_by else None


def shown_fields(action: Action) -> list[str]:
    """The fields a table row lists: those a push sets, else those that change."""
    if not action.changed and action.after is not None:
        return present_fields(action.after)
    return list(action.changed)


def drift_sentence(drifted: tuple[int, int]) -> str:
    """The plan-level drift sentence after its ``Drift:`` label, from the counts of
    drifted posts and drifted pages' details; "" if none drifted."""
    posts, pages = drifted
    things = []
    if posts:
        things.append(f"{posts} post{'s' if posts != 1 else ''}")
    if pages:
        things.append(f"the details of {pages} page{'s' if pages != 1 else ''}")
    if not things:
        return ""
    return (
        f"{' and '.join(things)} changed outside statesync since the last apply; "
        "apply restores the manifests' content."
    )


def count_drifted(actions: tuple[Action, ...]) -> tuple[int, int]:
    """Drifted posts, and pages whose details drifted."""
    posts = sum(1 for action in actions if action.drift and not action.on_page)
    return posts, sum(1 for action in actions if action.drift and action.on_page)


def field_value(fields: PostFields | None, name: str) -> object:
    """A field as people read it: a file attachment by its path, not its ref."""
    if fields is None:
        return None
    if name == "attachments":
        return [shown_attachment(a) for a in fields.attachments]
    if name == "publish_at":  # not content: the action's time says it
        return None
    if name in POST_FLAGS:  # a flag not listed is off
        return dict(fields.flags).get(name, False)
    return fields.as_dict()[name]


_STATE_WORDS = {
    TimeStateKind.WAITING: "waiting until",
    TimeStateKind.SCHEDULED: "scheduled for",
    TimeStateKind.EXPIRES: "expires",
    TimeStateKind.EXPIRED: "expired",
}


def timeline_lines(plan: Plan) -> list[str]:
    """Each time-bound post's state, and when an apply next has work for it."""
    lines = []
    for state in plan.timeline:
        text = f"{state.address}: {_STATE_WORDS[state.state]} "
        text += shown_instant(state.at, plan.timezone)
        if state.state is TimeStateKind.WAITING and state.due_at is not None:
            verb = "schedules" if state.due_at < state.at else "publishes"
            text += f"; an apply from {utc_text(state.due_at)} {verb} it"
        lines.append(text)
    if plan.next_due_at is not None:
        lines.append(f"Next due: {utc_text(plan.next_due_at)}")
    return lines


def publish_change(action: Action, zone: str) -> str:
    """What an update does to a scheduled post's time."""
    if action.schedule is None:
        return "published now"
    return f"scheduled for {shown_instant(action.schedule, zone)}"


def present_fields(fields: PostFields) -> list[str]:
    """The fields a post sets, in POST_FIELDS order, then the flags it manages."""
    values = fields.as_dict()
    present = [name for name in POST_FIELDS if values[name] not in (None, [])]
    return present + [name for name, _ in fields.flags]


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


def deleted_lines(fields: PostFields) -> list[str]:
    """What a delete removes, one aligned ``name: value`` line per field set: the
    reviewer must recognise the post, not read it, so a message is cut to its first
    line."""
    values = {name: field_value(fields, name) for name in present_fields(fields)}
    shown = {name: show(values[name]) for name in present_fields(fields)}
    if "message" in shown:
        shown["message"] = message_excerpt(str(fields.message))
    width = max((len(name) for name in shown), default=0)
    return [f"{name + ':':<{width + 1}} {value}" for name, value in shown.items()]


_EXCERPT_LIMIT = 60


def message_excerpt(message: str) -> str:
    """A message's first non-blank line, quoted as ``show`` quotes, then what was left
    out outside the quotes (so a message that ends in "..." is not mistaken for a cut
    one): ``"Spring menu"... (+2 more lines)``."""
    lines = message_lines(message)
    first = next((line for line in lines if line.strip()), lines[0] if lines else "")
    text = show(first[:_EXCERPT_LIMIT])
    if len(first) > _EXCERPT_LIMIT:
        text += "..."
    more = len(lines) - 1
    if more > 0:
        text += f" (+{more} more line{'s' if more != 1 else ''})"
    return text


_SCOPE_SHOWN = 10  # manifest names a scope sentence lists before "and N more"


def scope_sentence(scope: tuple[str, ...]) -> str:
    """Which manifests a plan under ``--only`` covers, in one line: a plan that says
    "No changes." must not read as "the whole project is in sync"."""
    count = len(scope)
    if not count:
        return "--only covers no manifest."
    names = ", ".join(scope[:_SCOPE_SHOWN])
    if count > _SCOPE_SHOWN:
        names += f" and {count - _SCOPE_SHOWN} more"
    return f"--only covers {count} manifest{'s' if count != 1 else ''}: {names}."


def show(value: object) -> str:
    """A field value on one line: JSON, so quotes and newlines stay visible."""
    if value is None or value == []:
        return "(none)"
    return json.dumps(value, ensure_ascii=False)


UNKNOWN_OUTCOME = (
    "a push was sent but its answer was lost, and the page cannot be listed to find "
    "out whether it was published: nothing is planned for this post until resolved"
)
