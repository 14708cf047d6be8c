"""The markdown rendering of a plan, for a pull-request comment or a job summary.

Layout: a heading with the summary line, the scope of a plan under ``--only``, the
no-reader note, the drift sentence, a table with one row per action, then one detail
section per action that has something to show (the new post of a push, the changes of
an update or replace, the live post a delete removes, a note).

Everything that comes from a project or the API (addresses, ids, notes, post content) is
untrusted. Post content only ever appears inside fenced code blocks, whose fence is
longer than the longest backtick run of what it holds, so nothing can close it early;
GitHub renders code blocks as text, without HTML, mentions or issue links. Every other
untrusted string goes through ``_escape``: one line, HTML's ``& < >`` as entities,
markdown's punctuation backslash-escaped, and a zero-width joiner after ``@`` and ``#``
(and inside ``GH-``), so that no one is mentioned and no issue is linked.

An uploaded image is shown as a picture when ``media_url`` is given (the reusable
workflow passes the repository's raw files at the pull request's head commit): its
URL is that base and the file's percent-encoded path, its alt text escaped; without
it, the plan names the path only.

The rendering stays within ``limit`` characters (GitHub refuses a comment over 65,536):
detail sections are left out from the end first, then table rows, and a closing note
says how many actions were left out and where the full plan is.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import accumulate
from urllib.parse import quote

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
    message_lines,
    page_lines,
    present_fields,
    publish_change,
    replace_warning,
    scope_sentence,
    show,
    shown_fields,
    timeline_lines,
    unread_note,
)
from statesync.targets import target_of

__all__ = ["GITHUB_COMMENT_LIMIT", "render_markdown"]

GITHUB_COMMENT_LIMIT = 65_536
_FOLD_LINES = 15  # code blocks longer than this are folded in <details>
_ZWJ = "\u200d"
_LINE_BREAK = re.compile(r"[\r\n\x0b\x0c\x1c-\x1e\x85\u2028\u2029]+")
_GH_REFERENCE = re.compile(r"(gh)(?=-[0-9])", re.IGNORECASE)
_BACKTICK_RUN = re.compile(r"`+")
# Markdown punctuation that can start emphasis, code, links, strikethrough, math,
# a table cell or a heading; backslash-escaping any ASCII punctuation is CommonMark.
_BACKSLASHED = frozenset("\\`*_[]|~$")
_REPLACEMENTS = {
    "&": "&amp;",
    "<": "&lt;",
    ">": "&gt;",
    "@": "@" + _ZWJ,  # "@\u200duser" is no mention: GitHub needs a name after "@"
    "#": "\\#" + _ZWJ,  # likewise no "#123" issue link
}
_TABLE_HEAD = (
    "| Action | Address | Page id | Post id | Changed fields |\n"
    "| --- | --- | --- | --- | --- |"
)


def render_markdown(
    plan: Plan,
    *,
    limit: int = GITHUB_COMMENT_LIMIT,
    full_plan_hint: str | None = None,
    media_url: str | None = None,
) -> str:
    """The plan as GitHub-flavoured markdown, at most ``limit`` characters long.

    ``media_url``: the base URL of the project's files (``<base>/<path>``), so that
    each image to upload is shown; None: their paths only.

    ``full_plan_hint`` is trusted markdown, appended to the truncation note to say
    where the whole plan can be read (e.g. "The full plan is in the job summary.").
    """
    head = [f"## {_escape(plan.summary())}"]
    if plan.scope is not None:
        head.append(f"> **Scope:** {_escape(scope_sentence(plan.scope))}")
    if not plan.reads_live:
        head.append(f"> **Note:** {_escape(NO_READER_NOTE)}")
    for key in plan.unread:
        head.append(f"> **Note:** {_escape(unread_note(key))}")
    drift = drift_sentence(count_drifted(plan.actions))
    if drift:
        head.append(f"> **Drift:** {_escape(drift)}")
    for unknown in plan.unknown:
        published, nothing = unknown.resolve_commands()
        head.append(
            f"> **Unknown outcome:** {_code_span(str(unknown.address))}: "
            f"{_escape(UNKNOWN_OUTCOME)}; check "
            f"{_escape(str(target_of(unknown.page_id)))} for the post, then run "
            f"{_code_span(published)} if it was published, or {_code_span(nothing)} "
            "if it was not"
        )
    timeline = timeline_lines(plan)
    if timeline:
        head.append("**Time:**\n\n" + "\n".join(f"- {_escape(t)}" for t in timeline))
    if not plan.actions:
        return _join(head)
    rows = [_row(action) for action in plan.actions]
    details = [
        d for d in (_details(a, media_url, plan.timezone) for a in plan.actions) if d
    ]
    return _fit(head, rows, details, limit, full_plan_hint)


def _fit(
    head: list[str],
    rows: list[str],
    details: list[str],
    limit: int,
    hint: str | None,
) -> str:
    """Drop detail sections from the end, then table rows, until the text fits.

    Lengths are summed rather than re-joined, so a plan of thousands of actions costs
    one pass: a block adds its length plus the two newlines that separate it.
    """
    whole = _join([*head, _table(rows), *details])
    if len(whole) <= limit:
        return whole
    total = len(rows)
    head_len = sum(len(block) + 2 for block in head)
    row_len = [0, *accumulate(len(row) + 1 for row in rows)]
    detail_len = [0, *accumulate(len(block) + 2 for block in details)]
    for kept in range(len(details) - 1, -1, -1):
        note = _truncation_note(len(details) - kept, 0, total, limit, hint)
        size = head_len + len(_TABLE_HEAD) + row_len[-1] + 2 + detail_len[kept]
        if size + len(note) + 1 <= limit:
            return _join([*head, _table(rows), *details[:kept], note])
    for kept in range(total - 1, -1, -1):
        note = _truncation_note(len(details), total - kept, total, limit, hint)
        size = head_len + len(_TABLE_HEAD) + row_len[kept] + 2
        if size + len(note) + 1 <= limit:
            return _join([*head, _table(rows[:kept]), note])
    raise ValueError(f"a limit of {limit} characters cannot hold even the summary")


def _truncation_note(
    details_cut: int, rows_cut: int, total: int, limit: int, hint: str | None
) -> str:
    if rows_cut:
        what = (
            f"{rows_cut} of {total} action{_s(total)} {_are(rows_cut)} left out of "
            "the table, and no action's details are shown."
        )
    else:
        what = (
            f"{details_cut} of {total} action{_s(total)} {_are(details_cut)} in "
            "the table only, without their details."
        )
    where = hint if hint is not None else "Run `statesync plan` for the full plan."
    return (
        f"> **Truncated** to stay under the {limit:,}-character limit: {what} {where}"
    )


def _s(count: int) -> str:
    return "" if count == 1 else "s"


def _are(count: int) -> str:
    return "is" if count == 1 else "are"


def _join(blocks: Sequence[str]) -> str:
    return "\n\n".join(blocks) + "\n"


def _table(rows: Sequence[str]) -> str:
    return "\n".join([_TABLE_HEAD, *rows])


def _media_row(action: Action) -> str:
    name, about = media_head(action)
    cells = [
        f"`{SYMBOLS[action.kind]}` {action.kind.value} media",
        _escape(name),
        _escape(action.page_id),
        "(new)" if action.kind is ActionKind.UPLOAD else _escape(action.post_id or ""),
        _escape(about),
    ]
    return "| " + " | ".join(cells) + " |"


def _media_details(action: Action, media_url: str | None) -> str:
    """An image to upload, as a picture linked to its file; a note otherwise."""
    media = action.media
    body = []
    if action.note:
        body.append(f"Note: {_escape(action.note)}")
    is_image = media is not None and not media.is_video
    if media_url and media and is_image and action.kind is ActionKind.UPLOAD:
        url = f"{media_url.rstrip('/')}/{quote(media.shown, safe='/')}"
        alt = _escape(media.alt or media.shown)
        body.append(f"[![{alt}]({url})]({url})")
    if not body or media is None:
        return ""
    heading = (
        f"### `{SYMBOLS[action.kind]}` {_escape(media.shown)}: {action.kind.value}"
    )
    return "\n\n".join([heading, *body])


def _row(action: Action) -> str:
    if action.on_media:
        return _media_row(action)
    if action.on_page:
        kind = action.kind.value + (", drift" if action.drift else "")
        names = [*action.changed, *(action.page.forgotten if action.page else ())]
        cells = [
            f"`{SYMBOLS[action.kind]}` {kind}",
            _escape(action.name),
            _escape(action.page_id),
            "",
            ", ".join(_field_label(name, action) for name in names),
        ]
        return "| " + " | ".join(cells) + " |"
    kind = action.kind.value
    if action.kind in (ActionKind.REPLACE, ActionKind.IMPOSSIBLE):
        kind = f"**{kind}**"
    if action.drift:
        kind += ", drift"
    is_new = action.kind is ActionKind.PUSH or action.post_id is None
    post = "(new)" if is_new else _escape(action.post_id or "")
    fields = [_field_label(name, action) for name in shown_fields(action)]
    address = str(action.address)
    if action.moved_from is not None:
        address = f"{action.moved_from} -> {address}"
    cells = [
        f"`{SYMBOLS[action.kind]}` {kind}",
        _escape(address),
        _escape(action.page_id),
        post,
        ", ".join(fields),
    ]
    return "| " + " | ".join(cells) + " |"


def _field_label(name: str, action: Action) -> str:
    mark = field_mark(name, action)
    return f"{_escape(name)} ({mark})" if mark else _escape(name)


def _details(action: Action, media_url: str | None, zone: str) -> str:
    """The action's detail section, or "" when the table row says it all."""
    if action.on_media:
        return _media_details(action, media_url)
    if action.on_page:
        heading = f"### `{SYMBOLS[action.kind]}` {_escape(action.name)}"
        notes = [f"Note: {_escape(action.note)}"] if action.note else []
        return "\n\n".join(
            [heading, *notes, *_code_section("", page_lines(action), "")]
        )
    body: list[str] = []
    if action.note:
        body.append(f"Note: {_escape(action.note)}")
    if action.schedule is not None and "publish_at" not in action.changed:
        body.append(f"Note: {_escape(publish_change(action, zone))}")
    if action.changed:  # an update or a replace, or an edit that is impossible
        body.extend(_changes(action, zone))
    elif action.after is not None:  # a push, or one that is impossible
        body.extend(_new_post(action.after))
    elif action.kind in SHOWS_LIVE_POST and action.before is not None:
        body.extend(_deleted_post(action.before))
    if not body:
        return ""
    facts = []
    if action.post_id and action.kind is not ActionKind.PUSH:
        facts.append(f"post {action.post_id}")
    if action.drift:
        facts.append(f"drift: {DRIFT_SUFFIX}")
    title = f"{action.address}: {action.kind.value}"
    if facts:
        title += f" ({', '.join(facts)})"
    heading = f"### `{SYMBOLS[action.kind]}` {_escape(title)}"
    return "\n\n".join([heading, *body])


def _new_post(fields: PostFields) -> list[str]:
    blocks = []
    values = {name: field_value(fields, name) for name in present_fields(fields)}
    if fields.message is not None:
        blocks.extend(_code_section("**message**", message_lines(fields.message), ""))
    others = [name for name in present_fields(fields) if name != "message"]
    if others:
        width = max(len(name) for name in others)
        lines = [f"{name + ':':<{width + 1}} {show(values[name])}" for name in others]
        blocks.extend(_code_section("", lines, ""))
    return blocks


def _deleted_post(fields: PostFields) -> list[str]:
    """The live post a delete removes, in a code block: it is post content."""
    lines = deleted_lines(fields)
    return _code_section("**live post**", lines, "") if lines else []


def _changes(action: Action, zone: str) -> list[str]:
    blocks = []
    is_read = action.before is not None
    others: list[str] = []
    for name in action.changed:
        old = field_value(action.before, name)
        new = field_value(action.after, name)
        if name == "publish_at":  # the time of a scheduled post, not its content
            others.append(f"+publish_at: {publish_change(action, zone)}")
            continue
        if name == "message":
            label = _change_label(name, action)
            if not is_read:
                lines = message_lines(new)
                blocks.extend(_code_section(f"{label}, live not read", lines, ""))
                continue
            # A diff of lines cannot show a change of line endings or trailing
            # newlines: fall back to the values themselves.
            lines = message_diff(old, new) or [f"-{show(old)}", f"+{show(new)}"]
            blocks.extend(_code_section(label, lines, "diff"))
        else:
            if is_read:
                others.append(f"-{name}: {show(old)}")
            others.append(f"+{name}: {show(new)}")
    if others:
        labels = [_change_label(n, action) for n in action.changed if n != "message"]
        label = ", ".join(labels) + ("" if is_read else ", live not read")
        blocks.extend(_code_section(label, others, "diff"))
    if action.kind is ActionKind.REPLACE:
        cause = f" (forced by {_escape(action.forced_by)})" if action.forced_by else ""
        blocks.append(
            f"> **Warning:** this is a replace{cause}: "
            f"{_escape(replace_warning(action))}."
        )
    return blocks


def _change_label(name: str, action: Action) -> str:
    mark = field_mark(name, action)
    label = f"**{_escape(name)}**"
    return f"{label} ({mark})" if mark else label


def _code_section(label: str, lines: list[str], language: str) -> list[str]:
    """A label and a fenced code block; folded in <details> when it is long."""
    block = _code_block(lines, language)
    if len(lines) > _FOLD_LINES:
        # The summary is inside an HTML block, where backslash escapes do not apply:
        # it holds only a count and a trusted word.
        summary = f"{len(lines)}-line {'diff' if language == 'diff' else 'message'}"
        folded = f"<details><summary>{summary}</summary>\n\n{block}\n\n</details>"
        return [label, folded] if label else [folded]
    return [label, block] if label else [block]


def _code_block(lines: list[str], language: str) -> str:
    """A fenced block no line of ``lines`` can close: its fence is longer than any
    backtick run in them (an indented ``` line closes a three-backtick fence)."""
    text = "\n".join(lines)
    longest = max((len(run) for run in _BACKTICK_RUN.findall(text)), default=0)
    fence = "`" * max(3, longest + 1)
    if not lines:
        return f"{fence}{language}\n{fence}"
    return f"{fence}{language}\n{text}\n{fence}"


def _code_span(text: str) -> str:
    """Text as one inline code span, copied exactly as written (no mention, no
    escape): its fence is one backtick longer than any run inside it."""
    text = _LINE_BREAK.sub(" ", text)
    fence = "`" * (
        max((len(run) for run in _BACKTICK_RUN.findall(text)), default=0) + 1
    )
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _escape(text: str) -> str:
    """Untrusted text made inert on one line of markdown outside a code block."""
    text = _LINE_BREAK.sub(" ", text)
    text = _GH_REFERENCE.sub(lambda match: match.group(1) + _ZWJ, text)
    out = []
    for char in text:
        if char in _REPLACEMENTS:
            out.append(_REPLACEMENTS[char])
        elif char in _BACKSLASHED:
            out.append("\\" + char)
        else:
            out.append(char)
    return "".join(out)
