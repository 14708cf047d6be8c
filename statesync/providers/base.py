"""The provider interface: a writer, and optionally a batch-shaped reader.

Which fields a writer can change in place is the writer's knowledge, not the planner's:
the same manifests give ``replace`` on one provider and ``update`` on another.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from statesync.errors import ProviderError
from statesync.model import PostFields


class PostGone(ProviderError):
    """The post to update no longer exists on the page: apply pushes it again."""


class Writer(Protocol):
    in_place_fields: frozenset[str]  # fields ``update`` can change without a new post

    def push(self, page_id: str, fields: PostFields) -> str:
        """Publish a new post; return its id (``{page-id}_{post-id}``)."""
        ...

    def update(self, page_id: str, post_id: str, fields: PostFields) -> None:
        """Set every in-place field to ``fields``; raise ``PostGone`` if it is gone."""
        ...

    def delete(self, page_id: str, post_id: str) -> None:
        """Delete the post; a post that is already gone counts as deleted."""
        ...


class Reader(Protocol):
    def read(
        self, page_id: str, post_ids: Sequence[str]
    ) -> Mapping[str, PostFields | None]:
        """Live fields per id, ``None`` for a post that no longer exists.

        Batch-shaped so that one HTTP round trip can serve many posts.
        """
        ...
