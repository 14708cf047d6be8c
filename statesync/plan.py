"""The plan: one value that every renderer (text, markdown, json) reads."""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from statesync.kinds import Kind
from statesync.media import MediaFile
from statesync.model import Address, PostFields
from statesync.targets import target_of


class ActionKind(enum.StrEnum):
    PUSH = "push"  # the design card's verb for publishing a new post
    UPDATE = "update"
    REPLACE = "replace"
    DELETE = "delete"
    FORGET = "forget"  # the writer cannot delete: the entry is dropped, the post stays
    IMPOSSIBLE = "impossible"  # no action of the writer reaches the manifest's state
    UPLOAD = "upload"  # a media file sent to the page, before the posts that attach it
    MOVE = (
        "move"  # a renamed key keeps its post: the lockfile is rewritten, nothing sent
    )


# The order a summary line and an apply report use; the last two are counted only when
# a plan has them, so a plan of today's writers reads as it always has.
KIND_ORDER = (ActionKind.PUSH, ActionKind.UPDATE, ActionKind.REPLACE, ActionKind.DELETE)
RARE_KINDS = (ActionKind.MOVE, ActionKind.FORGET, ActionKind.IMPOSSIBLE)
# Media work, counted in its own words after the posts' ("2 media to upload").
MEDIA_KINDS = (ActionKind.UPLOAD, ActionKind.DELETE, ActionKind.FORGET)
# A page's details are updated in place, or only forgotten; never deleted.
PAGE_KINDS = (ActionKind.UPDATE, ActionKind.FORGET, ActionKind.IMPOSSIBLE)


# The address key of a page's details action: no post key can start with "@".
PAGE_DETAILS_KEY = "@details"


@dataclass(frozen=True, slots=True)
class PageChange:
    """What an action on a page's own fields changes (``resource`` PAGE).

    ``after`` holds the fields to send; ``before`` their live values (None: not
    read); ``record`` the hash of every managed field once applied, sent or not;
    ``forgotten`` the fields the manifest no longer manages, dropped from the
    lockfile and left on the page as they are."""

    after: Mapping[str, object] = field(default_factory=dict)
    before: Mapping[str, object] | None = None
    record: Mapping[str, str] = field(default_factory=dict)
    forgotten: tuple[str, ...] = ()
    lines: Mapping[str, str] = field(default_factory=dict)  # name -> "FILE:LINE"


@dataclass(frozen=True, slots=True)
class Action:
    kind: ActionKind
    address: Address
    page_id: str
    post_id: str | None = None  # the recorded post this action acts on, if any
    before: PostFields | None = None  # live fields; None when unknown or not there
    after: PostFields | None = None  # desired fields; None for a delete
    # For a delete, ``before`` is the live post being deleted (None: not read).
    changed: tuple[str, ...] = ()  # sorted field names
    # The field that turned an edit into a replace; for an impossible action, the
    # first field that makes it so (``note`` says why).
    forced_by: str | None = None
    drift: bool = False  # live differs from what statesync last applied
    note: str | None = (
        None  # why, when it is not obvious (e.g. deleted outside statesync)
    )
    resource: Kind = Kind.POST  # what the action acts on
    # For media (``resource`` MEDIA, address key = the media key): the file uploaded,
    # or, for a delete, the file as recorded (``post_id`` is then the media id).
    media: MediaFile | None = None
    moved_from: Address | None = None  # for a move: the address the post leaves
    page: PageChange | None = None  # for the page's own fields (``resource`` PAGE)
    # For a push (or a replace's push): the future instant to schedule it for; for
    # an update whose ``changed`` names ``publish_at``: the new instant, or None to
    # publish the scheduled post now.
    schedule: int | None = None
    expired_at: int | None = None  # for a delete at the post's ``expire_at``
    # For a push, update or replace: the desired post is its video's own, published
    # and edited through the video (``Kind.VIDEO_POST``, docs/media.md §3.1).
    video_post: bool = False

    @property
    def on_media(self) -> bool:
        return self.resource is Kind.MEDIA

    @property
    def on_page(self) -> bool:
        return self.resource is Kind.PAGE

    @property
    def on_post(self) -> bool:
        return self.resource is Kind.POST

    @property
    def name(self) -> str:
        """How messages name what it acts on: a post's address, a media's file, a
        page's details."""
        if self.media is not None:
            return self.media.shown
        if self.resource is Kind.PAGE:
            return f"{self.address.manifest}: page details"
        return str(self.address)


@dataclass(frozen=True, slots=True, order=True)
class UnknownOutcome:
    """A push that was sent but whose post id never reached the lockfile, on a page
    statesync cannot list: nothing is planned for it until someone resolves it."""

    address: Address
    page_id: str
    since: int  # unix seconds when the push was sent

    def resolve_commands(self) -> tuple[str, str]:
        """What settles it: the post it published, or none."""
        return (
            f"statesync resolve {self.address} --post-id <id>",
            f"statesync resolve {self.address} --not-published",
        )

    def resolve_hint(self) -> str:
        published, nothing = self.resolve_commands()
        return (
            f"check {target_of(self.page_id)} for the post, then run `{published}` "
            f"if it was published, or `{nothing}` if it was not"
        )


class TimeStateKind(enum.StrEnum):
    WAITING = "waiting"  # nothing sent yet: an apply from ``due_at`` acts
    SCHEDULED = "scheduled"  # the network publishes it at ``at`` by itself
    EXPIRES = "expires"  # an apply from ``at`` deletes it
    EXPIRED = "expired"  # deleted at ``at``; never pushed again while named


@dataclass(frozen=True, slots=True, order=True)
class TimeState:
    """Where a time-bound post stands, for the plan's time section."""

    address: Address
    state: TimeStateKind
    at: int  # the instant the state names (Unix seconds)
    due_at: int | None = None  # when an apply next has work for it; None: never


@dataclass(frozen=True, slots=True)
class Plan:
    actions: tuple[Action, ...]
    reads_live: bool = True  # False: planned from recorded hashes, drift cannot be seen
    unknown: tuple[UnknownOutcome, ...] = ()  # pushes to resolve before they can plan
    # The manifests (stems) a plan under --only covers; None: the whole project.
    scope: tuple[str, ...] | None = None
    timeline: tuple[TimeState, ...] = ()  # time-bound posts, by address
    timezone: str = "UTC"  # the project's, to show instants in beside UTC
    # Targets planned from the lockfile although the plan reads live posts: their
    # network cannot be read back (an X account, a LinkedIn page, a board).
    unread: tuple[str, ...] = ()

    @property
    def next_due_at(self) -> int | None:
        """The earliest instant an apply will have work for a time-bound post."""
        due = [state.due_at for state in self.timeline if state.due_at is not None]
        return min(due) if due else None

    def counts(self) -> dict[ActionKind, int]:
        """Every kind of KIND_ORDER, and the rare kinds the plan has (posts only)."""
        counter = Counter(action.kind for action in self.actions if action.on_post)
        counts = {kind: counter.get(kind, 0) for kind in KIND_ORDER}
        counts.update({kind: counter[kind] for kind in RARE_KINDS if counter[kind]})
        return counts

    @property
    def impossible(self) -> tuple[Action, ...]:
        return tuple(a for a in self.actions if a.kind is ActionKind.IMPOSSIBLE)

    def page_counts(self) -> dict[ActionKind, int]:
        """Changes to pages' own details and settings, those the plan has."""
        counter = Counter(action.kind for action in self.actions if action.on_page)
        return {kind: counter[kind] for kind in PAGE_KINDS if counter[kind]}

    def media_counts(self) -> dict[ActionKind, int]:
        """Uploads and media deletions, those the plan has."""
        counter = Counter(action.kind for action in self.actions if action.on_media)
        return {kind: counter[kind] for kind in MEDIA_KINDS if counter[kind]}

    @property
    def has_changes(self) -> bool:
        return bool(self.actions or self.unknown)

    def summary(self) -> str:
        counts = self.counts()
        line = (
            "No changes."
            if not self.actions
            else f"Plan: {counts[ActionKind.PUSH]} to push, "
            f"{counts[ActionKind.UPDATE]} to update, "
            f"{counts[ActionKind.REPLACE]} to replace, "
            f"{counts[ActionKind.DELETE]} to delete."
        )
        if ActionKind.MOVE in counts:
            line += f" {counts[ActionKind.MOVE]} to move."
        if ActionKind.FORGET in counts:
            line += f" {counts[ActionKind.FORGET]} to forget."
        if ActionKind.IMPOSSIBLE in counts:
            line += f" {counts[ActionKind.IMPOSSIBLE]} impossible."
        pages = self.page_counts()
        if pages:
            line += (
                " Page details: "
                + ", ".join(f"{count} to {kind.value}" for kind, count in pages.items())
                + "."
            )
        media = self.media_counts()
        if media:
            words = {
                ActionKind.UPLOAD: "to upload",
                ActionKind.DELETE: "to delete",
                ActionKind.FORGET: "to forget",
            }
            line += (
                " Media: "
                + ", ".join(f"{count} {words[kind]}" for kind, count in media.items())
                + "."
            )
        if self.unknown:
            count = len(self.unknown)
            line += f" {count} push{'es' if count != 1 else ''} to resolve."
        return line
