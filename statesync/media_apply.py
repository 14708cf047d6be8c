"""Media in an apply: uploads and deletions, the posts' file refs turned into ids, and
the records that follow a post when it moves.

An upload follows the push's rule, in a weaker form: its intent is saved first, and
its media id is saved the moment the API returns it, before any post attaches it, so
no live post ever carries a media id the lockfile lost. A run killed between the two
leaves an unpublished upload nobody sees (Facebook shows only what a post attaches);
the next plan says so and uploads the file again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from statesync.errors import ProviderError
from statesync.lockfile import LockStore
from statesync.media import MediaFile, is_ref, ref_key
from statesync.media_files import sha256_of
from statesync.model import MediaRecord, PostFields, Upload
from statesync.plan import Action, ActionKind
from statesync.providers.base import PushOutcomeUnknown, Writer


def apply_media(
    action: Action, writer: Writer, lock: LockStore, *, clock: Callable[[], float]
) -> str | None:
    """Upload, delete or forget one media; the media id now in use, if any."""
    page_id, key, media = action.page_id, action.address.key, action.media
    if media is None:
        raise ValueError(f"{action.address}: a media action has no file")
    manifest = action.address.manifest
    if action.kind is ActionKind.UPLOAD:
        _check_unchanged(media)
        upload = Upload(shown=media.shown, since=int(clock()))
        lock.intend_upload(page_id, manifest, key, upload)
        lock.save()  # durable before the upload is sent
        try:
            media_id = writer.upload(page_id, media)
        except ProviderError as exc:
            if not _maybe_done(exc):
                lock.intend_upload(page_id, manifest, key, None)  # refused: none made
                lock.save()
            raise  # else the intent stays: the next plan says a copy may remain
        record = MediaRecord(
            media_id=media_id, mime=media.mime, size=media.size, shown=media.shown
        )
        lock.record_media(page_id, manifest, key, record)
        lock.save()
        return media_id
    if action.kind is ActionKind.DELETE:
        if action.post_id is None:
            raise ValueError(f"{action.address}: a media delete has no media id")
        writer.delete_media(page_id, action.post_id, media.mime)
    lock.record_media(page_id, manifest, key, None)
    lock.intend_upload(page_id, manifest, key, None)  # a lost upload, forgotten
    lock.save()
    return None


def _maybe_done(error: ProviderError) -> bool:
    """Whether the upload may have been made: no reply, or a server error after it
    (PROTOCOL §3). Only the API's own refusal proves that nothing was made."""
    if isinstance(error, PushOutcomeUnknown) or getattr(error, "maybe_done", False):
        return True
    return error.status is not None and error.status >= 500


def _check_unchanged(media: MediaFile) -> None:
    """The bytes about to be sent are the ones the plan showed, or nothing is sent:
    a file edited between plan and apply would record the wrong content's key."""
    try:
        digest = sha256_of(Path(media.path))
    except OSError as exc:
        raise ProviderError(
            f"cannot read {media.shown} to upload it ({exc.strerror})"
        ) from None
    if digest != media.sha256:
        raise ProviderError(
            f"{media.shown} changed since the plan was made; nothing was sent for it. "
            "Run plan again and review the new file"
        )


def resolve_files(action: Action, fields: PostFields, lock: LockStore) -> PostFields:
    """``fields`` with every file ref replaced by the media id its upload recorded."""
    if not any(is_ref(a) for a in fields.attachments):
        return fields
    page = lock.pages.get(action.page_id)
    known = {key: m.media_id for key, m in page.media.items()} if page else {}
    ids = []
    for attachment in fields.attachments:
        if is_ref(attachment):
            media_id = known.get(ref_key(attachment))
            if media_id is None:
                raise ValueError(
                    f"{action.address}: {attachment} has no media id: its upload "
                    "did not run"
                )
            attachment = media_id
        ids.append(attachment)
    return replace(fields, attachments=tuple(ids))


def move_record(lock: LockStore, action: Action) -> None:
    """A ``move``: the recorded post takes its new key, with the media it attaches;
    one save, nothing sent."""
    source = action.moved_from
    page = lock.pages.get(action.page_id)
    if source is None or page is None or source.key not in page.posts:
        raise ValueError(f"{action.address}: a move has no recorded source")
    record = page.posts[source.key]
    lock.record(action.page_id, page.manifest, action.address.key, record)
    lock.forget(action.page_id, source.key)
    for key, media in list(page.media.items()):
        if source.key in media.used_by:
            users = (set(media.used_by) - {source.key}) | {action.address.key}
            moved = replace(media, used_by=tuple(sorted(users)))
            lock.record_media(action.page_id, page.manifest, key, moved)
    lock.save()


def forget_post(lock: LockStore, action: Action) -> None:
    """A post statesync stops managing (``forget``, by a plan or `state forget`):
    it leaves the lockfile, and so does every media only it attached, since the live
    post keeps showing it and no plan may delete it as unused. The caller saves."""
    page = lock.pages.get(action.page_id)
    key = action.address.key
    only_its = [k for k, m in page.media.items() if m.used_by == (key,)] if page else []
    lock.forget(action.page_id, key)
    use_media(lock, action, ())
    for media_key in only_its:
        lock.record_media(action.page_id, action.address.manifest, media_key, None)


def use_media(lock: LockStore, action: Action, attachments: Sequence[str]) -> None:
    """Record which posts attach each of the page's media, once a post's attachments
    are applied (an empty list: the post is gone), so that the lockfile says who
    uses what. The caller saves."""
    page = lock.pages.get(action.page_id)
    if page is None or not page.media:
        return
    keys = {ref_key(a) for a in attachments if is_ref(a)}
    ids = {a for a in attachments if not is_ref(a)}
    post = action.address.key
    for key, media in list(page.media.items()):
        users = set(media.used_by)
        if key in keys or media.media_id in ids:
            users.add(post)
        else:
            users.discard(post)
        if users != set(media.used_by):
            updated = replace(media, used_by=tuple(sorted(users)))
            lock.record_media(action.page_id, page.manifest, key, updated)
