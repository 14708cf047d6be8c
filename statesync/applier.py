"""Plan -> provider calls -> lockfile, one action at a time.

The lockfile is saved (atomically) after every change, so an error, a signal or a crash
part-way through loses no post id: what was pushed is recorded, what was not is planned
again. Every push is preceded by an intent saved in the lockfile, so a crash between
the API creating a post and the lockfile recording it is settled by recovery, never by
publishing again (statesync/recovery.py).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from statesync.errors import ProviderError, StatesyncError
from statesync.kinds import Kind
from statesync.lockfile import LockStore
from statesync.media_apply import (
    apply_media,
    forget_post,
    move_record,
    resolve_files,
    use_media,
)
from statesync.page_apply import apply_page
from statesync.plan import KIND_ORDER, Action, ActionKind, Plan
from statesync.post_apply import (
    ApplyRun,
    desired,
    push,
    record,
    recorded_id,
    scheduled_for,
    set_flags,
    time_note,
    video_poster,
)
from statesync.post_flags import POST_FLAGS, flags_to_set
from statesync.providers.base import (
    Lister,
    PageEditor,
    PostGone,
    Writer,
)
from statesync.safety import SafetyRailError, impossible_actions
from statesync.targets import target_of

PAST_TENSE = {
    ActionKind.PUSH: "pushed",
    ActionKind.UPDATE: "updated",
    ActionKind.REPLACE: "replaced",
    ActionKind.DELETE: "deleted",
    ActionKind.FORGET: "forgotten",
    ActionKind.UPLOAD: "uploaded",
    ActionKind.MOVE: "moved",
}


@dataclass(frozen=True, slots=True)
class Outcome:
    action: Action
    post_id: str | None  # the post that now carries the content; None after a delete
    note: str | None = None

    def describe(self) -> str:
        name = self.action.name
        if self.action.moved_from is not None:
            name = f"{self.action.moved_from} -> {name}"
        text = f"{name}: {PAST_TENSE[self.action.kind]}"
        if self.post_id:
            text += f" ({self.post_id})"
        if self.note:
            text += f"; {self.note}"
        return text


@dataclass(slots=True)
class ApplyReport:
    outcomes: list[Outcome] = field(default_factory=list)
    not_started: list[Action] = field(default_factory=list)  # after a stop

    def summary(self) -> str:
        return "Apply complete: " + self.counts()

    def counts(self) -> str:
        counts = dict.fromkeys(KIND_ORDER, 0)
        media: dict[ActionKind, int] = {}
        pages: dict[ActionKind, int] = {}
        for outcome in self.outcomes:
            kind = outcome.action.kind
            if outcome.action.on_page:
                pages[kind] = pages.get(kind, 0) + 1
                continue
            tally = media if outcome.action.on_media else counts
            tally[kind] = tally.get(kind, 0) + 1
        text = ", ".join(
            f"{count} {PAST_TENSE[kind]}" for kind, count in counts.items()
        )
        if pages:
            text += "; page details: " + ", ".join(
                f"{count} {PAST_TENSE[kind]}" for kind, count in pages.items()
            )
        if media:
            text += "; media: " + ", ".join(
                f"{count} {PAST_TENSE[kind]}" for kind, count in media.items()
            )
        return text


class ApplyFailed(StatesyncError):
    """An action failed: everything before it is done and recorded."""

    def __init__(self, action: Action, cause: ProviderError, report: ApplyReport):
        self.action = action
        self.cause = cause
        self.report = report
        done = len(report.outcomes)
        super().__init__(
            f"{action.name}: {action.kind.value} failed: {cause}\n"
            f"Apply stopped after {done} completed action{'s' if done != 1 else ''}; "
            "the lockfile records every one of them. Fix the cause and run apply again."
        )


def apply_plan(
    plan: Plan,
    writer: Writer,
    lock: LockStore,
    on_outcome: Callable[[Outcome], None] = lambda outcome: None,
    *,
    lister: Lister | None = None,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
    parallelism: int = 1,
    stop: threading.Event | None = None,
    editor: PageEditor | None = None,
) -> ApplyReport:
    """Run the plan's actions; ``lister`` settles pushes whose answer was lost.

    Media uploads run first (concurrently), then the posts (with ``parallelism``
    above 1, pages concurrently, each page's actions in the plan's order: its
    details, through ``editor``, first), then media deletions: a post is sent only once its files have ids, and a media is deleted
    only once no post carries it. Once ``stop`` is set (a signal) or an action fails,
    no new action starts; those in flight finish and are recorded, and the report
    lists what did not start. The lockfile is saved after every change.

    A plan with an ``impossible`` action is refused whole (``SafetyRailError``, as
    the safety rails refuse it first) before anything is sent; a ``forget`` sends
    nothing and only drops the entry from the lockfile.
    """
    refusals = impossible_actions(plan)
    if refusals:
        raise SafetyRailError(refusals)
    report = ApplyReport()
    run = ApplyRun(
        writer=writer,
        editor=editor,
        lock=lock,
        lister=lister,
        clock=clock,
        sleep=sleep,
    )
    stop = stop or threading.Event()
    failures: list[tuple[Action, BaseException]] = []
    reporting = threading.Lock()

    def work(actions: list[Action]) -> None:
        for index, action in enumerate(actions):
            if stop.is_set():
                with reporting:
                    report.not_started.extend(actions[index:])
                return
            try:
                outcome = _apply_action(action, run)
            except BaseException as exc:
                with reporting:
                    failures.append((action, exc))
                    report.not_started.extend(actions[index + 1 :])
                stop.set()
                return
            with reporting:
                report.outcomes.append(outcome)
                on_outcome(outcome)

    for phase in _phases(plan.actions):
        if stop.is_set():
            report.not_started.extend(a for lane in phase for a in lane)
            continue
        if parallelism <= 1 or len(phase) == 1:
            for lane in phase:
                work(lane)
            continue
        with ThreadPoolExecutor(max_workers=parallelism) as pool:
            for _ in pool.map(work, phase):
                pass
    order = {id(action): index for index, action in enumerate(plan.actions)}
    report.not_started.sort(key=lambda action: order[id(action)])
    if failures:
        action, exc = min(failures, key=lambda failure: order[id(failure[0])])
        if isinstance(exc, ProviderError):
            raise ApplyFailed(action, exc, report) from exc
        raise exc
    return report


Lanes = list[list[Action]]


def _phases(actions: tuple[Action, ...]) -> list[Lanes]:
    """Uploads, each its own lane; the posts, one lane per page; media deletions."""
    uploads = [[a] for a in actions if a.kind is ActionKind.UPLOAD]
    posts = _by_page([a for a in actions if not a.on_media])
    removals = _by_page(
        [a for a in actions if a.on_media and a.kind is not ActionKind.UPLOAD]
    )
    return [phase for phase in (uploads, posts, removals) if phase]


def _by_page(actions: list[Action]) -> Lanes:
    by_page: dict[str, list[Action]] = {}
    for action in actions:
        by_page.setdefault(action.page_id, []).append(action)
    return list(by_page.values())


def _apply_action(action: Action, run: ApplyRun) -> Outcome:
    if action.on_page:
        apply_page(action, run.editor, run.lock)
        return Outcome(action, None, note=action.note)
    if action.on_media:
        media_id = apply_media(action, run.writer, run.lock, clock=run.clock)
        return Outcome(action, media_id, note=action.note if media_id is None else None)
    page, key, lock = action.page_id, action.address.key, run.lock
    if action.kind is ActionKind.MOVE:  # nothing to send: the post keeps its id
        move_record(lock, action)
        return Outcome(action, action.post_id)
    if action.kind is ActionKind.FORGET:  # nothing to send: the post stays live
        forget_post(lock, action)
        lock.save()
        return Outcome(action, None, note=f"it stays on {target_of(page)}")
    if action.kind is ActionKind.DELETE or action.kind is ActionKind.REPLACE:
        run.writer.delete(page, recorded_id(action))
        lock.forget(page, key)
        use_media(lock, action, ())
        if action.expired_at is not None:  # never pushed again while it is named
            lock.record_expired(page, action.address.manifest, key, action.expired_at)
        lock.save()
        if action.kind is ActionKind.DELETE:
            return Outcome(
                action, None, note=action.note if action.expired_at else None
            )
    media = run.writer.capabilities_for(page).get(Kind.MEDIA)
    inline = media is not None and media.inline  # the writer sends the files itself
    after = desired(action) if inline else resolve_files(action, desired(action), lock)
    if action.kind is ActionKind.UPDATE:
        post_id = recorded_id(action)
        publish_at, note = scheduled_for(action, lock, run.clock())
        try:
            if set(action.changed) - {"publish_at", *POST_FLAGS}:  # content
                if action.video_post:  # its message is the video's description
                    video = video_poster(action, after, run)
                    video.describe_video(page, after.attachments[0], after)
                else:
                    run.writer.update(page, post_id, after)
            if "publish_at" in action.changed:  # a scheduled post not yet published
                run.writer.reschedule(page, post_id, publish_at)
            if set(action.changed) & set(POST_FLAGS):
                set_flags(page, post_id, flags_to_set(after, new=False), run)
        except PostGone:
            new_id, _ = push(action, after, run)
            gone = f"post {post_id} was gone, so it was pushed again"
            return Outcome(action, new_id, note=gone)
        record(action, post_id, after, lock, run.clock(), publish_at)
        return Outcome(action, post_id, note=note or time_note(action))
    new_id, note = push(action, after, run)
    return Outcome(action, new_id, note=note)
