"""The Graph API provider: a writer, a batch reader and a lister of page posts.

Wire facts come from seeds 002-004 and PROTOCOL.md (section numbers below). Every HTTP
request goes through ``GraphProvider._send``, the one seam, wrapped by ``_call`` in
the retry policy (statesync/providers/retry.py, issue 7) and preceded by the pacer, which
reads the usage headers of every reply (statesync/providers/pacing.py, issue 8).
Its parts: graph_read.py (batch reads, paced once per batch), graph_pages.py (the
token's pages: page tokens and the access preflight), graph_wire.py (wire values),
graph_errors.py (error envelopes -> ``GraphError``) and graph_video.py (a video's own
post); statesync/providers/http.py opens and closes the HTTP session and maps
transport failures for both providers.

Tokens travel only in the ``Authorization`` header (PROTOCOL §2: ``Bearer`` works), never
in a URL; ``appsecret_proof``, derived and useless without the token, rides in the body
of a POST and the query of a GET or DELETE.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import ExitStack
from pathlib import PurePath
from typing import Any

import httpx

from statesync.errors import ConfigError
from statesync.kinds import Capabilities, Kind
from statesync.media import MediaFile
from statesync.model import POST_FIELDS, PostFields
from statesync.page_fields import BY_QUALIFIED
from statesync.providers.base import (
    Access,
    ListedPost,
    PageInfo,
    PostGone,
)
from statesync.providers.graph_details import PageDetails
from statesync.providers.graph_errors import (
    GraphError,
    GraphUnreachable,
    error_from_envelope,
    error_not_json,
    error_redirect,
    failure_of,
)
from statesync.providers.graph_listing import PageListing
from statesync.providers.graph_pages import PageAccess, PageDirectory
from statesync.providers.graph_read import BatchReads
from statesync.providers.graph_video import VideoPublisher, video_upload_base
from statesync.providers.graph_wire import (
    GraphCall,
    appsecret_proof,
    expect_success,
    form_body,
)
from statesync.providers.http import (
    SETTLE_WINDOW_S,
    HttpProvider,
    HttpSession,
    open_media,
    path_id,
    post_path_id,
    time_to_send,
)
from statesync.providers.listing import pushed_post_id
from statesync.providers.pacing import Pacer
from statesync.providers.retry import CallKind, RetryPolicy, outcome_unknown
from statesync.secret import Secret
from statesync.targets import is_facebook, target_of

logger = logging.getLogger(__name__)

API_VERSION = re.compile(r"v[0-9]+\.[0-9]+")
BATCH_MAX = 50  # PROTOCOL §5: more items fail the whole batch


class GraphProvider(HttpProvider):
    """Writer, Reader and Lister over the Graph API (seeds 002-004).

    ``retry`` bounds how failed calls are tried again (default: ``RetryPolicy()``);
    ``pacer`` slows calls down as the usage headers near 100% (default: ``Pacer()``).
    Both take the sleep function, so tests can inject one that never waits.
    """

    # seed 003: `POST /{page-id}_{post-id}` takes message and attached_media but no
    # link, so a link change is a replace; `DELETE /{post-id}` deletes.
    read_chunk: int | None = BATCH_MAX  # one batch request per read (PROTOCOL §5)
    reads_flags = True  # seed 003: is_pinned, is_hidden
    settle_window_s = SETTLE_WINDOW_S  # every request is bounded by DEFAULT_TIMEOUT_S
    capabilities: Mapping[Kind, Capabilities] = {
        Kind.POST: Capabilities(
            fields=frozenset(POST_FIELDS),
            in_place=frozenset({"message", "attachments"}),
            delete=True,
            read=True,  # seeds 002/003: GET /{page-id}_{post-id}
            list=True,  # PROTOCOL §7: /{page-id}/published_posts
            schedule=True,  # PROTOCOL §9: published=false + scheduled_publish_time
        ),
        # PROTOCOL §9: photos upload unpublished through /{page-id}/photos and are
        # attached by id; videos upload unpublished through /{page-id}/videos.
        Kind.MEDIA: Capabilities(
            fields=frozenset({"image", "video"}),
            in_place=frozenset(),
            delete=True,  # DELETE /{media-id}, once no post attaches it
            read=False,
            list=False,
        ),
        # docs/media.md §3.1: a video is never attached to a feed post; it is
        # published as its own post (graph_video.py). Its message is the video's
        # description, edited in place; its file cannot be replaced (a new video is
        # a new post); it reads and lists as a post whose attachment targets the
        # video. Not scheduled: unconfirmed whether a scheduled video has a post id
        # to record, so a future video post waits for an apply at its time.
        Kind.VIDEO_POST: Capabilities(
            fields=frozenset({"message", "attachments"}),
            in_place=frozenset({"message"}),
            delete=True,  # DELETE /{post-id}; the video goes with the unused media
            read=True,
            list=True,
            schedule=False,
        ),
        # seed 004: details through POST /{page-id}, settings through its /settings
        # edge, each read back; a field is never deleted, only set (or forgotten).
        Kind.PAGE: Capabilities(
            fields=frozenset(BY_QUALIFIED),
            in_place=frozenset(BY_QUALIFIED),
            delete=False,
            read=True,
            list=False,
        ),
    }

    def __init__(
        self,
        *,
        base_url: str,
        api_version: str,
        token: Secret,
        app_secret: Secret | None = None,
        transport: httpx.BaseTransport | None = None,
        retry: RetryPolicy | None = None,
        pacer: Pacer | None = None,
    ) -> None:
        if not API_VERSION.fullmatch(api_version):
            raise ConfigError(
                f"Graph API version {api_version!r} must look like v26.0 "
                "(PROTOCOL.md lists the versions in service)"
            )
        self._version = api_version
        self._token = token
        self._app_secret = app_secret
        self._directory = PageDirectory(self._call, token)
        self._retry = retry if retry is not None else RetryPolicy()
        self._pacer = pacer if pacer is not None else Pacer()
        self._listing = PageListing(
            self._call, lambda page: self.page_access(page).token
        )
        self._details = PageDetails(
            self._call,
            lambda page: self.page_access(page).token,
            send_once=self._call_once,
            retry=self._retry,
            secrets=self._secrets,
            known_tasks=self._known_tasks,
        )
        self._videos = VideoPublisher(
            self._call,
            self._edit_post,
            lambda page: self.page_access(page).token,
            self._retry,
        )
        self._reads = BatchReads(
            send=self._call_once,
            retry=self._retry,
            pacer=self._pacer,
            secrets=self._secrets,
            known_tasks=self._known_tasks,
        )
        self._video_base = video_upload_base(base_url)
        self._session = HttpSession(
            base_url,
            service="Graph API",
            secrets=self._secrets,
            unreachable=GraphUnreachable,
            transport=transport,
        )

    def __repr__(self) -> str:
        base = self._session.base
        return f"GraphProvider(base_url={base!r}, api_version={self._version!r})"

    # Reader

    def read(
        self, page_id: str, post_ids: Sequence[str]
    ) -> dict[str, PostFields | None]:
        """Live fields per id, one batch request per 50 ids (PROTOCOL §5)."""
        where = f"POST / (batch read on page {page_id})"
        path_id(page_id, "page", where=where)
        ids = list(dict.fromkeys(post_ids))
        for post_id in ids:
            post_path_id(post_id, page_id, where=where)
        if not ids:
            return {}
        token = self.page_access(page_id).token
        live: dict[str, PostFields | None] = {}
        for chunk in _chunks(ids, BATCH_MAX):
            live.update(self._reads.read_chunk(page_id, token, chunk))
        return live

    def read_details(self, page_id: str, names: Sequence[str]) -> dict[str, object]:
        """The live values of a page's managed details and settings (seed 004)."""
        path_id(page_id, "page", where="GET /{page-id} (details)")
        return self._details.read(page_id, names)

    # Lister

    def recent_posts(self, page_id: str, *, since: int) -> list[ListedPost]:
        """The page's posts created at or after ``since``, newest first."""
        return self._listing.recent_posts(page_id, since=since)

    def scheduled_posts(self, page_id: str) -> list[tuple[str, int | None]]:
        """The page's scheduled posts: id and publishing time."""
        return self._listing.scheduled_posts(page_id)

    # Writer

    def capabilities_for(self, target: str) -> Mapping[Kind, Capabilities]:
        """Facebook pages only: connecting refuses other networks on Graph."""
        if not is_facebook(target):
            raise ValueError(f"the Graph API does not publish to {target_of(target)}")
        return self.capabilities

    def push(
        self, page_id: str, fields: PostFields, *, schedule: int | None = None
    ) -> str:
        """``POST /{page-id}/feed`` (PROTOCOL §9); returns ``{page-id}_{post-id}``.
        A scheduled post is sent unpublished with ``scheduled_publish_time`` (UNIX
        seconds): Facebook publishes it then, with no run of statesync."""
        where = "POST /{page-id}/feed"
        path_id(page_id, "page", where=where)
        form: dict[str, str] = {}
        if schedule is not None:
            form["published"] = "false"
            form["scheduled_publish_time"] = str(schedule)
        if fields.message is not None:
            form["message"] = fields.message
        if fields.link is not None:
            form["link"] = fields.link
        if fields.attachments:
            form["attached_media"] = _attached_media(fields.attachments, where)
        call = GraphCall(
            "POST",
            f"/{page_id}/feed",
            self.page_access(page_id).token,
            form=form,
            page_id=page_id,
        )
        try:
            body = self._call(call, CallKind.PUSH)
        except GraphError as exc:
            if exc.is_gone:
                # PROTOCOL §3: "Unsupported post request." (100/33) has come back for
                # a post that was created (nov/fb_graph#370): no proof of refusal.
                raise outcome_unknown(exc) from exc
            raise
        post_id = body.get("id") if isinstance(body, dict) else None
        return pushed_post_id(post_id, target=call.target)

    def update(self, page_id: str, post_id: str, fields: PostFields) -> None:
        """``POST /{page-id}_{post-id}`` with every in-place field (seed 003).

        ``message`` is always sent, ``""`` for none, so that removing a message from a
        manifest clears it live. ``attached_media`` is sent (``[]`` clears) unless the
        post carries a link: link and attachments never go together (seeds 000/001),
        and an empty list must not touch a link's share attachment. ``link`` is never
        sent: seed 003 has no such parameter (a link change is a replace).
        """
        where = f"POST /{{post-id}} (update on page {page_id})"
        post_path_id(post_id, page_id, where=where)
        form = {"message": fields.message or ""}
        if fields.link is None:
            form["attached_media"] = _attached_media(fields.attachments, where)
        self._edit_post(page_id, post_id, form)

    def reschedule(self, page_id: str, post_id: str, when: int | None) -> None:
        """``POST /{page-id}_{post-id}`` with a new ``scheduled_publish_time``, or
        ``is_published=true`` to publish it now (PROTOCOL §10)."""
        post_path_id(post_id, page_id, where="POST /{post-id} (schedule)")
        form = (
            {"is_published": "true"}
            if when is None
            else {"scheduled_publish_time": str(when)}
        )
        self._edit_post(page_id, post_id, form)

    def set_flags(self, page_id: str, post_id: str, flags: Mapping[str, bool]) -> None:
        """``POST /{page-id}_{post-id}`` with ``is_pinned`` / ``is_hidden`` (seed
        003): on any post of the page, one OneAll published included."""
        post_path_id(post_id, page_id, where="POST /{post-id} (flags)")
        form = {f"is_{name}": "true" if on else "false" for name, on in flags.items()}
        self._edit_post(page_id, post_id, form)

    def update_details(self, page_id: str, values: Mapping[str, object]) -> None:
        """Set a page's changed details and settings (seed 004)."""
        path_id(page_id, "page", where="POST /{page-id} (details)")
        self._details.update(page_id, values)

    def _edit_post(
        self,
        page_id: str,
        post_id: str,
        form: dict[str, str],
        what: str = "post",
        kind: CallKind = CallKind.UPDATE,
    ) -> None:
        """``POST /{post-id}`` (or a video's node) of a checked id; ``PostGone``
        when it no longer is."""
        call = GraphCall(
            "POST",
            f"/{post_id}",
            self.page_access(page_id).token,
            form=form,
            page_id=page_id,
        )
        try:
            body = self._call(call, kind)
        except GraphError as exc:
            if exc.is_gone:
                raise PostGone(
                    f"{what} {post_id} no longer exists",
                    target=call.target,
                    status=exc.status,
                    code=exc.code,
                ) from None
            raise
        expect_success(call, body)

    def delete(self, page_id: str, post_id: str) -> None:
        """``DELETE /{page-id}_{post-id}``; already gone (100/33) counts as deleted
        (PROTOCOL §10), although 100/33 can also mean the token lost its access."""
        where = f"DELETE /{{post-id}} (on page {page_id})"
        post_path_id(post_id, page_id, where=where)
        self._delete_node(page_id, post_id)

    def publish_video(
        self,
        page_id: str,
        video_id: str,
        fields: PostFields,
        *,
        taken: Collection[str] = (),
    ) -> str:
        """Publish an uploaded video as its own post; return the post's id."""
        return self._videos.publish(page_id, video_id, fields, taken=taken)

    def describe_video(self, page_id: str, video_id: str, fields: PostFields) -> None:
        """Set a video post's message: the video's description."""
        self._videos.describe(page_id, video_id, fields)

    def upload(self, page_id: str, media: MediaFile) -> str:
        """``POST /{page-id}/photos`` (or ``/videos``) with ``published=false`` and
        the file as the multipart ``source`` (PROTOCOL §9, docs/media.md §3.1): an
        unpublished photo, seen only once a post attaches it, or an unpublished
        video, seen once published as its post; a photo's alt text as
        ``alt_text_custom`` (Photo reference)."""
        edge = "videos" if media.is_video else "photos"
        where = f"POST /{{page-id}}/{edge}"
        path_id(page_id, "page", where=where)
        form = {"published": "false"}
        if media.alt:
            form["alt_text_custom"] = media.alt
        call = GraphCall(
            "POST",
            f"/{page_id}/{edge}",
            self.page_access(page_id).token,
            form=form,
            page_id=page_id,
            upload=media,
            note=media.shown,
        )
        body = self._call(call, CallKind.UPLOAD)
        media_id = body.get("id") if isinstance(body, dict) else None
        if not isinstance(media_id, str | int) or isinstance(media_id, bool):
            what = "video" if media.is_video else "photo"
            raise GraphError(f"the API returned no {what} id", target=call.target)
        return path_id(str(media_id), "media", where=where)

    def delete_media(self, page_id: str, media_id: str, mime: str) -> None:
        """``DELETE /{photo-id}`` or ``/{video-id}``; already gone (100/33) counts as
        deleted. unconfirmed: whether deleting a video post's post deletes its video
        too (docs/media.md §3.1); either way, the video goes here, after the post."""
        where = f"DELETE /{{media-id}} (on page {page_id})"
        path_id(media_id, "media", where=where)
        self._delete_node(page_id, media_id)

    def _delete_node(self, page_id: str, node_id: str) -> None:
        """``DELETE /{node-id}`` of a checked id; already gone counts as deleted."""
        call = GraphCall(
            "DELETE", f"/{node_id}", self.page_access(page_id).token, page_id=page_id
        )
        try:
            body = self._call(call, CallKind.DELETE)
        except GraphError as exc:
            if exc.is_gone:
                logger.info("%s: already gone", call.target)
                return
            raise
        expect_success(call, body)

    # Page tokens (seed 004)

    def check_access(self, pages: Mapping[str, Access]) -> Mapping[str, str]:
        return self._directory.check_access(pages)

    def pages(self) -> list[PageInfo]:
        known = self._directory.known()
        return [
            PageInfo(page_id, access.name, access.tasks)
            for page_id, access in sorted(known.items())
        ]

    def page_access(self, page_id: str) -> PageAccess:
        return self._directory.access(page_id)

    def _known_tasks(self, page_id: str | None) -> frozenset[str] | None:
        return self._directory.known_tasks(page_id)

    # The HTTP seam

    def _call(self, call: GraphCall, kind: CallKind = CallKind.READ) -> Any:
        """``_call_once`` under the retry policy for this kind of call."""
        with time_to_send(call.upload):
            return self._retry.call(
                lambda: self._call_once(call),
                kind=kind,
                classify=failure_of,
                target=call.target,
            )

    def _call_once(self, call: GraphCall) -> Any:
        """Send ``call`` once; its JSON body, or one ``GraphError`` for any failure.

        Which failures prove that nothing was done is decided in graph_errors.py
        (``failure_of``): only the API's 4xx error envelope, a rate limit, or a
        request that never left. A redirect, a body that is not JSON (an HTML page,
        a cut or empty body) or any other answer leaves a push's outcome unknown.
        """
        response = self._send(call)
        if 300 <= response.status_code < 400:
            raise error_redirect(call.target, response.status_code)
        try:
            body = response.json()
        except ValueError:  # UnicodeDecodeError included
            raise error_not_json(call.target, response.status_code) from None
        if response.is_success and not (isinstance(body, dict) and "error" in body):
            return body
        raise error_from_envelope(
            call.target,
            response.status_code,
            body,
            response.headers,
            self._secrets(),
            known_tasks=self._known_tasks(call.page_id),
        )

    def _send(self, call: GraphCall) -> httpx.Response:
        params = dict(call.params)
        form = dict(call.form) if call.form is not None else None
        if self._app_secret is not None:  # PROTOCOL §2
            proof = appsecret_proof(call.token, self._app_secret)
            (form if form is not None else params)["appsecret_proof"] = proof
        self._pacer.wait(call.page_id)
        with ExitStack() as stack:
            files = None
            if call.upload is not None:  # streamed from disk, opened per attempt
                media = call.upload
                handle = stack.enter_context(open_media(media, call.target))
                files = {"source": (PurePath(media.shown).name, handle, media.mime)}
            headers = {"Authorization": f"Bearer {call.token.reveal()}"}
            body: dict[str, Any] = {"data": form, "files": files}
            if files is None and form:  # encoded here, fast (graph_wire.form_body)
                headers["Content-Type"] = "application/x-www-form-urlencoded"
                body = {"content": form_body(form)}
            url = f"/{self._version}{call.path}"
            if call.upload is not None and call.upload.is_video and self._video_base:
                url = f"{self._video_base}{url}"  # the Video API's own host
            response = self._session.send(
                call.method,
                url,
                target=call.target,
                params=params or None,
                headers=headers,
                **body,
            )
        self._pacer.observe(response.headers, call.page_id)
        logger.debug("%s -> HTTP %s", call.target, response.status_code)
        return response

    def _secrets(self) -> list[Secret]:
        secrets = [self._token]
        if self._app_secret is not None:
            secrets.append(self._app_secret)
        secrets.extend(self._directory.tokens())
        return secrets


def _attached_media(media_ids: Sequence[str], where: str) -> str:
    """PROTOCOL §9: a JSON list of ``{"media_fbid": id}``."""
    for media_id in media_ids:
        path_id(media_id, "media", where=where)
    return json.dumps(
        [{"media_fbid": media_id} for media_id in media_ids], separators=(",", ":")
    )


def _chunks(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
