"""The command line: parse flags, call the workflows in ``statesync.operations``, print,
map errors to exit codes.

Exit codes: 0 success, 1 a user error (one clear message, never a traceback), 2 a usage
error or, with ``--detailed-exitcode``, a plan with changes; 130/143 after SIGINT/SIGTERM.

Only click and the standard library are imported up front: ``--version`` and ``--help``
answer without loading httpx, deepdiff or rich, and each command imports what it uses.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click

from statesync import __version__
from statesync.cli_options import (
    EMULATOR,
    mass_delete_option,
    only_option,
    parallelism_option,
    project_argument,
    reported,
    sandbox_option,
)
from statesync.cli_state import import_command, pages_command, state_group
from statesync.interrupt import Interrupted, StopSignal, signal_name, stop_signals

if TYPE_CHECKING:
    from statesync.applier import ApplyReport
    from statesync.cli_hooks import TerminalHooks
    from statesync.progress import ProgressFactory

# --format choices of plan; their renderers are imported when a plan is shown.
PLAN_FORMATS = ("json", "markdown", "text")


@contextmanager
def interruptible() -> Iterator[StopSignal]:
    """SIGINT/SIGTERM before any write: say that nothing was sent, exit 130/143."""
    with stop_signals() as stop:
        try:
            yield stop
        except Interrupted as exc:
            click.echo(
                f"\n{signal_name(exc.signum)}: interrupted before any change; "
                "nothing was sent.",
                err=True,
            )
            sys.exit(exc.exit_code)


class _Commands(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), EMULATOR.name or "emulator"])

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name == EMULATOR.name:
            return EMULATOR
        return super().get_command(ctx, name)


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="statesync")
@click.option("-v", "--verbose", count=True, help="Log requests to stderr (-vv: more).")
@click.option(
    "--no-color",
    is_flag=True,
    help="No colours (as NO_COLOR does); FORCE_COLOR colours even a pipe.",
)
@click.pass_context
def cli(ctx: click.Context, verbose: int, no_color: bool) -> None:
    """GitOps for Facebook Page posts: manifests in, plan out, apply on merge."""
    ctx.obj = {"no_color": no_color}
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, stream=sys.stderr, format="%(name)s: %(message)s")
    # The sandbox's server says when it starts and stops: noise for a user of -v.
    logging.getLogger("uvicorn").setLevel(max(level, logging.WARNING))


@cli.command()
@click.argument(
    "directory", default=".", type=click.Path(file_okay=False, path_type=Path)
)
@click.option(
    "--sandbox", is_flag=True, help="Set up for the embedded emulator: apply at once."
)
@click.option(
    "--github",
    is_flag=True,
    help="Also write .github/workflows/statesync.yml (plan on PRs, apply on merge).",
)
@click.option(
    "--ref",
    metavar="SHA",
    help="The statesync commit the workflow pins (default: the one installed).",
)
def init(directory: Path, sandbox: bool, github: bool, ref: str | None) -> None:
    """Start a project: statesync.yaml, an example manifest, a .gitignore.

    Writes nothing if any of those files exists (an existing .gitignore only gets the
    lines it lacks), and ends with the command to run next.
    """
    from statesync.scaffold import init_project

    if ref is not None and not github:
        raise click.UsageError("--ref goes with --github")
    with reported():
        scaffold = init_project(directory, sandbox=sandbox, github=github, ref=ref)
    for path in scaffold.written:
        click.echo(f"Wrote {directory / path}")
    if scaffold.gitignore_extended:
        click.echo(f"Added statesync's local files to {directory / '.gitignore'}")
    click.echo(scaffold.next_steps(sandbox))


@cli.command()
@click.argument(
    "paths", nargs=-1, type=click.Path(exists=True, path_type=Path), metavar="[PATH]..."
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "github"]),
    default="text",
    help="github: print each problem as a workflow annotation on its line.",
)
@click.option(
    "--online",
    is_flag=True,
    help="Then check the credentials against every page (read-only, nothing planned).",
)
@sandbox_option
def validate(
    paths: tuple[Path, ...], output_format: str, online: bool, sandbox: bool | None
) -> None:
    """Check statesync.yaml, every manifest and the lockfile, offline.

    PATH is a project directory (default: the current one), or manifest files and
    folders inside a project, as pre-commit passes them: each project they belong
    to is validated once, whole. With --online, the credentials are then checked
    against every page, as a plan checks them, without reading any post.
    """
    from statesync.project import validate as validate_paths

    with reported(github=output_format == "github"):
        for project in validate_paths(paths):
            where = (
                "" if project.given == [project.root] else f" (project {project.root})"
            )
            click.echo(
                f"Valid{where}: {_count(project.pages, 'page')}, "
                f"{_count(project.posts, 'post')}."
            )
            if online:
                from statesync import operations

                hooks = _terminal_hooks("text")
                click.echo(
                    operations.check_credentials(
                        project.root, environ=os.environ, hooks=hooks, sandbox=sandbox
                    )
                )


@cli.command()
@project_argument
@sandbox_option
@only_option
@click.option(
    "--format",
    "output_format",
    type=click.Choice(PLAN_FORMATS),
    default="text",
    help="text for people, markdown for a PR comment, json for machines.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Save the plan, for `statesync apply PLANFILE` to run exactly.",
)
@click.option(
    "--detailed-exitcode", is_flag=True, help="Exit 2 when there are changes."
)
@click.option(
    "--media-url",
    metavar="URL",
    help="Markdown: the URL of the project's files (URL/<path> is a file), to show "
    "each image to upload; the GitHub workflow passes the pull request's head.",
)
@parallelism_option
@click.pass_context
def plan(
    ctx: click.Context,
    project: Path,
    sandbox: bool | None,
    only: str | None,
    output_format: str,
    out: Path | None,
    detailed_exitcode: bool,
    media_url: str | None,
    parallelism: int,
) -> None:
    """Show what apply would do."""
    from statesync import operations

    if media_url is not None and not media_url.startswith(("https://", "http://")):
        raise click.BadParameter("must be an http(s) URL", param_hint="--media-url")
    hooks = _terminal_hooks(output_format, media_url=media_url)
    with (
        reported(
            json_document=lambda: output_format == "json" and not hooks.plan_shown
        ),
        interruptible(),
    ):
        planned = operations.plan(
            project,
            environ=os.environ,
            hooks=hooks,
            only=only,
            sandbox=sandbox,
            parallelism=parallelism,
            out=out,
        )
    if detailed_exitcode and planned.has_changes:
        ctx.exit(2)


@cli.command()
@click.argument("target", default=".", type=click.Path(exists=True, path_type=Path))
@sandbox_option
@only_option
@click.option(
    "--project",
    "project_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="The project a saved plan belongs to (default: the current directory if it "
    "is one, else the directory the plan was made in).",
)
@click.option("--auto-approve", is_flag=True, help="Apply without asking.")
@mass_delete_option
@parallelism_option
def apply(
    target: Path,
    sandbox: bool | None,
    only: str | None,
    project_dir: Path | None,
    auto_approve: bool,
    allow_mass_delete: bool,
    parallelism: int,
) -> None:
    """Make the pages match the manifests, recording post ids in the lockfile.

    TARGET is the project directory (plan, ask, apply), or a plan file saved with
    `statesync plan --out`, applied exactly and without asking: it was reviewed.
    One apply at a time: a second one on the same project refuses at once.
    """
    from statesync import operations

    if target.is_dir() and project_dir is not None:
        raise click.UsageError("--project goes with a saved plan file, not a directory")
    if not target.is_dir() and only is not None:
        raise click.UsageError(
            "--only goes with a project; a saved plan is already scoped"
        )
    with reported(), interruptible() as stop:
        hooks = _terminal_hooks("text", stop)
        if target.is_dir():
            report = operations.apply(
                target,
                environ=os.environ,
                hooks=hooks,
                only=only,
                sandbox=sandbox,
                parallelism=parallelism,
                allow_mass_delete=allow_mass_delete,
                ask=not auto_approve,
            )
        else:
            report = operations.apply_saved(
                target,
                environ=os.environ,
                hooks=hooks,
                project=project_dir,
                sandbox=sandbox,
                parallelism=parallelism,
                allow_mass_delete=allow_mass_delete,
            )
    if report is not None:
        _tell_report(report, stop)


SCHEMAS = {
    "manifest": "manifest-v1.schema.json",
    "config": "config-v1.schema.json",
    "plan": "plan-v1.schema.json",
    "error": "error-v1.schema.json",
}


@cli.command()
@click.argument("document", type=click.Choice(sorted(SCHEMAS)))
def schema(document: str) -> None:
    """Print the JSON Schema of a manifest, statesync.yaml, or plan/error JSON.

    Editors use the first two for completion and hover help (README: "Editor
    support"); automation validates `plan --format json` with the last two.
    """
    from importlib import resources

    text = resources.files("statesync.schemas").joinpath(SCHEMAS[document])
    click.echo(text.read_text(encoding="utf-8"), nl=False)


@cli.command()
@click.argument("address")
@project_argument
@click.option("--post-id", help="The id of the post the push published.")
@click.option(
    "--not-published", is_flag=True, help="The push published nothing: push it again."
)
def resolve(
    address: str, project: Path, post_id: str | None, not_published: bool
) -> None:
    """Settle a push whose outcome is unknown (plan lists them as `?`).

    Only needed where statesync cannot list the page's posts itself: look at the page,
    then record the post the push published, or say it published nothing.
    """
    from statesync import operations

    if (post_id is None) == (not not_published):
        raise click.UsageError("give exactly one of --post-id ID and --not-published")
    with reported():
        click.echo(operations.resolve(project, address, post_id))


def _terminal_hooks(
    output_format: str, stop: StopSignal | None = None, *, media_url: str | None = None
) -> TerminalHooks:
    from statesync.cli_hooks import TerminalHooks
    from statesync.progress import wants_color

    no_color = _no_color()
    color = wants_color(sys.stdout, os.environ, no_color=no_color)
    return TerminalHooks(
        output_format,
        stop,
        progress=_progress(no_color),
        color=color,
        media_url=media_url,
    )


def _no_color() -> bool:
    """The group's ``--no-color``, wherever in the command tree we are."""
    settings = click.get_current_context().find_root().obj
    return bool(settings and settings.get("no_color"))


def _tell_report(report: ApplyReport, stop: StopSignal) -> None:
    """The summary line; after a signal, what did not start and the exit code."""
    if stop.signum is None:
        click.echo(report.summary() + ".")
        return
    name = signal_name(stop.signum)
    click.echo(f"Apply interrupted by {name}: {report.counts()}.")
    if report.not_started:
        click.echo(f"Not started ({len(report.not_started)}):")
        for action in report.not_started:
            click.echo(f"  {action.name}: {action.kind.value}")
    click.echo(
        "The lockfile records every completed action. Run `statesync apply` again "
        "to finish: it plans afresh from what was recorded."
    )
    sys.exit(128 + stop.signum)


def _progress(no_color: bool) -> ProgressFactory:
    """Bars on a watched terminal only (statesync.progress)."""
    from statesync.progress import no_progress, terminal_progress, wants_progress

    if not no_color and wants_progress(sys.stderr, os.environ):
        return terminal_progress(sys.stderr)
    return no_progress


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


cli.add_command(state_group)
cli.add_command(import_command)
cli.add_command(pages_command)


def main() -> None:
    cli(prog_name="statesync")
