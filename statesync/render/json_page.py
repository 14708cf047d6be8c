"""A page-details action's change in the JSON plan, and back (for a saved plan):
kept apart from ``render.json`` so that each module carries one kind's codec."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from statesync.page_fields import BY_QUALIFIED
from statesync.plan import PageChange, Plan

_KEYS = frozenset({"after", "before", "record", "forgotten", "lines"})


def page_summary(plan: Plan) -> dict[str, Any]:
    """``page_summary``: present only when the plan changes some page's details."""
    counts = plan.page_counts()
    if not counts:
        return {}
    return {"page_summary": {kind.value: count for kind, count in counts.items()}}


def page_to_data(change: PageChange | None) -> dict[str, Any]:
    if change is None:
        return {}
    return {
        "page": {
            "after": dict(change.after),
            "before": None if change.before is None else dict(change.before),
            "record": dict(change.record),
            "forgotten": list(change.forgotten),
            "lines": dict(change.lines),
        }
    }


def page_from_data(data: object, where: str) -> PageChange | None:
    if data is None:
        return None
    if not isinstance(data, Mapping) or set(data) != _KEYS:
        raise ValueError(f"{where}: must be an object with {sorted(_KEYS)}")
    after = _fields(data["after"], f"{where}.after")
    before = data["before"]
    record = _fields(data["record"], f"{where}.record")
    if not all(isinstance(value, str) for value in record.values()):
        raise ValueError(f"{where}.record: must map fields to hashes")
    lines = _fields(data["lines"], f"{where}.lines")
    if not all(isinstance(value, str) for value in lines.values()):
        raise ValueError(f"{where}.lines: must map fields to FILE:LINE")
    forgotten = data["forgotten"]
    if not isinstance(forgotten, list) or not all_fields(forgotten):
        raise ValueError(f"{where}.forgotten: must be a list of page fields")
    return PageChange(
        after=after,
        before=None if before is None else _fields(before, f"{where}.before"),
        record={name: str(value) for name, value in record.items()},
        forgotten=tuple(forgotten),
        lines={name: str(value) for name, value in lines.items()},
    )


def all_fields(names: object) -> bool:
    """Every name is a page field statesync knows (``details.about``)."""
    return isinstance(names, list | tuple) and all(
        isinstance(name, str) and name in BY_QUALIFIED for name in names
    )


def _fields(data: object, where: str) -> dict[str, object]:
    if not isinstance(data, Mapping) or not all_fields(list(data)):
        raise ValueError(f"{where}: must map page fields to values")
    return dict(data)
