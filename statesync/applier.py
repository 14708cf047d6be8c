"""Plan -> provider calls -> lockfile, one action at a time.

The lockfile is saved after every successful action, so an error (or a crash) part-way
through loses no post id: what was pushed is recorded, what was not is planned again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from statesync.errors import ProviderError, StatesyncError
from statesync.lockfile import Lockfile
from statesync.model import PostFields, Record
from statesync.normalize import field_hashes
from statesync.plan import KIND_ORDER, Action, ActionKind, Plan
from statesync.providers.base import PostGone, Writer

PAST_TENSE = {
    ActionKind.PUSH: "pushed",
    ActionKind.UPDATE: "updated",
    ActionKind.REPLACE: "replaced",
    ActionKind.DELETE: "deleted",
}


@dataclass(frozen=True, slots=True)
class Outcome:
    action: Action
    post_id: str | None  # the post that now carries the content; None after a delete
    note: str | None = None

    def describe(self) -> str:
        text = f"{self.action.address}: {PAST_TENSE[self.action.kind]}"
        if self.post_id:
            text += f" ({self.post_id})"
        if self.note:
            text += f"; {self.note}"
        return text


@dataclass(slots=True)
class ApplyReport:
    outcomes: list[Outcome] = field(default_factory=list)

    def summary(self) -> str:
        counts = {kind: 0 for kind in KIND_ORDER}
        for outcome in self.outcomes:
            counts[outcome.action.kind] += 1
        return "Apply complete: " + ", ".join(
            f"{counts[kind]} {PAST_TENSE[kind]}" for kind in KIND_ORDER
        )


class ApplyFailed(StatesyncError):
    """An action failed: everything before it is done and recorded."""

    def __init__(self, action: Action, cause: ProviderError, report: ApplyReport):
        self.action = action
        self.cause = cause
        self.report = report
        done = len(report.outcomes)
        super().__init__(
            f"{action.address}: {action.kind.value} failed: {cause}\n"
            f"Apply stopped after {done} completed action{'s' if done != 1 else ''}; "
            "the lockfile records every one of them. Fix the cause and run apply again."
        )


def apply_plan(
    plan: Plan,
    writer: Writer,
    lock: Lockfile,
    on_outcome: Callable[[Outcome], None] = lambda outcome: None,
) -> ApplyReport:
    report = ApplyReport()
    if not plan.actions:
        return report
    lock.serial += 1
    for action in plan.actions:
        try:
            outcome = _apply_action(action, writer, lock)
        except ProviderError as exc:
            lock.save()  # the serial bump of a partial apply is recorded too
            raise ApplyFailed(action, exc, report) from exc
        report.outcomes.append(outcome)
        on_outcome(outcome)
    return report


def _apply_action(action: Action, writer: Writer, lock: Lockfile) -> Outcome:
    page, key = action.page_id, action.address.key
    if action.kind is ActionKind.DELETE or action.kind is ActionKind.REPLACE:
        assert action.post_id is not None  # noqa: S101 - the planner sets it
        writer.delete(page, action.post_id)
        lock.forget(page, key)
        lock.save()
        if action.kind is ActionKind.DELETE:
            return Outcome(action, None)
    after = _desired(action)
    if action.kind is ActionKind.UPDATE:
        assert action.post_id is not None  # noqa: S101 - the planner sets it
        try:
            writer.update(page, action.post_id, after)
        except PostGone:
            new_id = _push(action, after, writer, lock)
            gone = f"post {action.post_id} was gone, so it was pushed again"
            return Outcome(action, new_id, note=gone)
        _record(action, action.post_id, after, lock)
        return Outcome(action, action.post_id)
    return Outcome(action, _push(action, after, writer, lock))


def _push(action: Action, after: PostFields, writer: Writer, lock: Lockfile) -> str:
    post_id = writer.push(action.page_id, after)
    _record(action, post_id, after, lock)
    return post_id


def _record(action: Action, post_id: str, after: PostFields, lock: Lockfile) -> None:
    record = Record(post_id=post_id, hashes=field_hashes(after))
    lock.record(action.page_id, action.address.manifest, action.address.key, record)
    lock.save()


def _desired(action: Action) -> PostFields:
    if action.after is None:
        raise ValueError(f"{action.address}: a {action.kind} action has no content")
    return action.after
