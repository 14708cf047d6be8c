"""The workflows as a library: plan and apply with a front end's own hooks, no CLI."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from statesync import operations
from statesync.applier import Outcome
from statesync.errors import StatesyncError
from statesync.operations import Execution, Hooks
from statesync.plan import ActionKind, Plan
from tests.e2e.conftest import ACME, Project

MANIFEST = """
    page: "104510075301234"
    posts:
      hello: {message: Hello from a library caller.}
      menu: {message: The spring menu.}
"""


class Recorder(Hooks):
    """A front end that writes down what it was told, and may refuse."""

    def __init__(self, *, agree: bool = True) -> None:
        self.agree = agree
        self.events: list[str] = []
        self.outcomes: list[Outcome] = []

    def show_plan(self, plan: Plan) -> None:
        self.events.append(f"plan: {plan.summary()}")

    def notice(self, text: str) -> None:
        self.events.append(f"notice: {text}")

    def confirm(self, plan: Plan) -> None:
        self.events.append("confirm")
        if not self.agree:
            raise StatesyncError("the reviewer said no")

    @contextmanager
    def applying(self, plan: Plan) -> Iterator[Execution]:
        self.events.append("applying")
        yield Execution(stop=_never(), on_outcome=self.outcomes.append)
        self.events.append("applied")


def _never():  # an Event nobody sets
    import threading

    return threading.Event()


def test_plan_then_apply_through_hooks(project: Project, emulator) -> None:
    project.write("pages/acme.yaml", MANIFEST)
    hooks = Recorder()
    planned = operations.plan(project.root, environ=os.environ, hooks=hooks)
    assert [a.kind for a in planned.actions] == [ActionKind.PUSH, ActionKind.PUSH]
    assert hooks.events == [
        "plan: Plan: 2 to push, 0 to update, 0 to replace, 0 to delete."
    ]

    report = operations.apply(project.root, environ=os.environ, hooks=hooks)
    assert report is not None
    assert hooks.events[1:] == [
        "plan: Plan: 2 to push, 0 to update, 0 to replace, 0 to delete.",
        "confirm",
        "applying",
        "applied",
    ]
    assert sorted(o.action.address.key for o in hooks.outcomes) == ["hello", "menu"]
    assert set(project.post_ids(ACME)) == {"hello", "menu"}
    again = Recorder()
    assert operations.apply(project.root, environ=os.environ, hooks=again) is None
    assert again.events == ["plan: No changes."]  # nothing to confirm or run


def test_a_refused_confirmation_sends_nothing(project: Project, emulator) -> None:
    project.write("pages/acme.yaml", MANIFEST)
    hooks = Recorder(agree=False)
    with pytest.raises(StatesyncError, match="the reviewer said no"):
        operations.apply(project.root, environ=os.environ, hooks=hooks)
    assert "applying" not in hooks.events
    assert not (project.root / "statesync.lock").exists() or not project.post_ids(ACME)


def test_without_ask_the_plan_is_applied_and_a_saved_plan_needs_no_question(
    project: Project, emulator, tmp_path: Path
) -> None:
    project.write("pages/acme.yaml", MANIFEST)
    saved = project.root / "reviewed.plan"
    operations.plan(project.root, environ=os.environ, hooks=Hooks(), out=saved)
    hooks = Recorder(agree=False)  # would refuse if it were asked
    report = operations.apply_saved(saved, environ=os.environ, hooks=hooks)
    assert report is not None
    assert len(report.outcomes) == 2
    assert "confirm" not in hooks.events
