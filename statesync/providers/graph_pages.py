"""Which pages a Graph token can act on: one ``/me/accounts`` listing per run gives
each page's token and the tasks its user holds (seed 004), which answers both "may this
run write there?" before any write and "with which token?" for every call."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from statesync.providers.base import Access
from statesync.providers.graph_errors import GraphError
from statesync.providers.graph_wire import GraphCall, data_items, next_cursor
from statesync.secret import Secret

logger = logging.getLogger(__name__)

ACCOUNTS_PAGE_SIZE = 100
WRITE_TASKS = frozenset({"CREATE_CONTENT"})  # PROTOCOL §2: publish
READ_TASKS = frozenset({"CREATE_CONTENT", "MANAGE", "MODERATE"})  # PROTOCOL §2: feed
MANAGE_TASKS = frozenset({"MANAGE"})  # seed 004: a page's details and settings
_NEEDED = {"read": READ_TASKS, "write": WRITE_TASKS, "manage": MANAGE_TASKS}
_DOING = {"read": "read", "write": "write", "manage": "manage its details"}


def _missing_page(known: Mapping[str, PageAccess]) -> str:
    if len(known) == 1 and next(iter(known.values())).page_token:
        return f"the token is a page token for page {next(iter(known))}, not this one"
    return (
        "not among the pages this token administers (GET /me/accounts): check the "
        "page id, and that the token's user has a task on the page"
    )


@dataclass(frozen=True, slots=True)
class PageAccess:
    """How to act on one page: its page token, and the tasks ``/me/accounts`` listed
    for the token's user (``None`` when the configured token is itself a page token)."""

    token: Secret
    tasks: frozenset[str] | None
    name: str | None = None  # as /me/accounts names the page, for `statesync pages`
    page_token: bool = False  # the configured token is this page's own token


class PageDirectory:
    """The token's pages, listed once (``send`` is the provider's retried call)."""

    def __init__(self, send: Callable[[GraphCall], Any], token: Secret) -> None:
        self._send = send
        self._token = token
        self._pages: dict[str, PageAccess] | None = None  # resolved on first use
        self._lock = threading.Lock()  # parallel reads resolve only once

    def check_access(self, pages: Mapping[str, Access]) -> dict[str, str]:
        """One ``/me/accounts`` listing (cached for the run) answers for every page:
        is it there, and does the user hold the task the work needs (PROTOCOL §2:
        CREATE_CONTENT to publish and edit; CREATE_CONTENT, MANAGE or MODERATE to
        read the feed; seed 004: MANAGE for the page's details and settings). A page
        token answers for its own page only, its tasks unknown."""
        known = self.known()
        problems: dict[str, str] = {}
        for page_id, access in sorted(pages.items()):
            found = known.get(page_id)
            if found is None:
                problems[page_id] = _missing_page(known)
                continue
            needed = _NEEDED[access]
            if found.tasks is not None and not needed & found.tasks:
                held = ", ".join(sorted(found.tasks)) or "none"
                problems[page_id] = (
                    f"the token's user lacks the task to {_DOING[access]} there (needs "
                    f"{' or '.join(sorted(needed))}; holds {held}; seed 004 tasks)"
                )
        return problems

    def access(self, page_id: str) -> PageAccess:
        """The page token for ``page_id``, resolved once from the configured token."""
        pages = self.known()
        access = pages.get(page_id)
        if access is not None:
            return access
        if len(pages) == 1 and next(iter(pages.values())).page_token:
            (own,) = pages
            raise GraphError(
                f"page {page_id} cannot be reached with this token: it is a page "
                f"token for page {own}",
                target="GET /me",
                remedy="use a user token whose user has a task on every page of the "
                "project, or that page's own token",
            )
        raise GraphError(
            f"page {page_id} is not among the pages this token administers",
            target="GET /me/accounts",
            remedy="check that the token's user has a task on the page (seed 004: "
            "CREATE_CONTENT to publish and edit), that the token has the "
            "pages_show_list permission (and business_management for a "
            "business-owned page), and that the page id is right",
        )

    def known(self) -> dict[str, PageAccess]:
        """The pages the token can act on, listed once per run (one request)."""
        with self._lock:
            if self._pages is None:
                self._pages = self._resolve()
            return self._pages

    def _resolve(self) -> dict[str, PageAccess]:
        try:
            return self._accounts()
        except GraphError as exc:
            # A page token has no `accounts` edge: 100 "nonexisting field (accounts)
            # on node type (Page)". Then the token stands for its own page only.
            if exc.code != 100 or exc.is_gone:
                raise
        me = self._page_token_view()
        page_id = me.get("id") if isinstance(me, dict) else None
        if not isinstance(page_id, str) or not page_id:
            raise GraphError("the API answered no id for the token", target="GET /me")
        logger.debug("the configured token is a page token for page %s", page_id)
        tasks = me.get("tasks")
        return {
            page_id: PageAccess(
                token=self._token,
                tasks=frozenset(t for t in tasks if isinstance(t, str))
                if isinstance(tasks, list)
                else None,
                page_token=True,
            )
        }

    def _page_token_view(self) -> Any:
        """``GET /me`` of a page token: its page, and the tasks the token's user
        holds there where the API names them (the Page node's ``tasks`` field);
        an API that refuses the field (100) still answers the id."""
        try:
            return self._send(
                GraphCall("GET", "/me", self._token, params={"fields": "id,tasks"})
            )
        except GraphError as exc:
            if exc.code != 100 or exc.is_gone:
                raise
        return self._send(GraphCall("GET", "/me", self._token, params={"fields": "id"}))

    def _accounts(self) -> dict[str, PageAccess]:
        """Every page of ``/me/accounts``, following the ``after`` cursor; never the
        ``next`` URL, which embeds the token (PROTOCOL §7)."""
        pages: dict[str, PageAccess] = {}
        # seed 004: the default fields are id, name, access_token, tasks, category
        params = {"limit": str(ACCOUNTS_PAGE_SIZE)}
        seen: set[str] = set()
        while True:
            body = self._send(GraphCall("GET", "/me/accounts", self._token, params))
            for entry in data_items(body):
                page_id, token = entry.get("id"), entry.get("access_token")
                if isinstance(page_id, str) and isinstance(token, str) and token:
                    tasks = entry.get("tasks")
                    name = entry.get("name")
                    pages[page_id] = PageAccess(
                        token=Secret(token),
                        tasks=frozenset(t for t in tasks or () if isinstance(t, str)),
                        name=name if isinstance(name, str) else None,
                    )
            after = next_cursor(body)
            if after is None or after in seen:
                return pages
            seen.add(after)
            params = {**params, "after": after}

    def known_tasks(self, page_id: str | None) -> frozenset[str] | None:
        """The tasks listed for the page, if the listing was made (for remedies)."""
        pages = self._pages
        access = pages.get(page_id) if pages is not None and page_id else None
        return access.tasks if access is not None else None

    def tokens(self) -> list[Secret]:
        """Every page token resolved so far: secrets that messages must not show."""
        pages = self._pages
        return [access.token for access in pages.values()] if pages else []
