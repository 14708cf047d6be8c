"""Adoption commands: `statesync pages` and `statesync import` (statesync.importer),
and `statesync state
list | show | forget | mv` (statesync.state): the lockfile by address.

Each takes the project with ``-C DIR`` (as ``git -C``), since ids and addresses fill
the positional arguments.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import click

from statesync.cli_options import reported, sandbox_option

project_option = click.option(
    "-C",
    "--project",
    default=".",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="The project directory.",
)


rows_format_option = click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    help="text: one row per line, tab-separated; json: a list of objects.",
)


@click.group("state")
def state_group() -> None:
    """Read and edit the lockfile by address; nothing is sent to a page."""


@state_group.command("list")
@click.argument("glob", required=False)
@project_option
@rows_format_option
def list_command(glob: str | None, project: Path, output_format: str) -> None:
    """The recorded posts, one per line; GLOB filters addresses (acme-*/*)."""
    from statesync.state import state_list

    with reported():
        found = state_list(project, glob)
    if output_format == "json":
        rows = [
            {
                "address": str(e.address),
                "post_id": e.post_id,
                "page_id": e.page_id,
                "media": list(e.media),
            }
            for e in found
        ]
        click.echo(json.dumps(rows, indent=2))
        return
    for entry in found:
        post = entry.post_id or "(push pending)"
        click.echo(f"{entry.address}\t{post}\t{entry.page_id}")


@state_group.command("show")
@click.argument("address")
@project_option
def show_command(address: str, project: Path) -> None:
    """One recorded post: its id, permalink, page, files and field hashes."""
    from statesync.state import state_show

    with reported():
        entry = state_show(project, address)
    click.echo(f"address:   {entry.address}")
    click.echo(f"post id:   {entry.post_id or '(push pending: resolve it)'}")
    if entry.permalink:
        click.echo(f"permalink: {entry.permalink}")
    click.echo(f"page:      {entry.page_id}")
    if entry.media:
        click.echo(f"files:     {', '.join(entry.media)}")
    if entry.applied_at is not None:
        from datetime import UTC, datetime

        when = datetime.fromtimestamp(entry.applied_at, UTC)
        click.echo(f"applied:   {when:%Y-%m-%d %H:%M:%S} UTC")
    click.echo("recorded field hashes (of the content last applied):")
    for name, digest in sorted(entry.hashes.items()):
        click.echo(f"  {name}: {digest}")


@state_group.command("forget")
@click.argument("addresses", nargs=-1, required=True)
@project_option
def forget_command(addresses: tuple[str, ...], project: Path) -> None:
    """Stop managing posts: they stay live, the lockfile forgets them. Remove them
    from their manifest first, or the next apply would push them again."""
    from statesync.state import state_forget

    with reported():
        for line in state_forget(project, addresses):
            click.echo(line)


@state_group.command("mv")
@click.argument("old")
@click.argument("new")
@project_option
def mv_command(old: str, new: str, project: Path) -> None:
    """Rename a recorded post's address (same page): it keeps its id and likes.
    Rename its key in the manifest too."""
    from statesync.state import state_mv

    with reported():
        click.echo(state_mv(project, old, new))


@click.command("import")
@click.argument("target")
@click.argument("post_id", required=False)
@project_option
@click.option(
    "--manifest",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The manifest to write (default: the page's, or pages/page-<id>.yaml).",
)
@click.option("--since", help="Only posts created since this date (2026-01-31).")
@click.option("--limit", type=click.IntRange(min=1), help="At most this many posts.")
@click.option("--dry-run", is_flag=True, help="Print the manifest; change nothing.")
@sandbox_option
def import_command(
    target: str,
    post_id: str | None,
    project: Path,
    manifest: Path | None,
    since: str | None,
    limit: int | None,
    dry_run: bool,
    sandbox: bool | None,
) -> None:
    """Adopt a page's posts: `import PAGE_ID` writes them into a manifest and the
    lockfile; `import ADDRESS POST_ID` adopts one post under an existing key."""
    from statesync.importer import import_page, import_post, parse_since

    with reported():
        if post_id is not None:
            click.echo(
                import_post(
                    project, target, post_id, environ=os.environ, sandbox=sandbox
                )
            )
            return
        report = import_page(
            project,
            target,
            environ=os.environ,
            manifest=manifest,
            since=parse_since(since) if since else None,
            limit=limit,
            dry_run=dry_run,
            sandbox=sandbox,
        )
    if dry_run:
        click.echo(report.text, nl=False)
    for line in report.skipped:
        click.echo(f"skipped {line}", err=True)
    verb = "would import" if dry_run else "imported"
    click.echo(
        f"{verb} {len(report.imported)} post{'s' if len(report.imported) != 1 else ''} "
        f"into {report.manifest.name}; skipped {len(report.skipped)}",
        err=dry_run,
    )
    if not dry_run:
        for item in report.imported:
            click.echo(f"  + {item.key} ({item.post_id})")


@click.command("pages")
@project_option
@rows_format_option
@sandbox_option
def pages_command(project: Path, output_format: str, sandbox: bool | None) -> None:
    """The pages the credentials can act on: id, name, tasks, managing manifest."""
    from statesync.importer import list_pages

    with reported():
        rows = list_pages(project, environ=os.environ, sandbox=sandbox)
    if output_format == "json":
        data = [
            {
                "page_id": row.page_id,
                "name": row.name,
                "tasks": None if row.tasks is None else list(row.tasks),
                "manifest": row.manifest,
            }
            for row in rows
        ]
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    for row in rows:
        tasks = ",".join(row.tasks) if row.tasks is not None else "(tasks not listed)"
        managed = row.manifest or "(not managed)"
        click.echo(f"{row.page_id}\t{row.name or '-'}\t{tasks}\t{managed}")
