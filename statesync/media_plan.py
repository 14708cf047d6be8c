"""Media in a plan: what to upload before the posts, what to delete after them, and
the posts' file attachments resolved to the media ids already uploaded. Pure.

A file is identified by its media key (content and alt text, ``statesync.media``), so
a key the page's lockfile records needs no upload, whatever the file is called now;
a key it does not record is uploaded once, however many posts attach it; a recorded
key that no post of the page attaches any more is deleted once those posts no longer
carry it (apply deletes media last: Facebook refuses to delete a photo a post uses).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from statesync.kinds import Capabilities, Kind
from statesync.media import VIDEO_TYPES, MediaFile, is_ref, ref_key
from statesync.model import (
    Address,
    Desired,
    DesiredPost,
    PageManifest,
    PostFields,
    RecordedPage,
)
from statesync.plan import Action, ActionKind


@dataclass(frozen=True, slots=True)
class MediaPlan:
    desired: Desired  # the posts' file refs resolved to recorded media ids
    uploads: tuple[Action, ...]
    deletions: tuple[Action, ...]
    # post address -> why its files cannot be sent by this writer (e.g. a video)
    unsupported: Mapping[Address, str]


def plan_media(
    desired: Desired,
    recorded: Mapping[str, RecordedPage],
    can: Capabilities | None,
) -> MediaPlan:
    """``can``: what the writer can upload (``Kind.MEDIA``); None: nothing. A writer
    that sends files inline (``can.inline``) gets the posts' file refs as they are."""
    if can is not None and can.inline:
        return _inline(desired, can)
    pages: dict[str, PageManifest] = {}
    uploads: list[Action] = []
    unsupported: dict[Address, str] = {}
    for page_id in sorted(desired.pages):
        manifest = desired.pages[page_id]
        page = recorded.get(page_id)
        if not manifest.media and not (page and page.uploads):
            pages[page_id] = manifest  # no file attached: nothing to resolve or upload
            continue
        known = {key: m.media_id for key, m in page.media.items()} if page else {}
        pending = page.uploads if page else {}
        pages[page_id] = _resolved(manifest, known)
        for post in manifest.posts.values():
            why = _unsupported(post, manifest, can)
            if why:
                unsupported[post.address] = why
        wanted = _attached_keys(manifest, unsupported)
        for key in sorted(wanted - known.keys(), key=lambda k: manifest.media[k].shown):
            media = manifest.media[key]
            note = None
            if key in pending:
                note = (
                    "an earlier upload of this file lost its answer: an unpublished "
                    "copy may be left on the page, invisible to its visitors"
                )
            uploads.append(_upload(manifest, page_id, media, note))
    deletions = _deletions(desired, recorded, can)
    return MediaPlan(
        desired=Desired(pages=pages),
        uploads=tuple(uploads),
        deletions=tuple(deletions),
        unsupported=unsupported,
    )


@dataclass(frozen=True, slots=True)
class VideoPosts:
    """Which posts are video posts, on a writer where a video is its own post."""

    # (page id, post key) of the posts wanted as a video post: published and edited
    # through their video (``Action.video_post``)
    desired: frozenset[tuple[str, str]] = frozenset()
    # those, and the posts that are one now: planned with ``Kind.VIDEO_POST``'s
    # capabilities, since a photo post cannot become a video post in place, nor the
    # other way round
    involved: frozenset[tuple[str, str]] = frozenset()
    # (page id, post key) -> why it cannot be published: its video is another's
    shared: Mapping[tuple[str, str], str] = field(default_factory=dict)


def video_posts(
    desired: Desired,
    recorded: Mapping[str, RecordedPage],
    live: Mapping[str, PostFields | None] | None,
) -> VideoPosts:
    """A post is a video post if it attaches a video file, a video id the lockfile
    recorded (statesync uploaded it), or the very video its live post is made of (a
    post adopted by `statesync import`); it is one now if its recorded post attaches
    a recorded video, or reads live as a video post.

    One video makes one post: a video already recorded as one post's, or attached
    by several posts, is published for one of them only (the one that has it, else
    the first in the manifest); the others cannot be, and the plan says so."""
    now: set[tuple[str, str]] = set()
    for page_id, known in recorded.items():
        for media in known.media.values():
            if media.mime in VIDEO_TYPES:
                now.update((page_id, key) for key in media.used_by)
    live_videos = (
        {pid: f.attachments for pid, f in live.items() if f is not None and f.video}
        if live
        else {}
    )
    wanted: set[tuple[str, str]] = set()
    shared: dict[tuple[str, str], str] = {}
    for page_id, manifest in desired.pages.items():
        page = recorded.get(page_id)
        if live_videos and page:
            for key, record in page.posts.items():
                if record.post_id in live_videos:
                    now.add((page_id, key))
        ids = (
            {m.media_id: k for k, m in page.media.items() if m.mime in VIDEO_TYPES}
            if page
            else {}
        )
        if not (ids or manifest.media or live_videos):
            continue
        users: dict[str, list[DesiredPost]] = {}  # video -> the posts attaching it
        for post in manifest.posts.values():
            video = _video_of(post, manifest, ids, page, live_videos)
            if video is not None:
                wanted.add((page_id, post.address.key))
                users.setdefault(video, []).append(post)
        for video, posts in users.items():
            for address, why in _not_its_post(video, posts, manifest, page).items():
                shared[(page_id, address.key)] = why
    return VideoPosts(frozenset(wanted), frozenset(wanted | now), shared)


def _video_of(
    post: DesiredPost,
    manifest: PageManifest,
    video_ids: Mapping[str, str],
    page: RecordedPage | None,
    live_videos: Mapping[str, tuple[str, ...]],
) -> str | None:
    """The video a desired post is made of, as the lockfile's media key where it
    is known (else the file's key, or the live video's id); None: not a video."""
    attachments = post.fields.attachments
    if len(attachments) != 1:
        return None  # a video is posted alone (statesync.manifest_attachments)
    (attached,) = attachments
    if is_ref(attached):
        return ref_key(attached) if manifest.media[ref_key(attached)].is_video else None
    if attached in video_ids:
        return video_ids[attached]
    record = page.posts.get(post.address.key) if page else None
    if record is not None and live_videos.get(record.post_id) == attachments:
        return attached
    return None


def _not_its_post(
    video: str,
    posts: list[DesiredPost],
    manifest: PageManifest,
    page: RecordedPage | None,
) -> dict[Address, str]:
    record = page.media.get(video) if page else None
    holder = record.used_by[0] if record is not None and record.used_by else None
    if holder is None and len(posts) == 1:
        return {}
    owner = holder or posts[0].address.key  # the first in the manifest
    media = manifest.media.get(video)
    shown = media.shown if media else record.shown if record else f"video {video}"
    why = (
        f"{shown} is already the video of post {owner!r}: on Facebook a video is its "
        "own post, so one video makes one post (to give a post a new key, use moved:)"
    )
    return {p.address: why for p in posts if p.address.key != owner}


def _inline(desired: Desired, can: Capabilities) -> MediaPlan:
    unsupported: dict[Address, str] = {}
    for manifest in desired.pages.values():
        if manifest.media:
            for post in manifest.posts.values():
                why = _unsupported(post, manifest, can)
                if why:
                    unsupported[post.address] = why
    return MediaPlan(desired, (), (), unsupported)


def _resolved(manifest: PageManifest, known: Mapping[str, str]) -> PageManifest:
    """The manifest with each file ref whose media is recorded replaced by its id."""
    if not manifest.media:
        return manifest
    posts = {}
    for key, post in manifest.posts.items():
        attachments = post.fields.attachments
        if any(is_ref(a) for a in attachments):
            ids = tuple(
                known.get(ref_key(a), a) if is_ref(a) else a for a in attachments
            )
            post = replace(post, fields=replace(post.fields, attachments=ids))
        posts[key] = post
    return replace(manifest, posts=posts)


def _attached_keys(
    manifest: PageManifest, unsupported: Mapping[Address, str]
) -> set[str]:
    return {
        ref_key(attachment)
        for post in manifest.posts.values()
        if post.address not in unsupported
        for attachment in post.fields.attachments
        if is_ref(attachment)
    }


def _unsupported(
    post: DesiredPost, manifest: PageManifest, can: Capabilities | None
) -> str | None:
    for attachment in post.fields.attachments:
        if not is_ref(attachment):
            continue
        media = manifest.media[ref_key(attachment)]
        if can is None or media.capability not in can.fields:
            return (
                f"this writer cannot upload {media.shown} (a {media.capability}); "
                "docs/media.md says which writer can"
            )
    return None


def _upload(
    manifest: PageManifest, page_id: str, media: MediaFile, note: str | None
) -> Action:
    return Action(
        kind=ActionKind.UPLOAD,
        address=Address(manifest.stem, media.key),
        page_id=page_id,
        resource=Kind.MEDIA,
        media=media,
        note=note,
    )


def _deletions(
    desired: Desired,
    recorded: Mapping[str, RecordedPage],
    can: Capabilities | None,
) -> list[Action]:
    """Recorded media that no desired post of the page attaches, by file or by id."""
    actions = []
    for page_id in sorted(recorded):
        page = recorded[page_id]
        if not (page.media or page.uploads):
            continue
        manifest = desired.pages.get(page_id)
        attached: set[str] = set()
        if manifest is not None:
            for post in manifest.posts.values():
                attached.update(
                    ref_key(a) if is_ref(a) else a for a in post.fields.attachments
                )
        stem = manifest.stem if manifest is not None else page.manifest
        for key in sorted(page.media, key=lambda k: page.media[k].shown):
            record = page.media[key]
            if key in attached or record.media_id in attached:
                continue
            file = MediaFile(
                path="",
                shown=record.shown,
                sha256=key.split(".")[0],
                mime=record.mime,
                size=record.size,
            )
            deletion = Action(
                kind=ActionKind.DELETE,
                address=Address(stem, key),
                page_id=page_id,
                post_id=record.media_id,
                resource=Kind.MEDIA,
                media=file,
                note="no post attaches it any more",
            )
            if can is None or not can.delete:
                deletion = replace(
                    deletion,
                    kind=ActionKind.FORGET,
                    note="no post attaches it any more, and this writer cannot "
                    "delete media: statesync forgets it, and it stays on the page",
                )
            actions.append(deletion)
        actions.extend(_lost_uploads(page_id, stem, page, attached))
    return actions


def _lost_uploads(
    page_id: str, stem: str, page: RecordedPage, attached: set[str]
) -> list[Action]:
    """Pending uploads of files no post attaches any more: nothing will upload them
    again, so their intents are forgotten (an invisible copy may remain)."""
    return [
        Action(
            kind=ActionKind.FORGET,
            address=Address(stem, key),
            page_id=page_id,
            resource=Kind.MEDIA,
            media=MediaFile(
                path="", shown=upload.shown, sha256=key.split(".")[0], mime="", size=0
            ),
            note="an upload of this file lost its answer and no post attaches it "
            "any more: statesync forgets it (an unpublished copy may remain, unseen)",
        )
        for key, upload in sorted(page.uploads.items())
        if key not in attached and key not in page.media
    ]
