from __future__ import annotations

from pathlib import Path

from statesync.lockset import LockSet
from statesync.model import Record

HASHES = {"attachments": "a" * 16, "link": "b" * 16, "message": "c" * 16}


def test_changes_go_to_their_manifests_file_and_only_touched_files_change(
    tmp_path: Path,
) -> None:
    template = tmp_path / "locks" / "{manifest}.lock"
    locks = LockSet.load(template)
    locks.record("1", "acme", "a", Record("1_1", HASHES))
    locks.record("2", "beta", "b", Record("2_1", HASHES))
    locks.save()
    beta = (tmp_path / "locks" / "beta.lock").read_bytes()
    again = LockSet.load(template)
    again.record("1", "acme", "c", Record("1_2", HASHES))
    again.save()
    assert (tmp_path / "locks" / "beta.lock").read_bytes() == beta
    reread = LockSet.load(template)
    assert sorted(reread.pages["1"].posts) == ["a", "c"]
    assert (reread.files["acme"].serial, reread.files["beta"].serial) == (2, 1)


def test_each_change_is_on_disk_in_its_own_file_and_moves_the_digest(
    tmp_path: Path,
) -> None:
    template = tmp_path / "{manifest}.lock"
    locks = LockSet.load(template)
    locks.record("1", "acme", "a", Record("1_1", HASHES))
    locks.record("2", "beta", "b", Record("2_1", HASHES))
    locks.save()  # ... and the process dies: both files are already written
    assert sorted(p.name for p in tmp_path.iterdir()) == ["acme.lock", "beta.lock"]
    again = LockSet.load(template)
    assert {pid: sorted(p.posts) for pid, p in again.pages.items()} == {
        "1": ["a"],
        "2": ["b"],
    }
    assert (again.files["acme"].serial, again.files["beta"].serial) == (1, 1)
    lineage = again.lineage
    again.forget("2", "b")
    again.save()
    folded = LockSet.load(template)
    assert (folded.files["acme"].serial, folded.files["beta"].serial) == (1, 2)
    assert folded.lineage != lineage  # a saved plan made before this apply is stale
