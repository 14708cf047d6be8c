"""Plan a loaded, connected project: settle lost pushes, check access, read the
live posts the plan needs, and make the plan.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

from statesync.connection import Connection
from statesync.errors import ConfigError, ManifestError, PageAccessError
from statesync.kinds import Kind
from statesync.model import PostFields, RecordedPage
from statesync.move_plan import plan_moves
from statesync.page_plan import (
    LiveDetails,
    plan_page_details,
    settled_hashes,
    wanted_fields,
)
from statesync.plan import ActionKind, Plan
from statesync.planner import Live
from statesync.progress import ProgressFactory, no_progress
from statesync.project import Project
from statesync.providers.base import Access, PageEditor, Reader, Writer
from statesync.providers.oneall_errors import PullRefused
from statesync.recovery import Settled, recover
from statesync.target_plan import plan_targets
from statesync.targets import is_facebook

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Planned:
    plan: Plan
    live: Live | None  # what the plan was made from, for a saved plan's guards
    settled: tuple[Settled, ...] = ()  # lost pushes recovery adopted or cleared
    access_unchecked: bool = False  # the writer cannot check access beforehand
    details: LiveDetails | None = None  # the pages' live details the plan compared


def read_posts(
    reader: Reader | None,
    wanted: Mapping[str, Sequence[str]],
    *,
    parallelism: int = 1,
    progress: ProgressFactory = no_progress,
) -> Live | None:
    """Live fields of ``{page id: [post ids]}``; None when there is no way to read.

    Reads go in chunks of the reader's ``read_chunk`` ids (for Graph, one batch
    request each), up to ``parallelism`` in flight. A Pull API that refuses to read is not an error: the
    plan is then made from the recorded hashes, and says that drift cannot be seen.
    """
    if reader is None:
        return None
    size = reader.read_chunk
    chunks = [
        (page_id, list(ids[start : start + (size or len(ids))]))
        for page_id, ids in sorted(wanted.items())
        for start in range(0, len(ids), size or max(1, len(ids)))
    ]
    live: dict[str, PostFields | None] = {}
    total = sum(len(ids) for _, ids in chunks)
    try:
        workers = max(1, min(parallelism, len(chunks)))
        with (
            progress("Reading live posts", total) as advance,
            ThreadPoolExecutor(max_workers=workers) as pool,
        ):
            for result in pool.map(lambda chunk: reader.read(*chunk), chunks):
                live.update(result)
                advance(len(result))
    except PullRefused as exc:
        log.warning("cannot read live posts, planning without them: %s", exc)
        return None
    return live


def plan_project(
    project: Project,
    connection: Connection,
    *,
    save_recovery: bool = False,
    parallelism: int = 1,
    progress: ProgressFactory = no_progress,
) -> Planned:
    """Settle lost pushes, read every recorded post the manifests still want, plan.

    Recovery changes the lockfile in memory; apply (``save_recovery``) writes it at
    once, so that an adopted post is recorded even if nothing else happens.
    """
    # A busy project's pending pushes may be in flight right now: not ours to settle.
    settled = [] if project.busy else settle(project, connection, save=save_recovery)
    if save_recovery and not project.busy:
        forget_stale_expiries(project)
    moves = plan_moves(project.desired, project.recorded())  # before any read
    recorded = moves.recorded
    in_scope = set(project.desired.pages) | set(recorded)
    readable = {key for key in in_scope if _readable(connection, key)}
    if connection.reader is not None:
        _preflight(project, connection.reader, dict.fromkeys(readable, "read"))
    details = read_details(
        project, connection, wanted_fields(project.desired, recorded), parallelism
    )
    if save_recovery and details:  # apply: fields already as wanted get recorded
        _record_settled(project, settled_hashes(project.desired, recorded, details))
    # Every recorded post in scope: kept ones to diff, dropped ones to show what a
    # delete deletes.
    wanted = {
        page_id: [record.post_id for _, record in sorted(page.posts.items())]
        for page_id, page in recorded.items()
        if page_id in readable
    }
    _flags_writer(project, connection)
    live = read_posts(
        connection.reader, wanted, parallelism=parallelism, progress=progress
    )
    if live is not None and connection.reader and not connection.reader.reads_flags:
        live = recorded_flags(live, recorded)
    plan = plan_targets(
        project.desired,
        recorded,
        live,
        connection.writer.capabilities_for,
        now=connection.clock(),
    )
    editing = connection.editor.capabilities if connection.editor else {}
    pages = plan_page_details(
        project.desired, recorded, details, editing.get(Kind.PAGE)
    )
    plan = replace(plan, actions=moves.actions + tuple(pages) + plan.actions)
    unchecked = check_writes(project, connection, plan)
    return Planned(
        plan=replace(plan, scope=project.scope_names, timezone=project.config.timezone),
        live=live,
        settled=tuple(settled),
        access_unchecked=unchecked,
        details=details,
    )


def _readable(connection: Connection, key: str) -> bool:
    """Whether a target's posts can be read back: a Facebook page can (through the
    Graph API or OneAll's Pull API); the other networks cannot through OneAll."""
    return is_facebook(key) and connection.writer.capabilities_for(key)[Kind.POST].read


def _record_settled(project: Project, settled: Mapping[str, Mapping[str, str]]) -> None:
    for page_id, hashes in settled.items():
        project.lock.record_details(
            page_id, project.desired.pages[page_id].stem, hashes
        )
    if settled:
        project.lock.save()


def read_details(
    project: Project,
    connection: Connection,
    wanted: Mapping[str, Sequence[str]],
    parallelism: int = 1,
) -> LiveDetails | None:
    """The live values of the pages' managed details and settings, after checking
    that the credentials hold MANAGE on each page whose manifest manages some
    (seed 004): refused at plan time, with nothing sent, never halfway through an
    apply. None when nothing is managed."""
    if not wanted:
        return None
    editor = _editor(project, connection)
    _preflight(project, editor, dict.fromkeys(wanted, "manage"))
    pages = sorted(wanted)
    workers = max(1, min(parallelism, len(pages)))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        values = pool.map(lambda page: editor.read_details(page, wanted[page]), pages)
        return dict(zip(pages, values, strict=True))


def _flags_writer(project: Project, connection: Connection) -> None:
    """Pinned and hidden are set through the Graph API: refused before anything is
    read or sent in a project without a Graph token (OneAll cannot set them)."""
    if connection.editor is not None:
        return
    flagged = [post for post in project.desired.posts() if post.fields.flags]
    if flagged:
        token_env = project.config.graph.token_env
        raise ManifestError(
            [
                (
                    post.location,
                    f"post {post.address.key!r} sets pinned or hidden, which the "
                    "OneAll APIs cannot: statesync sets them through the Graph API; "
                    f"export a Graph token in {token_env}",
                )
                for post in flagged
            ]
        )


def recorded_flags(live: Live, recorded: Mapping[str, RecordedPage]) -> Live:
    """Live posts read without their flags (the Pull API) take the flags last
    applied: managed flags are then planned from the lockfile, as with no reader."""
    flags = {
        record.post_id: tuple(sorted((n, on) for n, on in record.flags.items() if on))
        for page in recorded.values()
        for record in page.posts.values()
        if record.flags
    }
    if not flags:
        return live
    return {
        post_id: replace(fields, flags=flags[post_id])
        if fields is not None and post_id in flags
        else fields
        for post_id, fields in live.items()
    }


def _editor(project: Project, connection: Connection) -> PageEditor:
    """The Graph provider, which alone can write page details; refused before
    anything is sent in a project without a Graph token."""
    if connection.editor is not None:
        return connection.editor
    token_env = project.config.graph.token_env
    why = (
        "details and settings are written through the Graph API (OneAll has no "
        f"page-details API): export a Graph token in {token_env} whose user holds "
        "the MANAGE task on the page"
    )
    lines = [
        next(iter(page.details.lines.values()))
        for page in project.desired.pages.values()
        if page.details.lines
    ]
    if not lines:  # pragma: no cover - only pages that manage details get here
        raise ConfigError(why)
    raise ManifestError([(line, why) for line in lines])


def check_writes(project: Project, connection: Connection, plan: Plan) -> bool:
    """Every page the plan writes to must be writable with these credentials, checked
    before the first write (plan, and apply of a saved plan): posts and media need
    the writer's access, a page's details MANAGE. True when the writer cannot tell
    beforehand."""
    writes: dict[str, Access] = {
        action.page_id: "write" for action in plan.actions if not action.on_page
    }
    manages: dict[str, Access] = {
        action.page_id: "manage"
        for action in plan.actions
        if action.on_page and action.kind is ActionKind.UPDATE
    }
    if manages:
        _preflight(project, _editor(project, connection), manages)
    return _preflight(project, connection.writer, writes)


def check_online(project: Project, connection: Connection) -> tuple[int, bool]:
    """``validate --online``: every page the project names (in its manifests or its
    lockfile) checked against the credentials, as a plan would before reading or
    writing, with nothing else read or sent. The number of pages, and True when the
    writer cannot tell beforehand whether it may write."""
    pages = set(project.desired.pages) | set(project.recorded())
    _flags_writer(project, connection)
    if connection.reader is not None:
        readable = {key for key in pages if _readable(connection, key)}
        _preflight(project, connection.reader, dict.fromkeys(readable, "read"))
    unchecked = _preflight(project, connection.writer, dict.fromkeys(pages, "write"))
    managed = [p for p, m in project.desired.pages.items() if m.details.values]
    if managed:
        editor = _editor(project, connection)
        _preflight(project, editor, dict.fromkeys(managed, "manage"))
    return len(pages), unchecked


def _preflight(
    project: Project,
    provider: Reader | Writer | PageEditor,
    pages: Mapping[str, Access],
) -> bool:
    """Refuse, before anything is written, pages the credentials cannot act on:
    a plan that says "3 to push" must not fail halfway through its apply. True when
    the provider cannot tell beforehand."""
    if not pages:
        return False
    problems = provider.check_access(pages)
    if problems is None:
        return True
    if problems:
        raise PageAccessError(
            [
                (
                    _page_where(project, page_id),
                    why + _needed_by(project, page_id, pages),
                )
                for page_id, why in problems.items()
            ]
        )
    return False


def _needed_by(project: Project, page_id: str, pages: Mapping[str, Access]) -> str:
    """The manifest entries that need the missing task, for the page's message."""
    manifest = project.desired.pages.get(page_id)
    if manifest is None:
        return ""
    if pages.get(page_id) == "manage":
        lines = manifest.details.lines
        names = ", ".join(f"{name} ({lines[name]})" for name in sorted(lines))
        return f"; needed by {names}"
    count = len(manifest.posts)
    return f"; needed by its {count} post{'s' if count != 1 else ''}" if count else ""


def _page_where(project: Project, page_id: str) -> str:
    """How a message names a page: its manifest file and stem, or its lockfile entry."""
    page = project.desired.pages.get(page_id)
    if page is not None:
        return f"{page.location.file}: page {page_id} ({page.stem})"
    recorded = project.lock.pages.get(page_id)
    stem = recorded.manifest if recorded else "?"
    return f"page {page_id} ({stem}, in the lockfile)"


def forget_stale_expiries(project: Project) -> None:
    """An expired post whose key the manifests no longer name is forgotten quietly
    (before an apply): nothing of it is left on the page to manage."""
    changed = False
    for page_id, page in project.recorded().items():
        manifest = project.desired.pages.get(page_id)
        for key in list(page.expired):
            if manifest is None or key not in manifest.posts:
                project.lock.record_expired(page_id, page.manifest, key, None)
                changed = True
    if changed:
        project.lock.save()


def settle(
    project: Project, connection: Connection, *, save: bool = True
) -> list[Settled]:
    """Settle the pushes an interrupted run left as intents (statesync.recovery)."""
    settled = recover(
        project.lock, connection.lister, project.scope, clock=connection.clock
    )
    if settled and save:
        project.lock.save()
    return settled


def read_touched(
    plan: Plan, reader: Reader | None, *, parallelism: int = 1
) -> Live | None:
    """Live fields of every post a plan acts on, to check a saved plan is not stale."""
    wanted: dict[str, list[str]] = {}
    for action in plan.actions:
        # a media id is not a post; another network's post is not read
        if action.post_id and action.on_post and is_facebook(action.page_id):
            wanted.setdefault(action.page_id, []).append(action.post_id)
    return read_posts(reader, wanted, parallelism=parallelism)


def read_touched_details(
    plan: Plan, project: Project, connection: Connection
) -> LiveDetails | None:
    """Live details of every page whose details a saved plan changes."""
    pages = {action.page_id for action in plan.actions if action.on_page}
    if not pages:
        return None
    wanted = wanted_fields(project.desired, project.recorded())
    return read_details(
        project, connection, {p: n for p, n in wanted.items() if p in pages}
    )
