"""Video posts on the Graph API: a video is its own post (docs/media.md §3.1).

A feed post cannot attach a video; ``POST /{page-id}/videos`` makes the video's own
post instead, and answers only the video's id. So statesync uploads the video
unpublished (``GraphProvider.upload``, like a photo: invisible, journaled), then
publishes it here with ``POST /{video-id}`` (``published=true`` and the message as
the video's ``description``), then reads the post's id from the video's ``post_id``,
which stays empty while Facebook processes the video.

Publishing is idempotent: one video has at most one post, so sending it again after a
lost answer can never publish a second one. That is why it is sent as an update
(retried), not a push.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from statesync.model import PostFields
from statesync.providers.base import PushOutcomeUnknown
from statesync.providers.graph_errors import GraphError
from statesync.providers.graph_wire import GraphCall
from statesync.providers.http import path_id
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

Send = Callable[[GraphCall, CallKind], Any]
EditNode = Callable[[str, str, dict[str, str], str], None]


class VideoPosts:
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

    def publish(self, page_id: str, video_id: str, fields: PostFields) -> str:
        """``POST /{video-id}`` ``published=true`` with the message as its
        ``description``; then the post's id, once Facebook gives it."""
        self._edit(page_id, video_id, {"published": "true", **_description(fields)})
        return self._post_id(page_id, video_id)

    def describe(self, page_id: str, video_id: str, fields: PostFields) -> None:
        """A video post's message is its video's ``description`` (docs/media.md
        §3.1); ``""`` clears it. unconfirmed: whether ``POST /{post-id}`` with
        ``message`` would work on it too; statesync does not rely on it."""
        self._edit(page_id, video_id, _description(fields))

    def _edit(self, page_id: str, video_id: str, form: dict[str, str]) -> None:
        where = f"POST /{{video-id}} (on page {page_id})"
        path_id(page_id, "page", where=where)
        path_id(video_id, "video", where=where)
        self._edit_node(page_id, video_id, form, "video")

    def _post_id(self, page_id: str, video_id: str) -> str:
        """``GET /{video-id}?fields=post_id,status`` until ``post_id`` is there.

        Not there after ``POST_ID_WAIT_S``: the post is live (or about to be) but its
        id unknown, which is a push whose answer was lost: the applier finds the post
        in the page's listing (its attachment's target is the video) before sending
        anything again, and sending again could not make a second post anyway."""
        call = GraphCall(
            "GET",
            f"/{video_id}",
            self._token_of(page_id),
            params={"fields": "post_id,status"},
            page_id=page_id,
        )

        waited, pause = 0.0, FIRST_PAUSE_S
        while True:
            body = self._call(call, CallKind.READ)
            body = body if isinstance(body, dict) else {}
            status = body.get("status")
            state = status.get("video_status") if isinstance(status, dict) else None
            if state in FAILED_STATUSES:
                raise GraphError(
                    f"Facebook could not process the video (status {state!r}): its "
                    "post was not published",
                    target=call.target,
                )
            if body.get("post_id"):
                return pushed_post_id(body["post_id"], target=call.target)
            if waited + pause > POST_ID_WAIT_S:
                raise PushOutcomeUnknown(
                    "the video was published but Facebook gave no post id for it "
                    f"within {POST_ID_WAIT_S:.0f} s (still processing)",
                    target=call.target,
                    remedy="the post may be live: statesync looks at the page's "
                    "recent posts before publishing it again, and a video never "
                    "makes a second post",
                )
            self._sleep(pause)  # counted, not clocked: a test's sleep may not wait
            waited += pause
            pause = min(pause * 2, MAX_PAUSE_S)


def _description(fields: PostFields) -> dict[str, str]:
    return {"description": fields.message or ""}
