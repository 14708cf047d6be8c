"""What both providers share of reading the APIs' answers about posts: times as
either API writes them, the checks that make a listed post usable by crash recovery
(statesync/recovery.py), and the post id a push answers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from statesync.errors import ProviderError
from statesync.model import PostFields
from statesync.providers.base import ListedPost, PushOutcomeUnknown
from statesync.providers.http import PATH_ID


def unix_seconds(
    value: object, parse_text: Callable[[str], datetime | None]
) -> int | None:
    """Unix seconds from a number, a string of digits, or a text ``parse_text``
    reads (the API's own form); None when unreadable. A time without an offset is
    UTC, as both APIs write them."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return int(value)
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return int(text)
    moment = parse_text(text)
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def iso_time(text: str) -> datetime | None:
    """An ISO 8601 time (``Z`` taken for ``+00:00``), or None."""
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def listed_post(
    post_id: object,
    created_time: int | None,
    fields: PostFields,
    *,
    fail: Callable[[str], ProviderError],
) -> ListedPost:
    """A listed post; one without a valid id or a readable time fails the listing
    (``fail`` builds the provider's error from a message), since recovery must not
    miss a post (it would push it again), and an adopted id goes into URL paths."""
    if isinstance(post_id, int) and not isinstance(post_id, bool):
        post_id = str(post_id)
    if not isinstance(post_id, str) or not PATH_ID.fullmatch(post_id):
        raise fail("the API listed a post without a valid id")
    if created_time is None:
        raise fail(f"the API listed post {post_id} without a readable creation time")
    return ListedPost(post_id=post_id, fields=fields, created_time=created_time)


def pushed_post_id(value: object, *, target: str) -> str:
    """The id a push answered, as it will go into URL paths; anything else leaves the
    push's outcome unknown (it is settled by listing the page, PROTOCOL §3)."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not PATH_ID.fullmatch(value):
        raise PushOutcomeUnknown(
            "the API accepted the post but answered no valid post id",
            target=target,
            remedy="the post may have been published: statesync looks at the "
            "page's recent posts before pushing it again",
        )
    return value
