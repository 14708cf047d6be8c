from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from statesync.applier import apply_plan
from statesync.lockfile import Lockfile
from statesync.model import PostFields
from statesync.plan import ActionKind, Plan
from statesync.planner import make_plan
from tests.fakes import FakeProvider, make_desired

PAGE = "104510075301234"
GRAPH_IN_PLACE = frozenset({"message", "attachments"})
ONEALL_IN_PLACE = frozenset({"message", "link", "attachments"})


def plan_with(
    provider: FakeProvider, desired, lock: Lockfile, *, reader: bool = True
) -> Plan:
    live = None
    if reader:
        ids = [r.post_id for page in lock.pages.values() for r in page.posts.values()]
        live = provider.read(PAGE, ids)
    return make_plan(desired, lock.pages, live, provider.can)


def applied(tmp_path: Path, posts: dict[str, PostFields], provider: FakeProvider):
    lock = Lockfile(path=tmp_path / "statesync.lock")
    desired = make_desired({PAGE: posts})
    apply_plan(plan_with(provider, desired, lock), provider, lock)
    return lock


def test_new_posts_are_pushed_then_the_plan_settles(tmp_path: Path) -> None:
    provider = FakeProvider()
    desired = make_desired(
        {
            PAGE: {
                "a": PostFields(message="Hello\n"),
                "b": PostFields(link="https://x.example"),
            }
        }
    )
    lock = Lockfile(path=tmp_path / "statesync.lock")
    plan = plan_with(provider, desired, lock)
    assert [(a.kind, str(a.address)) for a in plan.actions] == [
        (ActionKind.PUSH, f"p{PAGE}/a"),
        (ActionKind.PUSH, f"p{PAGE}/b"),
    ]
    apply_plan(plan, provider, lock)
    assert plan_with(provider, desired, lock).actions == ()


def test_message_edit_is_an_update_listing_the_field(tmp_path: Path) -> None:
    provider = FakeProvider()
    lock = applied(tmp_path, {"a": PostFields(message="old")}, provider)
    plan = plan_with(
        provider, make_desired({PAGE: {"a": PostFields(message="new")}}), lock
    )
    (action,) = plan.actions
    assert (action.kind, action.changed, action.drift) == (
        ActionKind.UPDATE,
        ("message",),
        False,
    )
    assert action.before == PostFields(message="old")


@pytest.mark.parametrize(
    ("in_place", "kind", "forced_by"),
    [
        (GRAPH_IN_PLACE, ActionKind.REPLACE, "link"),
        (ONEALL_IN_PLACE, ActionKind.UPDATE, None),
    ],
)
def test_link_change_kind_comes_from_the_writer(
    tmp_path, in_place, kind, forced_by
) -> None:
    provider = FakeProvider(in_place)
    lock = applied(tmp_path, {"a": PostFields(link="https://a.example/")}, provider)
    desired = make_desired({PAGE: {"a": PostFields(link="https://b.example/")}})
    (action,) = plan_with(provider, desired, lock).actions
    assert (action.kind, action.changed, action.forced_by) == (
        kind,
        ("link",),
        forced_by,
    )


def test_removed_post_is_deleted_and_unmanaged_posts_are_untouched(
    tmp_path: Path,
) -> None:
    provider = FakeProvider()
    unmanaged = provider.push(PAGE, PostFields(message="made by hand"))
    lock = applied(
        tmp_path, {"a": PostFields(message="a"), "b": PostFields(message="b")}, provider
    )
    plan = plan_with(
        provider, make_desired({PAGE: {"a": PostFields(message="a")}}), lock
    )
    (action,) = plan.actions
    assert (action.kind, action.address.key) == (ActionKind.DELETE, "b")
    apply_plan(plan, provider, lock)
    assert unmanaged in provider.posts
    assert set(lock.pages[PAGE].posts) == {"a"}


def test_drift_is_named_and_restored(tmp_path: Path) -> None:
    provider = FakeProvider()
    desired = make_desired({PAGE: {"a": PostFields(message="ours")}})
    lock = applied(tmp_path, {"a": PostFields(message="ours")}, provider)
    post_id = lock.pages[PAGE].posts["a"].post_id
    provider.posts[post_id] = PostFields(message="edited by hand")
    (action,) = plan_with(provider, desired, lock).actions
    assert (action.kind, action.drift) == (ActionKind.UPDATE, True)
    apply_plan(plan_with(provider, desired, lock), provider, lock)
    assert provider.posts[post_id].message == "ours"


def test_post_deleted_outside_statesync_is_pushed_again(tmp_path: Path) -> None:
    provider = FakeProvider()
    desired = make_desired({PAGE: {"a": PostFields(message="ours")}})
    lock = applied(tmp_path, {"a": PostFields(message="ours")}, provider)
    old_id = lock.pages[PAGE].posts["a"].post_id
    del provider.posts[old_id]
    (action,) = plan_with(provider, desired, lock).actions
    assert action.kind is ActionKind.PUSH
    assert action.note == f"post {old_id} no longer exists (deleted outside statesync)"
    apply_plan(plan_with(provider, desired, lock), provider, lock)
    assert lock.pages[PAGE].posts["a"].post_id != old_id


def test_without_a_reader_changes_come_from_recorded_hashes(tmp_path: Path) -> None:
    provider = FakeProvider(GRAPH_IN_PLACE)
    lock = applied(
        tmp_path, {"a": PostFields(message="m", link="https://a.example/")}, provider
    )
    post_id = lock.pages[PAGE].posts["a"].post_id
    provider.posts[post_id] = PostFields(
        message="drifted"
    )  # invisible without a reader
    same = make_desired(
        {PAGE: {"a": PostFields(message="m", link="https://a.example")}}
    )
    plan = plan_with(provider, same, lock, reader=False)
    assert (plan.actions, plan.reads_live) == ((), False)
    changed = make_desired(
        {PAGE: {"a": PostFields(message="m2", link="https://b.example")}}
    )
    (action,) = plan_with(provider, changed, lock, reader=False).actions
    assert (action.kind, action.changed, action.before) == (
        ActionKind.REPLACE,
        ("link", "message"),
        None,
    )
    assert ("read", PAGE) not in provider.calls[-1:]


def test_update_of_a_post_gone_meanwhile_pushes_it_again(tmp_path: Path) -> None:
    provider = FakeProvider()
    lock = applied(tmp_path, {"a": PostFields(message="old")}, provider)
    desired = make_desired({PAGE: {"a": PostFields(message="new")}})
    plan = plan_with(provider, desired, lock)
    old_id = lock.pages[PAGE].posts["a"].post_id
    del provider.posts[old_id]  # gone between plan and apply
    report = apply_plan(plan, provider, lock)
    (outcome,) = report.outcomes
    assert outcome.note == f"post {old_id} was gone, so it was pushed again"
    assert lock.pages[PAGE].posts["a"].post_id == outcome.post_id != old_id


_fields = st.builds(
    PostFields,
    message=st.one_of(st.none(), st.text(min_size=1, max_size=20)),
    link=st.one_of(
        st.none(), st.sampled_from(["https://a.example/", "https://b.example/x"])
    ),
    attachments=st.lists(st.sampled_from(["11", "12", "13"]), max_size=2).map(tuple),
)
_manifest = st.dictionaries(st.sampled_from(["a", "b", "c", "d"]), _fields, max_size=4)


@settings(max_examples=60, deadline=None)
@given(first=_manifest, second=_manifest, oneall=st.booleans(), reader=st.booleans())
def test_replanning_after_any_apply_is_empty(
    tmp_path_factory, first, second, oneall, reader
):
    tmp_path = tmp_path_factory.mktemp("lock")
    provider = FakeProvider(ONEALL_IN_PLACE if oneall else GRAPH_IN_PLACE)
    lock = Lockfile(path=tmp_path / "statesync.lock")
    for posts in (first, second):
        desired = make_desired({PAGE: posts})
        plan = plan_with(provider, desired, lock, reader=reader)
        assert len({a.address for a in plan.actions}) == len(plan.actions)
        apply_plan(plan, provider, lock)
        assert plan_with(provider, desired, lock, reader=reader).actions == ()
    assert set(lock.pages.get(PAGE).posts if lock.pages else {}) == set(second)
