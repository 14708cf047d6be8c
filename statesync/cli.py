"""The command line: parse flags, call the library, map errors to exit codes.

Exit codes: 0 success, 1 a user error (one clear message, never a traceback), 2 a usage
error or, with ``--detailed-exitcode``, a plan with changes.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import click

from statesync import __version__
from statesync.applier import ApplyReport, Outcome, apply_plan
from statesync.config import CONFIG_NAME
from statesync.error_report import UserError
from statesync.errors import StatesyncError
from statesync.interrupt import (
    Interrupted,
    StopSignal,
    exit_now,
    signal_name,
    stop_signals,
)
from statesync.plan import Plan
from statesync.plan_order import InPlanOrder
from statesync.progress import (
    ProgressFactory,
    no_progress,
    terminal_progress,
    wants_progress,
)
from statesync.project import (
    Connection,
    Project,
    check_manifest_paths,
    check_writes,
    connect,
    group_by_project,
    load_project,
    open_project,
    plan_project,
    read_touched,
    settle,
)
from statesync.recovery import Settled, resolve_intent
from statesync.render.json import render_json
from statesync.render.markdown import render_markdown
from statesync.render.text import render_plan
from statesync.safety import (
    API_NAMES,
    MASS_DELETE_FLAG,
    check_plan,
)
from statesync.savedplan import SavedPlan, load_saved_plan, make_guards, save_plan

RENDERERS: dict[str, Callable[[Plan], str]] = {
    "text": render_plan,
    "markdown": render_markdown,
    "json": render_json,
}


def _render_text(plan: Plan) -> str:
    """Coloured on a terminal, unless NO_COLOR is set (no-color.org); plain otherwise."""
    color = sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    return render_plan(plan, color=color)


@contextmanager
def reported(*, github: bool = False, json_document: bool = False) -> Iterator[None]:
    try:
        yield
    except StatesyncError as exc:
        raise UserError(exc, github=github, json_document=json_document) from exc


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


project_argument = click.argument(
    "project",
    default=".",
    type=click.Path(file_okay=False, path_type=Path),
)
only_option = click.option(
    "--only",
    metavar="GLOB",
    help="Plan/apply only the manifests matching GLOB (file name or path from the "
    "project), e.g. 'pages/[a-m]*.yaml': one shard of a large project.",
)
parallelism_option = click.option(
    "--parallelism",
    type=click.IntRange(1, 64),
    default=10,
    show_default=True,
    help="Requests in flight at once: batch reads, and pages applied concurrently "
    "(each page's actions stay in plan order).",
)
mass_delete_option = click.option(
    MASS_DELETE_FLAG,
    "allow_mass_delete",
    is_flag=True,
    help="Apply even when the plan deletes or replaces more than "
    "safety.max_destroy_share of a page's managed posts.",
)
sandbox_option = click.option(
    "--sandbox/--no-sandbox",
    default=None,
    help="Run against the embedded emulator (default: statesync.yaml's 'sandbox').",
)


class _Commands(click.Group):
    """Imports the emulator (starlette, uvicorn) only when its command runs: every
    other command starts faster without it."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), "emulator"])

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name == "emulator":
            from statesync.emulator.cli import emulator_command

            return emulator_command
        return super().get_command(ctx, name)


@click.group(cls=_Commands)
@click.version_option(__version__, prog_name="statesync")
@click.option("-v", "--verbose", count=True, help="Log requests to stderr (-vv: more).")
def cli(verbose: int) -> None:
    """GitOps for Facebook Page posts: manifests in, plan out, apply on merge."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, stream=sys.stderr, format="%(name)s: %(message)s")
    # The sandbox's server says when it starts and stops: noise for a user of -v.
    logging.getLogger("uvicorn").setLevel(max(level, logging.WARNING))


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
def validate(paths: tuple[Path, ...], output_format: str) -> None:
    """Check statesync.yaml, every manifest and the lockfile, offline.

    PATH is a project directory (default: the current one), or manifest files and
    folders inside a project, as pre-commit passes them: each project they belong
    to is validated once, whole.
    """
    with reported(github=output_format == "github"):
        targets = group_by_project(paths or (Path("."),))
        for root, given in targets.items():
            loaded = load_project(root)
            check_manifest_paths(loaded.config, given)
            pages = len(loaded.desired.pages)
            posts = len(loaded.desired.posts())
            where = "" if given == [root] else f" (project {root})"
            click.echo(
                f"Valid{where}: {pages} page{'s' if pages != 1 else ''}, {posts} posts."
            )


@cli.command()
@project_argument
@sandbox_option
@only_option
@click.option(
    "--format",
    "output_format",
    type=click.Choice(sorted(RENDERERS)),
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
    parallelism: int,
) -> None:
    """Show what apply would do."""
    with (
        reported(json_document=output_format == "json"),
        interruptible(),
        open_project(project, only=only, read_only_if_busy=out is None) as loaded,
    ):
        if loaded.busy:
            click.echo(
                "Note: an apply is running on this project; this plan shows the "
                "lockfile as it is now and may change when that apply ends.",
                err=True,
            )
        with connect(loaded, sandbox=sandbox, environ=os.environ) as connection:
            _banner(connection, output_format)
            planned = plan_project(
                loaded, connection, parallelism=parallelism, progress=_progress()
            )
            _report_settled(planned.settled, loaded)
            _note_unchecked(planned.access_unchecked)
        guards = make_guards(
            planned.plan, loaded.lock, loaded.recorded(), loaded.desired, planned.live
        )
    render = _render_text if output_format == "text" else RENDERERS[output_format]
    click.echo(render(planned.plan), nl=False)  # the whole plan, then any refusal
    with reported():
        # plan only warns about a mass delete: apply is where it is refused
        warnings = _check(planned.plan, loaded, allow_mass_delete=True)
        if out is not None:
            save_plan(out, planned.plan, guards, only=only, project=loaded.config.root)
    _warn(warnings)
    if detailed_exitcode and planned.plan.has_changes:
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
    if target.is_dir() and project_dir is not None:
        raise click.UsageError("--project goes with a saved plan file, not a directory")
    if not target.is_dir() and only is not None:
        raise click.UsageError(
            "--only goes with a project; a saved plan is already scoped"
        )
    with reported(), interruptible() as stop:
        if target.is_dir():
            report = _apply_project(
                target,
                sandbox,
                only,
                auto_approve,
                allow_mass_delete,
                parallelism,
                stop,
            )
        else:
            report = _apply_saved(
                target,
                project_dir,
                sandbox,
                allow_mass_delete,
                parallelism,
                stop,
            )
    if report is not None:
        _tell_report(report, stop)


def _apply_project(
    root: Path,
    sandbox: bool | None,
    only: str | None,
    auto_approve: bool,
    allow_mass_delete: bool,
    parallelism: int,
    stop: StopSignal,
) -> ApplyReport | None:
    # The apply lock is taken before the lockfile is read: a plan made from a
    # lockfile that another apply is still writing could publish a post twice.
    with (
        open_project(root, only=only) as loaded,
        connect(loaded, sandbox=sandbox, environ=os.environ) as connection,
    ):
        _banner(connection, "text")
        planned = plan_project(
            loaded,
            connection,
            save_recovery=True,
            parallelism=parallelism,
            progress=_progress(),
        )
        _report_settled(planned.settled, loaded)
        _note_unchecked(planned.access_unchecked)
        click.echo(_render_text(planned.plan), nl=False)  # the plan, then any refusal
        _warn(_check(planned.plan, loaded, allow_mass_delete=allow_mass_delete))
        if not planned.plan.has_changes:
            return None
        if not auto_approve:
            _confirm()
        return _run(planned.plan, loaded, connection, parallelism, stop)


def _saved_plan_project(saved: SavedPlan, given: Path | None) -> Path:
    """--project, else the current directory if it is a project, else the one the
    plan was made in: a plan applied from elsewhere still finds its project."""
    if given is not None:
        return given
    if (Path(".") / CONFIG_NAME).is_file():
        return Path(".")
    if (saved.project / CONFIG_NAME).is_file():
        return saved.project
    raise StatesyncError(
        f"{saved.path}: the current directory is not a statesync project and the "
        f"plan's project ({saved.project}) is not here; nothing was sent. Pass "
        "--project DIR."
    )


def _apply_saved(
    path: Path,
    root: Path | None,
    sandbox: bool | None,
    allow_mass_delete: bool,
    parallelism: int,
    stop: StopSignal,
) -> ApplyReport | None:
    saved = load_saved_plan(path)
    root = _saved_plan_project(saved, root)
    with (
        open_project(root, only=saved.only) as loaded,
        connect(loaded, sandbox=sandbox, environ=os.environ) as connection,
    ):
        _banner(connection, "text")
        _report_settled(settle(loaded, connection), loaded)
        live = read_touched(saved.plan, connection.reader, parallelism=parallelism)
        saved.check(loaded.lock, loaded.recorded(), loaded.desired, live)
        _note_unchecked(check_writes(loaded, connection, saved.plan))
        click.echo(_render_text(saved.plan), nl=False)  # the plan, then any refusal
        _warn(_check(saved.plan, loaded, allow_mass_delete=allow_mass_delete))
        if not saved.plan.has_changes:
            return None
        return _run(saved.plan, loaded, connection, parallelism, stop)


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
    if (post_id is None) == (not not_published):
        raise click.UsageError("give exactly one of --post-id ID and --not-published")
    with reported(), open_project(project) as loaded:
        click.echo(resolve_intent(loaded.lock, address, loaded.desired, post_id))


def _check(plan: Plan, loaded: Project, *, allow_mass_delete: bool) -> list[str]:
    """The safety rails (statesync.safety): raise what they refuse, return warnings."""
    return check_plan(
        plan,
        loaded.desired,
        loaded.recorded(),
        loaded.config.safety,
        allow_mass_delete=allow_mass_delete,
        api=API_NAMES.get(loaded.config.provider, "the API"),
    )


def _warn(warnings: list[str]) -> None:
    for warning in warnings:
        click.echo(warning, err=True)


def _run(
    plan: Plan,
    loaded: Project,
    connection: Connection,
    parallelism: int,
    stop: StopSignal,
) -> ApplyReport:
    """Apply; a first signal stops new actions, a second one exits at once."""
    done: list[Outcome] = []
    total = len(plan.actions)
    printer = InPlanOrder(plan, click.echo)

    def stopping(signum: int) -> None:
        click.echo(
            f"\n{signal_name(signum)}: stopping; no new action starts, the ones in "
            "flight finish and are recorded (signal again to exit at once).",
            err=True,
        )

    def exit_at_once(signum: int) -> None:
        printer.flush()
        click.echo(
            f"{signal_name(signum)}: exiting at once after {len(done)} of {total} "
            "completed actions. The lockfile records every one of them, and any push "
            "still in flight as pending: the next plan settles it by listing the page "
            "(never by pushing again). Run `statesync apply` to finish.",
            err=True,
        )
        exit_now(128 + signum)

    with (
        _progress()("Applying", total) as advance,
        stop.draining(stopping, exit_at_once) as stop_event,
    ):

        def on_outcome(outcome: Outcome) -> None:
            done.append(outcome)
            printer.add(outcome)
            advance(1)

        try:
            return apply_plan(
                plan,
                connection.writer,
                loaded.lock,
                on_outcome=on_outcome,
                lister=connection.lister,
                parallelism=parallelism,
                stop=stop_event,
            )
        finally:
            printer.flush()


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
            click.echo(f"  {action.address}: {action.kind.value}")
    click.echo(
        "The lockfile records every completed action. Run `statesync apply` again "
        "to finish: it plans afresh from what was recorded."
    )
    sys.exit(128 + stop.signum)


def _progress() -> ProgressFactory:
    """Bars on a watched terminal only (statesync.progress)."""
    if wants_progress(sys.stderr, os.environ):
        return terminal_progress(sys.stderr)
    return no_progress


def _report_settled(settled: Sequence[Settled], loaded: Project) -> None:
    """Say what recovery did with pushes an interrupted run left unrecorded."""
    for item in settled:
        page = loaded.desired.pages.get(item.page_id)
        recorded = loaded.lock.pages.get(item.page_id)
        manifest = (
            page.stem if page else recorded.manifest if recorded else item.page_id
        )
        if item.post_id:
            click.echo(
                f"Recovered {manifest}/{item.key}: adopted post {item.post_id}, "
                "published by an interrupted run",
                err=True,
            )
        else:
            click.echo(
                f"Recovered {manifest}/{item.key}: the interrupted push never "
                "happened; it is planned again",
                err=True,
            )


def _note_unchecked(unchecked: bool) -> None:
    if unchecked:
        click.echo(
            "Note: the provider cannot tell beforehand whether these credentials may "
            "publish on every page of the plan; apply will find out at the first write.",
            err=True,
        )


def _banner(connection: Connection, output_format: str) -> None:
    """The sandbox says so first; to stderr when stdout is for a machine or a comment."""
    if connection.banner:
        click.echo(connection.banner, err=output_format != "text")


def _confirm() -> None:
    if not sys.stdin.isatty():
        raise click.ClickException(
            "apply needs confirmation but there is no terminal to ask on; review the "
            "plan above and pass --auto-approve (as CI does)."
        )
    if not click.confirm("Apply these changes?", default=False):
        raise click.ClickException("Apply cancelled; nothing was changed.")


def main() -> None:
    cli(prog_name="statesync")
