"""Journals left by statesync 0.1, read once so that an upgrade loses no post id.

statesync 0.1 appended each lockfile change to ``<lockfile>.journal`` and folded it in
at the end of an apply; an apply that died left the journal beside the lockfile. This
version writes the lockfile itself after every change and never writes a journal: it
replays a leftover one into memory, and ``Lockfile.fold()`` (under the apply lock)
writes the result and removes the journal.

0.1's lines carry no checksum, so a journal cut exactly at a line boundary cannot be
told from a complete one; a damaged line, a missing beginning, or a journal whose
lockfile is gone are refused with advice that holds.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from statesync.errors import LockfileError
from statesync.model import POST_FIELDS, Intent, Record

if TYPE_CHECKING:
    from statesync.lockfile import Lockfile

# 0.1 wrote the beginning after bumping the serial: a first apply begins at serial 1.
_FIRST_APPLY_SERIAL = 1


def journal_path(lockfile: Path) -> Path:
    return lockfile.with_name(lockfile.name + ".journal")


def replay_legacy_journal(lock: Lockfile) -> None:
    """Apply a 0.1 journal's changes to ``lock`` in memory; no journal: nothing."""
    path = journal_path(lock.path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise LockfileError(f"{path}: cannot read the journal ({reason})") from None
    lock.legacy_journal = path
    ops = _parse_lines(path, text)
    if not ops:
        return  # killed before its first line was written: nothing happened
    lineage, serial = _begin(path, ops[0])
    if lock.is_new and serial > _FIRST_APPLY_SERIAL:
        raise LockfileError(
            f"{path}: the journal of an apply at serial {serial} is here but its "
            f"lockfile {lock.path.name} is not: it was deleted or not checked out. "
            f"Restore it (git checkout -- {lock.path.name}) and run again; without "
            "it statesync cannot know the posts it published before."
        )
    if lock.is_new:
        lock.lineage = lineage
    elif lineage != lock.lineage:
        raise LockfileError(
            f"{path}: this journal belongs to another lockfile (lineage "
            f"{lineage!r}, the lockfile's is {lock.lineage!r}). If the lockfile was "
            "replaced on purpose, move the journal away (mv "
            f"{path.name} {path.name}.old) and run plan."
        )
    serial_after = lock.serial
    try:
        for op in ops[1:]:
            _check_op(op)
            if op["op"] == "serial":
                serial_after = max(serial_after, op["value"])
            else:
                _apply_op(lock, op)
    except (KeyError, TypeError, ValueError) as exc:
        raise _damaged(path, None, f"{exc}") from None
    lock.serial = max(lock.serial, serial_after)  # the interrupted run's bump, once


def _parse_lines(path: Path, text: str) -> list[dict[str, Any]]:
    lines = text.split("\n")
    ops = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            op = json.loads(line)
        except (json.JSONDecodeError, RecursionError):
            op = None
        if isinstance(op, dict):
            ops.append(op)
            continue
        if number >= len(lines) - 1:
            break  # the last line of a run killed mid-write: never acknowledged
        raise _damaged(path, number, "not a journal record")
    return ops


def _begin(path: Path, op: Mapping[str, Any]) -> tuple[str, int]:
    lineage, serial = op.get("lineage"), op.get("serial")
    if (
        op.get("op") != "begin"
        or not isinstance(lineage, str)
        or not isinstance(serial, int)
        or not _is_count(serial)
    ):
        raise _damaged(path, 1, "the journal's beginning is missing or damaged")
    return lineage, serial


def _damaged(path: Path, line: int | None, what: str) -> LockfileError:
    where = f"{path}:{line}" if line is not None else str(path)
    return LockfileError(
        f"{where}: the journal left by an interrupted apply is damaged ({what}), "
        "so statesync cannot tell which posts that apply published after the damage. "
        f"Do not apply yet: move the journal away (mv {path.name} "
        f"{path.name}.damaged), run `statesync plan`, and before applying check on "
        "the page whether each post the plan pushes is already there; record one "
        "that is with `statesync resolve` or remove it by hand."
    )


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _check_op(op: Mapping[str, Any]) -> None:
    """A journal op as 0.1 wrote it, or ValueError: replay must never put a value in
    memory that the lockfile could not have held."""
    json.dumps(op, ensure_ascii=False).encode("utf-8")  # no lone surrogate
    kind = op.get("op")
    if kind == "serial":
        if not _is_count(op.get("value")):
            raise ValueError("serial is not a count")
        return
    if kind not in ("record", "intend", "forget", "clear"):
        raise ValueError(f"unknown op {kind!r}")
    if not isinstance(op.get("page"), str) or not isinstance(op.get("key"), str):
        raise ValueError("page and key must be strings")
    if kind in ("record", "intend"):
        hashes = op.get("hashes")
        if not isinstance(op.get("manifest"), str) or not (
            isinstance(hashes, dict)
            and set(hashes) == set(POST_FIELDS)
            and all(isinstance(value, str) for value in hashes.values())
        ):
            raise ValueError("malformed manifest or hashes")
    if kind == "record" and not isinstance(op.get("id"), str):
        raise ValueError("a recorded post has no id")
    if kind == "intend" and not (
        isinstance(op.get("since"), int) and not isinstance(op.get("since"), bool)
    ):
        raise ValueError("an intent has no time")


def _apply_op(lock: Lockfile, op: Mapping[str, Any]) -> None:
    kind = op["op"]
    if kind == "record":
        record = Record(post_id=op["id"], hashes=dict(op["hashes"]))
        lock.record(op["page"], op["manifest"], op["key"], record)
    elif kind == "intend":
        intent = Intent(hashes=dict(op["hashes"]), since=op["since"])
        lock.intend(op["page"], op["manifest"], op["key"], intent)
    elif kind == "forget":
        lock.forget(op["page"], op["key"])
    else:
        lock.clear_intent(op["page"], op["key"])
