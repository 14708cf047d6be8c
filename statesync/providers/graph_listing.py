"""Listing a page's posts over Graph: its published posts since an instant (crash
recovery, import), and its scheduled ones (import names them).

Both follow the ``after`` cursor while ``next`` exists, never the ``next`` URL, which
embeds the token, and stop after a bound so a server that never stops paging cannot
hang a run.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from statesync.providers.base import ListedPost
from statesync.providers.graph_wire import (
    LIST_FIELDS,
    GraphCall,
    data_items,
    listed_post,
    next_cursor,
)
from statesync.providers.http import path_id
from statesync.secret import Secret

LIST_PAGE_SIZE = 100  # PROTOCOL §7: a limit over 100 is an error
_MAX_LIST_PAGES = 1000


class PageListing:
    """``send``: the provider's retried call; ``token_of``: a page's token."""

    def __init__(
        self, send: Callable[[GraphCall], Any], token_of: Callable[[str], Secret]
    ) -> None:
        self._send = send
        self._token_of = token_of

    def recent_posts(self, page_id: str, *, since: int) -> list[ListedPost]:
        """The page's posts created at or after ``since``, newest first: published
        ones, then scheduled ones (a lost scheduled push is not published yet).

        ``GET /{page-id}/published_posts``, not ``/feed``: PROTOCOL §7 says the feed
        is *ranked* and holds visitors' posts too, while ``published_posts`` lists
        the page's own published posts (all that a push creates) newest first, so
        the listing can stop at the first page that reaches back before ``since``.
        ``/scheduled_posts`` holds the unpublished ones a scheduled push creates.
        Follows the ``after`` cursor while ``next`` exists, never the ``next`` URL,
        which embeds the token.
        """
        path_id(page_id, "page", where="GET /{page-id}/published_posts")
        listed = self._listed(page_id, "published_posts", since)
        listed.extend(self._listed(page_id, "scheduled_posts", since))
        listed.sort(key=lambda post: -post.created_time)  # stable: API order in ties
        return listed

    def _listed(self, page_id: str, edge: str, since: int) -> list[ListedPost]:
        token = self._token_of(page_id)
        params = {"fields": LIST_FIELDS, "limit": str(LIST_PAGE_SIZE)}
        listed: list[ListedPost] = []
        seen: set[str] = set()
        for _page in range(_MAX_LIST_PAGES):
            call = GraphCall(
                "GET", f"/{page_id}/{edge}", token, params, page_id=page_id
            )
            body = self._send(call)
            reached_since = False
            for entry in data_items(body):
                post = listed_post(entry, call.target)
                if post.created_time < since:
                    reached_since = True
                else:
                    listed.append(post)
            after = next_cursor(body)
            if reached_since or after is None or after in seen:
                break
            seen.add(after)
            params = {**params, "after": after}
        return listed

    def scheduled_posts(self, page_id: str) -> list[tuple[str, int | None]]:
        """``GET /{page-id}/scheduled_posts`` (seed 003 ``scheduled_publish_time``):
        each scheduled post's id and publishing time, for import to name them."""
        path_id(page_id, "page", where="GET /{page-id}/scheduled_posts")
        token = self._token_of(page_id)
        params = {"fields": "id,scheduled_publish_time", "limit": str(LIST_PAGE_SIZE)}
        found: list[tuple[str, int | None]] = []
        seen: set[str] = set()
        for _page in range(_MAX_LIST_PAGES):
            call = GraphCall(
                "GET", f"/{page_id}/scheduled_posts", token, params, page_id=page_id
            )
            body = self._send(call)
            for entry in data_items(body):
                when = entry.get("scheduled_publish_time")
                if isinstance(entry.get("id"), str):
                    found.append((entry["id"], when if isinstance(when, int) else None))
            after = next_cursor(body)
            if after is None or after in seen:
                break
            seen.add(after)
            params = {**params, "after": after}
        return found
