"""Posts in time in the JSON plan, and back: the timeline of time-bound posts with
each one's next due instant, and the plan's earliest (``next_due_at``), so that
automation knows when to run again."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from statesync.model import Address
from statesync.plan import Action, Plan, TimeState, TimeStateKind

_STATE_KEYS = frozenset({"address", "manifest", "post_key", "state", "at", "due_at"})


def timeline_to_data(plan: Plan) -> dict[str, Any]:
    """Present only when the plan has time-bound posts."""
    if not plan.timeline:
        return {}
    return {
        "timeline": [
            {
                "address": str(state.address),
                "manifest": state.address.manifest,
                "post_key": state.address.key,
                "state": state.state.value,
                "at": state.at,
                "due_at": state.due_at,
            }
            for state in plan.timeline
        ],
        "next_due_at": plan.next_due_at,
    }


def timeline_from_data(data: Mapping[str, Any]) -> tuple[TimeState, ...]:
    entries = data.get("timeline", [])
    if not isinstance(entries, list):
        raise ValueError("timeline: must be a list")
    states = tuple(
        _state(entry, f"timeline[{index}]") for index, entry in enumerate(entries)
    )
    due = [s.due_at for s in states if s.due_at is not None]
    if data.get("next_due_at") != (min(due) if due else None):
        raise ValueError("next_due_at: is not the earliest due_at of the timeline")
    return states


def _state(entry: object, where: str) -> TimeState:
    if not isinstance(entry, Mapping) or set(entry) != _STATE_KEYS:
        raise ValueError(f"{where}: must be an object with {sorted(_STATE_KEYS)}")
    address = Address(str(entry["manifest"]), str(entry["post_key"]))
    if entry["address"] != str(address):
        raise ValueError(f"{where}.address: is not manifest/post_key")
    try:
        state = TimeStateKind(entry["state"])
    except ValueError:
        raise ValueError(f"{where}.state: {entry['state']!r} is not a state") from None
    at, due = entry["at"], entry["due_at"]
    if type(at) is not int or (due is not None and type(due) is not int):
        raise ValueError(f"{where}: at and due_at must be Unix seconds")
    return TimeState(address, state, at, due)


def times_to_data(action: Action) -> dict[str, Any]:
    """An action's schedule and expiry, only where it has them."""
    data: dict[str, Any] = {}
    if action.schedule is not None or "publish_at" in action.changed:
        data["schedule"] = action.schedule
    if action.expired_at is not None:
        data["expired_at"] = action.expired_at
    return data


def instant_or_none(value: object, where: str) -> int | None:
    if value is not None and type(value) is not int:
        raise ValueError(f"{where}: must be Unix seconds or null")
    return value
