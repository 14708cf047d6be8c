"""The provider interface: a writer, and optionally a batch-shaped reader.

Which fields a writer can set, change in place or delete is the writer's knowledge, as
data (``capabilities``), not the planner's: the same manifests give ``replace`` on one
provider and ``update`` on another.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

from statesync.errors import ProviderError
from statesync.kinds import Capabilities, Kind
from statesync.media import MediaFile
from statesync.model import PostFields
from statesync.targets import is_facebook

# What a run will do on a page, for the access preflight: read its posts, write
# posts, or manage the page's own details and settings (seed 004: MANAGE).
Access = Literal["read", "write", "manage"]


class PostGone(ProviderError):
    """The post to update no longer exists on the page: apply pushes it again."""


class MediaGone(PostGone):
    """The uploaded video a video post is made of no longer exists (deleted outside
    statesync): apply forgets it, so that the next plan uploads the file again."""

    def __init__(
        self,
        message: str,
        *,
        media_id: str,
        target: str | None = None,
        status: int | None = None,
        code: int | None = None,
        remedy: str | None = None,
    ) -> None:
        super().__init__(
            message, target=target, status=status, code=code, remedy=remedy
        )
        self.media_id = media_id


class Writer(Protocol):
    # What it can do with each kind (statesync.kinds): the planner's only input about
    # the writer, so the same manifests plan differently on different writers.
    capabilities: Mapping[Kind, Capabilities]

    def capabilities_for(self, target: str) -> Mapping[Kind, Capabilities]:
        """What it can do on one target (statesync.targets): a tweet is not a page
        post. The planner plans each target with its own table."""
        ...

    def push(
        self, page_id: str, fields: PostFields, *, schedule: int | None = None
    ) -> str:
        """Publish a new post, or schedule it for ``schedule`` (Unix seconds; only
        where ``capabilities[Kind.POST].schedule``); return its id."""
        ...

    def reschedule(self, page_id: str, post_id: str, when: int | None) -> None:
        """Move a scheduled post not yet published to ``when``, or publish it now
        (None). Only where ``capabilities[Kind.POST].schedule``."""
        ...

    def update(self, page_id: str, post_id: str, fields: PostFields) -> None:
        """Set every in-place field to ``fields``; raise ``PostGone`` if it is gone."""
        ...

    def delete(self, page_id: str, post_id: str) -> None:
        """Delete the post; a post that is already gone counts as deleted."""
        ...

    def upload(self, page_id: str, media: MediaFile) -> str:
        """Upload a file to the page, unpublished (seen only where a post attaches
        it); return its media id. Only for what ``capabilities[Kind.MEDIA]`` lists."""
        ...

    def delete_media(self, page_id: str, media_id: str, mime: str) -> None:
        """Delete an uploaded media no post uses; already gone counts as deleted."""
        ...

    def pages(self) -> Sequence[PageInfo]:
        """The pages these credentials can act on (seed 004 ``/me/accounts``, or the
        Pull API's list of an identity's pages)."""
        ...

    def check_access(self, pages: Mapping[str, Access]) -> Mapping[str, str] | None:
        """Before anything is sent: what the credentials lack for each page (page id
        -> why; empty when every page is fine), or None when the API cannot tell
        beforehand. Raises ``ProviderError`` for credentials that are not valid."""
        ...


class PageEditor(Protocol):
    """Reads and writes a page's own details and settings (seed 004). The Graph
    provider is one, also in a OneAll project: OneAll has no page-details API."""

    capabilities: Mapping[Kind, Capabilities]  # ``Kind.PAGE``: what it can set

    def read_details(self, page_id: str, names: Sequence[str]) -> Mapping[str, object]:
        """Live values of the qualified ``names``; None (or absent) for unset."""
        ...

    def update_details(self, page_id: str, values: Mapping[str, object]) -> None:
        """Set each qualified field to its value."""
        ...

    def set_flags(self, page_id: str, post_id: str, flags: Mapping[str, bool]) -> None:
        """Pin or unpin, hide or show a post (seed 003 ``is_pinned``, ``is_hidden``),
        whichever writer published it."""
        ...

    def check_access(self, pages: Mapping[str, Access]) -> Mapping[str, str] | None:
        """As ``Writer.check_access``; ``manage`` needs the MANAGE task."""
        ...


def facebook_access(
    pages: Mapping[str, Access],
    check: Callable[[Mapping[str, Access]], Mapping[str, str] | None],
) -> Mapping[str, str] | None:
    """``check`` of the Facebook pages among ``pages``; None (cannot tell) when there
    are none, or when other networks' targets are left unchecked and the pages are
    fine: OneAll lists no X account, LinkedIn company or board to check against."""
    facebook = {key: access for key, access in pages.items() if is_facebook(key)}
    if not facebook:
        return None
    problems = check(facebook)
    if problems is not None and not problems and len(facebook) < len(pages):
        return None
    return problems


@dataclass(frozen=True, slots=True)
class PageInfo:
    """A page the credentials can act on, for `statesync pages`."""

    page_id: str
    name: str | None
    tasks: frozenset[str] | None  # None: the API does not say


class Reader(Protocol):
    # How many ids one ``read`` call should get: the provider knows what one of its
    # requests can carry (a Graph batch: 50); None: all of a page's ids at once.
    read_chunk: int | None
    # Whether ``read`` sees a post's flags (pinned, hidden); without, managed flags
    # are planned from the lockfile's record of them.
    reads_flags: bool

    def read(
        self, page_id: str, post_ids: Sequence[str]
    ) -> Mapping[str, PostFields | None]:
        """Live fields per id, ``None`` for a post that no longer exists.

        Batch-shaped so that one HTTP round trip can serve many posts.
        """
        ...

    def check_access(self, pages: Mapping[str, Access]) -> Mapping[str, str] | None:
        """As ``Writer.check_access``."""
        ...


@dataclass(frozen=True, slots=True)
class ListedPost:
    """A post found by listing a page's recent posts, for crash recovery."""

    post_id: str
    fields: PostFields
    created_time: int  # unix seconds


class PushOutcomeUnknown(ProviderError):
    """A push was sent but no answer came back (timeout, dropped connection, 5xx after
    the write): the post may exist. It is never blindly retried; the applier looks
    the page's recent posts up and adopts a match instead (PROTOCOL §3)."""


class Lister(Protocol):
    # Seconds after a push was sent before a listing without it proves it never
    # happened: the provider's longest request, and a margin (recovery waits this).
    settle_window_s: float

    def recent_posts(self, page_id: str, *, since: int) -> Sequence[ListedPost]:
        """The page's posts created at or after ``since`` (unix seconds), newest
        first: enough to find a post whose push outcome is unknown."""
        ...


@runtime_checkable
class VideoPoster(Protocol):
    """A writer on which a video is its own post (``Kind.VIDEO_POST`` in its table):
    the uploaded video is published as a post, never attached to one."""

    def publish_video(
        self,
        page_id: str,
        video_id: str,
        fields: PostFields,
        *,
        taken: Collection[str] = (),
    ) -> str:
        """Publish the uploaded, unpublished video as a post with ``fields``'
        message; return the post's id. Publishing twice makes no second post. A
        video that is already the post of one of ``taken`` (the post ids other
        entries hold) is refused before anything is sent."""
        ...

    def describe_video(self, page_id: str, video_id: str, fields: PostFields) -> None:
        """Set the video post's message; raise ``PostGone`` if the video is gone."""
        ...


@runtime_checkable
class ScheduledLister(Protocol):
    """A provider that can list a page's scheduled posts (Graph can; OneAll's Pull
    API cannot): id and publishing time (unix seconds, None when not given)."""

    def scheduled_posts(self, page_id: str) -> Sequence[tuple[str, int | None]]: ...


class ReaderLister(Reader, Lister, Protocol):
    """A reader that can also list a page's recent posts (both providers can)."""
