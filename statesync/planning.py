"""Plan a loaded, connected project: settle lost pushes, check access, read the
live posts the plan needs, and make the plan.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

from statesync.connection import Connection
from statesync.errors import PageAccessError
from statesync.kinds import Kind
from statesync.model import PostFields
from statesync.move_plan import plan_moves
from statesync.plan import Plan
from statesync.planner import Live, make_plan
from statesync.progress import ProgressFactory, no_progress
from statesync.project import Project
from statesync.providers.base import Access, Reader, Writer
from statesync.providers.oneall_errors import PullRefused
from statesync.recovery import Settled, recover

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Planned:
    plan: Plan
    live: Live | None  # what the plan was made from, for a saved plan's guards
    settled: tuple[Settled, ...] = ()  # lost pushes recovery adopted or cleared
    access_unchecked: bool = False  # the writer cannot check access beforehand


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
    moves = plan_moves(project.desired, project.recorded())  # before any read
    recorded = moves.recorded
    in_scope = set(project.desired.pages) | set(recorded)
    if connection.reader is not None:
        _preflight(project, connection.reader, dict.fromkeys(in_scope, "read"))
    # Every recorded post in scope: kept ones to diff, dropped ones to show what a
    # delete deletes.
    wanted = {
        page_id: [record.post_id for _, record in sorted(page.posts.items())]
        for page_id, page in recorded.items()
    }
    live = read_posts(
        connection.reader, wanted, parallelism=parallelism, progress=progress
    )
    capabilities = connection.writer.capabilities
    plan = make_plan(
        project.desired,
        recorded,
        live,
        capabilities[Kind.POST],
        media=capabilities.get(Kind.MEDIA),
    )
    plan = replace(plan, actions=moves.actions + plan.actions)
    unchecked = check_writes(project, connection, plan)
    return Planned(
        plan=replace(plan, scope=project.scope_names),
        live=live,
        settled=tuple(settled),
        access_unchecked=unchecked,
    )


def check_writes(project: Project, connection: Connection, plan: Plan) -> bool:
    """Every page the plan writes to must be writable with these credentials, checked
    before the first write (plan, and apply of a saved plan). True when the writer
    cannot tell beforehand."""
    writes: dict[str, Access] = {action.page_id: "write" for action in plan.actions}
    return _preflight(project, connection.writer, writes)


def check_online(project: Project, connection: Connection) -> tuple[int, bool]:
    """``validate --online``: every page the project names (in its manifests or its
    lockfile) checked against the credentials, as a plan would before reading or
    writing, with nothing else read or sent. The number of pages, and True when the
    writer cannot tell beforehand whether it may write."""
    pages = set(project.desired.pages) | set(project.recorded())
    if connection.reader is not None:
        _preflight(project, connection.reader, dict.fromkeys(pages, "read"))
    unchecked = _preflight(project, connection.writer, dict.fromkeys(pages, "write"))
    return len(pages), unchecked


def _preflight(
    project: Project, provider: Reader | Writer, pages: Mapping[str, Access]
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
            [(_page_where(project, page_id), why) for page_id, why in problems.items()]
        )
    return False


def _page_where(project: Project, page_id: str) -> str:
    """How a message names a page: its manifest file and stem, or its lockfile entry."""
    page = project.desired.pages.get(page_id)
    if page is not None:
        return f"{page.location.file}: page {page_id} ({page.stem})"
    recorded = project.lock.pages.get(page_id)
    stem = recorded.manifest if recorded else "?"
    return f"page {page_id} ({stem}, in the lockfile)"


def settle(
    project: Project, connection: Connection, *, save: bool = True
) -> list[Settled]:
    """Settle the pushes an interrupted run left as intents (statesync.recovery)."""
    settled = recover(project.lock, connection.lister, project.scope)
    if settled and save:
        project.lock.save()
    return settled


def read_touched(
    plan: Plan, reader: Reader | None, *, parallelism: int = 1
) -> Live | None:
    """Live fields of every post a plan acts on, to check a saved plan is not stale."""
    wanted: dict[str, list[str]] = {}
    for action in plan.actions:
        if action.post_id and not action.on_media:  # a media id is not a post
            wanted.setdefault(action.page_id, []).append(action.post_id)
    return read_posts(reader, wanted, parallelism=parallelism)
