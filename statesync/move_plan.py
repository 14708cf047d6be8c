"""``moved:`` in a plan: renames that keep the post, settled against the lockfile. Pure.

A move whose source the lockfile records, and whose target it does not, becomes a
``move`` action (apply rewrites the lockfile, nothing is sent) and the rest of the plan
sees the post at its new address, so a move and an edit of the same post plan as a move
and an update. A move already done (target recorded, source gone) is nothing to do, so
the entry may stay in the manifest. Anything else is refused before the plan reads a
single post: a source the lockfile never recorded, a target it already records, a
source on another page, or a source whose push is still unsettled.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from statesync.errors import Location, ManifestError
from statesync.model import Desired, MediaRecord, Move, Record, RecordedPage
from statesync.normalize import field_hashes
from statesync.plan import Action, ActionKind, Plan
from statesync.targets import LABEL_SEPARATOR

Problems = list[tuple[Location, str]]


@dataclass(frozen=True, slots=True)
class Moves:
    recorded: dict[str, RecordedPage]  # the lockfile as it will be after the moves
    actions: tuple[Action, ...]


def plan_moves(desired: Desired, recorded: Mapping[str, RecordedPage]) -> Moves:
    """The moves to make; ``ManifestError`` (every problem, FILE:LINE) if any is wrong."""
    view = dict(recorded)
    actions: list[Action] = []
    problems: Problems = []
    # A manifest with several targets gives each one every move: one from another
    # manifest belongs to the target whose page records its source, and is refused
    # only when no target's does.
    elsewhere: dict[Location, Move] = {}
    placed: set[Location] = set()
    for page_id in sorted(desired.pages):
        manifest = desired.pages[page_id]
        if not manifest.moves:
            continue
        page = view.get(page_id)
        posts = dict(page.posts) if page else {}
        stems = {manifest.stem} | ({page.manifest} if page else set())
        renamed: dict[str, str] = {}  # source key -> target key
        for move in manifest.moves:
            if move.source.key == move.target.key and move.source.manifest in stems:
                placed.add(move.location)  # the same post: keyed by page and key
                continue
            if LABEL_SEPARATOR in manifest.stem and move.source.manifest not in stems:
                elsewhere.setdefault(move.location, move)
                continue
            placed.add(move.location)
            action = _move(move, page_id, stems, posts, page, problems)
            if action is None:
                continue
            posts[move.target.key] = posts.pop(move.source.key)
            renamed[move.source.key] = move.target.key
            actions.append(action)
        if page is not None and renamed:
            view[page_id] = replace(page, posts=posts, media=_users(page, renamed))
    for location, move in elsewhere.items():
        if location not in placed:
            problems.append(
                (
                    location,
                    f"moved: {move.source} is not on any target of this manifest: a "
                    "post moves within its page (its id belongs to the page)",
                )
            )
    if problems:
        raise ManifestError(problems)
    return Moves(recorded=view, actions=tuple(actions))


def _users(page: RecordedPage, renamed: Mapping[str, str]) -> dict[str, MediaRecord]:
    """The page's media with the posts that attach them under their new keys, as
    apply will record them (``media_apply.move_record``)."""
    return {
        key: replace(
            media, used_by=tuple(sorted(renamed.get(u, u) for u in media.used_by))
        )
        for key, media in page.media.items()
    }


def _move(
    move: Move,
    page_id: str,
    stems: set[str],
    posts: Mapping[str, Record],
    page: RecordedPage | None,
    problems: Problems,
) -> Action | None:
    """The move's action; None when it is done already or refused (into ``problems``)."""
    refusal = _refusal(move, page_id, stems, posts, page)
    if refusal is not None:
        problems.append((move.location, f"moved: {refusal}"))
        return None
    if move.source.key not in posts:
        return None  # done already: the target is recorded, the entry may stay
    return Action(
        kind=ActionKind.MOVE,
        address=move.target,
        page_id=page_id,
        post_id=posts[move.source.key].post_id,
        moved_from=move.source,
    )


def _refusal(
    move: Move,
    page_id: str,
    stems: set[str],
    posts: Mapping[str, Record],
    page: RecordedPage | None,
) -> str | None:
    """Why the lockfile rules this move out, or None."""
    source, target = move.source, move.target
    intents = page.intents if page is not None else {}
    if source.manifest not in stems:
        return (
            f"{source} is not on page {page_id}: a post moves within its page (its "
            "id belongs to the page)"
        )
    if target.key in intents:
        return (
            f"{target} has a push whose outcome is not settled yet; let plan settle "
            "it (or `statesync resolve`) before moving a post there"
        )
    if source.key in intents:
        return (
            f"{source} has a push whose outcome is not settled yet; let plan settle "
            "it (or `statesync resolve`), then move it"
        )
    if source.key in posts and target.key in posts:
        return (
            f"{target} is already recorded (post {posts[target.key].post_id}); "
            f"moving {source} onto it would lose one of the two posts"
        )
    if source.key not in posts and target.key not in posts:
        return (
            f"the lockfile records no post at {source} (nor at {target}): nothing "
            "to move; remove the entry"
        )
    return None


def rename_hints(plan: Plan, recorded: Mapping[str, RecordedPage]) -> list[str]:
    """A delete and a push of the same content on one page look like a rename that
    would destroy the post: say which ``moved:`` entry keeps it."""
    hints = []
    pushes = [a for a in plan.actions if a.kind is ActionKind.PUSH and a.after]
    for deletion in plan.actions:
        if deletion.kind is not ActionKind.DELETE or deletion.on_media:
            continue
        page = recorded.get(deletion.page_id)
        record = page.posts.get(deletion.address.key) if page else None
        if record is None:
            continue
        for push in pushes:
            same_page = push.page_id == deletion.page_id
            if same_page and push.after and field_hashes(push.after) == record.hashes:
                hints.append(
                    f"{deletion.address} is deleted and {push.address} pushed with the "
                    "same content: if this is a rename, keep the post (its likes and "
                    "comments) with, in its manifest:\n"
                    f"  moved:\n    - from: {deletion.address.key}\n"
                    f"      to: {push.address.key}"
                )
                break
    return hints
