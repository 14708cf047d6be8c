"""desired + recorded + live -> plan. Pure: no I/O, so it can be tested exhaustively.

What the writer can do comes in as data (``statesync.kinds.Capabilities``); the
planner has no provider-specific branches: a link change is ``replace`` on Graph and
``update`` on OneAll because of their capability tables alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from statesync.kinds import Capabilities
from statesync.media_plan import VideoPosts, plan_media, video_posts
from statesync.model import (
    POST_FIELDS,
    Address,
    Desired,
    DesiredPost,
    PostFields,
    Record,
    RecordedPage,
)
from statesync.normalize import field_hashes, normalize
from statesync.plan import Action, ActionKind, Plan, UnknownOutcome
from statesync.post_flags import POST_FLAGS, flag_changes, flag_drift
from statesync.targets import target_of
from statesync.time_plan import plan_times, reschedules, timed

Recorded = Mapping[str, RecordedPage]  # page id -> the lockfile's entries
Live = Mapping[str, PostFields | None]  # post id -> live fields, None when gone


def make_plan(
    desired: Desired,
    recorded: Recorded,
    live: Live | None,
    can: Capabilities,
    *,
    media: Capabilities | None = None,
    video: Capabilities | None = None,
    now: float | None = None,
) -> Plan:
    """Plan every managed post and media file; ``live=None`` means there is no reader.

    Without a reader, or for a kind the writer cannot read back (``can.read``),
    changes are found by comparing the desired fields' hashes with the recorded ones,
    so edits made outside statesync (drift) cannot be seen. ``media`` is what the
    writer can upload (None: nothing); uploads come first, media deletions last.
    ``now`` (Unix seconds) decides posts in time (statesync.time_plan); None: every
    post is wanted at once, as in a manifest without times. ``video``: what the writer
    can do with a post that is a video (``Kind.VIDEO_POST``), planned with that
    instead of ``can`` when the desired post or its recorded one is one; None: a
    video is an attachment like any other.
    """
    if not can.read:
        live = None
    videos = video_posts(desired, recorded, live) if video is not None else VideoPosts()

    # A post leaving a video post for another kind: replaced, whatever changes.
    leaving = replace(can, in_place=can.in_place - {"attachments"})

    def can_of(page_id: str, key: str) -> Capabilities:
        if video is not None and (page_id, key) in videos.involved:
            return video if (page_id, key) in videos.desired else leaving
        return can

    # A post to become a video post withdraws its scheduled predecessor, unless
    # its video is another post's: then it stays, and the plan says it cannot be.
    unschedulable = videos.desired - videos.shared.keys()
    times = (
        plan_times(desired, recorded, now, can_of, live, unschedulable)
        if now is not None
        else None
    )
    if times is not None and videos.shared:  # a post not due yet claims no video
        videos = replace(
            videos, shared=video_posts(times.desired, recorded, live).shared
        )
    if times is not None:
        desired = times.desired
    files = plan_media(desired, recorded, media)
    desired = files.desired
    actions: list[Action] = list(files.uploads)
    unknown = _unknown_outcomes(desired, recorded)
    pending = {(u.page_id, u.address.key) for u in unknown}
    # Sorted by the address's parts: a tuple compares far faster than the dataclass.
    ordered = sorted(desired.posts(), key=lambda p: (p.address.manifest, p.address.key))
    for post in ordered:
        if pending and (post.page_id, post.address.key) in pending:
            continue  # pushing again could publish it twice
        page = recorded.get(post.page_id)
        record = page.posts.get(post.address.key) if page else None
        action = _plan_post(post, record, live, can_of(post.page_id, post.address.key))
        why = files.unsupported.get(post.address) if files.unsupported else None
        if videos.shared and not why:
            why = videos.shared.get((post.page_id, post.address.key))
        if action is not None and why:
            action = replace(
                action, kind=ActionKind.IMPOSSIBLE, forced_by="attachments", note=why
            )
        elif action is not None and (post.page_id, post.address.key) in videos.desired:
            action = replace(action, video_post=True)
        if action is not None:
            actions.append(action)
    actions.extend(
        a
        for a in _deletions(desired, recorded, live, can)
        if (a.page_id, a.address.key) not in pending
    )
    actions.extend(files.deletions)
    if times is None or now is None:
        return Plan(
            actions=tuple(actions), reads_live=live is not None, unknown=unknown
        )
    actions = reschedules(desired, recorded, timed(actions, times), now, can_of, live)
    return Plan(
        actions=tuple(actions),
        reads_live=live is not None,
        unknown=unknown,
        timeline=times.timeline,
    )


def _unknown_outcomes(
    desired: Desired, recorded: Recorded
) -> tuple[UnknownOutcome, ...]:
    """Intents left in the lockfile after recovery: pushes nobody could settle."""
    outcomes: list[UnknownOutcome] = []
    for page_id, page in recorded.items():
        owner = desired.pages.get(page_id)
        manifest = owner.stem if owner else page.manifest
        outcomes.extend(
            UnknownOutcome(Address(manifest, key), page_id, intent.since)
            for key, intent in page.intents.items()
        )
    return tuple(sorted(outcomes))


def _plan_post(
    post: DesiredPost,
    record: Record | None,
    live: Live | None,
    can: Capabilities,
) -> Action | None:
    current = live.get(record.post_id) if record is not None and live else None
    changed = changed_fields(post.fields, current) if current is not None else ()
    if current is not None and not changed:
        return None  # the common case: no action built, no hashing, no diffing
    push = Action(
        kind=ActionKind.PUSH,
        address=post.address,
        page_id=post.page_id,
        after=post.fields,
    )
    if record is None:
        return _pushable(push, can)
    if live is None:
        wanted = field_hashes(post.fields)
        hashed = [f for f in POST_FIELDS if wanted[f] != record.hashes[f]]
        flagged = [n for n, on in post.fields.flags if record.flags.get(n, False) != on]
        return _edit(push, record, None, tuple(sorted(hashed + flagged)), False, can)
    if current is None:
        note = f"post {record.post_id} no longer exists (deleted outside statesync)"
        return _pushable(replace(push, post_id=record.post_id, note=note), can)
    # Hashed only now that an action results: drift is a fact about that action.
    drift = field_hashes(current) != dict(record.hashes) or flag_drift(
        post.fields, current, record.flags
    )
    return _edit(push, record, current, changed, drift, can)


def _pushable(push: Action, can: Capabilities) -> Action:
    """The push, or ``impossible`` if it carries a field the writer cannot set."""
    unsettable = _unsettable(push, can)
    return _impossible(push, unsettable) if unsettable else push


def _edit(
    push: Action,
    record: Record,
    current: PostFields | None,
    changed: tuple[str, ...],
    drift: bool,
    can: Capabilities,
) -> Action | None:
    """``update`` when every changed field changes in place; else ``replace`` (delete,
    then push the desired fields), which needs a writer that can delete and can set
    every field the desired post carries; else ``impossible``, saying which."""
    if not changed:
        return None
    edit = replace(
        push,
        kind=ActionKind.UPDATE,
        post_id=record.post_id,
        before=current,
        changed=changed,
        drift=drift,
    )
    # Flags change in place on every writer: through the Graph API where the
    # writer cannot (planning refuses a project with no way to set them).
    not_in_place = can.not_in_place(tuple(c for c in changed if c not in POST_FLAGS))
    if not not_in_place:
        return edit
    culprit = not_in_place[0]
    why = f"{culprit} cannot be changed in place"
    unsettable = _unsettable(edit, can)
    if unsettable:
        impossible = _impossible(edit, unsettable)
        if unsettable <= frozenset(changed):
            return impossible
        return replace(
            impossible, forced_by=culprit, note=f"{why}, and {impossible.note}"
        )
    if not can.delete:
        return replace(
            edit,
            kind=ActionKind.IMPOSSIBLE,
            forced_by=culprit,
            note=f"{why}, and this writer cannot delete a {push.resource} to push "
            "it again",
        )
    return replace(edit, kind=ActionKind.REPLACE, forced_by=culprit)


def _impossible(action: Action, unsettable: frozenset[str]) -> Action:
    """``forced_by`` names the first field the writer cannot set; ``note`` all."""
    names = sorted(unsettable)
    return replace(
        action,
        kind=ActionKind.IMPOSSIBLE,
        forced_by=names[0],
        note=f"this writer cannot set {', '.join(names)} on a {action.resource}",
    )


def _unsettable(action: Action, can: Capabilities) -> frozenset[str]:
    """The fields the action's desired post sets that no push of the writer can."""
    values = (action.after or PostFields()).as_dict()
    return can.cannot_set(
        frozenset(name for name, value in values.items() if value not in (None, []))
    )


def changed_fields(want: PostFields, have: PostFields) -> tuple[str, ...]:
    """The names of the fields whose normalized values differ, and the managed
    flags that differ, sorted.

    Equal posts (the common case: a plan of 10,000 unchanged posts) are settled by
    one comparison; deepdiff only looks at posts that differ.
    """
    if want == have:  # the commonest case of all: not even normalizing
        return ()
    flags = flag_changes(want, have)
    desired, live = normalize(want).as_dict(), normalize(have).as_dict()
    if desired == live:
        return tuple(sorted(flags))
    from deepdiff import DeepDiff  # here: a plan with no changes never imports it

    diff = DeepDiff(live, desired, view="tree")
    names = {
        str(level.path(output_format="list")[0])
        for report in diff.values()
        for level in report
    }
    return tuple(sorted(names | set(flags)))


def _deletions(
    desired: Desired, recorded: Recorded, live: Live | None, can: Capabilities
) -> list[Action]:
    """Recorded posts no manifest wants: statesync made them, so it removes them,
    showing what is deleted (``before``) when the post was read.

    Posts statesync never recorded are never touched.
    """
    wanted = {(p.page_id, p.address.key) for p in desired.posts()}
    actions = []
    for page_id in sorted(recorded):
        page = recorded[page_id]
        manifest = (
            desired.pages[page_id].stem if page_id in desired.pages else page.manifest
        )
        for key in sorted(page.posts):
            if (page_id, key) not in wanted:
                deletion = _deletion(Address(manifest, key), page_id, page, live)
                actions.append(deletion if can.delete else _forget(deletion))
    return actions


def _deletion(
    address: Address, page_id: str, page: RecordedPage, live: Live | None
) -> Action:
    post_id = page.posts[address.key].post_id
    gone = live is not None and post_id in live and live[post_id] is None
    return Action(
        kind=ActionKind.DELETE,
        address=address,
        page_id=page_id,
        post_id=post_id,
        before=live.get(post_id) if live is not None else None,
        note=f"post {post_id} is already gone: it is only forgotten" if gone else None,
    )


def _forget(deletion: Action) -> Action:
    """A writer that cannot delete: statesync stops managing the entry, which stays
    live, and says so (Terraform's ``removed`` with ``destroy = false``)."""
    if deletion.note:  # already gone: forgetting it is all a delete would do
        return replace(deletion, kind=ActionKind.FORGET)
    return replace(
        deletion,
        kind=ActionKind.FORGET,
        note=f"this writer cannot delete a {deletion.resource}: statesync forgets it, "
        f"and it stays live on {target_of(deletion.page_id)}",
    )
