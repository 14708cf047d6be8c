"""Every planner decision from a capability table, and what apply, the safety rails
and saved plans make of it: fake tables (no delete, no in-place field, no ``link``,
no read, no list) over the in-memory provider; no server."""

from __future__ import annotations

from pathlib import Path

import deepdiff
import pytest

from statesync import planner
from statesync.applier import ApplyFailed, apply_plan
from statesync.errors import UnsafePlanError
from statesync.kinds import Capabilities, Kind
from statesync.lockfile import Lockfile
from statesync.model import POST_FIELDS, PostFields
from statesync.page_fields import BY_QUALIFIED
from statesync.plan import ActionKind, Plan
from statesync.planner import make_plan
from statesync.providers.graph import GraphProvider
from statesync.providers.oneall import OneAllProvider
from statesync.safety import SafetySettings, check_plan
from statesync.savedplan import load_saved_plan, make_guards, save_plan
from tests.fakes import FakeProvider, make_desired

PAGE = "104510075301234"
ALL = frozenset(POST_FIELDS)
NOTHING: frozenset[str] = frozenset()
NO_LINK = frozenset({"message", "attachments"})
HELLO = PostFields(message="Hello.")
LINKED = PostFields(message="Hello.", link="https://acme.example/")
PICTURED = PostFields(message="Hello.", attachments=("1021",))


def applied(
    tmp_path: Path, posts: dict[str, PostFields]
) -> tuple[Lockfile, FakeProvider]:
    """The posts pushed by a writer that can do everything, then recorded."""
    provider = FakeProvider(ALL)
    lock = Lockfile(path=tmp_path / "statesync.lock")
    apply_plan(
        make_plan(make_desired({PAGE: posts}), lock.pages, {}, provider.can),
        provider,
        lock,
    )
    return lock, provider


def replan(
    lock: Lockfile,
    provider: FakeProvider,
    posts: dict[str, PostFields],
    can: Capabilities,
    *,
    reader: bool = True,
) -> Plan:
    ids = [r.post_id for page in lock.pages.values() for r in page.posts.values()]
    live = provider.read(PAGE, ids) if reader else None
    return make_plan(make_desired({PAGE: posts}), lock.pages, live, can)


def decided(plan: Plan) -> list[tuple[ActionKind, tuple[str, ...], str | None]]:
    return [(a.kind, a.changed, a.forced_by) for a in plan.actions]


def test_todays_writers_declare_their_tables_from_the_seeds() -> None:
    """The README's kind/capability table, pinned: a change here is a behaviour change."""
    nothing: frozenset[str] = frozenset()
    assert GraphProvider.capabilities == {
        Kind.POST: Capabilities(
            ALL, NO_LINK, delete=True, read=True, list=True, schedule=True
        ),
        Kind.MEDIA: Capabilities(
            frozenset({"image", "video"}), nothing, read=False, list=False
        ),
        # docs/media.md §3.1: a video is its own post; its message is the video's
        # description (in place), its file is not (replace); never scheduled
        Kind.VIDEO_POST: Capabilities(
            frozenset({"message", "attachments"}),
            frozenset({"message"}),
            delete=True,
            read=True,
            list=True,
            schedule=False,
        ),
        # seed 004: every managed page field is set in place, never deleted
        Kind.PAGE: Capabilities(
            frozenset(BY_QUALIFIED),
            frozenset(BY_QUALIFIED),
            delete=False,
            read=True,
            list=False,
        ),
    }
    assert OneAllProvider.capabilities == {
        Kind.POST: Capabilities(ALL, ALL, delete=True, read=True, list=True),
        Kind.MEDIA: Capabilities(
            frozenset({"image", "video"}), nothing, read=False, list=False
        ),
    }


# --- no in-place field: every change is a replace, or impossible without delete ---


@pytest.mark.parametrize("reader", [True, False])
def test_without_in_place_fields_every_change_is_a_replace(
    tmp_path: Path, reader: bool
) -> None:
    lock, provider = applied(tmp_path, {"a": HELLO, "b": PICTURED})
    edited = {
        "a": PostFields(message="Hi."),
        "b": PostFields(message="Hello.", attachments=("1022",)),
    }
    plan = replan(lock, provider, edited, Capabilities(ALL, NOTHING), reader=reader)
    assert decided(plan) == [
        (ActionKind.REPLACE, ("message",), "message"),
        (ActionKind.REPLACE, ("attachments",), "attachments"),
    ]
    apply_plan(plan, provider, lock)
    assert replan(lock, provider, edited, Capabilities(ALL, NOTHING)).actions == ()


@pytest.mark.parametrize("reader", [True, False])
def test_without_in_place_fields_nor_delete_a_change_is_impossible(
    tmp_path: Path, reader: bool
) -> None:
    lock, provider = applied(tmp_path, {"a": HELLO})
    can = Capabilities(ALL, NOTHING, delete=False)
    plan = replan(lock, provider, {"a": PostFields(message="Hi.")}, can, reader=reader)
    (action,) = plan.actions
    assert (action.kind, action.forced_by) == (ActionKind.IMPOSSIBLE, "message")
    assert action.note == (
        "message cannot be changed in place, and this writer cannot delete a post "
        "to push it again"
    )
    assert action.post_id == lock.pages[PAGE].posts["a"].post_id


def test_the_first_field_not_in_place_forces_the_replace(tmp_path: Path) -> None:
    lock, provider = applied(tmp_path, {"a": LINKED})
    edited = {"a": PostFields(message="Hi.", link="https://acme.example/b")}
    plan = replan(lock, provider, edited, Capabilities(ALL, frozenset({"message"})))
    assert decided(plan) == [(ActionKind.REPLACE, ("link", "message"), "link")]


# --- no delete: forget what no manifest wants; an unchanged entry stays quiet ---


def test_without_delete_an_unchanged_entry_plans_nothing(tmp_path: Path) -> None:
    lock, provider = applied(tmp_path, {"a": HELLO})
    assert (
        replan(
            lock, provider, {"a": HELLO}, Capabilities(ALL, ALL, delete=False)
        ).actions
        == ()
    )


def test_a_post_already_gone_is_forgotten_and_said_so(tmp_path: Path) -> None:
    lock, provider = applied(tmp_path, {"a": HELLO, "b": HELLO})
    gone = lock.pages[PAGE].posts["b"].post_id
    provider.posts.pop(gone)
    plan = replan(lock, provider, {"a": HELLO}, Capabilities(ALL, ALL, delete=False))
    (action,) = plan.actions
    assert (action.kind, action.note) == (
        ActionKind.FORGET,
        f"post {gone} is already gone: it is only forgotten",
    )


def test_forgetting_is_no_destroy_for_the_mass_delete_rail(tmp_path: Path) -> None:
    posts = {f"k{i}": PostFields(message=f"Post {i}.") for i in range(10)}
    lock, _ = applied(tmp_path, posts)
    desired = make_desired({PAGE: {}})
    plan = make_plan(desired, lock.pages, None, Capabilities(ALL, ALL, delete=False))
    assert [a.kind for a in plan.actions] == [ActionKind.FORGET] * 10
    settings = SafetySettings()
    assert (
        check_plan(plan, desired, lock.pages, settings, allow_mass_delete=False) == []
    )
    deleting = make_plan(desired, lock.pages, None, Capabilities(ALL, ALL))
    with pytest.raises(UnsafePlanError, match="delete or replace 10 of its 10"):
        check_plan(deleting, desired, lock.pages, settings, allow_mass_delete=False)


# --- a field the writer cannot set ---


def test_a_field_no_push_can_set_makes_a_new_entry_impossible(tmp_path: Path) -> None:
    lock = Lockfile(path=tmp_path / "statesync.lock")
    plan = make_plan(
        make_desired({PAGE: {"a": LINKED}}),
        lock.pages,
        {},
        Capabilities(NO_LINK, NO_LINK),
    )
    assert decided(plan) == [(ActionKind.IMPOSSIBLE, (), "link")]
    assert plan.actions[0].post_id is None


def test_a_field_no_push_can_set_makes_a_lost_post_impossible(tmp_path: Path) -> None:
    lock, provider = applied(tmp_path, {"a": LINKED})
    provider.posts.clear()  # deleted outside statesync: it would be pushed again
    plan = replan(lock, provider, {"a": LINKED}, Capabilities(NO_LINK, NO_LINK))
    (action,) = plan.actions
    assert (action.kind, action.forced_by) == (ActionKind.IMPOSSIBLE, "link")
    assert action.note == "this writer cannot set link on a post"


def test_setting_a_field_the_writer_cannot_set_is_impossible(tmp_path: Path) -> None:
    lock, provider = applied(tmp_path, {"a": HELLO})
    plan = replan(lock, provider, {"a": LINKED}, Capabilities(NO_LINK, NO_LINK))
    assert decided(plan) == [(ActionKind.IMPOSSIBLE, ("link",), "link")]
    assert plan.actions[0].note == "this writer cannot set link on a post"


def test_clearing_a_field_the_writer_cannot_set_is_a_replace(tmp_path: Path) -> None:
    """The push that replaces the post simply leaves the field out."""
    lock, provider = applied(tmp_path, {"a": LINKED})
    plan = replan(lock, provider, {"a": HELLO}, Capabilities(NO_LINK, NO_LINK))
    assert decided(plan) == [(ActionKind.REPLACE, ("link",), "link")]


def test_an_in_place_edit_leaves_an_unsettable_field_alone(tmp_path: Path) -> None:
    lock, provider = applied(tmp_path, {"a": LINKED})
    edited = {"a": PostFields(message="Hi.", link="https://acme.example/")}
    plan = replan(lock, provider, edited, Capabilities(NO_LINK, NO_LINK))
    assert decided(plan) == [(ActionKind.UPDATE, ("message",), None)]


def test_a_replace_that_would_push_an_unsettable_field_is_impossible(
    tmp_path: Path,
) -> None:
    lock, provider = applied(
        tmp_path, {"a": PostFields(message="Hi.", link="https://a.example/")}
    )
    edited = {"a": PostFields(message="Hello.", link="https://a.example/")}
    plan = replan(lock, provider, edited, Capabilities(NO_LINK, NOTHING))
    (action,) = plan.actions
    assert (action.kind, action.forced_by) == (ActionKind.IMPOSSIBLE, "message")
    assert action.note == (
        "message cannot be changed in place, and this writer cannot set link on a post"
    )


# --- read and list ---


def test_a_kind_that_cannot_be_read_is_planned_from_the_recorded_hashes(
    tmp_path: Path,
) -> None:
    lock, provider = applied(tmp_path, {"a": HELLO})
    post_id = lock.pages[PAGE].posts["a"].post_id
    provider.posts[post_id] = PostFields(message="Edited by hand.")  # drift
    unread = Capabilities(ALL, ALL, read=False)
    assert replan(lock, provider, {"a": HELLO}, unread).actions == ()  # unseen
    plan = replan(lock, provider, {"a": PostFields(message="Hi.")}, unread)
    assert plan.reads_live is False
    (action,) = plan.actions
    assert (action.kind, action.before, action.drift) == (
        ActionKind.UPDATE,
        None,
        False,
    )


def test_a_lost_push_of_a_kind_that_cannot_be_listed_waits_for_resolve(
    tmp_path: Path,
) -> None:
    provider = FakeProvider(ALL)
    provider.capabilities = {Kind.POST: Capabilities(ALL, ALL, list=False)}
    provider.lose_answers = ["commit"]
    lock = Lockfile(path=tmp_path / "statesync.lock")
    plan = make_plan(make_desired({PAGE: {"a": HELLO}}), lock.pages, {}, provider.can)
    with pytest.raises(ApplyFailed, match="cannot list the page's posts"):
        apply_plan(plan, provider, lock, lister=provider, sleep=lambda s: None)
    assert ("list", PAGE) not in provider.calls
    assert list(lock.pages[PAGE].intents) == ["a"]  # resolve settles it


# --- impossible: shown by plan, refused whole by apply, never saved half-done ---


def test_apply_refuses_a_plan_with_an_impossible_action_before_sending(
    tmp_path: Path,
) -> None:
    lock, provider = applied(tmp_path, {"a": HELLO, "b": HELLO})
    can = Capabilities(NO_LINK, NO_LINK)
    plan = replan(lock, provider, {"a": PostFields(message="Hi."), "b": LINKED}, can)
    assert [a.kind for a in plan.actions] == [ActionKind.UPDATE, ActionKind.IMPOSSIBLE]
    sent = list(provider.calls)
    with pytest.raises(UnsafePlanError) as caught:
        apply_plan(plan, provider, lock)
    assert str(caught.value) == (
        f"p{PAGE}/b: impossible: this writer cannot set link on a post. Change the "
        "manifest back, or use a provider that can (statesync.yaml: provider)."
    )
    assert provider.calls == sent  # the possible update was not sent either


def test_forget_round_trips_through_a_saved_plan_and_applies(tmp_path: Path) -> None:
    lock, provider = applied(tmp_path, {"a": HELLO, "b": HELLO})
    can = Capabilities(ALL, ALL, delete=False)
    ids = [r.post_id for r in lock.pages[PAGE].posts.values()]
    live = provider.read(PAGE, ids)
    desired = make_desired({PAGE: {"a": HELLO}})
    plan = make_plan(desired, lock.pages, live, can)
    path = tmp_path / "plan.json"
    guards = make_guards(plan, lock, lock.pages, desired, live)
    save_plan(path, plan, guards, only=None, project=tmp_path)
    saved = load_saved_plan(path)
    assert saved.plan == plan
    saved.check(lock, lock.pages, desired, provider.read(PAGE, ids))
    sent = len(provider.calls)
    report = apply_plan(saved.plan, provider, lock)
    assert [o.describe() for o in report.outcomes] == [
        f"p{PAGE}/b: forgotten; it stays on page {PAGE}"
    ]
    assert len(provider.calls) == sent
    assert sorted(lock.pages[PAGE].posts) == ["a"]
    assert set(ids) <= set(provider.posts)


# --- issue 20: the equal-post path neither hashes nor diffs ---


def test_only_a_post_that_changed_is_hashed_and_diffed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    posts = {f"p{i:04}": PostFields(message=f"Post {i}.") for i in range(1000)}
    lock, provider = applied(tmp_path, posts)
    hashed: list[PostFields] = []
    diffed: list[object] = []
    real_hashes, real_diff = planner.field_hashes, deepdiff.DeepDiff
    monkeypatch.setattr(
        planner, "field_hashes", lambda f: hashed.append(f) or real_hashes(f)
    )
    monkeypatch.setattr(  # the planner imports it when a post differs
        deepdiff, "DeepDiff", lambda *a, **k: diffed.append(a) or real_diff(*a, **k)
    )
    assert replan(lock, provider, posts, provider.can).actions == ()
    assert (hashed, diffed) == ([], [])
    edited = {**posts, "p0500": PostFields(message="Edited.")}
    (action,) = replan(lock, provider, edited, provider.can).actions
    assert (action.kind, action.drift) == (ActionKind.UPDATE, False)
    assert hashed == [PostFields(message="Post 500.")]  # the drift check, once
    assert len(diffed) == 1
