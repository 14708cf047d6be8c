"""Saved plans: the plan a reviewer approved is exactly what apply runs, or nothing runs.

A saved plan file holds the plan (the JSON rendering, format 1) and the guards that tell
whether it went stale: the lockfile's lineage and serial, a digest of the recorded
state it was made from (every post id, hash and pending push of the pages in scope), a
digest of the desired posts, and a digest of the live fields of every post the plan
touches. The recorded digest binds the plan to exactly the state it saw, whatever the
serial says: a serial is a counter, and counters can meet again. ``apply PLANFILE``
checks all of them before sending a single write. A plan file holds post content and
ids only, never a secret.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from statesync.atomic import write_atomically
from statesync.errors import SavedPlanError
from statesync.lockfile import LockStore
from statesync.model import Desired, PostFields, RecordedPage
from statesync.normalize import field_hashes
from statesync.page_fields import value_hash
from statesync.page_plan import LiveDetails
from statesync.plan import ActionKind, Plan
from statesync.planner import Live
from statesync.render.json import plan_from_data, plan_to_data
from statesync.time_plan import MIN_AHEAD_S
from statesync.times import utc_text

SAVED_PLAN_KIND = "statesync-saved-plan"
SAVED_PLAN_VERSION = 2  # 2: guards.recorded


class StalePlanError(SavedPlanError):
    """The world moved since the plan was made: make a new plan and review it."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(
            f"{path}: the saved plan is stale: {reason}. Nothing was sent. Run "
            "`statesync plan --out PLANFILE` again and review the new plan."
        )


@dataclass(frozen=True, slots=True)
class Guards:
    lineage: str | None  # None: planned before the lockfile existed
    serial: int
    recorded: str  # digest of the recorded pages in scope
    desired: str  # digest of every desired post
    live: Mapping[str, str | None] | None  # post id -> digest; None when not read
    # page id -> digest of the live details a page action was planned from; kept
    # apart from ``live``: details are read even where posts are not.
    details: Mapping[str, str] | None = None

    def as_dict(self) -> dict[str, Any]:
        data = {
            "lineage": self.lineage,
            "serial": self.serial,
            "recorded": self.recorded,
            "desired": self.desired,
            "live": None if self.live is None else dict(sorted(self.live.items())),
        }
        if self.details:  # only where there are some: older plans stay readable
            data["details"] = dict(sorted(self.details.items()))
        return data


def desired_digest(desired: Desired) -> str:
    """Content, not bytes: a comment or reordering in a manifest keeps a plan valid."""
    canonical: list[Any] = sorted(
        (post.page_id, str(post.address), field_hashes(post.fields))
        for post in desired.posts()
    )
    # Only where there are some, so that plans saved before posts in time stay valid.
    timed = sorted(
        (str(post.address), post.publish_at, post.expire_at, list(post.fields.flags))
        for post in desired.posts()
        if post.publish_at is not None
        or post.expire_at is not None
        or post.fields.flags
    )
    if timed:
        canonical.append(timed)
    # Only where there are some, so that plans saved before page details stay valid.
    details = {
        page_id: {name: value_hash(v) for name, v in page.details.values.items()}
        for page_id, page in sorted(desired.pages.items())
        if page.details.values
    }
    if details:
        canonical.append(details)
    return _sha256(canonical)


def recorded_digest(recorded: Mapping[str, RecordedPage]) -> str:
    """Every recorded post and pending push of the pages in scope, canonically."""
    canonical = {}
    for page_id, page in recorded.items():
        entry: dict[str, Any] = {
            "manifest": page.manifest,
            "posts": {k: [r.post_id, dict(r.hashes)] for k, r in page.posts.items()},
            "intents": {k: [i.since, dict(i.hashes)] for k, i in page.intents.items()},
        }
        # Only where there are some, so that plans saved before media stay valid.
        if page.media:
            entry["media"] = {k: [m.media_id, m.size] for k, m in page.media.items()}
        if page.uploads:
            entry["uploads"] = {k: u.since for k, u in page.uploads.items()}
        if page.details:
            entry["details"] = dict(page.details)
        canonical[page_id] = entry
    return _sha256(canonical)


def live_digests(plan: Plan, live: Live | None) -> dict[str, str | None] | None:
    """Post id -> digest of its live fields, for the posts the plan acts on."""
    if live is None:
        return None
    touched = {
        action.post_id for action in plan.actions if action.post_id and action.on_post
    }
    # Only posts read at plan time: a deleted post is not read (nothing to compare)
    return {
        post_id: _live_digest(live.get(post_id))
        for post_id in sorted(touched)
        if post_id in live
    }


def details_digests(plan: Plan, details: LiveDetails | None) -> dict[str, str]:
    """Page id -> digest of the live details of each page whose details it sets."""
    if details is None:
        return {}
    return {
        action.page_id: _sha256(details[action.page_id])
        for action in plan.actions
        if action.on_page and action.page_id in details
    }


def _live_digest(fields: PostFields | None) -> str | None:
    return None if fields is None else _sha256(field_hashes(fields))


def make_guards(
    plan: Plan,
    lock: LockStore,
    recorded: Mapping[str, RecordedPage],
    desired: Desired,
    live: Live | None,
    details: LiveDetails | None = None,
) -> Guards:
    return Guards(
        lineage=_lineage(lock),
        serial=lock.serial,
        recorded=recorded_digest(recorded),
        desired=desired_digest(desired),
        live=live_digests(plan, live),
        details=details_digests(plan, details),
    )


def save_plan(
    path: Path, plan: Plan, guards: Guards, *, only: str | None, project: Path
) -> None:
    data = {
        "kind": SAVED_PLAN_KIND,
        "version": SAVED_PLAN_VERSION,
        "only": only,  # the shard the plan was made for: apply re-selects it
        # Where it was made, for an apply run elsewhere (not a guard: a CI job may
        # apply it in another checkout of the same project).
        "project": str(project.resolve()),
        "guards": guards.as_dict(),
        "plan": plan_to_data(plan),
    }
    write_atomically(path, json.dumps(data, indent=2, sort_keys=True) + "\n")


@dataclass(frozen=True, slots=True)
class SavedPlan:
    path: Path
    plan: Plan
    guards: Guards
    only: str | None
    project: Path  # the project directory it was made in

    def with_files(self, desired: Desired) -> Plan:
        """The plan with each upload's file found in the project again (a saved plan
        names it by path from the project; ``check`` proved the manifests unchanged,
        so each key is still the file the plan was made with)."""
        actions = []
        for action in self.plan.actions:
            manifest = desired.pages.get(action.page_id)
            if action.kind is ActionKind.UPLOAD and manifest is not None:
                media = manifest.media.get(action.address.key)
                if media is None:  # pragma: no cover - the desired digest has it
                    raise StalePlanError(self.path, f"{action.address} is not attached")
                action = replace(action, media=media)
            actions.append(action)
        return replace(self.plan, actions=tuple(actions))

    def check(
        self,
        lock: LockStore,
        recorded: Mapping[str, RecordedPage],
        desired: Desired,
        live: Live | None,
        details: LiveDetails | None = None,
        now: float | None = None,
    ) -> None:
        """Refuse (``StalePlanError``) unless lockfile, manifests, live posts and
        live page details are exactly as they were when the plan was made, and
        (at ``now``) its times still hold: a post to schedule still far enough
        ahead, a post to push not expired since."""
        if _lineage(lock) != self.guards.lineage:
            raise StalePlanError(
                self.path, "it was made for a different lockfile (lineage)"
            )
        if lock.serial != self.guards.serial:
            raise StalePlanError(
                self.path,
                f"the lockfile's serial is {lock.serial}, the plan was made at serial "
                f"{self.guards.serial}: another apply ran since",
            )
        if recorded_digest(recorded) != self.guards.recorded:
            raise StalePlanError(
                self.path,
                "the lockfile records other posts than when the plan was made",
            )
        if desired_digest(desired) != self.guards.desired:
            raise StalePlanError(
                self.path, "the manifests changed since the plan was made"
            )
        if now is not None:
            self._check_times(desired, now)
        for page_id, page_digest in (self.guards.details or {}).items():
            seen = (details or {}).get(page_id)
            if seen is None or _sha256(seen) != page_digest:
                raise StalePlanError(
                    self.path,
                    f"page {page_id}'s details changed since the plan was made",
                )
        if self.guards.live is None or live is None:
            return
        for post_id, digest in self.guards.live.items():
            if _live_digest(live.get(post_id)) != digest:
                raise StalePlanError(
                    self.path,
                    f"post {post_id} changed on the page since the plan was made",
                )

    def _check_times(self, desired: Desired, now: float) -> None:
        expiries = {
            (post.page_id, post.address.key): post.expire_at
            for post in desired.posts()
            if post.expire_at is not None
        }
        for action in self.plan.actions:
            if action.schedule is not None and action.schedule - now < MIN_AHEAD_S:
                raise StalePlanError(
                    self.path,
                    f"{action.address} was to be scheduled for "
                    f"{utc_text(action.schedule)}, which is now too close to schedule",
                )
            expire_at = expiries.get((action.page_id, action.address.key))
            pushes = action.kind in (ActionKind.PUSH, ActionKind.REPLACE)
            if pushes and expire_at is not None and expire_at <= now:
                raise StalePlanError(
                    self.path, f"{action.address} has expired since the plan was made"
                )


def load_saved_plan(path: Path) -> SavedPlan:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SavedPlanError(f"{path}: no such plan file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SavedPlanError(f"{path}: not a statesync plan file ({exc})") from None
    if not isinstance(data, dict) or data.get("kind") != SAVED_PLAN_KIND:
        raise SavedPlanError(
            f"{path}: not a statesync plan file (make one with `statesync plan --out`)"
        )
    if data.get("version") != SAVED_PLAN_VERSION:
        raise SavedPlanError(
            f"{path}: plan file version {data.get('version')!r} is not supported by "
            f"this statesync (it reads version {SAVED_PLAN_VERSION}); nothing was "
            "sent. Make a new plan with `statesync plan --out PLANFILE`."
        )
    only, project = data.get("only"), data.get("project")
    try:
        plan = plan_from_data(data.get("plan"))
        guards = _guards_from(data.get("guards"))
        if only is not None and not isinstance(only, str):
            raise ValueError("only: must be a glob or null")
        if not isinstance(project, str):
            raise ValueError("project: must be a directory")
    except ValueError as exc:
        raise SavedPlanError(f"{path}: the plan file is corrupted ({exc})") from None
    return SavedPlan(
        path=path, plan=plan, guards=guards, only=only, project=Path(project)
    )


def _lineage(lock: LockStore) -> str | None:
    return None if lock.is_new else lock.lineage


def _guards_from(data: Any) -> Guards:
    if not isinstance(data, dict):
        raise ValueError("guards: missing")
    lineage, serial, recorded, desired, live, details = (
        data.get("lineage"),
        data.get("serial"),
        data.get("recorded"),
        data.get("desired"),
        data.get("live"),
        data.get("details", {}),
    )
    if not isinstance(lineage, str | None) or not isinstance(desired, str):
        raise ValueError("guards: lineage and desired must be strings")
    if not isinstance(recorded, str):
        raise ValueError("guards.recorded: must be a digest")
    if not isinstance(serial, int) or isinstance(serial, bool):
        raise ValueError("guards.serial: must be an integer")
    if live is not None and not (
        isinstance(live, dict) and all(isinstance(v, str | None) for v in live.values())
    ):
        raise ValueError("guards.live: must map post ids to digests")
    if not (
        isinstance(details, dict) and all(isinstance(v, str) for v in details.values())
    ):
        raise ValueError("guards.details: must map page ids to digests")
    return Guards(
        lineage=lineage,
        serial=serial,
        recorded=recorded,
        desired=desired,
        live=live,
        details=details,
    )


def _sha256(value: object) -> str:
    text = json.dumps(value, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()
