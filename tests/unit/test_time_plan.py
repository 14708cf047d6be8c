"""Posts in time, pure: what publish_at and expire_at mean at a given instant."""

from __future__ import annotations

from statesync.errors import Location
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
from statesync.normalize import field_hashes
from statesync.plan import ActionKind, TimeStateKind
from statesync.planner import make_plan
from statesync.time_plan import MARGIN_S, MAX_AHEAD_S, MIN_AHEAD_S, can_schedule

PAGE = "1"
NOW = 1_800_000_000
HOUR = 3600
FIELDS = PostFields(message="Spring menu.")
ALL = frozenset({"message", "link", "attachments"})
GRAPH = Capabilities(ALL, frozenset({"message", "attachments"}), schedule=True)
ONEALL = Capabilities(ALL, ALL)
HASHES = {"message": "x", "link": "y", "attachments": "z"}


def desired(**times: int | None) -> Desired:
    post = DesiredPost(
        Address("acme", "menu"), PAGE, FIELDS, Location("acme.yaml", 3), **times
    )
    manifest = PageManifest(
        PAGE, None, "acme", Location("acme.yaml", 1), {"menu": post}
    )
    return Desired(pages={PAGE: manifest})


def recorded(publish_at: int | None = None, **expired: int) -> dict[str, RecordedPage]:
    posts = {} if expired else {"menu": Record("1_9", HASHES, publish_at=publish_at)}
    return {PAGE: RecordedPage(manifest="acme", posts=posts, expired=dict(expired))}


def test_the_window_keeps_its_margins() -> None:
    assert not can_schedule(NOW + MIN_AHEAD_S, NOW)
    assert can_schedule(NOW + MIN_AHEAD_S + MARGIN_S, NOW)
    assert can_schedule(NOW + MAX_AHEAD_S - MARGIN_S, NOW)
    assert not can_schedule(NOW + MAX_AHEAD_S, NOW)


def test_inside_the_window_graph_schedules_the_push() -> None:
    plan = make_plan(desired(publish_at=NOW + 48 * HOUR), {}, {}, GRAPH, now=NOW)
    (push,) = plan.actions
    assert push.kind is ActionKind.PUSH
    assert push.schedule == NOW + 48 * HOUR
    (state,) = plan.timeline
    assert state.state is TimeStateKind.SCHEDULED


def test_oneall_waits_until_the_time_and_then_pushes() -> None:
    at = NOW + 48 * HOUR
    waiting = make_plan(desired(publish_at=at), {}, {}, ONEALL, now=NOW)
    assert waiting.actions == ()
    assert waiting.next_due_at == at
    due = make_plan(desired(publish_at=at), {}, {}, ONEALL, now=at)
    assert [a.kind for a in due.actions] == [ActionKind.PUSH]
    assert due.actions[0].schedule is None


def test_too_soon_to_schedule_waits_for_its_time() -> None:
    plan = make_plan(desired(publish_at=NOW + 5 * 60), {}, {}, GRAPH, now=NOW)
    assert plan.actions == ()
    assert plan.next_due_at == NOW + 5 * 60


def test_beyond_the_window_is_due_when_the_window_reaches_it() -> None:
    at = NOW + 60 * 24 * HOUR
    plan = make_plan(desired(publish_at=at), {}, {}, GRAPH, now=NOW)
    assert plan.actions == ()
    assert plan.next_due_at == at - MAX_AHEAD_S + MARGIN_S


def test_a_scheduled_post_moved_beyond_the_window_is_withdrawn() -> None:
    plan = make_plan(
        desired(publish_at=NOW + 60 * 24 * HOUR),
        recorded(publish_at=NOW + 48 * HOUR),
        None,
        GRAPH,
        now=NOW,
    )
    (delete,) = plan.actions
    assert delete.kind is ActionKind.DELETE
    assert delete.note is not None
    assert "beyond the scheduling window" in delete.note


def test_expiry_deletes_and_a_later_expiry_revives() -> None:
    gone = make_plan(desired(expire_at=NOW - 1), recorded(), None, GRAPH, now=NOW)
    (delete,) = gone.actions
    assert delete.expired_at == NOW - 1
    still = make_plan(
        desired(expire_at=NOW - 1), recorded(menu=NOW - 1), None, GRAPH, now=NOW
    )
    assert still.actions == ()
    assert still.timeline[0].state is TimeStateKind.EXPIRED
    revived = make_plan(
        desired(expire_at=NOW + HOUR), recorded(menu=NOW - 1), None, GRAPH, now=NOW
    )
    assert [a.kind for a in revived.actions] == [ActionKind.PUSH]


def test_a_post_recorded_as_scheduled_stays_so_on_a_writer_that_cannot_schedule():
    """A lockfile written under Graph, planned with OneAll (no reader): the post
    Facebook will publish at its time is left to it, as before video posts."""
    at = NOW + 48 * HOUR
    record = Record("1_9", field_hashes(FIELDS), publish_at=at)
    lock = {PAGE: RecordedPage(manifest="acme", posts={"menu": record})}
    plan = make_plan(desired(publish_at=at), lock, None, ONEALL, now=NOW)
    assert plan.actions == ()
    (state,) = plan.timeline
    assert state.state is TimeStateKind.SCHEDULED


def test_a_scheduled_post_moved_on_a_writer_that_cannot_schedule_says_so() -> None:
    at = NOW + 72 * HOUR
    record = Record("1_9", field_hashes(FIELDS), publish_at=NOW + 48 * HOUR)
    lock = {PAGE: RecordedPage(manifest="acme", posts={"menu": record})}
    (delete,) = make_plan(desired(publish_at=at), lock, None, ONEALL, now=NOW).actions
    assert delete.kind is ActionKind.DELETE
    assert delete.note == (
        "scheduled and not yet published; this writer cannot schedule it, so an "
        "apply from 2027-01-18T08:00:00Z publishes it"
    )
