"""The values the pure core works on: desired posts, recorded entries, live fields.

DESIGN.md's vocabulary: *desired* is what the manifests say, *recorded* what the
lockfile says was last applied, *live* what the API returns now.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from statesync.errors import Location
from statesync.media import MediaFile

# seeds 000/001: the fields a page post carries in the OneAll Push and Update APIs,
# which are also the fields a manifest may set.
POST_FIELDS = ("message", "link", "attachments")


@dataclass(frozen=True, slots=True, order=True)
class Address:
    """``<manifest stem>/<post key>``: how plans, errors and lockfiles name a post."""

    manifest: str
    key: str

    def __str__(self) -> str:
        return f"{self.manifest}/{self.key}"


@dataclass(frozen=True, slots=True)
class PostFields:
    """A post's content, desired or live. ``None`` and ``()`` mean "not set"."""

    message: str | None = None
    link: str | None = None
    attachments: tuple[str, ...] = ()
    # Post flags (statesync.post_flags), sorted (name, value) pairs: desired, the
    # ones a manifest manages; live, the ones that are on. Not content: never hashed.
    flags: tuple[tuple[str, bool], ...] = ()
    # Live only: the time an unpublished post is scheduled for (Graph), else None.
    scheduled_at: int | None = None
    # Live only: the post is its video's own (Graph, docs/media.md §3.1), whose one
    # attachment is the video: its message is edited as the video's description.
    video: bool = False

    def as_dict(self) -> dict[str, object]:
        return {
            "message": self.message,
            "link": self.link,
            "attachments": list(self.attachments),
        }


@dataclass(frozen=True, slots=True)
class DesiredPost:
    address: Address
    page_id: str
    fields: PostFields
    location: Location  # the line of the post key, for errors about this post
    # Not content: a safety rail. Any plan that would replace the post fails; taking
    # the post out of its manifest takes the protection with it (Terraform's rule).
    prevent_destroy: bool = False
    prevent_destroy_at: Location | None = None  # the flag's line, for the refusal
    # Not content: when the post goes live, and when statesync deletes it (Unix
    # seconds; None: at once, and never). statesync.time_plan decides with them.
    publish_at: int | None = None
    expire_at: int | None = None


@dataclass(frozen=True, slots=True)
class Move:
    """A ``moved:`` entry: the post recorded at ``source`` is now ``target`` (a key of
    the same manifest); the lockfile is rewritten, nothing is sent."""

    source: Address
    target: Address
    location: Location  # the entry's line, for refusals


@dataclass(frozen=True, slots=True)
class DesiredDetails:
    """The page's own fields a manifest manages (statesync.page_fields): qualified
    name (``details.about``, ``settings.USERS_CAN_MESSAGE``) -> normalized value.
    Only the fields named are managed; every other field of the page is left alone."""

    values: Mapping[str, object] = field(default_factory=dict)
    lines: Mapping[str, Location] = field(default_factory=dict)  # for messages


@dataclass(frozen=True, slots=True)
class PageManifest:
    """One manifest file: one page and the posts it should carry."""

    page_id: str
    name: str | None
    stem: str  # the manifest's file stem, the first half of every address
    location: Location  # the line of ``page:``
    posts: Mapping[str, DesiredPost] = field(default_factory=dict)
    # The files the posts attach, by media key (statesync.media): each is uploaded
    # once per page, however many posts attach it.
    media: Mapping[str, MediaFile] = field(default_factory=dict)
    moves: tuple[Move, ...] = ()  # renames that keep the post (``moved:``)
    details: DesiredDetails = field(default_factory=DesiredDetails)


@dataclass(frozen=True, slots=True)
class Desired:
    """Every manifest of a project, keyed by page id (unique across manifests)."""

    pages: Mapping[str, PageManifest]

    def posts(self) -> list[DesiredPost]:
        return [post for page in self.pages.values() for post in page.posts.values()]


@dataclass(frozen=True, slots=True)
class Record:
    """What the lockfile says was last applied to one post."""

    post_id: str
    hashes: Mapping[str, str]  # field name -> hash of the normalized value as applied
    # Unix seconds when this content was applied (pushed, updated or adopted); None
    # in entries written before statesync recorded it.
    applied_at: int | None = None
    # The publishing time it was scheduled for (Unix seconds); None: published at
    # once. Once that time has passed, Facebook has published it by itself.
    publish_at: int | None = None
    flags: Mapping[str, bool] = field(default_factory=dict)  # managed, as applied


@dataclass(frozen=True, slots=True)
class Intent:
    """A push about to be sent, recorded first so that a crash cannot lose the post.

    If the run dies before the post id is recorded, the next run looks the page's
    posts created since ``since`` up and adopts the one whose fields match ``hashes``.
    """

    hashes: Mapping[str, str]  # field_hashes of the content being pushed
    since: int  # unix seconds just before the push was sent
    publish_at: int | None = None  # the time a scheduled push was scheduled for


@dataclass(frozen=True, slots=True)
class MediaRecord:
    """A media file uploaded to a page: what the API called it, and who attaches it."""

    media_id: str
    mime: str
    size: int
    shown: str  # the file's path when it was uploaded (renaming it changes nothing)
    used_by: tuple[str, ...] = ()  # the keys of the posts that attach it, sorted


@dataclass(frozen=True, slots=True)
class Upload:
    """An upload about to be sent. If the run dies before its id is recorded, an
    unpublished, invisible photo or video may be left on the page; the next run
    says so and uploads again (nothing visible is ever duplicated)."""

    shown: str
    since: int  # unix seconds just before the upload was sent


@dataclass(slots=True)
class RecordedPage:
    """The lockfile's entries for one page."""

    manifest: str  # the stem of the manifest that owned the page, to address deletions
    posts: dict[str, Record] = field(default_factory=dict)
    intents: dict[str, Intent] = field(default_factory=dict)  # post key -> pending push
    media: dict[str, MediaRecord] = field(default_factory=dict)  # media key -> upload
    uploads: dict[str, Upload] = field(default_factory=dict)  # media key -> pending
    # The page's own fields as last applied: qualified name -> hash of the value.
    details: dict[str, str] = field(default_factory=dict)
    # Posts statesync deleted at their ``expire_at``: post key -> that instant, so
    # that a manifest still naming them does not push them again.
    expired: dict[str, int] = field(default_factory=dict)

    def is_empty(self) -> bool:
        return not (
            self.posts
            or self.intents
            or self.media
            or self.uploads
            or self.details
            or self.expired
        )
