"""Issue 20: pacing decisions are made once per batch, not once per item.

The batch reader is driven through its seam (``send``: one Graph request), so no
HTTP is involved; the usage headers' decoder is counted."""

from __future__ import annotations

import json

import pytest

from statesync.providers import graph_read
from statesync.providers.graph_read import BatchReads
from statesync.providers.graph_wire import GraphCall
from statesync.providers.pacing import Pacer
from statesync.providers.retry import RetryPolicy
from statesync.secret import Secret

PAGE = "104510075301234"


def item(n: int, call_count: int) -> dict[str, object]:
    """One batch item's answer, with usage headers as the API sends them."""
    usage = json.dumps({"call_count": call_count, "total_time": 1, "total_cputime": 1})
    return {
        "code": 200,
        "headers": [
            {"name": "X-App-Usage", "value": usage},
            {"name": "Content-Type", "value": "application/json"},
        ],
        "body": json.dumps({"id": f"{PAGE}_{n}", "message": f"Post {n}."}),
    }


def test_a_50_item_batch_decodes_usage_once_and_paces_on_the_latest(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sent: list[GraphCall] = []

    def send(call: GraphCall) -> list[dict[str, object]]:
        sent.append(call)
        return [item(n, call_count=n) for n in range(50)]  # usage rises item by item

    decoded: list[object] = []
    real = graph_read.usage_from_headers

    def counting(headers):  # type: ignore[no-untyped-def]
        decoded.append(headers)
        return real(headers)

    monkeypatch.setattr(graph_read, "usage_from_headers", counting)
    pacer = Pacer(sleep=lambda seconds: None)
    reads = BatchReads(
        send=send,
        retry=RetryPolicy(sleep=lambda seconds: None),
        pacer=pacer,
        secrets=list,
        known_tasks=lambda page_id: None,
    )

    live = reads.read_chunk(
        PAGE, Secret("page-token"), [f"{PAGE}_{n}" for n in range(50)]
    )

    assert len(sent) == 1
    assert len(live) == 50
    assert len(decoded) == 1  # one decision for the batch, not 50
    assert pacer.usage(PAGE) == 49.0  # the last item's: the batch's latest usage


def test_a_batch_without_usage_headers_changes_nothing() -> None:
    replies = [
        {"code": 200, "body": json.dumps({"id": f"{PAGE}_{n}"})} for n in range(3)
    ]
    pacer = Pacer(sleep=lambda seconds: None)
    reads = BatchReads(
        send=lambda call: replies,
        retry=RetryPolicy(sleep=lambda seconds: None),
        pacer=pacer,
        secrets=list,
        known_tasks=lambda page_id: None,
    )
    reads.read_chunk(PAGE, Secret("page-token"), [f"{PAGE}_{n}" for n in range(3)])
    assert pacer.usage(PAGE) is None
