"""Posts in time: what ``publish_at`` and ``expire_at`` mean for a plan at ``now``.
Pure: the instant comes in (statesync.clock), so every case is testable.

Before the planner runs, the desired state is cut to what should exist *now*: a post
whose time has not come is left out (waiting; nothing is sent), unless the writer can
schedule it (Graph) and its time is inside the scheduling window, in which case its
push carries the time; a post past its ``expire_at`` is left out too, so the planner
deletes it like any post the manifests no longer want, and the lockfile remembers it
as expired, so that it is not pushed again while the manifest still names it.

PROTOCOL §9: Meta's documents disagree on Graph's window (Feed reference 10 min to 75
days; Pages API guide 10 min to 30 days; older docs 6 months): statesync keeps the
conservative 10 min to 30 days, with a margin so that an apply run a little after its
plan still lands inside it. Time arithmetic never fails: a time outside the window
waits for an apply that can act.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field, replace

from statesync.kinds import Capabilities
from statesync.model import (
    Address,
    Desired,
    DesiredPost,
    PageManifest,
    PostFields,
    Record,
    RecordedPage,
)
from statesync.plan import Action, ActionKind, TimeState, TimeStateKind
from statesync.times import utc_text

MIN_AHEAD_S = 10 * 60  # PROTOCOL §9: at least 10 minutes ahead
MAX_AHEAD_S = 30 * 24 * 3600  # PROTOCOL §9: the conservative bound, 30 days
MARGIN_S = 5 * 60  # plan-to-apply slack and clock skew, inside both bounds

Key = tuple[str, str]  # (page id, post key)
# What the writer can do with one post (page id, post key): a video post on Graph
# cannot be scheduled where a text post can (statesync.planner).
CapabilitiesOf = Callable[[str, str], Capabilities]


@dataclass(frozen=True, slots=True)
class TimePlan:
    desired: Desired  # what should exist now
    schedules: dict[Key, int] = field(default_factory=dict)  # push/replace: when
    expiring: dict[Key, int] = field(default_factory=dict)  # delete: expire_at
    # Scheduled, unpublished posts whose new time is beyond the window, or which
    # the writer cannot schedule (a post becoming a video post): deleted now
    # (nothing was seen), pushed again later; the note says why.
    withdrawn: dict[Key, str] = field(default_factory=dict)  # key -> why
    timeline: tuple[TimeState, ...] = ()


def can_schedule(at: int, now: float) -> bool:
    """Inside the window, margins included, so the API accepts it when sent."""
    return MIN_AHEAD_S + MARGIN_S <= at - now <= MAX_AHEAD_S - MARGIN_S


def plan_times(
    desired: Desired,
    recorded: Mapping[str, RecordedPage],
    now: float,
    can_of: CapabilitiesOf,
    live: Mapping[str, PostFields | None] | None = None,
    unschedulable: Collection[Key] = (),
) -> TimePlan:
    """The desired state as of ``now``, what to schedule, what expires, and each
    time-bound post's state. ``unschedulable``: posts that become a kind the writer
    cannot schedule (a video post), whose scheduled predecessor is withdrawn."""
    schedules: dict[Key, int] = {}
    expiring: dict[Key, int] = {}
    withdrawn: dict[Key, str] = {}
    timeline: list[TimeState] = []
    pages: dict[str, PageManifest] = {}
    for page_id, manifest in desired.pages.items():
        page = recorded.get(page_id)
        kept: dict[str, DesiredPost] = {}
        for key, post in manifest.posts.items():
            if post.publish_at is None and post.expire_at is None:
                kept[key] = post
                continue
            record = page.posts.get(key) if page else None
            expired = page.expired.get(key) if page else None
            was = _scheduled_time(record, live, now) if record is not None else None
            can = can_of(page_id, key)
            changing = (page_id, key) in unschedulable
            state, keep = _decide(
                post, record is not None, was, expired, now, can, changing
            )
            if state is not None:
                timeline.append(state)
            if keep:
                kept[key] = post
                when = post.publish_at
                if (
                    can.schedule
                    and when is not None
                    and when > now
                    and can_schedule(when, now)
                ):
                    schedules[(page_id, key)] = when
            elif record is not None and state is not None:
                if state.state is TimeStateKind.EXPIRED:
                    expiring[(page_id, key)] = state.at
                else:
                    withdrawn[(page_id, key)] = _withdrawal(state.at, can, changing)
        pages[page_id] = replace(manifest, posts=kept)
    return TimePlan(
        desired=Desired(pages=pages),
        schedules=schedules,
        expiring=expiring,
        withdrawn=withdrawn,
        timeline=tuple(sorted(timeline)),
    )


def _scheduled_time(
    record: Record, live: Mapping[str, PostFields | None] | None, now: float
) -> int | None:
    """The time a recorded post not yet published is scheduled for; None once it
    is published. Where the post was read, the live post decides (published by
    hand early, or moved by hand); else the lockfile's time, while still ahead."""
    seen = live.get(record.post_id) if live else None
    if seen is not None:
        return seen.scheduled_at
    if record.publish_at is not None and record.publish_at > now:
        return record.publish_at
    return None


def _decide(
    post: DesiredPost,
    is_recorded: bool,
    was: int | None,
    expired: int | None,
    now: float,
    can: Capabilities,
    becomes_unschedulable: bool = False,
) -> tuple[TimeState | None, bool]:
    """The post's state, and whether it belongs in the desired state now. ``was``:
    the time a recorded post not yet published is scheduled for."""
    pending = was is not None
    address = post.address
    publish_at, expire_at = post.publish_at, post.expire_at
    if expire_at is not None and (now >= expire_at or expired == expire_at):
        # An expiry moved later revives it: only the same instant stays expired.
        return TimeState(address, TimeStateKind.EXPIRED, expire_at), False
    if publish_at is not None and publish_at > now and (not is_recorded or pending):
        if can.schedule and can_schedule(publish_at, now):
            return _scheduled(address, publish_at, expire_at), True
        # A post becoming one the writer cannot schedule (a photo post becoming a
        # video post) cannot leave its scheduled predecessor to publish it.
        pending = pending and not becomes_unschedulable
        if pending and publish_at == was:  # close to its time: Facebook's to do
            return _scheduled(address, publish_at, expire_at), True
        if pending and publish_at - now < MIN_AHEAD_S + MARGIN_S:
            # Too close to move it there: it stays scheduled for its old time, and
            # an apply at its new time publishes it (PROTOCOL §10).
            return TimeState(
                address, TimeStateKind.WAITING, publish_at, publish_at
            ), True
        due = _due(publish_at, now, can)
        return TimeState(address, TimeStateKind.WAITING, publish_at, due), False
    if expire_at is not None:
        return TimeState(address, TimeStateKind.EXPIRES, expire_at, expire_at), True
    return None, True


def _withdrawal(at: int, can: Capabilities, changing: bool) -> str:
    """Why a scheduled post not yet published is deleted now, to be pushed later."""
    head = "scheduled and not yet published; "
    if can.schedule and not changing:
        return (
            f"{head}its new time, {utc_text(at)}, is beyond the scheduling window, "
            "so it is pushed again later"
        )
    why = (
        "it becomes a post this writer cannot schedule (a video post)"
        if changing
        else "this writer cannot schedule it"
    )
    return f"{head}{why}, so an apply from {utc_text(at)} publishes it"


def _scheduled(address: Address, publish_at: int, expire_at: int | None) -> TimeState:
    return TimeState(address, TimeStateKind.SCHEDULED, publish_at, expire_at)


def _due(publish_at: int, now: float, can: Capabilities) -> int:
    """When an apply can act on a waiting post: schedule it once the window reaches
    it, or push it at its time (too soon to schedule, or a writer that cannot)."""
    if can.schedule and publish_at - now > MAX_AHEAD_S - MARGIN_S:
        return publish_at - MAX_AHEAD_S + MARGIN_S
    return publish_at


def timed(actions: list[Action], times: TimePlan) -> list[Action]:
    """The planner's actions with their times: a push (or a replace's push) carries
    its schedule; a delete of an expired post is named so and remembered."""
    out = []
    for action in actions:
        key = (action.page_id, action.address.key)
        if action.on_post and action.kind in (ActionKind.PUSH, ActionKind.REPLACE):
            when = times.schedules.get(key)
            if when is not None:
                action = replace(action, schedule=when)
        if action.on_post and action.kind is ActionKind.DELETE:
            expired_at = times.expiring.get(key)
            if expired_at is not None:
                action = replace(
                    action,
                    expired_at=expired_at,
                    note=f"expired at {utc_text(expired_at)}",
                )
            elif key in times.withdrawn:
                action = replace(action, note=times.withdrawn[key])
        out.append(action)
    return out


def reschedules(
    desired: Desired,
    recorded: Mapping[str, RecordedPage],
    actions: list[Action],
    now: float,
    can_of: CapabilitiesOf,
    live: Mapping[str, PostFields | None] | None = None,
) -> list[Action]:
    """Scheduled posts not yet published whose time is not the manifest's: the
    update in place (PROTOCOL §10: a new ``scheduled_publish_time``, or
    ``is_published=true`` to publish now), merged into the post's content update
    where there is one. Where the post was read, its live time decides (a time moved
    by hand is drift, and restored); else the time the lockfile recorded."""
    by_key = {(a.page_id, a.address.key): i for i, a in enumerate(actions)}
    out = list(actions)
    for post in desired.posts():
        page = recorded.get(post.page_id)
        record = page.posts.get(post.address.key) if page else None
        current = _scheduled_time(record, live, now) if record is not None else None
        if record is None or current is None:
            continue  # published already (or at once): its time is history
        drift = current != record.publish_at
        seen = live.get(record.post_id) if live else None
        wanted = post.publish_at if post.publish_at and post.publish_at > now else None
        if wanted == current:
            continue
        can = can_of(post.page_id, post.address.key)
        if wanted is not None and not (can.schedule and can_schedule(wanted, now)):
            continue  # cannot be moved there yet: it keeps its current time
        index = by_key.get((post.page_id, post.address.key))
        if index is None:
            out.append(
                Action(
                    kind=ActionKind.UPDATE,
                    address=post.address,
                    page_id=post.page_id,
                    post_id=record.post_id,
                    before=seen,
                    after=post.fields,
                    changed=("publish_at",),
                    schedule=wanted,
                    drift=drift,
                )
            )
        elif out[index].kind is ActionKind.UPDATE:
            action = out[index]
            changed = tuple(sorted({*action.changed, "publish_at"}))
            out[index] = replace(
                action, changed=changed, schedule=wanted, drift=action.drift or drift
            )
    return out
