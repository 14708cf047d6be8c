"""Reading posts the Graph way: up to 50 ids in one batch request (PROTOCOL §5), each
item answered with its own status, body and usage headers; a batch is retried for the
items still unread, never for those already read."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from statesync.model import PostFields
from statesync.providers.graph_errors import (
    GraphError,
    error_from_envelope,
    error_not_json,
    failure_of,
)
from statesync.providers.graph_wire import (
    READ_FIELDS,
    GraphCall,
    batch_of_reads,
    item_headers,
    parse_post,
)
from statesync.providers.pacing import Pacer, usage_from_headers
from statesync.providers.retry import CallKind, RetryPolicy
from statesync.secret import Secret


class BatchReads:
    """The batch reads of one provider, through its seam (``send``: one request, no
    retry), its retry policy and its pacer."""

    def __init__(
        self,
        *,
        send: Callable[[GraphCall], Any],
        retry: RetryPolicy,
        pacer: Pacer,
        secrets: Callable[[], list[Secret]],
        known_tasks: Callable[[str | None], frozenset[str] | None],
    ) -> None:
        self._send = send
        self._retry = retry
        self._pacer = pacer
        self._secrets = secrets
        self._known_tasks = known_tasks

    def read_chunk(
        self, page_id: str, token: Secret, post_ids: Sequence[str]
    ) -> dict[str, PostFields | None]:
        """One batch of reads; retried for the posts still unread, never for those
        already read: items unfinished at the batch timeout (``null``, PROTOCOL §5)
        and items that failed transiently."""
        live: dict[str, PostFields | None] = {}
        pending = list(post_ids)

        def attempt() -> None:
            nonlocal pending
            replies = self._batch(page_id, token, pending)
            self._observe_batch(page_id, replies)
            unfinished: list[str] = []
            failed: GraphError | None = None
            for post_id, reply in zip(pending, replies, strict=True):
                if reply is None:  # PROTOCOL §5: unfinished at the batch timeout
                    unfinished.append(post_id)
                    continue
                try:
                    live[post_id] = self._read_reply(page_id, post_id, reply)
                except GraphError as exc:
                    if not failure_of(exc).is_transient:
                        raise
                    unfinished.append(post_id)
                    failed = failed or exc
            pending = unfinished
            if failed is not None:
                raise failed
            if pending:
                raise GraphError(
                    f"the batch request timed out for {len(pending)} of "
                    f"{len(post_ids)} posts",
                    target=f"POST / (batch read on page {page_id})",
                    is_transient=True,
                    remedy="a temporary slowness on Facebook's side: retry later",
                )

        self._retry.call(
            attempt,
            kind=CallKind.READ,
            classify=failure_of,
            target=f"POST / (batch of {len(post_ids)} reads on page {page_id})",
        )
        return live

    def _batch(self, page_id: str, token: Secret, post_ids: Sequence[str]) -> list[Any]:
        """One batch request (no retry of its own: ``_read_chunk`` retries)."""
        call = GraphCall(
            "POST",
            "/",
            token,
            form={
                "batch": batch_of_reads(post_ids, f"fields={READ_FIELDS}"),
                # Each item's usage headers: a batch item spends the page's budget
                # like a call of its own (PROTOCOL §4), and an item refused for
                # rate limiting says there when access returns.
                "include_headers": "true",
            },
            page_id=page_id,
            note=f"batch of {len(post_ids)} reads on page {page_id}",
        )
        replies = self._send(call)
        if not isinstance(replies, list) or len(replies) != len(post_ids):
            raise GraphError(
                "the batch reply does not hold one answer per request",
                target=call.target,
            )
        return replies

    def _observe_batch(self, page_id: str, replies: Sequence[Any]) -> None:
        """Pacing is decided once per batch: items are answered in order, so the last
        one that carries usage headers holds the batch's latest usage (decoding every
        item's headers cost 0.3 s of CPU on a 10,000-post plan, for the same answer)."""
        for reply in reversed(replies):
            usage = usage_from_headers(item_headers(reply)) if reply else None
            if usage is not None:
                self._pacer.record(usage, page_id)
                return

    def _read_reply(self, page_id: str, post_id: str, reply: Any) -> PostFields | None:
        try:
            body = batch_item_body(
                reply,
                f"GET /{post_id} (in a batch)",
                self._secrets,
                self._known_tasks(page_id),
            )
        except GraphError as error:
            if error.is_gone:
                return None
            raise
        return parse_post(body)


def batch_item_body(
    reply: Any,
    target: str,
    secrets: Callable[[], list[Secret]],
    tasks: frozenset[str] | None,
) -> dict[str, Any]:
    """One batch item's JSON body (PROTOCOL §5: ``{"code", "headers", "body"}``),
    or the ``GraphError`` it carries, worded as a call's would be; an item left
    unanswered at the batch timeout (``null``) is a transient error.

    ``secrets`` is asked only for an error's message: listing every page token for
    each of a plan's 10,000 items cost more than decoding them."""
    if reply is None:
        raise GraphError(
            "the batch request timed out before this item",
            target=target,
            is_transient=True,
        )
    status = reply.get("code") if isinstance(reply, dict) else None
    raw = reply.get("body") if isinstance(reply, dict) else None
    try:
        body = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        raise error_not_json(target, status or 0) from None
    if status == 200 and isinstance(body, dict) and "error" not in body:
        return body
    raise error_from_envelope(
        target,
        status if isinstance(status, int) else None,
        body,
        item_headers(reply),
        secrets(),
        known_tasks=tasks,
    )
