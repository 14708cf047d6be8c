"""Graph's `/{page-id}/photos` and `/{page-id}/videos`: upload, and list (PROTOCOL §9).

A multipart `source` is checked by `uploads.check_upload` (type from the bytes, size)
and stored with its bytes, which the emulator then serves; a photo's `url` is kept as
a link, as before uploads were real.
"""

from __future__ import annotations

from typing import Any

from statesync.emulator.call import Call
from statesync.emulator.nodes import render_media
from statesync.emulator.paging import page_of
from statesync.emulator.params import param_bool, param_str
from statesync.emulator.posts import check_link
from statesync.emulator.records import UploadedBytes
from statesync.emulator.uploads import (
    MAX_PHOTO_BYTES,
    MAX_VIDEO_BYTES,
    Kind,
    UploadRefused,
    check_upload,
)
from statesync.emulator.wire import ApiResponse, GraphError, unsupported

_EDGE_KIND: dict[str, Kind] = {"photos": "photo", "videos": "video"}


def handle_media_edge(call: Call, method: str, page_id: str, edge: str) -> ApiResponse:
    kind = _EDGE_KIND[edge]
    if method == "POST":
        if kind == "photo":
            return create_photo(call, page_id)
        return create_video(call, page_id)
    if method == "GET":
        return ApiResponse(200, list_media(call, page_id, kind))
    raise unsupported(method, f"{page_id}/{edge}")


def list_media(call: Call, page_id: str, kind: Kind) -> dict[str, Any]:
    """The page's photos (or videos), newest first, paged like a feed."""
    call.require_reader(page_id)
    items = call.ctx.store.page_media(page_id, kind)
    order = {m.id: i for i, m in enumerate(items)}
    window, paging = page_of(items, lambda m: (order[m.id],), call.request)
    body: dict[str, Any] = {
        "data": [render_media(call, m.id, call.fields) for m in window]
    }
    if paging:
        body["paging"] = paging
    return body


def _source(call: Call) -> bytes | None:
    """The multipart file part: `source` (Graph's name for it), else any `source…`."""
    files = call.request.files
    if "source" in files:
        return files["source"]
    return next(
        (data for name, data in files.items() if name.startswith("source")), None
    )


def _photo_bytes(data: bytes) -> UploadedBytes:
    try:
        return check_upload("photo", data)
    except UploadRefused as refused:
        if refused.reason == "type":
            # seed 003 / Graph error reference: 324 for a file that is no image.
            raise GraphError(324, "(#324) Missing or invalid image file") from None
        # unconfirmed: the wording; the Photo reference says photos are "less than 4MB".
        raise GraphError(
            100,
            f"(#100) The photo file is too large: {len(data)} bytes, photos must be at"
            f" most {MAX_PHOTO_BYTES} bytes (4 MB)",
        ) from None


def _video_bytes(data: bytes) -> UploadedBytes:
    try:
        return check_upload("video", data)
    except UploadRefused as refused:
        if refused.reason == "type":
            # unconfirmed: live Graph answers a bad format with code 352 ("the video
            # file you selected is in a format that we don't support"); the client's
            # contract (issue 11) is code 100, so the emulator answers that.
            raise GraphError(
                100,
                "(#100) Invalid video file: the file you selected is in a format that"
                " we don't support (use MP4 or MOV)",
            ) from None
        # unconfirmed: the wording; the limit is the Video API's non-resumable 1 GB.
        raise GraphError(
            100,
            f"(#100) The video file is too large: {len(data)} bytes, a non-resumable"
            f" upload takes at most {MAX_VIDEO_BYTES} bytes (1 GB)",
        ) from None


def create_photo(call: Call, page_id: str) -> ApiResponse:
    """PROTOCOL §9: `POST /{page-id}/photos` from `url` or a multipart `source`;
    `published=false` answers `{"id"}`, else a post is made: `{"id", "post_id"}`."""
    call.require_page_writer(page_id)
    params = call.request.params
    url = param_str(params, "url")
    data = _source(call)
    if not url and data is None:
        raise GraphError(324, "(#324) Requires upload file")
    upload = None
    if data is not None:
        upload = _photo_bytes(data)
        url = None  # the bytes win: the photo is served from them
    elif url:
        check_link(url)
    caption = param_str(params, "caption") or param_str(params, "message")
    media = call.ctx.store.add_media(
        page_id,
        "photo",
        url,
        upload=upload,
        alt_text=param_str(params, "alt_text_custom") or None,
        name=caption or None,
    )
    if param_bool(params, "published") is False:
        return ApiResponse(200, {"id": media.id})
    post = call.ctx.store.create_post(
        page_id,
        message=caption,
        link=None,
        attachments=[media.id],
        is_published=True,
        scheduled_publish_time=None,
    )
    return ApiResponse(200, {"id": media.id, "post_id": post.id})


def create_video(call: Call, page_id: str) -> ApiResponse:
    """`POST /{page-id}/videos` with a multipart `source`: `published=false` keeps it
    for a post to attach; otherwise it is published at once in a post whose message
    is `description`. Both answer `{"id": "<video-id>"}` (Video API reference)."""
    call.require_page_writer(page_id)
    params = call.request.params
    data = _source(call)
    if data is None:
        # unconfirmed: the code and wording; the emulator takes no `file_url`.
        raise GraphError(
            100, "(#100) Requires a video file: send it as the multipart part source"
        )
    upload = _video_bytes(data)
    description = param_str(params, "description")
    media = call.ctx.store.add_media(
        page_id, "video", None, upload=upload, name=description or None
    )
    if param_bool(params, "published") is not False:
        call.ctx.store.publish_video(page_id, media.id)  # its post, as POST /{video-id}
    return ApiResponse(200, {"id": media.id})
