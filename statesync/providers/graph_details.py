"""A page's own details and settings through the Graph API (seed 004): read the
managed fields, write the changed ones. OneAll has no page-details API, so a OneAll
project with a Graph token uses this too.

Wire (seed 004; docs/page-details.md says what is unconfirmed):
- reading: one batch request (PROTOCOL §5) per page holding ``GET
  /{page-id}?fields=about,emails`` and ``GET /{page-id}/settings``.
- details: the page node returns the fields that are set (a field not returned is
  not set); ``POST /{page-id}`` with the fields to change,
  structured values as JSON, answers ``{"success": true}``.
- settings: ``GET /{page-id}/settings`` answers ``{"data": [{"setting": NAME, "value":
  V}, ...]}`` (the Page Settings reference; unconfirmed shape); ``POST
  /{page-id}/settings`` with ``option={"NAME": value}``, one setting per request, as
  seed 004's example sends it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from statesync.page_fields import BY_QUALIFIED, DETAILS, SETTINGS, wire_value
from statesync.providers.graph_errors import GraphError, failure_of
from statesync.providers.graph_read import batch_item_body
from statesync.providers.graph_wire import GraphCall, data_items, expect_success
from statesync.providers.retry import CallKind, RetryPolicy
from statesync.secret import Secret

Send = Callable[[GraphCall, CallKind], Any]


class PageDetails:
    """Reads and writes one page's details and settings through ``send`` (the
    provider's retried, paced call) with the page's token from ``token_of``;
    ``secrets`` and ``known_tasks`` word a refused batch item as any refusal."""

    def __init__(
        self,
        send: Send,
        token_of: Callable[[str], Secret],
        *,
        send_once: Callable[[GraphCall], Any],
        retry: RetryPolicy,
        secrets: Callable[[], list[Secret]],
        known_tasks: Callable[[str | None], frozenset[str] | None],
    ) -> None:
        self._send = send
        self._send_once = send_once
        self._retry = retry
        self._token_of = token_of
        self._secrets = secrets
        self._known_tasks = known_tasks

    def read(self, page_id: str, names: Sequence[str]) -> dict[str, object]:
        """The live values of ``names`` (qualified), in one batch request per page
        (PROTOCOL §5): the page node's fields and the settings edge together."""
        details = [BY_QUALIFIED[n].name for n in names if n.startswith(DETAILS + ".")]
        settings = [BY_QUALIFIED[n].name for n in names if n.startswith(SETTINGS + ".")]
        urls = []
        if details:
            urls.append(f"{page_id}?fields={','.join(sorted(details))}")
        if settings:
            urls.append(f"{page_id}/settings")
        # The batch is tried again whole when an item failed transiently (a rate
        # limit, a 5xx, an item left unanswered at the batch timeout), as the
        # posts' batch reads are: reading twice changes nothing.
        bodies = self._retry.call(
            lambda: self._batch(page_id, urls),
            kind=CallKind.READ,
            classify=failure_of,
            target=f"POST / (batch read of page {page_id}'s details)",
        )
        live: dict[str, object] = {}
        if details:
            node = bodies.pop(0)
            for name in details:
                live[f"{DETAILS}.{name}"] = node.get(name)  # seed 004: unset: absent
        if settings:
            values = {
                item.get("setting"): item.get("value") for item in data_items(bodies[0])
            }
            for name in settings:
                live[f"{SETTINGS}.{name}"] = values.get(name)
        return live

    def _batch(self, page_id: str, urls: list[str]) -> list[dict[str, Any]]:
        """Each GET's body, in order; a refused item raises as a call would."""
        items = [{"method": "GET", "relative_url": url} for url in urls]
        call = GraphCall(
            "POST",
            "/",
            self._token_of(page_id),
            form={"batch": json.dumps(items, separators=(",", ":"))},
            page_id=page_id,
            note=f"batch read of page {page_id}'s details",
        )
        replies = self._send_once(call)
        if not isinstance(replies, list) or len(replies) != len(items):
            raise GraphError(
                "the batch reply does not hold one answer per request",
                target=call.target,
            )
        return [
            self._body(reply, url, page_id)
            for reply, url in zip(replies, urls, strict=True)
        ]

    def _body(self, reply: Any, url: str, page_id: str) -> dict[str, Any]:
        return batch_item_body(
            reply,
            f"GET /{url.split('?')[0]} (in a batch)",
            self._secrets,
            self._known_tasks(page_id),
        )

    def update(self, page_id: str, values: Mapping[str, object]) -> None:
        """Every detail in one ``POST /{page-id}``, then each setting in its own
        ``POST /{page-id}/settings``. Each write sets values, so it is idempotent
        and retried like a post update."""
        token = self._token_of(page_id)
        details = {
            BY_QUALIFIED[name].name: wire_value(value)
            for name, value in sorted(values.items())
            if name.startswith(DETAILS + ".")
        }
        if details:
            call = GraphCall(
                "POST", f"/{page_id}", token, form=details, page_id=page_id
            )
            expect_success(call, self._send(call, CallKind.UPDATE))
        for name, value in sorted(values.items()):
            if not name.startswith(SETTINGS + "."):
                continue
            option = json.dumps({BY_QUALIFIED[name].name: value})
            call = GraphCall(
                "POST",
                f"/{page_id}/settings",
                token,
                form={"option": option},
                page_id=page_id,
                note=BY_QUALIFIED[name].name,
            )
            expect_success(call, self._send(call, CallKind.UPDATE))
