"""The lockfile is the one durable record: written after every change, atomically,
only when something changed; a 0.1 journal is folded in once, or refused with advice."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest

from statesync.applier import apply_plan
from statesync.atomic import write_atomically
from statesync.errors import LockfileError
from statesync.lockfile import Lockfile, LockfileWriteError, load_lockfile
from statesync.lockset import LockSet
from statesync.model import Intent, PostFields, Record
from statesync.planner import make_plan
from tests.fakes import FakeProvider, make_desired

HASHES = {"attachments": "a" * 16, "link": "b" * 16, "message": "c" * 16}


def test_every_save_is_on_disk_at_once(tmp_path: Path) -> None:
    lock = Lockfile(path=tmp_path / "statesync.lock")
    lock.intend("1", "acme", "a", Intent(HASHES, since=100))
    lock.save()  # ... a process killed here has the intent on disk
    assert load_lockfile(lock.path).pages["1"].intents["a"].since == 100
    lock.record("1", "acme", "a", Record("1_1", HASHES))
    lock.save()
    on_disk = load_lockfile(lock.path)
    assert (on_disk.pages["1"].posts["a"].post_id, on_disk.pages["1"].intents) == (
        "1_1",
        {},
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["statesync.lock"]


def test_a_run_that_changes_nothing_leaves_the_file_byte_for_byte(
    tmp_path: Path,
) -> None:
    lock = Lockfile(path=tmp_path / "statesync.lock")
    lock.record("1", "acme", "a", Record("1_1", HASHES))
    lock.save()
    before = lock.path.read_bytes()
    again = load_lockfile(lock.path)
    again.forget("1", "missing")  # not a change
    again.clear_intent("1", "a")  # nor this
    again.fold()
    again.save()
    assert lock.path.read_bytes() == before


def test_the_serial_grows_once_per_run_that_changes_the_state(tmp_path: Path) -> None:
    lock = Lockfile(path=tmp_path / "statesync.lock")
    for number in range(3):
        lock.record("1", "acme", f"k{number}", Record(f"1_{number}", HASHES))
        lock.save()
    assert load_lockfile(lock.path).serial == 1
    again = load_lockfile(lock.path)
    again.forget("1", "k0")
    again.save()
    assert load_lockfile(lock.path).serial == 2


def test_a_refused_write_is_a_clear_error_and_keeps_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lock = Lockfile(path=tmp_path / "statesync.lock")
    lock.record("1", "acme", "a", Record("1_1", HASHES))
    lock.save()
    before = lock.path.read_bytes()

    def full_disk(path: Path, text: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("statesync.lockfile.write_atomically", full_disk)
    lock.record("1", "acme", "b", Record("1_2", HASHES))
    with pytest.raises(LockfileWriteError, match="No space left on device") as caught:
        lock.save()
    assert "records every action completed before" in str(caught.value)
    assert lock.path.read_bytes() == before
    monkeypatch.undo()
    lock.save()  # the change is still in memory: written once space is back
    assert sorted(load_lockfile(lock.path).pages["1"].posts) == ["a", "b"]


def test_stray_temp_files_of_a_killed_write_are_removed_by_fold(
    tmp_path: Path,
) -> None:
    stray = tmp_path / ".statesync.lock.abc123.tmp"
    stray.write_text('{"version": 1, "lin')
    load_lockfile(tmp_path / "statesync.lock").fold()
    assert not stray.exists()


def test_parallel_writers_share_saves_and_lose_nothing(tmp_path: Path) -> None:
    lock = Lockfile(path=tmp_path / "statesync.lock")

    def worker(page: int) -> None:
        for number in range(25):
            key = f"k{number}"
            lock.intend(str(page), f"m{page}", key, Intent(HASHES, since=1))
            lock.save()
            lock.record(str(page), f"m{page}", key, Record(f"{page}_{number}", HASHES))
            lock.save()

    threads = [threading.Thread(target=worker, args=(page,)) for page in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    on_disk = load_lockfile(lock.path)
    assert sum(len(page.posts) for page in on_disk.pages.values()) == 200
    assert all(not page.intents for page in on_disk.pages.values())
    assert on_disk.render() == lock.render()


def test_a_lockset_under_threads_routes_every_change(tmp_path: Path) -> None:
    locks = LockSet.load(tmp_path / "{manifest}.lock")

    def worker(page: int) -> None:
        for number in range(20):
            record = Record(f"{page}_{number}", HASHES)
            locks.record(str(page), f"m{page}", f"k{number}", record)
            locks.save()

    threads = [threading.Thread(target=worker, args=(page,)) for page in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    again = LockSet.load(tmp_path / "{manifest}.lock")
    assert sorted(again.files) == sorted(f"m{page}" for page in range(12))
    assert sum(len(page.posts) for page in again.pages.values()) == 240


def test_parallel_apply_keeps_each_pages_order_and_an_exact_lockfile(
    tmp_path: Path,
) -> None:
    provider = FakeProvider()
    pages = {
        str(page): {f"k{n}": PostFields(message=f"{page}-{n}") for n in range(8)}
        for page in range(1, 7)
    }
    lock = Lockfile(path=tmp_path / "statesync.lock")
    plan = make_plan(make_desired(pages), lock.pages, {}, provider.can)
    report = apply_plan(plan, provider, lock, parallelism=4)
    assert len(report.outcomes) == 48
    for page in pages:
        order = [
            o.action.address.key for o in report.outcomes if o.action.page_id == page
        ]
        assert order == sorted(order)
    on_disk = load_lockfile(lock.path)
    recorded = [r.post_id for pg in on_disk.pages.values() for r in pg.posts.values()]
    assert sorted(recorded) == sorted(provider.posts)
    assert len(recorded) == 48


def test_a_stopped_apply_starts_nothing_new_and_lists_what_did_not_start(
    tmp_path: Path,
) -> None:
    provider = FakeProvider()
    pages = {
        str(p): {f"k{n}": PostFields(message=f"{p}-{n}") for n in range(5)}
        for p in range(1, 5)
    }
    lock = Lockfile(path=tmp_path / "statesync.lock")
    plan = make_plan(make_desired(pages), lock.pages, {}, provider.can)
    stop = threading.Event()
    seen = []

    def stop_after_three(outcome: object) -> None:
        seen.append(outcome)
        if len(seen) == 3:
            stop.set()

    report = apply_plan(
        plan, provider, lock, stop_after_three, parallelism=1, stop=stop
    )
    assert len(report.outcomes) == 3
    assert len(report.not_started) == 17
    assert [a.address for a in report.not_started] == [
        a.address for a in plan.actions[3:]
    ]
    assert len(provider.posts) == 3
    recorded = load_lockfile(lock.path).pages
    assert sum(len(page.posts) for page in recorded.values()) == 3


# -- journals left by statesync 0.1 ------------------------------------------------


def _journal(lock_path: Path, *lines: object) -> Path:
    path = lock_path.with_name(lock_path.name + ".journal")
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def _saved(path: Path, lineage: str = "L", serial: int = 4) -> Lockfile:
    lock = Lockfile(path=path, lineage=lineage, serial=serial - 1)
    lock.record("1", "acme", "a", Record("1_1", HASHES))
    lock.save()
    return lock


def test_a_legacy_journal_is_replayed_and_folded_once(tmp_path: Path) -> None:
    lock = _saved(tmp_path / "statesync.lock")
    journal = _journal(
        lock.path,
        {"op": "begin", "lineage": "L", "serial": 5},
        {"op": "serial", "value": 5},
        {
            "op": "record",
            "page": "1",
            "manifest": "acme",
            "key": "b",
            "id": "1_2",
            "hashes": HASHES,
        },
    )
    again = load_lockfile(lock.path)
    assert sorted(again.pages["1"].posts) == ["a", "b"]
    again.fold()
    assert not journal.exists()
    folded = load_lockfile(lock.path)
    assert (sorted(folded.pages["1"].posts), folded.serial) == (["a", "b"], 5)


def test_an_empty_legacy_journal_means_nothing_happened(tmp_path: Path) -> None:
    lock = _saved(tmp_path / "statesync.lock")
    before = lock.path.read_bytes()
    journal = lock.path.with_name("statesync.lock.journal")
    journal.write_text("")
    again = load_lockfile(lock.path)
    again.fold()
    assert not journal.exists()
    assert lock.path.read_bytes() == before


def test_a_damaged_legacy_journal_is_refused_with_advice_that_holds(
    tmp_path: Path,
) -> None:
    lock = _saved(tmp_path / "statesync.lock")
    journal = lock.path.with_name("statesync.lock.journal")
    journal.write_text(
        json.dumps({"op": "begin", "lineage": "L", "serial": 5})
        + "\n{garbage\n"
        + json.dumps({"op": "serial", "value": 5})
        + "\n"
    )
    with pytest.raises(LockfileError) as caught:
        load_lockfile(lock.path)
    message = str(caught.value)
    assert (
        "statesync.lock.journal:2: the journal left by an interrupted apply" in message
    )
    assert "Do not apply yet" in message
    assert "recovery finds the posts by content" not in message


def test_a_legacy_journal_without_its_lockfile_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "statesync.lock"
    _journal(path, {"op": "begin", "lineage": "L", "serial": 7})
    with pytest.raises(LockfileError, match=r"git checkout -- statesync.lock"):
        load_lockfile(path)


def test_a_first_applys_legacy_journal_keeps_its_lineage(tmp_path: Path) -> None:
    path = tmp_path / "statesync.lock"
    _journal(
        path,
        {"op": "begin", "lineage": "first", "serial": 1},
        {"op": "serial", "value": 1},
        {
            "op": "intend",
            "page": "1",
            "manifest": "acme",
            "key": "a",
            "hashes": HASHES,
            "since": 9,
        },
    )
    lock = load_lockfile(path)
    assert (lock.lineage, lock.pages["1"].intents["a"].since) == ("first", 9)


def test_a_legacy_journal_of_another_lockfile_is_refused(tmp_path: Path) -> None:
    lock = _saved(tmp_path / "statesync.lock", lineage="one")
    _journal(lock.path, {"op": "begin", "lineage": "two", "serial": 5})
    with pytest.raises(LockfileError, match="belongs to another lockfile"):
        load_lockfile(lock.path)


def test_changes_that_cancel_out_leave_the_file_as_it_was(tmp_path: Path) -> None:
    """A push refused after its intent was saved: the intent is cleared, and the
    file (serial included) ends byte for byte as the run found it."""
    lock = Lockfile(path=tmp_path / "statesync.lock")
    lock.record("1", "acme", "a", Record("1_1", HASHES))
    lock.save()
    before = lock.path.read_bytes()
    again = load_lockfile(lock.path)
    again.intend("1", "acme", "b", Intent(HASHES, since=5))
    again.save()
    assert load_lockfile(lock.path).serial == 2  # the intent is durable at once
    again.clear_intent("1", "b")
    again.save()
    assert lock.path.read_bytes() == before
    again.record("1", "acme", "b", Record("1_2", HASHES))  # a real change: bumps
    again.save()
    assert load_lockfile(lock.path).serial == 2


def test_a_new_projects_cancelled_changes_leave_no_file(tmp_path: Path) -> None:
    lock = load_lockfile(tmp_path / "statesync.lock")
    lock.intend("1", "acme", "a", Intent(HASHES, since=5))
    lock.save()
    assert lock.path.exists()
    lock.clear_intent("1", "a")
    lock.save()
    assert not lock.path.exists()
    assert load_lockfile(lock.path).is_new


def test_a_short_write_is_continued_until_every_byte_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """writev may write less than asked (a disk filling up, a signal): the rest of
    the buffers, the rest of a half-written one included, follow in order."""
    real_writev = os.writev
    calls = []

    def dribble(fd: int, buffers: list[memoryview]) -> int:
        calls.append(len(buffers))
        return real_writev(fd, [bytes(buffers[0][:7])])  # at most 7 bytes a call

    monkeypatch.setattr("statesync.atomic.os.writev", dribble)
    chunks = [b"{\n", b"", b"0123456789" * 5, b"\n}\n"]
    target = tmp_path / "statesync.lock"
    write_atomically(target, chunks)
    assert target.read_bytes() == b"".join(chunks)
    assert len(calls) == 10  # 2 bytes, then 50 as 8 short writes, then 3
