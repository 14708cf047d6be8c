"""The lockfile journal: constant cost per action, nothing lost if a run dies."""

from __future__ import annotations

from pathlib import Path

import pytest

from statesync.applier import apply_plan
from statesync.errors import LockfileError
from statesync.lockfile import Lockfile, load_lockfile
from statesync.model import PostFields, Record
from statesync.planner import make_plan
from tests.fakes import FakeProvider, make_desired

HASHES = {"attachments": "a" * 16, "link": "b" * 16, "message": "c" * 16}


def test_committed_changes_survive_a_run_that_never_folded(tmp_path: Path) -> None:
    lock = Lockfile(path=tmp_path / "statesync.lock")
    lock.record("1", "acme", "a", Record("1_1", HASHES))
    lock.save()
    lock.bump_serial()
    lock.record("1", "acme", "b", Record("1_2", HASHES))
    lock.forget("1", "a")
    lock.commit()  # ... and the process dies here
    assert lock.journal_path.exists()
    again = load_lockfile(lock.path)
    assert (again.serial, sorted(again.pages["1"].posts)) == (1, ["b"])
    assert again.lineage == lock.lineage
    again.save()
    assert not again.journal_path.exists()
    assert load_lockfile(lock.path).render() == again.render()


def test_a_first_apply_killed_before_any_fold_keeps_its_lineage(tmp_path: Path) -> None:
    lock = load_lockfile(tmp_path / "statesync.lock")
    lock.record("1", "acme", "a", Record("1_1", HASHES))
    lock.commit()
    again = load_lockfile(tmp_path / "statesync.lock")
    assert again.lineage == lock.lineage
    assert again.pages["1"].posts["a"].post_id == "1_1"


def test_a_torn_last_line_was_never_acknowledged(tmp_path: Path) -> None:
    lock = Lockfile(path=tmp_path / "statesync.lock")
    lock.record("1", "acme", "a", Record("1_1", HASHES))
    lock.commit()
    with lock.journal_path.open("a") as journal:
        journal.write('{"op": "record", "page": "1", "ke')
    assert list(load_lockfile(lock.path).pages["1"].posts) == ["a"]


def test_a_journal_of_another_lockfile_is_refused(tmp_path: Path) -> None:
    lock = Lockfile(path=tmp_path / "statesync.lock", lineage="one")
    lock.save()
    other = Lockfile(path=tmp_path / "statesync.lock", lineage="two")
    other.record("1", "acme", "a", Record("1_1", HASHES))
    other.commit()
    with pytest.raises(LockfileError, match="belongs to another lockfile"):
        load_lockfile(lock.path)


def test_commit_appends_only_the_new_changes(tmp_path: Path) -> None:
    lock = Lockfile(path=tmp_path / "statesync.lock")
    for number in range(50):
        lock.record("1", "acme", f"k{number}", Record(f"1_{number}", HASHES))
    lock.commit()
    size = lock.journal_path.stat().st_size
    lock.record("1", "acme", "one-more", Record("1_99", HASHES))
    lock.commit()
    grown = lock.journal_path.stat().st_size - size
    assert grown < 300  # one line, whatever the size of the lockfile


def test_parallel_apply_keeps_each_pages_order_and_an_exact_lockfile(
    tmp_path: Path,
) -> None:
    provider = FakeProvider()
    pages = {
        str(page): {f"k{n}": PostFields(message=f"{page}-{n}") for n in range(8)}
        for page in range(1, 7)
    }
    lock = Lockfile(path=tmp_path / "statesync.lock")
    desired = make_desired(pages)
    plan = make_plan(desired, lock.pages, {}, provider.in_place_fields)
    report = apply_plan(plan, provider, lock, parallelism=4)
    assert len(report.outcomes) == 48
    for page in pages:
        order = [
            o.action.address.key for o in report.outcomes if o.action.page_id == page
        ]
        assert order == sorted(order)
    on_disk = load_lockfile(lock.path)
    assert not on_disk.journal_path.exists()
    recorded = {
        (p, k): r.post_id
        for p, pg in on_disk.pages.items()
        for k, r in pg.posts.items()
    }
    assert sorted(recorded.values()) == sorted(provider.posts)
    assert len(recorded) == 48
