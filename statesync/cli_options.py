"""The options several commands share, shell completion of manifest names, and the lazy
entry of the emulator's command: the parts of the command line that are data."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from statesync.errors import StatesyncError
from statesync.safety import MASS_DELETE_FLAG

if TYPE_CHECKING:
    from collections.abc import Callable

    from click.shell_completion import CompletionItem


project_argument = click.argument(
    "project",
    default=".",
    type=click.Path(file_okay=False, path_type=Path),
)


def complete_manifests(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    """``--only`` completes to the project's manifests, as paths from the project
    (what the glob matches); nothing when the project cannot be read."""
    from click.shell_completion import CompletionItem

    from statesync.config import load_config
    from statesync.manifest import MANIFEST_SUFFIXES

    root = Path(ctx.params.get("project") or ctx.params.get("target") or ".")
    try:
        config = load_config(root)
        folder = config.manifests.relative_to(config.root)
        names = sorted(
            str(folder / path.name)
            for path in config.manifests.iterdir()
            if path.name.endswith(MANIFEST_SUFFIXES) and not path.name.startswith(".")
        )
    except (StatesyncError, OSError, ValueError):
        return []
    return [CompletionItem(name) for name in names if name.startswith(incomplete)]


only_option = click.option(
    "--only",
    metavar="GLOB",
    shell_complete=complete_manifests,
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


class LazyCommand(click.Command):
    """Stands for a command whose module is heavy: ``--help`` lists it from its short
    help alone; running it loads the real command and hands everything over."""

    def __init__(self, name: str, short_help: str, load: Callable[[], click.Command]):
        super().__init__(name, short_help=short_help)
        self._load = load

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        return self._load().make_context(info_name, args, parent=parent, **extra)


def _emulator_command() -> click.Command:
    from statesync.emulator.cli import emulator_command

    return emulator_command


# The emulator (starlette, uvicorn) is imported only when its command runs.
EMULATOR = LazyCommand(
    "emulator", "Run the local Graph API and OneAll emulator.", _emulator_command
)


@contextmanager
def reported(
    *, github: bool = False, json_document: Callable[[], bool] = lambda: False
) -> Iterator[None]:
    """Turn a ``StatesyncError`` into the one clear message and exit code 1.

    ``json_document`` says, at the time of the error, whether stdout still owes a
    machine a JSON document (a plan already printed there must not get a second)."""
    from statesync.error_report import UserError

    try:
        yield
    except StatesyncError as exc:
        raise UserError(exc, github=github, json_document=json_document()) from exc
