"""A page's own details and settings through the Graph API (seed 004): read the
managed fields, write the changed ones. OneAll has no page-details API, so a OneAll
project with a Graph token uses this too.

Wire (seed 004; docs/page-details.md says what is unconfirmed):
- details: ``GET /{page-id}?fields=about,emails`` returns the fields that are set
  (a field not returned is not set); ``POST /{page-id}`` with the fields to change,
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
from statesync.providers.graph_errors import GraphError
from statesync.providers.graph_wire import GraphCall, data_items, expect_success
from statesync.providers.retry import CallKind
from statesync.secret import Secret

Send = Callable[[GraphCall, CallKind], Any]


class PageDetails:
    """Reads and writes one page's details and settings through ``send`` (the
    provider's retried, paced call) with the page's token from ``token_of``."""

    def __init__(self, send: Send, token_of: Callable[[str], Secret]) -> None:
        self._send = send
        self._token_of = token_of

    def read(self, page_id: str, names: Sequence[str]) -> dict[str, object]:
        """The live values of ``names`` (qualified): one request per section."""
        live: dict[str, object] = {}
        details = [BY_QUALIFIED[n].name for n in names if n.startswith(DETAILS + ".")]
        settings = [BY_QUALIFIED[n].name for n in names if n.startswith(SETTINGS + ".")]
        token = self._token_of(page_id)
        if details:
            call = GraphCall(
                "GET",
                f"/{page_id}",
                token,
                params={"fields": ",".join(sorted(details))},
                page_id=page_id,
            )
            body = self._send(call, CallKind.READ)
            if not isinstance(body, dict):
                raise GraphError(
                    "the page's details are not an object", target=call.target
                )
            for name in details:
                live[f"{DETAILS}.{name}"] = body.get(name)  # seed 004: unset: absent
        if settings:
            call = GraphCall("GET", f"/{page_id}/settings", token, page_id=page_id)
            values = {
                item.get("setting"): item.get("value")
                for item in data_items(self._send(call, CallKind.READ))
            }
            for name in settings:
                live[f"{SETTINGS}.{name}"] = values.get(name)
        return live

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
