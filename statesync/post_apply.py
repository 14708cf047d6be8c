"""One post action's calls and records: a push (intent first, a lost answer settled
by listing, never pushed twice), an update, a schedule, the flags, and the lockfile
entry that records each as soon as it is done. ``statesync.applier`` runs them."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from statesync.errors import ProviderError
from statesync.lockfile import LockStore
from statesync.media_apply import use_media
from statesync.model import Intent, PostFields, Record
from statesync.normalize import field_hashes
from statesync.plan import Action
from statesync.post_flags import flags_to_set, managed
from statesync.providers.base import (
    Lister,
    MediaGone,
    PageEditor,
    PushOutcomeUnknown,
    VideoPoster,
    Writer,
)
from statesync.recovery import CLOCK_SKEW_S, find_match, wait_for_in_flight
from statesync.time_plan import MIN_AHEAD_S
from statesync.times import utc_text


@dataclass(slots=True)
class ApplyRun:
    """What every action of one apply shares."""

    writer: Writer
    editor: PageEditor | None
    lock: LockStore
    lister: Lister | None
    clock: Callable[[], float]
    sleep: Callable[[float], None]


class OutcomeUnknown(ProviderError):
    """A push may or may not have published the post, and the page cannot be listed
    to find out: its intent stays in the lockfile until someone resolves it."""


def push(action: Action, after: PostFields, run: ApplyRun) -> tuple[str, str | None]:
    """Intent first, then the push; a lost answer is settled by listing the page.

    A push whose answer was lost is tried again only once the page's listing shows
    that it did not publish anything.
    """
    page, key, lock = action.page_id, action.address.key, run.lock
    video = video_poster(action, after, run) if action.video_post else None
    intent = Intent(
        hashes=field_hashes(after), since=int(run.clock()), publish_at=action.schedule
    )
    lock.intend(page, action.address.manifest, key, intent)
    lock.save()  # durable before the push is sent
    retries_left = 1  # one more push, only after the listing shows none landed
    while True:
        sent_at = run.clock()
        schedule, note = send_time(action.schedule, sent_at)
        try:
            if video is not None:  # planned unscheduled (Kind.VIDEO_POST)
                taken = _held_elsewhere(action, lock)
                post_id = video.publish_video(
                    page, after.attachments[0], after, taken=taken
                )
                _not_taken(action, post_id, taken)
            else:
                post_id = run.writer.push(page, after, schedule=schedule)
        except PushOutcomeUnknown as exc:
            adopted = _settle(action, intent, sent_at, exc, run)
            if adopted is not None:
                _flagged(action, adopted, after, schedule, run)
                return adopted, f"adopted post {adopted}: the push's answer was lost"
            if retries_left:
                retries_left -= 1
                continue
            lock.clear_intent(page, key)  # listed: not published
            lock.save()
            raise
        except MediaGone as gone:
            lock.clear_intent(page, key)  # nothing was published
            _forget_video(action, gone.media_id, lock)
            lock.save()
            raise MediaGone(
                gone.message,
                media_id=gone.media_id,
                target=gone.target,
                status=gone.status,
                code=gone.code,
                remedy="statesync forgot that upload: the next apply uploads the "
                "file again and publishes its post",
            ) from gone
        except ProviderError:
            lock.clear_intent(page, key)  # refused: nothing was published
            lock.save()
            raise
        _flagged(action, post_id, after, schedule, run)
        return post_id, note or time_note(action)


def video_poster(action: Action, fields: PostFields, run: ApplyRun) -> VideoPoster:
    """The writer, for a post the plan publishes as its video's own (its one
    attachment, resolved to the video's id, is the video)."""
    writer = run.writer
    if not isinstance(writer, VideoPoster) or len(fields.attachments) != 1:
        raise ProviderError(
            f"{action.address}: the plan publishes it as a video post, which this "
            "writer cannot do with these attachments; make a new plan"
        )
    return writer


def _forget_video(action: Action, video_id: str, lock: LockStore) -> None:
    """The video is gone from the page: its media record goes, so the next plan
    uploads the file again instead of failing on the same id forever. The caller
    saves."""
    page = lock.pages.get(action.page_id)
    for key, media in list(page.media.items()) if page else ():
        if media.media_id == video_id:
            lock.record_media(action.page_id, action.address.manifest, key, None)


def _held_elsewhere(action: Action, lock: LockStore) -> dict[str, str]:
    """The post ids the page's other entries hold, and their keys."""
    page = lock.pages.get(action.page_id)
    key = action.address.key
    posts = page.posts.items() if page else ()
    return {record.post_id: other for other, record in posts if other != key}


def _not_taken(action: Action, post_id: str, taken: Mapping[str, str]) -> None:
    """A video's post belongs to one key: publishing a video that is already another
    key's post answers that post (one video, one post), which this key must not
    take over. The planner refuses it first, and ``publish_video`` before sending;
    this last check holds when the other post's id was not yet readable then
    (Facebook still processing)."""
    other = taken.get(post_id)
    if other is not None:
        raise ProviderError(
            f"{action.address}: its video is already the post of "
            f"{action.address.manifest}/{other} ({post_id}): on Facebook one video "
            "makes one post, so nothing new was published"
        )


def _settle(
    action: Action,
    intent: Intent,
    sent_at: float,
    cause: PushOutcomeUnknown,
    run: ApplyRun,
) -> str | None:
    """The post the lost push created, or None if the page shows it never happened."""
    can = run.writer.capabilities_for(action.page_id)[action.resource]
    if run.lister is None or not can.list:
        raise OutcomeUnknown(
            f"the push was sent but its answer was lost ({cause.message}), and this "
            "project cannot list the page's posts to find out whether it was "
            "published. The intent stays in the lockfile and the post will not be "
            "pushed again until it is resolved: check the page, then run "
            f"`statesync resolve {action.address} --post-id <id>` or "
            f"`statesync resolve {action.address} --not-published`",
            target=cause.target,
            status=cause.status,
            code=cause.code,
        ) from cause
    wait_for_in_flight(
        sent_at, run.lister.settle_window_s, clock=run.clock, sleep=run.sleep
    )
    try:
        listed = run.lister.recent_posts(
            action.page_id, since=intent.since - CLOCK_SKEW_S
        )
    except ProviderError as exc:  # the intent stays: a later run lists again
        raise OutcomeUnknown(
            f"the push's answer was lost ({cause.message}), and listing the page to "
            f"find out failed too ({exc}). The push stays recorded as pending: the "
            "next plan or apply lists the page again and adopts the post if it was "
            "published, or pushes it if it was not, never both",
            target=cause.target,
            status=cause.status,
            code=cause.code,
        ) from exc
    page = run.lock.pages.get(action.page_id)
    taken = {record.post_id for record in page.posts.values()} if page else set()
    return find_match(intent, listed, taken)


def record(
    action: Action,
    post_id: str,
    after: PostFields,
    lock: LockStore,
    at: float,
    publish_at: int | None = None,
    *,
    flags: Mapping[str, bool] | None = None,
) -> None:
    """Record the post as applied; its flags as given (None: as the manifest has
    them, which is what they are once ``_set_flags`` is done)."""
    record = Record(
        post_id=post_id,
        hashes=field_hashes(after),
        applied_at=int(at),
        publish_at=publish_at,
        flags=managed(after) if flags is None else flags,
    )
    lock.record(action.page_id, action.address.manifest, action.address.key, record)
    use_media(lock, action, desired(action).attachments)
    lock.save()


def _flagged(
    action: Action, post_id: str, after: PostFields, schedule: int | None, run: ApplyRun
) -> None:
    """Record a pushed (or adopted) post, then set its flags: recorded first, with
    no flags, so that its id survives a failure to flag it and the next plan sees
    the flags still to set."""
    flags = flags_to_set(after, new=True)
    if flags:
        record(action, post_id, after, run.lock, run.clock(), schedule, flags={})
        set_flags(action.page_id, post_id, flags, run)
    record(action, post_id, after, run.lock, run.clock(), schedule)


def send_time(schedule: int | None, now: float) -> tuple[int | None, str | None]:
    """The schedule to send now: a time that came too close to schedule while the
    apply ran (the API wants 10 minutes ahead) is published at once, at most that
    early, rather than fail the apply over time arithmetic."""
    if schedule is None or schedule - now >= MIN_AHEAD_S:
        return schedule, None
    return None, f"published now: {utc_text(schedule)} was too close to schedule"


def set_flags(
    page_id: str, post_id: str, flags: Mapping[str, bool], run: ApplyRun
) -> None:
    """Pinned and hidden go through the Graph API (``editor``), whatever the writer:
    OneAll cannot set them (planning refuses a project with no editor first)."""
    if run.editor is None:
        raise ProviderError(
            "pinned and hidden are set through the Graph API, and this project has "
            "no Graph token",
            target=f"POST /{post_id}",
        )
    run.editor.set_flags(page_id, post_id, flags)


def scheduled_for(
    action: Action, lock: LockStore, now: float
) -> tuple[int | None, str | None]:
    """The time an updated post is scheduled for once the update is done, and a
    note: the new one where the update moves it (published at once if it came too
    close while the apply ran), else the one recorded (None: published)."""
    if "publish_at" in action.changed:
        return send_time(action.schedule, now)
    page = lock.pages.get(action.page_id)
    found = page.posts.get(action.address.key) if page else None
    return (found.publish_at if found else None), None


def time_note(action: Action) -> str | None:
    if action.schedule is not None:
        return f"scheduled for {utc_text(action.schedule)}"
    if "publish_at" in action.changed:
        return "published now"
    return None


def recorded_id(action: Action) -> str:
    if action.post_id is None:
        raise ValueError(f"{action.address}: a {action.kind} action has no post id")
    return action.post_id


def desired(action: Action) -> PostFields:
    if action.after is None:
        raise ValueError(f"{action.address}: a {action.kind} action has no content")
    return action.after
