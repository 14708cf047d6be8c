"""Resource kinds, and what a writer can do with each, as data (octoDNS's ``SUPPORTS``).

The planner decides every action from a ``Capabilities`` value alone: the same manifest
plans ``update`` on a writer that changes a field in place, ``replace`` on one that must
delete and push again, ``impossible`` on one that can do neither, and ``forget`` where a
writer cannot delete at all. Adding a kind (uploaded media, a page's details, a tweet)
means a member here, the fields of its own module, and an entry in each writer's table.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Kind(enum.StrEnum):
    """What a manifest entry manages on the network."""

    POST = "post"  # a page post: message, link, attachments (seeds 000, 001, 003)
    # A photo or video uploaded to a page, attached to posts by id. Its "fields" are
    # what a writer can upload ("image", "video"); a changed file is a new upload.
    MEDIA = "media"
    # A post made of one uploaded video where the network makes the video its own
    # post (Graph, docs/media.md §3.1): published from the video node, its message
    # the video's description; a writer without this entry posts a video as any
    # other attachment (OneAll).
    VIDEO_POST = "video_post"
    # The page's own details and settings (seed 004): its "fields" are qualified
    # names (``details.about``, statesync.page_fields); never deleted, only changed.
    PAGE = "page"


@dataclass(frozen=True, slots=True)
class Capabilities:
    """One writer's abilities for one kind.

    ``read`` and ``list`` say what the provider's API offers; a project may still
    use less (``oneall.read: none`` configures no reader). A kind that cannot be read
    back is planned from the lockfile's recorded hashes (drift cannot be seen); a kind
    that cannot be listed leaves a push whose answer was lost to ``statesync resolve``.
    """

    fields: frozenset[str]  # the fields a create (push) can set
    in_place: frozenset[str]  # the fields an update changes on the live object
    delete: bool = True  # False: a removed entry is forgotten and stays live
    read: bool = True  # its live fields can be read back, to see drift
    list: bool = True  # a page's recent ones can be listed, to settle a lost push
    # A push can carry a future publishing time, which the network keeps to
    # (Graph's scheduled posts); without it, a future post waits for an apply.
    schedule: bool = False
    # For media: the file travels inside the push that uses it (a pin's image), never
    # uploaded alone nor recorded; changing it is a change of the post's attachments.
    inline: bool = False

    def __post_init__(self) -> None:
        if not self.in_place <= self.fields:
            raise ValueError("a field changed in place must be one a push can set")

    def cannot_set(self, fields: frozenset[str]) -> frozenset[str]:
        return fields - self.fields

    def not_in_place(self, changed: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(name for name in changed if name not in self.in_place)
