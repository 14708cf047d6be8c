"""Crash safety at the library level: intents, adoption, never a duplicate post."""

from __future__ import annotations

from pathlib import Path

import pytest

from statesync.applier import ApplyFailed, apply_plan
from statesync.lockfile import Lockfile, load_lockfile
from statesync.model import Intent, PostFields, Record
from statesync.normalize import field_hashes
from statesync.planner import make_plan
from statesync.recovery import recover
from tests.fakes import FakeClock, FakeProvider, make_desired

PAGE = "104510075301234"
FIELDS = PostFields(message="Hello")


def pushed_plan(provider: FakeProvider, lock: Lockfile):
    desired = make_desired({PAGE: {"a": FIELDS, "b": PostFields(message="Bye")}})
    return desired, make_plan(desired, lock.pages, {}, provider.can)


@pytest.mark.parametrize("lost", ["commit", "drop"])
def test_a_lost_push_answer_is_settled_by_listing(tmp_path: Path, lost: str) -> None:
    provider = FakeProvider()
    lock = Lockfile(path=tmp_path / "statesync.lock")
    _, plan = pushed_plan(provider, lock)
    provider.lose_answers = [lost]
    clock = FakeClock(provider.now)
    report = apply_plan(
        plan, provider, lock, lister=provider, clock=clock, sleep=clock.sleep
    )
    # a push in flight could still land: the lister knows how long its requests take
    assert clock.slept == [provider.settle_window_s]
    assert len(provider.posts) == 2  # adopted, or pushed again once it was not there
    assert {o.post_id for o in report.outcomes} == set(provider.posts)
    first = report.outcomes[0]
    if lost == "commit":  # published: adopted, not pushed again
        assert first.note == f"adopted post {first.post_id}: the push's answer was lost"
        assert provider.calls.count(("push", PAGE)) == 2
    else:  # not published: the listing shows it, so it is pushed once more
        assert first.note is None
        assert provider.calls.count(("push", PAGE)) == 3
    on_disk = load_lockfile(lock.path)
    assert {r.post_id for r in on_disk.pages[PAGE].posts.values()} == set(
        provider.posts
    )
    assert on_disk.pages[PAGE].intents == {}


def test_without_a_lister_the_intent_stays_and_nothing_is_pushed_again(
    tmp_path: Path,
) -> None:
    provider = FakeProvider()
    lock = Lockfile(path=tmp_path / "statesync.lock")
    desired, plan = pushed_plan(provider, lock)
    provider.lose_answers = ["commit"]
    with pytest.raises(ApplyFailed) as failure:
        apply_plan(plan, provider, lock, lister=None)
    assert "statesync resolve p104510075301234/a --post-id <id>" in str(failure.value)
    on_disk = load_lockfile(lock.path)
    assert set(on_disk.pages[PAGE].intents) == {"a"}
    again = make_plan(desired, on_disk.pages, None, provider.can)
    assert [str(u.address) for u in again.unknown] == [f"p{PAGE}/a"]
    assert [str(a.address) for a in again.actions] == [f"p{PAGE}/b"]
    assert len(provider.posts) == 1


def test_recovery_adopts_a_post_created_before_a_crash(tmp_path: Path) -> None:
    provider = FakeProvider()
    provider.settle_window_s = 7.0  # the lister's window, not one recovery knows
    lock = Lockfile(path=tmp_path / "statesync.lock")
    post_id = provider.push(PAGE, FIELDS)  # the API created it; then the run died
    lock.intend(PAGE, "acme", "a", Intent(field_hashes(FIELDS), since=provider.now))
    lock.intend(PAGE, "acme", "b", Intent(field_hashes(PostFields("x")), provider.now))
    clock = FakeClock(provider.now + 3)  # the crash was 3 s ago
    settled = recover(lock, provider, clock=clock, sleep=clock.sleep)
    assert clock.slept == [7.0 - 2]
    assert [(s.key, s.post_id) for s in settled] == [("a", post_id), ("b", None)]
    assert lock.pages[PAGE].posts["a"].post_id == post_id
    assert lock.pages[PAGE].intents == {}


def test_recovery_never_adopts_a_post_another_address_owns(tmp_path: Path) -> None:
    provider = FakeProvider()
    lock = Lockfile(path=tmp_path / "statesync.lock")
    first = provider.push(PAGE, FIELDS)
    lock.record(PAGE, "acme", "a", _record(first))
    lock.intend(PAGE, "acme", "b", Intent(field_hashes(FIELDS), since=provider.now))
    clock = FakeClock(provider.now + 3600)  # long ago: nothing can be in flight
    (settled,) = recover(lock, provider, clock=clock, sleep=clock.sleep)
    assert clock.slept == []
    assert settled.post_id is None  # the only match belongs to acme/a


def test_intents_round_trip_in_the_lockfile(tmp_path: Path) -> None:
    lock = Lockfile(path=tmp_path / "statesync.lock")
    lock.intend(PAGE, "acme", "a", Intent(field_hashes(FIELDS), since=1_800_000_000))
    lock.save()
    again = load_lockfile(lock.path)
    assert again.pages[PAGE].intents["a"].since == 1_800_000_000
    assert again.render() == lock.render()
    again.clear_intent(PAGE, "a")
    assert again.pages == {}


def _record(post_id: str) -> Record:
    return Record(post_id, field_hashes(FIELDS))
