from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from statesync.errors import LockfileError
from statesync.lockfile import Lockfile, load_lockfile
from statesync.model import Record

HASHES = {"attachments": "a" * 16, "link": "b" * 16, "message": "c" * 16}


def test_missing_lockfile_starts_empty(tmp_path: Path) -> None:
    lock = load_lockfile(tmp_path / "statesync.lock")
    assert (lock.serial, lock.pages) == (0, {})
    assert not (tmp_path / "statesync.lock").exists()


def test_layout_is_sorted_one_post_per_line(tmp_path: Path) -> None:
    lock = Lockfile(path=tmp_path / "statesync.lock", lineage="L", serial=2)
    lock.record("2", "beta", "z", Record("2_1", HASHES))  # a run's first change: 3
    lock.record("1", "acme", "b", Record("1_2", HASHES))
    lock.record("1", "acme", "a", Record("1_1", HASHES))
    lock.save()
    entry = (
        '{"id": "%s", "hashes": {"attachments": "%s", "link": "%s", "message": "%s"}}'
    )
    hashes = ("a" * 16, "b" * 16, "c" * 16)
    assert (tmp_path / "statesync.lock").read_text() == (
        "{\n"
        '  "version": 1,\n'
        '  "lineage": "L",\n'
        '  "serial": 3,\n'
        '  "pages": {\n'
        '    "1": {\n'
        '      "manifest": "acme",\n'
        '      "posts": {\n'
        f'        "a": {entry % ("1_1", *hashes)},\n'
        f'        "b": {entry % ("1_2", *hashes)}\n'
        "      }\n"
        "    },\n"
        '    "2": {\n'
        '      "manifest": "beta",\n'
        '      "posts": {\n'
        f'        "z": {entry % ("2_1", *hashes)}\n'
        "      }\n"
        "    }\n"
        "  }\n"
        "}\n"
    )


def test_forgetting_the_last_post_drops_the_page(tmp_path: Path) -> None:
    lock = Lockfile(path=tmp_path / "l")
    lock.record("1", "acme", "a", Record("1_1", HASHES))
    lock.forget("1", "a")
    assert lock.pages == {}
    assert json.loads(lock.render())["pages"] == {}


def test_save_leaves_no_temp_files(tmp_path: Path) -> None:
    lock = Lockfile(path=tmp_path / "statesync.lock")
    lock.record("1", "acme", "a", Record("1_1", HASHES))
    lock.save()
    lock.save()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["statesync.lock"]


_keys = st.text("abcxyz-_.0123456789é", min_size=1, max_size=8)


@settings(max_examples=50, deadline=None)
@given(
    entries=st.dictionaries(
        st.tuples(st.sampled_from(["1", "22", "333"]), _keys),
        st.text("0123456789_", min_size=1, max_size=12),
        max_size=8,
    ),
    serial=st.integers(0, 10**6),
)
def test_round_trips_byte_for_byte(tmp_path_factory, entries, serial) -> None:
    """Any content loads back byte for byte; the serial grows once per run that
    changes something, never without a change."""
    path = tmp_path_factory.mktemp("lock") / "statesync.lock"
    lock = Lockfile(path=path, serial=serial)
    for (page, key), post_id in entries.items():
        lock.record(page, f"m{page}", key, Record(post_id, HASHES))
    lock.save()
    assert path.exists() == bool(entries)  # nothing changed: nothing written
    if entries:
        again = load_lockfile(path)
        assert again.render() == path.read_text(encoding="utf-8")
        assert (again.serial, again.lineage) == (serial + 1, lock.lineage)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '{\n<<<<<<< HEAD\n  "serial": 1,\n=======\n  "serial": 2,\n>>>>>>> b\n}\n',
            "the lockfile has git conflict markers",
        ),
        ("{not json", ":1: the lockfile is not valid JSON"),
        ("[]", "the lockfile is corrupted (the top level is not an object)"),
        ('{"version": 99}', "lockfile format version 99 is not supported"),
        (
            '{"version": 1, "lineage": "L", "serial": -1, "pages": {}}',
            "serial is not a non-negative integer",
        ),
        (
            '{"version": 1, "lineage": "L", "serial": 1, "pages": {"1": {"manifest": "m",'
            ' "posts": {"a": {"id": "1_1", "hashes": {}}}}}}',
            "post 1_1 has no field hashes",
        ),
    ],
)
def test_untrustworthy_lockfiles_are_refused_and_kept(tmp_path, text, expected) -> None:
    path = tmp_path / "statesync.lock"
    path.write_text(text)
    with pytest.raises(
        LockfileError, match=expected.replace("(", r"\(").replace(")", r"\)")
    ):
        load_lockfile(path)
    assert path.read_text() == text
