"""Plan every target with what its writer can do there. Pure.

One writer can serve targets of different networks (OneAll: a Facebook page, an X
account, a Pinterest board), each with its own capability table: the targets are
planned in groups sharing a table, and the plans joined. A project of Facebook pages
alone is one group, planned in one pass as before.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from statesync.kinds import Capabilities, Kind
from statesync.model import Desired
from statesync.plan import Plan
from statesync.planner import Live, Recorded, make_plan

CapabilitiesOf = Callable[[str], Mapping[Kind, Capabilities]]


def plan_targets(
    desired: Desired,
    recorded: Recorded,
    live: Live | None,
    capabilities_of: CapabilitiesOf,
    *,
    now: float | None = None,
) -> Plan:
    """``make_plan`` for each group of targets with the same capabilities."""
    groups: dict[int, tuple[Mapping[Kind, Capabilities], list[str]]] = {}
    for key in sorted(set(desired.pages) | set(recorded)):
        table = capabilities_of(key)
        groups.setdefault(id(table), (table, []))[1].append(key)
    if not groups:
        return Plan(actions=(), reads_live=live is not None)
    if len(groups) == 1:
        return _plan(desired, recorded, live, next(iter(groups.values()))[0], now)
    plans = [
        _plan(
            Desired({k: desired.pages[k] for k in keys if k in desired.pages}),
            {k: recorded[k] for k in keys if k in recorded},
            live,
            table,
            now,
        )
        for table, keys in groups.values()
    ]
    reads = live is not None and any(plan.reads_live for plan in plans)
    return Plan(
        actions=tuple(action for plan in plans for action in plan.actions),
        reads_live=reads,
        unknown=tuple(sorted(u for plan in plans for u in plan.unknown)),
        timeline=tuple(sorted(state for plan in plans for state in plan.timeline)),
        unread=tuple(
            key
            for table, keys in groups.values()
            if reads and not table[Kind.POST].read
            for key in keys
        ),
    )


def _plan(
    desired: Desired,
    recorded: Recorded,
    live: Live | None,
    table: Mapping[Kind, Capabilities],
    now: float | None,
) -> Plan:
    return make_plan(
        desired,
        recorded,
        live,
        table[Kind.POST],
        media=table.get(Kind.MEDIA),
        video=table.get(Kind.VIDEO_POST),
        now=now,
    )
