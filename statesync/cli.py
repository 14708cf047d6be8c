"""The command line: parse flags, call the library, map errors to exit codes.

Exit codes: 0 success, 1 a user error (one clear message, never a traceback), 2 a usage
error or, with ``--detailed-exitcode``, a plan with changes.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import click

from statesync import __version__
from statesync.applier import apply_plan
from statesync.emulator.cli import emulator_command
from statesync.errors import ManifestError, StatesyncError
from statesync.project import connect, load_project, plan_project
from statesync.render.text import render_plan


class UserError(click.ClickException):
    """Prints FILE:LINE problems bare, so editors and CI annotations can parse them."""

    def __init__(self, error: StatesyncError) -> None:
        super().__init__(str(error))
        self.error = error

    def show(self, file: IO[str] | None = None) -> None:
        stream = file or sys.stderr
        if isinstance(self.error, ManifestError):
            click.echo(self.format_message(), file=stream)
            count = len(self.error.problems)
            noun = "problem" if count == 1 else "problems"
            click.echo(f"Error: {count} {noun} found; nothing was sent.", file=stream)
        else:
            click.echo(f"Error: {self.format_message()}", file=stream)


@contextmanager
def reported() -> Iterator[None]:
    try:
        yield
    except StatesyncError as exc:
        raise UserError(exc) from exc


project_argument = click.argument(
    "project",
    default=".",
    type=click.Path(file_okay=False, path_type=Path),
)
sandbox_option = click.option(
    "--sandbox/--no-sandbox",
    default=None,
    help="Run against the embedded emulator (default: statesync.yaml's 'sandbox').",
)


@click.group()
@click.version_option(__version__, prog_name="statesync")
@click.option("-v", "--verbose", count=True, help="Log requests to stderr (-vv: more).")
def cli(verbose: int) -> None:
    """GitOps for Facebook Page posts: manifests in, plan out, apply on merge."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, stream=sys.stderr, format="%(name)s: %(message)s")


@cli.command()
@project_argument
def validate(project: Path) -> None:
    """Check statesync.yaml, every manifest and the lockfile, offline."""
    with reported():
        loaded = load_project(project)
    pages = len(loaded.desired.pages)
    posts = len(loaded.desired.posts())
    click.echo(f"Valid: {pages} page{'s' if pages != 1 else ''}, {posts} posts.")


@cli.command()
@project_argument
@sandbox_option
@click.option(
    "--detailed-exitcode", is_flag=True, help="Exit 2 when there are changes."
)
@click.pass_context
def plan(
    ctx: click.Context, project: Path, sandbox: bool | None, detailed_exitcode: bool
) -> None:
    """Show what apply would do."""
    with reported():
        loaded = load_project(project)
        with connect(loaded, sandbox=sandbox, environ=os.environ) as connection:
            if connection.banner:
                click.echo(connection.banner)
            result = plan_project(loaded, connection)
    click.echo(render_plan(result), nl=False)
    if detailed_exitcode and result.has_changes:
        ctx.exit(2)


@cli.command()
@project_argument
@sandbox_option
@click.option("--auto-approve", is_flag=True, help="Apply without asking.")
def apply(project: Path, sandbox: bool | None, auto_approve: bool) -> None:
    """Make the pages match the manifests, recording post ids in the lockfile."""
    with reported():
        loaded = load_project(project)
        with connect(loaded, sandbox=sandbox, environ=os.environ) as connection:
            if connection.banner:
                click.echo(connection.banner)
            result = plan_project(loaded, connection)
            click.echo(render_plan(result), nl=False)
            if not result.has_changes:
                return
            if not auto_approve:
                _confirm()
            report = apply_plan(
                result,
                connection.writer,
                loaded.lock,
                on_outcome=lambda outcome: click.echo(outcome.describe()),
            )
    click.echo(report.summary() + ".")


def _confirm() -> None:
    if not sys.stdin.isatty():
        raise click.ClickException(
            "apply needs confirmation but there is no terminal to ask on; review the "
            "plan above and pass --auto-approve (as CI does)."
        )
    if not click.confirm("Apply these changes?", default=False):
        raise click.ClickException("Apply cancelled; nothing was changed.")


cli.add_command(emulator_command, name="emulator")


def main() -> None:
    cli(prog_name="statesync")
