"""Apply's lines follow the plan's order whatever order parallel pages finish in."""

from __future__ import annotations

from statesync.applier import Outcome
from statesync.model import Address
from statesync.plan import Action, ActionKind, Plan
from statesync.plan_order import InPlanOrder


def _plan() -> Plan:
    actions = [
        Action(ActionKind.PUSH, Address(manifest, key), page)
        for manifest, page in (("acme", "1"), ("beta", "2"))
        for key in ("a", "b")
    ]
    return Plan(actions=tuple(actions))


def test_lines_wait_for_every_earlier_action() -> None:
    plan, printed = _plan(), []
    printer = InPlanOrder(plan, printed.append)
    acme_a, acme_b, beta_a, beta_b = plan.actions
    printer.add(Outcome(beta_a, "2_1"))  # beta's worker is faster
    printer.add(Outcome(beta_b, "2_2"))
    assert printed == []
    printer.add(Outcome(acme_a, "1_1"))
    assert printed == ["acme/a: pushed (1_1)"]
    printer.add(Outcome(acme_b, "1_2"))
    assert printed == [
        "acme/a: pushed (1_1)",
        "acme/b: pushed (1_2)",
        "beta/a: pushed (2_1)",
        "beta/b: pushed (2_2)",
    ]


def test_flush_prints_what_a_failed_action_held_back_in_order() -> None:
    plan, printed = _plan(), []
    printer = InPlanOrder(plan, printed.append)
    _, acme_b, beta_a, beta_b = plan.actions  # acme/a failed: never completes
    for action, post in ((beta_b, "2_2"), (acme_b, "1_2"), (beta_a, "2_1")):
        printer.add(Outcome(action, post))
    assert printed == []
    printer.flush()
    assert printed == [
        "acme/b: pushed (1_2)",
        "beta/a: pushed (2_1)",
        "beta/b: pushed (2_2)",
    ]
