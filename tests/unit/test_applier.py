from __future__ import annotations

from pathlib import Path

import pytest

from statesync.applier import ApplyFailed, apply_plan
from statesync.errors import ProviderError
from statesync.lockfile import Lockfile, load_lockfile
from statesync.model import PostFields
from statesync.planner import make_plan
from tests.fakes import FakeProvider, make_desired

PAGE = "104510075301234"


def test_failure_mid_apply_keeps_every_completed_post_in_the_lockfile(
    tmp_path: Path,
) -> None:
    provider = FakeProvider()
    lock = Lockfile(path=tmp_path / "statesync.lock")
    desired = make_desired(
        {
            PAGE: {"a": PostFields(message="a"), "c": PostFields(message="c")},
            "2": {"b": PostFields(message="b")},
        }
    )
    plan = make_plan(desired, lock.pages, {}, provider.can)
    provider.fail_on.add(
        ("push", "2")
    )  # the page-2 push comes after both page-1 pushes
    pushed = []
    with pytest.raises(ApplyFailed) as failure:
        apply_plan(plan, provider, lock, on_outcome=pushed.append)
    assert str(failure.value) == (
        "p2/b: push failed: 2: refused by the fake (code 2)\n"
        "Apply stopped after 2 completed actions; the lockfile records every one of "
        "them. Fix the cause and run apply again."
    )
    on_disk = load_lockfile(tmp_path / "statesync.lock")
    assert {k: r.post_id for k, r in on_disk.pages[PAGE].posts.items()} == {
        o.action.address.key: o.post_id for o in pushed
    }
    assert set(on_disk.pages) == {PAGE}
    assert on_disk.serial == 1
    assert (
        make_plan(desired, on_disk.pages, provider.posts, FakeProvider(frozenset()).can)
        .actions[0]
        .page_id
        == "2"
    )


def test_serial_grows_once_per_apply_and_not_for_no_changes(tmp_path: Path) -> None:
    provider = FakeProvider()
    lock = Lockfile(path=tmp_path / "statesync.lock")
    desired = make_desired(
        {PAGE: {"a": PostFields(message="a"), "b": PostFields(message="b")}}
    )
    apply_plan(make_plan(desired, lock.pages, {}, provider.can), provider, lock)
    assert load_lockfile(lock.path).serial == 1
    live = provider.read(PAGE, [r.post_id for r in lock.pages[PAGE].posts.values()])
    apply_plan(make_plan(desired, lock.pages, live, provider.can), provider, lock)
    assert load_lockfile(lock.path).serial == 1


def test_a_lost_push_whose_listing_fails_stays_pending_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    provider = FakeProvider()
    provider.lose_answers = ["commit"]  # published, but the answer is lost

    def listing_fails(page_id: str, *, since: int) -> list:
        raise ProviderError("listing refused", target=f"GET /{page_id}/feed", code=2)

    monkeypatch.setattr(provider, "recent_posts", listing_fails)
    lock = Lockfile(path=tmp_path / "statesync.lock")
    desired = make_desired({"1": {"a": PostFields(message="Hello")}})
    plan = make_plan(desired, lock.pages, {}, provider.can)
    with pytest.raises(ApplyFailed) as caught:
        apply_plan(plan, provider, lock, lister=provider, sleep=lambda s: None)
    message = str(caught.value)
    assert "listing the page to find out failed too" in message
    assert "pending" in message
    on_disk = load_lockfile(lock.path)
    assert list(on_disk.pages["1"].intents) == ["a"]  # never pushed again blindly
    assert len(provider.posts) == 1
