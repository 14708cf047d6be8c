"""Safety rails: what an apply refuses to do even when the manifests ask for it.

Three rails, after octoDNS's ``raise_if_unsafe`` and Terraform's ``prevent_destroy``:

- a plan with an ``impossible`` action (a change the writer's capability table allows
  no way to make, statesync.kinds) fails whole, plan and apply alike: applying the
  rest would leave the project half-converged with no way to finish;

- a post marked ``prevent_destroy: true`` may not be replaced; any plan that would
  replace it fails (plan and apply alike). Deleting a post means taking it out of its
  manifest, which takes its ``prevent_destroy`` with it: the flag guards against an
  edit that destroys the post as a side effect, not against removing it on purpose;
- a plan that would delete or replace more than ``max_destroy_share`` of a page's
  managed posts (the posts the lockfile records for it), on a page with at least
  ``min_managed_posts`` of them, is refused by apply without ``--allow-mass-delete``;
  plan only warns.

``check_plan`` is pure. ``hold_apply_lock`` is the one piece of I/O here: an exclusive
OS lock beside the lockfile, so that two applies of one project never interleave.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock, Timeout

from statesync.errors import Problem, StatesyncError, UnsafePlanError
from statesync.model import Desired, RecordedPage
from statesync.plan import Action, ActionKind, Plan
from statesync.targets import is_facebook, target_of

# Actions that end a post's life: its id, likes, comments and shares are lost.
DESTROYING = frozenset({ActionKind.DELETE, ActionKind.REPLACE})
MASS_DELETE_FLAG = "--allow-mass-delete"
# How messages name the API that forces a replace.
API_NAMES = {"graph": "the Graph API", "oneall": "the OneAll API"}


@dataclass(frozen=True, slots=True)
class SafetySettings:
    """``safety:`` in statesync.yaml; octoDNS's defaults (30% of 10 or more)."""

    max_destroy_share: float = (
        0.3  # 0 to 1: the share of managed posts one apply may end
    )
    min_managed_posts: int = 10  # pages with fewer managed posts are never limited


class SafetyRailError(UnsafePlanError):
    """Every rail the plan breaks, at once; nothing was sent."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__(Problem(problem) for problem in self.problems)

    def closing(self) -> str:
        count = len(self.problems)
        noun = "rail" if count == 1 else "rails"
        return f"Error: the plan breaks {count} safety {noun}; nothing was sent."


class ApplyLockedError(StatesyncError):
    """Another apply holds the project's apply lock (or it cannot be taken)."""

    def __init__(self, lock: str, reason: str | None = None) -> None:
        self.lock = lock
        self.held_by_another = reason is None  # not a file-system failure
        if reason is not None:
            text = (
                f"cannot take the apply lock {lock} ({reason}); nothing was sent. "
                "apply needs to create that file beside the lockfile."
            )
        else:
            text = (
                f"another apply or plan is running on this project: {lock} is locked. "
                "Nothing was sent; wait for it to finish, then run this command again "
                "(it reads the lockfile afresh).\n  If no statesync process is "
                f"running, the lock is stale: delete {lock} and run again. An apply that dies releases its "
                "lock by itself (the OS lock goes with the process), so this happens "
                "only on file systems without OS locks. Never delete it while an "
                "apply runs: two applies at once can publish a post twice."
            )
        super().__init__(text)


@dataclass(frozen=True, slots=True)
class MassDestroy:
    """One page whose share of destroyed managed posts is over the limit."""

    page_id: str
    manifest: str
    destroyed: int  # deletes and replaces
    managed: int  # posts the lockfile records for the page

    def describe(self, settings: SafetySettings) -> str:
        share = _percent(self.destroyed / self.managed)
        limit = _percent(settings.max_destroy_share)
        return (
            f"{self.manifest} ({target_of(self.page_id)}): the plan would delete or replace "
            f"{self.destroyed} of its {self.managed} managed posts ({share}), over "
            f"the limit of {limit} (safety.max_destroy_share in statesync.yaml)"
        )


def check_plan(
    plan: Plan,
    desired: Desired,
    recorded: Mapping[str, RecordedPage],
    settings: SafetySettings,
    *,
    allow_mass_delete: bool,
    api: str = "the API",
) -> list[str]:
    """Raise ``SafetyRailError`` naming every rail the plan breaks; return warnings.

    A replace of a ``prevent_destroy`` post always fails. A mass destroy fails unless
    ``allow_mass_delete``; then it is a warning (plan passes True: it only warns, and
    apply is where the flag is needed). ``api`` names the writer's API in messages.
    """
    problems = protected_replaces(plan, desired, api=api)
    problems.extend(impossible_actions(plan, desired))
    warnings: list[str] = []
    for mass in mass_destroys(plan, desired, recorded, settings):
        text = mass.describe(settings)
        if allow_mass_delete:
            warnings.append(
                f"Warning: {text}; apply refuses it without {MASS_DELETE_FLAG}."
            )
        else:
            problems.append(
                f"{text}. Review it with `statesync plan`; if it is intended, run "
                f"apply again with {MASS_DELETE_FLAG}."
            )
    if problems:
        raise SafetyRailError(problems)
    return warnings


def impossible_actions(plan: Plan, desired: Desired | None = None) -> list[str]:
    """One refusal per ``impossible`` action, naming its address and why (and its
    manifest line, given ``desired``): no writer call reaches what the manifest asks,
    so no part of such a plan is applied."""
    refusals = []
    for action in plan.impossible:
        remedy = (
            "or use a provider that can (statesync.yaml: provider)"
            if is_facebook(action.page_id)
            # No provider edits these: what is left is the manifest.
            else f"keep what {target_of(action.page_id)} has with `override:`, or "
            "publish it as a new post under a new key"
        )
        text = (
            f"{action.address}: impossible: {action.note}. Change the manifest back, "
            f"{remedy}."
        )
        page = desired.pages.get(action.page_id) if desired else None
        post = page.posts.get(action.address.key) if page else None
        refusals.append(f"{post.location}: {text}" if post else text)
    return refusals


def protected_replaces(plan: Plan, desired: Desired, *, api: str) -> list[str]:
    """``FILE:LINE: ...`` for each replace of a post marked ``prevent_destroy``."""
    found = []
    for action in plan.actions:
        if action.kind is not ActionKind.REPLACE:
            continue
        page = desired.pages.get(action.page_id)
        post = page.posts.get(action.address.key) if page else None
        if post is None or not post.prevent_destroy:
            continue
        where = post.prevent_destroy_at or post.location
        found.append(
            (
                where,
                f"{where}: {action.address} has prevent_destroy: true, but the plan "
                f"would replace it ({_why(action, api)}). Remove prevent_destroy, "
                "or undo the change.",
            )
        )
    return [text for _, text in sorted(found)]


def _why(action: Action, api: str) -> str:
    name = action.forced_by
    if name is None:
        return f"{api} cannot make the change in place"
    changed = f"{name} changed"
    if action.drift:
        changed += " (the post was also edited outside statesync)"
    noun = name if name.endswith("s") else f"a {name}"
    return f"{changed}; {api} cannot edit {noun} in place"


def mass_destroys(
    plan: Plan,
    desired: Desired,
    recorded: Mapping[str, RecordedPage],
    settings: SafetySettings,
) -> list[MassDestroy]:
    """Pages where the plan ends more than the allowed share of the managed posts.

    Deletes and replaces act only on recorded posts, so the share is at most 1.
    """
    destroyed: dict[str, int] = {}
    for action in plan.actions:
        # A media deleted is one no post uses any more: the posts decide the share.
        # An expiry (expire_at) was declared in a reviewed manifest: not a surprise,
        # and an unattended scheduled apply must not stop at it.
        if action.kind in DESTROYING and action.on_post and not action.expired_at:
            destroyed[action.page_id] = destroyed.get(action.page_id, 0) + 1
    found = []
    for page_id, count in sorted(destroyed.items()):
        page = recorded.get(page_id)
        managed = len(page.posts) if page else 0
        if managed < max(settings.min_managed_posts, 1):
            continue
        # Division is correctly rounded: 3/10 is exactly the float 0.3, so a share
        # equal to the limit passes, as octoDNS's "over the threshold" does.
        if count / managed > settings.max_destroy_share:
            owner = desired.pages.get(page_id)
            manifest = owner.stem if owner else page.manifest if page else page_id
            found.append(MassDestroy(page_id, manifest, count, managed))
    return found


def _percent(share: float) -> str:
    return f"{share * 100:.3g}%"


def apply_lock_path(lockfile: Path) -> Path:
    """``<lockfile>.lock``: beside the lockfile, so one project has one lock; with
    one lockfile per manifest (``{manifest}`` in the name), one lock for them all."""
    if "{manifest}" in lockfile.name:
        return lockfile.with_name(".statesync-apply")
    return lockfile.with_name(lockfile.name + ".lock")


@contextmanager
def hold_apply_lock(
    lockfile: Path, *, display_base: Path | None = None
) -> Iterator[Path]:
    """Hold the project's apply lock, or refuse at once: never wait behind another.

    An OS lock (flock on Unix): the kernel releases it when the holder dies, so a
    crashed apply never leaves the project locked; the empty file may stay behind.
    """
    path = apply_lock_path(lockfile)
    shown = _display(path, Path.cwd() if display_base is None else display_base)
    lock = FileLock(str(path), timeout=0)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        lock.acquire()
    except Timeout:  # a TimeoutError, so an OSError: first
        raise ApplyLockedError(shown) from None
    except OSError as exc:
        raise ApplyLockedError(shown, exc.strerror or type(exc).__name__) from None
    try:
        yield path
    finally:
        lock.release()


def _display(path: Path, base: Path) -> str:
    try:
        return str(Path(os.path.abspath(path)).relative_to(os.path.abspath(base)))
    except ValueError:
        return str(path)
