"""One writer for a project whose Facebook pages go through the Graph API and whose
other targets (an X account, LinkedIn, Pinterest) go through OneAll: each call goes
to the writer of its target, and each target plans with that writer's capabilities.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from statesync.errors import ProviderError
from statesync.kinds import Capabilities, Kind
from statesync.media import MediaFile
from statesync.model import PostFields
from statesync.providers.base import (
    Access,
    PageInfo,
    VideoPoster,
    Writer,
    facebook_access,
)
from statesync.targets import is_facebook


class TargetRouter:
    def __init__(self, facebook: Writer, networks: Writer) -> None:
        self._facebook = facebook
        self._networks = networks
        self.capabilities = facebook.capabilities

    def _for(self, target: str) -> Writer:
        return self._facebook if is_facebook(target) else self._networks

    def capabilities_for(self, target: str) -> Mapping[Kind, Capabilities]:
        return self._for(target).capabilities_for(target)

    def push(
        self, page_id: str, fields: PostFields, *, schedule: int | None = None
    ) -> str:
        return self._for(page_id).push(page_id, fields, schedule=schedule)

    def reschedule(self, page_id: str, post_id: str, when: int | None) -> None:
        self._for(page_id).reschedule(page_id, post_id, when)

    def update(self, page_id: str, post_id: str, fields: PostFields) -> None:
        self._for(page_id).update(page_id, post_id, fields)

    def delete(self, page_id: str, post_id: str) -> None:
        self._for(page_id).delete(page_id, post_id)

    def publish_video(
        self,
        page_id: str,
        video_id: str,
        fields: PostFields,
        *,
        taken: Collection[str] = (),
    ) -> str:
        poster = self._video_poster(page_id)
        return poster.publish_video(page_id, video_id, fields, taken=taken)

    def describe_video(self, page_id: str, video_id: str, fields: PostFields) -> None:
        self._video_poster(page_id).describe_video(page_id, video_id, fields)

    def _video_poster(self, page_id: str) -> VideoPoster:
        writer = self._for(page_id)
        if not isinstance(writer, VideoPoster):
            raise ProviderError(
                "this writer publishes no video post: a video is an attachment there",
                target=page_id,
            )
        return writer

    def upload(self, page_id: str, media: MediaFile) -> str:
        return self._for(page_id).upload(page_id, media)

    def delete_media(self, page_id: str, media_id: str, mime: str) -> None:
        self._for(page_id).delete_media(page_id, media_id, mime)

    def pages(self) -> Sequence[PageInfo]:
        return self._facebook.pages()

    def check_access(self, pages: Mapping[str, Access]) -> Mapping[str, str] | None:
        """The Facebook pages' access, as their writer sees it; the networks' cannot
        be told beforehand (OneAll lists no accounts, companies or boards that
        statesync relies on)."""
        return facebook_access(pages, self._facebook.check_access)
