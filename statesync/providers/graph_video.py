"""Video posts on the Graph API: a video is its own post (docs/media.md §3.1).

A feed post cannot attach a video; ``POST /{page-id}/videos`` makes the video's own
post instead, and answers only the video's id. So statesync uploads the video
unpublished (``GraphProvider.upload``, like a photo: invisible, journaled), then
publishes it here with ``POST /{video-id}`` (``published=true`` and the message as
the video's ``description``), then reads the post's id from the video's ``post_id``,
which stays empty while Facebook processes the video.

A second post is never asked for: the video is looked at first, and only one not yet
published is sent ``published=true``, as a push (never blindly repeated; a lost answer
is settled by listing the page, and a retry finds the video published). Whether
Facebook would make a second post of one video is unconfirmed (docs/media.md §3.1).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from statesync.errors import ProviderError
from statesync.model import PostFields
from statesync.providers.base import MediaGone, PostGone, PushOutcomeUnknown
from statesync.providers.graph_errors import GraphError
from statesync.providers.graph_wire import GraphCall
from statesync.providers.http import path_id, post_path_id
from statesync.providers.listing import pushed_post_id
from statesync.providers.retry import CallKind, RetryPolicy
from statesync.secret import Secret

# How long the post id of a just-published video is waited for, and the first pause
# between two looks (doubled up to MAX_PAUSE_S). unconfirmed: how long Facebook's
# processing takes; integrations poll for a minute or two (docs/media.md §3.1).
POST_ID_WAIT_S = 120.0
FIRST_PAUSE_S = 0.25
MAX_PAUSE_S = 10.0
# unconfirmed: the list of video_status values; these end the wait as a failure.
FAILED_STATUSES = frozenset({"error", "upload_failed", "expired"})

# Video API publishing guide: `POST /{page-id}/videos` goes to the video host (its
# example: `https://graph-video.facebook.com/v27.0/<PAGE_ID>/videos`).
VIDEO_HOSTS = {"graph.facebook.com": "graph-video.facebook.com"}

Send = Callable[[GraphCall, CallKind], Any]
EditNode = Callable[[str, str, dict[str, str], str, CallKind], None]


class VideoPublisher:
    """Publish an uploaded video as its post, and edit that post's message."""

    def __init__(
        self,
        call: Send,
        edit_node: EditNode,
        token_of: Callable[[str], Secret],
        retry: RetryPolicy,
    ) -> None:
        self._call = call
        self._edit_node = edit_node  # POST /{node-id}; PostGone when it is gone
        self._token_of = token_of
        self._sleep = retry.sleep

    def publish(
        self,
        page_id: str,
        video_id: str,
        fields: PostFields,
        *,
        taken: Collection[str] = (),
    ) -> str:
        """Publish the video as its post with the message as its ``description``;
        the post's id, once Facebook gives it.

        A look at the video comes first: one already published (a publish whose
        answer was lost, tried again) only gets its message, so that a second post
        can never be made even if Facebook would make one per ``published=true``
        (unconfirmed, docs/media.md §3.1). The publish itself is sent as a push:
        never blindly repeated; a lost answer is settled by listing the page.
        A video whose post is one of ``taken`` is another entry's: refused before
        its description is touched."""
        seen = self._look(page_id, video_id)
        held = seen.get("post_id")
        if isinstance(held, str) and held in taken:
            raise ProviderError(
                f"video {video_id} is already the post {held} of another entry: on "
                "Facebook one video makes one post, so nothing was sent",
                target=f"POST /{video_id}",
            )
        if seen.get("published") is True:
            self._edit(page_id, video_id, _description(fields), CallKind.UPDATE)
        else:
            form = {"published": "true", **_description(fields)}
            self._edit(page_id, video_id, form, CallKind.PUSH)
        return self._post_id(page_id, video_id)

    def describe(self, page_id: str, video_id: str, fields: PostFields) -> None:
        """A video post's message is its video's ``description`` (docs/media.md
        §3.1); ``""`` clears it. unconfirmed: whether ``POST /{post-id}`` with
        ``message`` would work on it too; statesync does not rely on it."""
        self._edit(page_id, video_id, _description(fields), CallKind.UPDATE)

    def _edit(
        self, page_id: str, video_id: str, form: dict[str, str], kind: CallKind
    ) -> None:
        _check_ids(page_id, video_id, "POST")
        try:
            self._edit_node(page_id, video_id, form, "video", kind)
        except PostGone as gone:
            raise _video_gone(gone, video_id) from None

    def _look(self, page_id: str, video_id: str) -> dict[str, Any]:
        """``GET /{video-id}?fields=published,post_id,status``; a video Facebook
        could not process, or that is gone, is ``MediaGone``."""
        _check_ids(page_id, video_id, "GET")
        call = GraphCall(
            "GET",
            f"/{video_id}",
            self._token_of(page_id),
            params={"fields": "published,post_id,status"},
            page_id=page_id,
        )
        try:
            body = self._call(call, CallKind.READ)
        except GraphError as exc:
            if exc.is_gone:
                raise _video_gone(exc, video_id) from None
            raise
        body = body if isinstance(body, dict) else {}
        status = body.get("status")
        state = status.get("video_status") if isinstance(status, dict) else None
        if isinstance(state, str) and state in FAILED_STATUSES:
            raise MediaGone(
                f"Facebook could not process the video (status {state!r}), so it "
                "cannot be published",
                media_id=video_id,
                target=call.target,
            )
        return body

    def _post_id(self, page_id: str, video_id: str) -> str:
        """The video's ``post_id``, looked at until it is there.

        Not there after ``POST_ID_WAIT_S``: the post is live (or about to be) but its
        id unknown, which is a push whose answer was lost: the applier finds the post
        in the page's listing (its attachment's target is the video) before
        publishing again, and publishing again only looks, finds it published, and
        waits again."""
        waited, pause = 0.0, FIRST_PAUSE_S
        while True:
            post_id = self._look(page_id, video_id).get("post_id")
            if post_id:
                where = f"GET /{{video-id}} (on page {page_id})"
                found = pushed_post_id(post_id, target=where)
                return post_path_id(found, page_id, where=where)
            if waited + pause > POST_ID_WAIT_S:
                raise PushOutcomeUnknown(
                    "the video was published but Facebook gave no post id for it "
                    f"within {POST_ID_WAIT_S:.0f} s (still processing)",
                    target=f"GET /{video_id}",
                    remedy="the post may be live: statesync looks for it in the "
                    "page's recent posts, and never publishes a video twice",
                )
            self._sleep(pause)  # counted, not clocked: a test's sleep may not wait
            waited += pause
            pause = min(pause * 2, MAX_PAUSE_S)


def _check_ids(page_id: str, video_id: str, method: str) -> None:
    where = f"{method} /{{video-id}} (on page {page_id})"
    path_id(page_id, "page", where=where)
    path_id(video_id, "video", where=where)


def _video_gone(gone: ProviderError, video_id: str) -> MediaGone:
    return MediaGone(
        f"video {video_id} no longer exists on the page",
        media_id=video_id,
        target=gone.target,
        status=gone.status,
        code=gone.code,
    )


def _description(fields: PostFields) -> dict[str, str]:
    return {"description": fields.message or ""}


def video_upload_base(base_url: str) -> str | None:
    """Where video files are uploaded: Meta's video host in place of the Graph
    API's own; None (the Graph base itself) for any other base, such as the
    emulator or a proxy, which serve both."""
    parts = urlsplit(base_url)
    host = VIDEO_HOSTS.get((parts.hostname or "").lower())
    if host is None or parts.port not in (None, 443):
        return None
    return urlunsplit((parts.scheme, host, parts.path.rstrip("/"), "", ""))
