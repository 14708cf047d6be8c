"""`statesync state list | show | forget | mv`: the lockfile by address (statesync.state).

Each subcommand takes the project with ``-C DIR`` (as ``git -C``), since addresses fill
the positional arguments.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from statesync.cli_options import reported

project_option = click.option(
    "-C",
    "--project",
    default=".",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="The project directory.",
)


@click.group("state")
def state_group() -> None:
    """Read and edit the lockfile by address; nothing is sent to a page."""


@state_group.command("list")
@click.argument("glob", required=False)
@project_option
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    help="text: address, post id, page; json: a list of objects.",
)
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
