"""The workflows every front end runs: plan, apply (afresh or from a saved plan) and
resolve, as library functions (offline validation is ``project.validate``).

What only a front end knows (where a plan is shown, whether the user agrees, how a
signal stops a run) comes in through ``Hooks``; the CLI parses flags, supplies its
terminal hooks and maps errors to exit codes. The order of each workflow (lock, load,
connect, settle, check, show, run) is written once, here, so that no entry point can
skip a step that keeps a post from being published twice.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from statesync.applier import ApplyReport, Outcome, apply_plan
from statesync.config import CONFIG_NAME
from statesync.connection import Connection, connect
from statesync.errors import SavedPlanError
from statesync.move_plan import rename_hints
from statesync.plan import Plan
from statesync.planning import (
    Planned,
    check_online,
    check_writes,
    plan_project,
    read_touched,
    read_touched_details,
    settle,
)
from statesync.progress import ProgressFactory, no_progress
from statesync.project import Project, load_project, open_project
from statesync.recovery import Settled, resolve_intent
from statesync.safety import API_NAMES, check_plan
from statesync.savedplan import SavedPlan, load_saved_plan, make_guards, save_plan

BUSY_NOTE = (
    "Note: an apply is running on this project; this plan shows the lockfile as it "
    "is now and may change when that apply ends."
)
UNCHECKED_NOTE = (
    "Note: the provider cannot tell beforehand whether these credentials may publish "
    "on every target of the plan; apply will find out at the first write."
)


@dataclass(frozen=True, slots=True)
class Execution:
    """How a running apply is steered: ``stop`` set means no new action starts;
    ``on_outcome`` hears of each completed action as it is recorded."""

    stop: threading.Event
    on_outcome: Callable[[Outcome], None]


class Hooks:
    """What a front end supplies. The defaults show nothing and agree to everything:
    a library caller that has reviewed its plan by other means."""

    progress: ProgressFactory = staticmethod(no_progress)

    def banner(self, text: str) -> None:
        """Said before anything else, e.g. that this is the sandbox."""

    def notice(self, text: str) -> None:
        """A note about the run (recovered pushes, a busy project), not the plan."""

    def show_plan(self, plan: Plan) -> None:
        """The whole plan, shown before any refusal or question about it."""

    def warn(self, text: str) -> None:
        """A safety rail's warning: the plan may go ahead, but someone should know."""

    def confirm(self, plan: Plan) -> None:
        """Raise to cancel; return to apply ``plan``."""

    @contextmanager
    def applying(self, plan: Plan) -> Iterator[Execution]:
        """Wraps the run of ``plan``'s actions: the place to catch signals and
        report progress."""
        yield Execution(stop=threading.Event(), on_outcome=lambda outcome: None)


def plan(
    root: Path,
    *,
    environ: Mapping[str, str],
    hooks: Hooks,
    only: str | None = None,
    sandbox: bool | None = None,
    parallelism: int = 1,
    out: Path | None = None,
) -> Plan:
    """Read, plan and show; save the plan to ``out`` for an exact apply later.

    Only a saved plan needs the apply lock: a plan that is just shown may look at a
    project an apply is changing (it says so), but one that will be applied must not
    be made from a lockfile another run is still writing.
    """
    with open_project(root, only=only, read_only_if_busy=out is None) as loaded:
        if loaded.busy:
            hooks.notice(BUSY_NOTE)
        with connect(loaded, sandbox=sandbox, environ=environ) as connection:
            planned = _plan_connected(loaded, connection, hooks, parallelism)
        # What a saved plan checks before it is applied; a plan only shown needs none
        # (hashing 10,000 posts for nothing is a third of a large plan's CPU).
        guards = (
            None
            if out is None
            else make_guards(
                planned.plan,
                loaded.lock,
                loaded.recorded(),
                loaded.desired,
                planned.live,
                planned.details,
            )
        )
    hooks.show_plan(planned.plan)
    # plan only warns about a mass delete: apply is where it is refused
    warnings = _check(planned.plan, loaded, allow_mass_delete=True)
    if out is not None and guards is not None:
        save_plan(out, planned.plan, guards, only=only, project=loaded.config.root)
    for warning in warnings:
        hooks.warn(warning)
    return planned.plan


def apply(
    root: Path,
    *,
    environ: Mapping[str, str],
    hooks: Hooks,
    only: str | None = None,
    sandbox: bool | None = None,
    parallelism: int = 1,
    allow_mass_delete: bool = False,
    ask: bool = True,
) -> ApplyReport | None:
    """Plan, show, ask (unless ``ask`` is False), apply; None when nothing changes.

    The apply lock is taken before the lockfile is read: a plan made from a lockfile
    that another apply is still writing could publish a post twice.
    """
    with (
        open_project(root, only=only) as loaded,
        connect(loaded, sandbox=sandbox, environ=environ) as connection,
    ):
        planned = _plan_connected(
            loaded, connection, hooks, parallelism, save_recovery=True
        )
        return _show_check_run(
            planned.plan,
            loaded,
            connection,
            hooks,
            ask=ask,
            allow_mass_delete=allow_mass_delete,
            parallelism=parallelism,
        )


def apply_saved(
    path: Path,
    *,
    environ: Mapping[str, str],
    hooks: Hooks,
    project: Path | None = None,
    sandbox: bool | None = None,
    parallelism: int = 1,
    allow_mass_delete: bool = False,
) -> ApplyReport | None:
    """Apply a reviewed plan exactly, without asking, after checking that neither
    the lockfile, the manifests nor the live posts it touches changed since."""
    saved = load_saved_plan(path)
    root = saved_plan_project(saved, project)
    with (
        open_project(root, only=saved.only) as loaded,
        connect(loaded, sandbox=sandbox, environ=environ) as connection,
    ):
        _announce(connection, hooks)
        _tell_settled(settle(loaded, connection), loaded, hooks)
        live = read_touched(saved.plan, connection.reader, parallelism=parallelism)
        details = read_touched_details(saved.plan, loaded, connection)
        saved.check(
            loaded.lock,
            loaded.recorded(),
            loaded.desired,
            live,
            details,
            now=connection.clock(),
        )
        _tell_unchecked(check_writes(loaded, connection, saved.plan), hooks)
        return _show_check_run(
            saved.with_files(loaded.desired),
            loaded,
            connection,
            hooks,
            ask=False,
            allow_mass_delete=allow_mass_delete,
            parallelism=parallelism,
        )


def saved_plan_project(saved: SavedPlan, given: Path | None) -> Path:
    """``given``, else the current directory if it is a project, else the one the
    plan was made in: a plan applied from elsewhere still finds its project."""
    if given is not None:
        return given
    if (Path(".") / CONFIG_NAME).is_file():
        return Path(".")
    if (saved.project / CONFIG_NAME).is_file():
        return saved.project
    raise SavedPlanError(
        f"{saved.path}: the current directory is not a statesync project and the "
        f"plan's project ({saved.project}) is not here; nothing was sent. Pass "
        "--project DIR."
    )


def check_credentials(
    root: Path, *, environ: Mapping[str, str], hooks: Hooks, sandbox: bool | None = None
) -> str:
    """``validate --online``: the credentials checked against every page, read-only."""
    loaded = load_project(root)
    with connect(loaded, sandbox=sandbox, environ=environ) as connection:
        _announce(connection, hooks)
        count, unchecked = check_online(loaded, connection)
    _tell_unchecked(unchecked, hooks)
    pages = f"{count} target{'' if count == 1 else 's'}"
    if unchecked:
        return f"Online: the credentials are valid; {pages} could not be checked."
    return f"Online: the credentials can read and write every target ({pages})."


def resolve(root: Path, address: str, post_id: str | None) -> str:
    """Settle an unknown push by hand: ``post_id`` it published, or None for none."""
    with open_project(root) as loaded:
        return resolve_intent(loaded.lock, address, loaded.desired, post_id)


def _plan_connected(
    loaded: Project,
    connection: Connection,
    hooks: Hooks,
    parallelism: int,
    *,
    save_recovery: bool = False,
) -> Planned:
    """The banner, the plan (recovery first), and what recovery and the access
    preflight had to say: the same for a plan that is shown and one that is applied."""
    _announce(connection, hooks)
    planned = plan_project(
        loaded,
        connection,
        save_recovery=save_recovery,
        parallelism=parallelism,
        progress=hooks.progress,
    )
    _tell_settled(planned.settled, loaded, hooks)
    _tell_unchecked(planned.access_unchecked, hooks)
    return planned


def _show_check_run(
    plan: Plan,
    loaded: Project,
    connection: Connection,
    hooks: Hooks,
    *,
    ask: bool,
    allow_mass_delete: bool,
    parallelism: int,
) -> ApplyReport | None:
    hooks.show_plan(plan)  # the whole plan first, then any refusal
    for warning in _check(plan, loaded, allow_mass_delete=allow_mass_delete):
        hooks.warn(warning)
    if not plan.has_changes:
        return None
    if ask:
        hooks.confirm(plan)
    with hooks.applying(plan) as execution:
        return apply_plan(
            plan,
            connection.writer,
            loaded.lock,
            on_outcome=execution.on_outcome,
            lister=connection.lister,
            parallelism=parallelism,
            stop=execution.stop,
            editor=connection.editor,
            clock=connection.clock,
        )


def _check(plan: Plan, loaded: Project, *, allow_mass_delete: bool) -> list[str]:
    """The safety rails (statesync.safety): raise what they refuse, return warnings,
    with a hint for each delete-and-push that looks like a rename."""
    warnings = check_plan(
        plan,
        loaded.desired,
        loaded.recorded(),
        loaded.config.safety,
        allow_mass_delete=allow_mass_delete,
        api=API_NAMES.get(loaded.config.provider, "the API"),
    )
    return warnings + [
        f"Warning: {hint}" for hint in rename_hints(plan, loaded.recorded())
    ]


def _announce(connection: Connection, hooks: Hooks) -> None:
    if connection.banner:
        hooks.banner(connection.banner)


def _tell_unchecked(unchecked: bool, hooks: Hooks) -> None:
    if unchecked:
        hooks.notice(UNCHECKED_NOTE)


def _tell_settled(settled: Sequence[Settled], loaded: Project, hooks: Hooks) -> None:
    """Say what recovery did with pushes an interrupted run left unrecorded."""
    for item in settled:
        page = loaded.desired.pages.get(item.page_id)
        recorded = loaded.lock.pages.get(item.page_id)
        manifest = (
            page.stem if page else recorded.manifest if recorded else item.page_id
        )
        if item.post_id:
            hooks.notice(
                f"Recovered {manifest}/{item.key}: adopted post {item.post_id}, "
                "published by an interrupted run"
            )
        else:
            hooks.notice(
                f"Recovered {manifest}/{item.key}: the interrupted push never "
                "happened; it is planned again"
            )
