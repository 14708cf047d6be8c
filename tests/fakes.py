"""A small in-memory provider for planner and applier unit tests (no HTTP)."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from pathlib import Path

from statesync.errors import Location, ProviderError
from statesync.kinds import Capabilities, Kind
from statesync.model import (
    POST_FIELDS,
    Address,
    Desired,
    DesiredPost,
    PageManifest,
    PostFields,
)
from statesync.providers.base import Access, ListedPost, PostGone, PushOutcomeUnknown
from statesync.providers.http import SETTLE_WINDOW_S


class FakeProvider:
    """Writer and Reader over a dict; echoes messages without trailing whitespace, as
    the Graph API does (PROTOCOL §11), so tests exercise normalization."""

    def __init__(
        self,
        in_place: frozenset[str] = frozenset({"message", "attachments"}),
        *,
        delete: bool = True,
    ):
        self.in_place_fields = in_place
        self.settle_window_s = SETTLE_WINDOW_S
        self.read_chunk = 50
        self.can = Capabilities(frozenset(POST_FIELDS), in_place, delete=delete)
        self.capabilities = {Kind.POST: self.can}
        self.posts: dict[str, PostFields] = {}
        self.calls: list[tuple[str, str]] = []
        self.fail_on: set[tuple[str, str]] = set()  # (verb, page_id or post_id)
        # Pushes whose answer is lost: "commit" publishes first, "drop" does not.
        self.lose_answers: list[str] = []
        self.created: dict[str, int] = {}
        self.now = 1_800_000_000
        self._ids = itertools.count(100001)

    def capabilities_for(self, target: str) -> dict[Kind, Capabilities]:
        return self.capabilities

    def _check(self, verb: str, target: str) -> None:
        self.calls.append((verb, target))
        if (verb, target) in self.fail_on:
            raise ProviderError("refused by the fake", target=target, code=2)

    def push(
        self, page_id: str, fields: PostFields, *, schedule: int | None = None
    ) -> str:
        self._check("push", page_id)
        if schedule is not None:
            self.calls.append(("schedule", str(schedule)))
        lost = self.lose_answers.pop(0) if self.lose_answers else None
        if lost == "drop":
            raise PushOutcomeUnknown("connection dropped", target=page_id)
        post_id = f"{page_id}_{next(self._ids)}"
        self.posts[post_id] = _echo(fields)
        self.created[post_id] = self.now
        if lost == "commit":
            raise PushOutcomeUnknown("answer lost after the write", target=page_id)
        return post_id

    def recent_posts(self, page_id: str, *, since: int) -> list[ListedPost]:
        self.calls.append(("list", page_id))
        return sorted(
            (
                ListedPost(post_id, fields, self.created[post_id])
                for post_id, fields in self.posts.items()
                if post_id.startswith(f"{page_id}_")
                and self.created.get(post_id, 0) >= since
            ),
            key=lambda post: -post.created_time,
        )

    def update(self, page_id: str, post_id: str, fields: PostFields) -> None:
        self._check("update", post_id)
        if post_id not in self.posts:
            raise PostGone("gone", target=post_id)
        current = self.posts[post_id]
        echoed = _echo(fields)
        self.posts[post_id] = PostFields(
            message=echoed.message
            if "message" in self.in_place_fields
            else current.message,
            link=echoed.link if "link" in self.in_place_fields else current.link,
            attachments=echoed.attachments
            if "attachments" in self.in_place_fields
            else current.attachments,
        )

    def reschedule(self, page_id: str, post_id: str, when: int | None) -> None:
        self._check("reschedule", post_id)
        if post_id not in self.posts:
            raise PostGone("gone", target=post_id)

    def delete(self, page_id: str, post_id: str) -> None:
        self._check("delete", post_id)
        self.posts.pop(post_id, None)

    def check_access(self, pages: Mapping[str, Access]) -> Mapping[str, str]:
        return {}

    def read(
        self, page_id: str, post_ids: Sequence[str]
    ) -> Mapping[str, PostFields | None]:
        self.calls.append(("read", page_id))
        return {post_id: self.posts.get(post_id) for post_id in post_ids}


def _echo(fields: PostFields) -> PostFields:
    message = fields.message.rstrip() if fields.message else fields.message
    return PostFields(message=message, link=fields.link, attachments=fields.attachments)


def make_desired(
    pages: Mapping[str, Mapping[str, PostFields]], stem: str = ""
) -> Desired:
    """``{page_id: {key: fields}}`` as a Desired, each page in manifest ``p<page_id>``."""
    manifests = {}
    for page_id, posts in pages.items():
        name = stem or f"p{page_id}"
        loc = Location(f"pages/{name}.yaml", 1)
        manifests[page_id] = PageManifest(
            page_id=page_id,
            name=None,
            stem=name,
            location=loc,
            posts={
                key: DesiredPost(Address(name, key), page_id, fields, loc)
                for key, fields in posts.items()
            },
        )
    return Desired(pages=manifests)


def lock_path(tmp_path: Path) -> Path:
    return tmp_path / "statesync.lock"


class FakeClock:
    """Time that passes only when slept: no test waits for real."""

    def __init__(self, now: float) -> None:
        self.now = now
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
