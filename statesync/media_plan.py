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
from dataclasses import dataclass, replace

from statesync.kinds import Capabilities, Kind
from statesync.media import VIDEO_TYPES, MediaFile, is_ref, ref_key
from statesync.model import Address, Desired, DesiredPost, PageManifest, RecordedPage
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


def video_posts(
    desired: Desired, recorded: Mapping[str, RecordedPage]
) -> frozenset[tuple[str, str]]:
    """(page id, post key) of the posts that are, or are to become, a video post:
    one that attaches a video file or a recorded video's id, or whose recorded post
    attaches a recorded video. On a writer where a video is its own post (Graph,
    ``Kind.VIDEO_POST``) both ends of a change must be planned as one: a photo
    post cannot become a video post in place, nor the other way round."""
    found: set[tuple[str, str]] = set()
    for page_id, page in recorded.items():
        for media in page.media.values():
            if media.mime in VIDEO_TYPES:
                found.update((page_id, key) for key in media.used_by)
    for page_id, manifest in desired.pages.items():
        known = recorded.get(page_id)
        videos = (
            {m.media_id for m in known.media.values() if m.mime in VIDEO_TYPES}
            if known
            else set()
        )
        if not (videos or manifest.media):
            continue
        for key, post in manifest.posts.items():
            for attachment in post.fields.attachments:
                if (
                    manifest.media[ref_key(attachment)].is_video
                    if is_ref(attachment)
                    else attachment in videos
                ):
                    found.add((page_id, key))
    return frozenset(found)


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
