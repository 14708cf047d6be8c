"""`statesync import` and `statesync pages`: adopt what a page already has, without
re-posting it.

A page's posts are listed through the project's reader (Graph, or OneAll's Pull API),
written into its manifest (kept as it was around them, statesync.import_yaml) and
recorded in the lockfile with their ids and field hashes, so the plan right after says
`No changes.`. A post statesync cannot model is listed and skipped, never half-imported;
a post the lockfile already records is left where it is.

``import ADDRESS POST_ID`` adopts one live post under a key that a manifest already
has (Terraform's import of one resource): the next plan shows only how the manifest
and that post differ.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from statesync.atomic import write_atomically
from statesync.connection import connect
from statesync.errors import ConfigError, StatesyncError
from statesync.import_yaml import (
    Imported,
    add_posts,
    existing_keys,
    make_key,
    new_manifest,
    skipped_reason,
)
from statesync.model import Record
from statesync.normalize import field_hashes
from statesync.project import Project, load_project, open_project
from statesync.providers.base import ScheduledLister
from statesync.targets import is_facebook, target_of


class AdoptError(StatesyncError):
    """An import that names nothing to import, or cannot read the page."""


@dataclass(slots=True)
class ImportReport:
    manifest: Path
    imported: list[Imported] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # "post id: why"
    text: str = ""  # the manifest as written (or, with dry_run, as it would be)


def import_page(
    root: Path,
    page_id: str,
    *,
    environ: Mapping[str, str],
    manifest: Path | None = None,
    since: datetime | None = None,
    limit: int | None = None,
    dry_run: bool = False,
    sandbox: bool | None = None,
) -> ImportReport:
    if not re.fullmatch(r"[0-9]+", page_id):
        raise AdoptError(f"{page_id!r} is not a page id (digits)")
    with open_project(root, allow_empty=True) as loaded:  # its first manifest, maybe
        path = _manifest_path(loaded, page_id, manifest)
        with connect(loaded, sandbox=sandbox, environ=environ) as connection:
            if connection.lister is None:
                raise AdoptError(
                    "this project reads no posts (oneall.read: none), so it cannot "
                    "list a page to import: configure a reader"
                )
            start = int(since.timestamp()) if since else 0
            scheduled = _scheduled(connection.lister, page_id)
            # The listing holds scheduled posts too (for recovery): skipped below.
            unpublished = {post_id for post_id, _ in scheduled}
            listed = [
                post
                for post in connection.lister.recent_posts(page_id, since=start)
                if post.post_id not in unpublished
            ]
        recorded = loaded.lock.pages.get(page_id)
        if recorded is not None and recorded.intents:
            # A push whose answer was lost may be among the page's posts: adopting it
            # under a new key would make recovery push it again.
            raise AdoptError(
                f"page {page_id} has {len(recorded.intents)} push(es) whose outcome "
                "is not settled yet; run `statesync plan` (or `statesync resolve`) "
                "first, then import"
            )
        known = {r.post_id for r in recorded.posts.values()} if recorded else set()
        text = path.read_text(encoding="utf-8") if path.exists() else None
        text = text if text is not None else new_manifest(page_id, None)
        taken = existing_keys(text) | (set(recorded.posts) if recorded else set())
        report = ImportReport(manifest=path)
        report.skipped.extend(
            f"{post_id}: a scheduled post ({_when(at)}); import adopts published "
            "posts only, so it is left as it is (to manage it, delete it and add it "
            "to the manifest with publish_at)"
            for post_id, at in scheduled
            if post_id not in known
        )
        for post in sorted(listed, key=lambda p: (p.created_time, p.post_id)):
            if post.post_id in known:
                continue
            why = skipped_reason(post.fields)
            if why:
                report.skipped.append(f"{post.post_id}: {why}")
                continue
            key = make_key(post.fields, post.created_time, taken)
            report.imported.append(Imported(key, post.post_id, post.fields))
            if limit is not None and len(report.imported) >= limit:
                break
        report.text = add_posts(text, report.imported) if report.imported else text
        if dry_run or not report.imported:
            return report
        # The manifest first, then the lockfile. A lockfile that cannot be written
        # puts the manifest back; only a kill between the two writes leaves posts
        # listed and unrecorded, which the next plan shows as pushes to review.
        before = path.read_text(encoding="utf-8") if path.exists() else None
        write_atomically(path, report.text)
        try:
            now = int(time.time())
            for item in report.imported:
                record = Record(item.post_id, field_hashes(item.fields), applied_at=now)
                loaded.lock.record(page_id, path.stem, item.key, record)
            loaded.lock.save()
        except Exception:
            if before is None:
                path.unlink(missing_ok=True)
            else:
                write_atomically(path, before)
            raise
        return report


def import_post(
    root: Path,
    address: str,
    post_id: str,
    *,
    environ: Mapping[str, str],
    sandbox: bool | None = None,
) -> str:
    """Adopt the live post ``post_id`` under ``address``, a post of a manifest."""
    manifest, _, key = address.partition("/")
    with open_project(root) as loaded:
        page = next(
            (p for p in loaded.desired.pages.values() if p.stem == manifest), None
        )
        if page is None or key not in page.posts:
            raise AdoptError(
                f"{address}: no manifest lists this post; write it in its manifest "
                "first, then import the live post under it"
            )
        if not is_facebook(page.page_id):  # no read path to see what it holds
            raise AdoptError(
                f"{address}: posts on {target_of(page.page_id)} cannot be read back "
                "through OneAll, so import cannot adopt them; a post pushed by "
                "statesync whose answer was lost is settled by `statesync resolve`"
            )
        recorded = loaded.lock.pages.get(page.page_id)
        if recorded is not None and key in recorded.posts:
            raise AdoptError(
                f"{address} already records post {recorded.posts[key].post_id}; "
                "`statesync state forget` it first to adopt another"
            )
        posts = recorded.posts if recorded is not None else {}
        owner = next((k for k, r in posts.items() if r.post_id == post_id), None)
        if owner is not None:  # one post under two addresses: deleting one kills both
            raise AdoptError(
                f"post {post_id} is already recorded as {page.stem}/{owner}; move it "
                f"with `statesync state mv {page.stem}/{owner} {address}` instead"
            )
        if not re.fullmatch(rf"{re.escape(page.page_id)}_[0-9]+", post_id):
            raise AdoptError(
                f"{post_id!r} is not a post of page {page.page_id} (ids look like "
                f"{page.page_id}_<digits>)"
            )
        with connect(loaded, sandbox=sandbox, environ=environ) as connection:
            if connection.reader is None:
                raise AdoptError("this project reads no posts: configure a reader")
            live = connection.reader.read(page.page_id, [post_id]).get(post_id)
        if live is None:
            raise AdoptError(f"post {post_id} does not exist on page {page.page_id}")
        record = Record(post_id, field_hashes(live), applied_at=int(time.time()))
        loaded.lock.record(page.page_id, page.stem, key, record)
        loaded.lock.save()
        return f"{address}: adopted post {post_id}; the next plan shows how it differs"


def _scheduled(lister: object, page_id: str) -> list[tuple[str, int | None]]:
    """The page's scheduled posts where the provider can list them (Graph)."""
    if isinstance(lister, ScheduledLister):
        return list(lister.scheduled_posts(page_id))
    return []


def _when(at: int | None) -> str:
    if at is None:
        return "publishing time not given"
    return f"publishing {datetime.fromtimestamp(at, UTC):%Y-%m-%d %H:%M} UTC"


@dataclass(frozen=True, slots=True)
class PageRow:
    page_id: str
    name: str | None
    tasks: tuple[str, ...] | None  # None: the API does not say
    manifest: str | None  # the manifest that manages it, if any


def list_pages(
    root: Path, *, environ: Mapping[str, str], sandbox: bool | None = None
) -> list[PageRow]:
    """The pages the credentials can act on, and which manifest manages each."""
    loaded = load_project(root, allow_empty=True)  # before the first import, too
    with connect(loaded, sandbox=sandbox, environ=environ) as connection:
        pages = connection.writer.pages()
    return [
        PageRow(
            page.page_id,
            page.name,
            None if page.tasks is None else tuple(sorted(page.tasks)),
            loaded.desired.pages[page.page_id].location.file
            if page.page_id in loaded.desired.pages
            else None,
        )
        for page in pages
    ]


def _manifest_path(loaded: Project, page_id: str, given: Path | None) -> Path:
    owner = loaded.desired.pages.get(page_id)
    if owner is not None:
        path = (Path.cwd() / owner.location.file).resolve()
        if given is not None and given.resolve() != path:
            raise ConfigError(
                f"page {page_id} is managed by {owner.location.file}: import into it "
                "(leave out --manifest)"
            )
        return path
    path = given or loaded.config.manifests / f"page-{page_id}.yaml"
    if path.exists():
        raise ConfigError(
            f"{path}: exists and manages no page {page_id}; name a new file with "
            "--manifest"
        )
    if path.resolve().parent != loaded.config.manifests.resolve():
        raise ConfigError(
            f"{path}: a manifest must be in the manifests directory "
            f"({loaded.config.manifests})"
        )
    return path


def parse_since(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise AdoptError(
            f"--since {text!r} is not a date (2026-01-31 or 2026-01-31T08:00:00+00:00)"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
