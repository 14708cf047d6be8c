"""A project on disk: statesync.yaml, the manifests and the lockfile, loaded and
validated (every problem at once) before anything is sent, and the apply lock that
makes one run at a time act on it.

This module and ``config`` read files; ``connection`` alone reads the environment.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from statesync.config import CONFIG_NAME, ProjectConfig, load_config
from statesync.errors import ConfigError
from statesync.lockfile import LockStore, load_lockfile
from statesync.lockset import LockSet, is_template
from statesync.manifest import load_desired
from statesync.model import Desired, RecordedPage
from statesync.move_plan import plan_moves
from statesync.safety import ApplyLockedError, hold_apply_lock
from statesync.targets import file_stem


@dataclass(frozen=True, slots=True)
class Project:
    config: ProjectConfig
    desired: Desired  # the selected manifests only (--only)
    lock: LockStore  # the whole lockfile: apply writes entries of selected pages only
    scope: frozenset[str] | None = None  # page ids selected by --only; None: all
    busy: bool = False  # another run holds the apply lock: look, never write
    scope_names: tuple[str, ...] | None = None  # the manifests --only selected

    def recorded(self) -> dict[str, RecordedPage]:
        """The lockfile's pages in scope: what this run may plan and touch."""
        return {
            page_id: page
            for page_id, page in self.lock.pages.items()
            if self.scope is None or page_id in self.scope
        }


@contextmanager
def open_project(
    root: Path,
    *,
    only: str | None = None,
    read_only_if_busy: bool = False,
    allow_empty: bool = False,
) -> Iterator[Project]:
    """The project, loaded while holding its apply lock, with what an earlier run
    left behind (a 0.1 journal, temp files of a killed write) folded in first.

    Every command that acts on the lockfile goes through here: a plan saved while an
    apply runs would be made from a state that apply is changing, and could publish
    its posts a second time. A plan that is only shown may look while an apply runs
    (``read_only_if_busy``): the project is then marked ``busy`` and nothing is folded.
    """
    config = load_config(root)
    with ExitStack() as stack:
        try:
            stack.enter_context(hold_apply_lock(config.lockfile))
            busy = False
        except ApplyLockedError as locked:
            if not (read_only_if_busy and locked.held_by_another):
                raise
            busy = True
        project = load_project(root, only=only, config=config, allow_empty=allow_empty)
        if busy:
            yield replace(project, busy=True)
            return
        project.lock.fold()
        yield project


def load_project(
    root: Path,
    *,
    only: str | None = None,
    config: ProjectConfig | None = None,
    allow_empty: bool = False,
) -> Project:
    """Load and validate everything; ``only`` selects manifests by glob (sharding).

    The whole project is validated even with ``only``: a shard must not apply on top
    of a manifest error elsewhere, nor miss a page id claimed twice. Read-only: the
    lockfile is not written (``open_project`` is for commands that act).
    """
    config = config or load_config(root)
    desired = load_desired(
        config.manifests,
        media_root=config.root,
        allow_empty=allow_empty,
        timezone=config.timezone,
    )
    lock = load_lockstore(config.lockfile)
    if only is None:
        return Project(config=config, desired=desired, lock=lock)
    relative = _relative_dir(config.manifests, config.root)
    names = {pid: Path(page.location.file).name for pid, page in desired.pages.items()}
    names.update(
        {
            pid: f"{file_stem(page.manifest)}{suffix}"
            for pid, page in lock.pages.items()
            if pid not in desired.pages
            for suffix in (".yaml", ".yml")
            if _matches(f"{file_stem(page.manifest)}{suffix}", relative, only)
        }
    )
    scope = frozenset(
        pid for pid, name in names.items() if _matches(name, relative, only)
    )
    if not scope:
        raise ConfigError(_matches_nothing(only, sorted(set(names.values()))))
    selected = Desired(
        pages={pid: page for pid, page in desired.pages.items() if pid in scope}
    )
    stems = {pid: file_stem(page.stem) for pid, page in desired.pages.items()}
    stems.update(
        {
            pid: file_stem(p.manifest)
            for pid, p in lock.pages.items()
            if pid not in stems
        }
    )
    return Project(
        config=config,
        desired=selected,
        lock=lock,
        scope=scope,
        scope_names=tuple(sorted({stems[pid] for pid in scope})),
    )


def _matches_nothing(only: str, names: Sequence[str]) -> str:
    """A filter that matches nothing would plan "No changes." and hide a typo."""
    shown = ", ".join(names[:20]) + (
        f" and {len(names) - 20} more" if len(names) > 20 else ""
    )
    return (
        f"--only {only!r} matches no manifest; nothing was planned. The project's "
        f"manifests: {shown or '(none)'}. A glob matches a file name "
        "(acme-*.yaml) or its path from the project (pages/acme-*.yaml)."
    )


def group_by_project(paths: Sequence[Path]) -> dict[Path, list[Path]]:
    """The project each path belongs to (the nearest directory at or above it with
    statesync.yaml), with the paths given for it, in order."""
    groups: dict[Path, list[Path]] = {}
    for path in paths:
        start = path if path.is_dir() else path.parent
        root = next(
            (
                d
                for d in (start, *start.resolve().parents)
                if (d / CONFIG_NAME).is_file()
            ),
            None,
        )
        if root is None:
            raise ConfigError(
                f"{path}: not inside a statesync project (no {CONFIG_NAME} in its "
                "directory or above)"
            )
        groups.setdefault(root, []).append(path)
    return groups


def check_manifest_paths(config: ProjectConfig, paths: Sequence[Path]) -> None:
    """Files given to validate must be the project's own: a manifest (inside its
    manifests directory), statesync.yaml, or a folder of the project."""
    manifests = config.manifests.resolve()
    for path in paths:
        resolved = path.resolve()
        if path.is_dir() or resolved == (config.root / CONFIG_NAME).resolve():
            continue
        if not resolved.is_relative_to(manifests):
            raise ConfigError(
                f"{path}: not a manifest of the project in {config.root} (its "
                f"manifests are in {_relative_dir(config.manifests, config.root)}/)"
            )


def load_lockstore(path: Path) -> LockStore:
    """One lockfile, or one per manifest when the name holds ``{manifest}``."""
    if is_template(path):
        return LockSet.load(path)
    return load_lockfile(path)


def _relative_dir(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def _matches(name: str, manifests_dir: str, glob: str) -> bool:
    """A glob matches a manifest's file name or its path from the project root."""
    return fnmatch.fnmatchcase(name, glob) or fnmatch.fnmatchcase(
        f"{manifests_dir}/{name}", glob
    )


@dataclass(frozen=True, slots=True)
class Validated:
    root: Path
    given: Sequence[Path]  # what the user named inside that project
    pages: int
    posts: int


def validate(paths: Sequence[Path]) -> list[Validated]:
    """Each project the paths belong to, validated once and whole, offline."""
    results = []
    for root, given in group_by_project(paths or (Path("."),)).items():
        loaded = load_project(root)
        check_manifest_paths(loaded.config, given)
        plan_moves(loaded.desired, loaded.recorded())  # moves against the lockfile
        results.append(
            Validated(
                root,
                given,
                pages=len(loaded.desired.pages),
                posts=len(loaded.desired.posts()),
            )
        )
    return results
