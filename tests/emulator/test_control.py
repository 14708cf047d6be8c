"""Test control under /_emulator/: faults, latency, rate limits, stats, reset."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from statesync.emulator.server import RunningEmulator
from tests.emulator.support import (
    ACME,
    ACME_TOKEN,
    IDENTITY,
    ONEALL_AUTH,
    USER_TOKEN,
    create_post,
    graph_error,
)


def control(client: httpx.Client, route: str, body: Any) -> httpx.Response:
    return client.post(f"/_emulator/{route}", json=body)


def faults(client: httpx.Client, *rules: dict[str, Any]) -> None:
    response = control(client, "faults", {"rules": list(rules)})
    assert response.status_code == 200, response.text


def feed_ids(client: httpx.Client) -> list[str]:
    body = client.get(f"/v26.0/{ACME}/feed", params={"access_token": ACME_TOKEN}).json()
    return [post["id"] for post in body["data"]]


def post_message(client: httpx.Client, message: str) -> httpx.Response:
    return client.post(
        f"/v26.0/{ACME}/feed", data={"access_token": ACME_TOKEN, "message": message}
    )


def test_error_fault_answers_transient_error_and_writes_nothing(
    client: httpx.Client,
) -> None:
    before = feed_ids(client)
    faults(client, {"method": "POST", "path": r"^/\d+/feed$", "action": "error"})
    response = post_message(client, "faulted")
    assert response.status_code == 500
    error = graph_error(response)
    assert error["code"] == 2
    assert error["is_transient"] is True
    assert feed_ids(client) == before
    assert post_message(client, "second try").status_code == 200  # times defaults to 1


def test_error_fault_with_status_and_code(client: httpx.Client) -> None:
    faults(client, {"path": "/feed", "action": "error", "status": 400, "code": 368})
    response = post_message(client, "x")
    assert response.status_code == 400
    assert graph_error(response)["code"] == 368


def test_drop_fault_closes_without_response_and_writes_nothing(
    client: httpx.Client,
) -> None:
    before = feed_ids(client)
    faults(client, {"method": "POST", "path": "/feed", "action": "drop"})
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        post_message(client, "dropped")
    assert feed_ids(client) == before


def test_commit_then_error_writes(client: httpx.Client) -> None:
    before = feed_ids(client)
    faults(client, {"method": "POST", "path": "/feed", "action": "commit_then_error"})
    response = post_message(client, "written anyway")
    assert response.status_code == 500
    assert len(feed_ids(client)) == len(before) + 1


def test_commit_then_drop_writes(client: httpx.Client) -> None:
    before = feed_ids(client)
    faults(client, {"method": "POST", "path": "/feed", "action": "commit_then_drop"})
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        post_message(client, "written, then dropped")
    after = feed_ids(client)
    assert len(after) == len(before) + 1


def test_skip_and_times(client: httpx.Client) -> None:
    faults(
        client,
        {"method": "GET", "path": "^/me$", "action": "error", "skip": 1, "times": 2},
    )
    codes = [
        client.get("/v26.0/me", params={"access_token": USER_TOKEN}).status_code
        for _ in range(4)
    ]
    assert codes == [200, 500, 500, 200]


def test_fault_path_ignores_version_prefix(client: httpx.Client) -> None:
    faults(client, {"path": "^/me$", "action": "error", "times": None})
    assert (
        client.get("/v26.0/me", params={"access_token": USER_TOKEN}).status_code == 500
    )
    assert client.get("/me", params={"access_token": USER_TOKEN}).status_code == 500
    faults(client)  # {"rules": []} clears
    assert client.get("/me", params={"access_token": USER_TOKEN}).status_code == 200


def test_fault_hits_one_batch_item(client: httpx.Client) -> None:
    faults(client, {"method": "POST", "path": "/feed", "action": "error", "skip": 1})
    items = [
        {"method": "POST", "relative_url": f"{ACME}/feed", "body": f"message=item+{i}"}
        for i in range(3)
    ]
    response = client.post(
        "/v26.0/", data={"access_token": ACME_TOKEN, "batch": json.dumps(items)}
    )
    assert [item["code"] for item in response.json()] == [200, 500, 200]
    assert json.loads(response.json()[1]["body"])["error"]["code"] == 2


def test_drop_fault_on_batch_item_drops_the_batch(client: httpx.Client) -> None:
    faults(client, {"method": "POST", "path": "/feed", "action": "commit_then_drop"})
    items = [
        {"method": "POST", "relative_url": f"{ACME}/feed", "body": "message=dropped"}
    ]
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        client.post(
            "/v26.0/", data={"access_token": ACME_TOKEN, "batch": json.dumps(items)}
        )
    assert len(feed_ids(client)) == 2  # the seed post and the committed item


def test_oneall_fault_uses_oneall_envelope(client: httpx.Client) -> None:
    faults(client, {"path": "^/push/", "action": "error", "status": 503})
    response = client.post(
        f"/push/identities/{IDENTITY}/facebook/page/post.json",
        auth=ONEALL_AUTH,
        json={"request": {"push": {"page": {"id": ACME, "message": "x"}}}},
    )
    assert response.status_code == 503
    assert response.json()["response"]["request"]["status"]["flag"] == "error"


@pytest.mark.parametrize(
    "body",
    [
        {"rules": [{"path": "x", "action": "explode"}]},
        {"rules": [{"path": "(", "action": "error"}]},
        {"rules": [{"path": "x", "action": "error", "typo": 1}]},
        {"nope": []},
    ],
)
def test_bad_fault_rules_are_400(client: httpx.Client, body: dict[str, Any]) -> None:
    assert control(client, "faults", body).status_code == 400


def test_latency_is_applied_concurrently(
    client: httpx.Client, emulator: RunningEmulator
) -> None:
    assert control(client, "latency", {"ms": 300}).status_code == 200

    def call(_: int) -> int:
        with httpx.Client(base_url=emulator.url, trust_env=False) as http:
            return http.get("/me", params={"access_token": USER_TOKEN}).status_code

    started = time.monotonic()
    with ThreadPoolExecutor(10) as pool:
        codes = list(pool.map(call, range(10)))
    elapsed = time.monotonic() - started
    assert codes == [200] * 10
    assert 0.3 <= elapsed < 1.5  # ten requests in flight take about one delay, not ten
    assert control(client, "latency", {"ms": -1}).status_code == 400


def test_rate_limit_80001_and_usage_headers(client: httpx.Client) -> None:
    assert (
        control(
            client, "rate-limit", {"page_calls_per_window": 3, "window_s": 120}
        ).status_code
        == 200
    )
    params = {"access_token": ACME_TOKEN}
    responses = [client.get(f"/v26.0/{ACME}", params=params) for _ in range(4)]
    assert [r.status_code for r in responses] == [200, 200, 200, 400]
    usage = json.loads(responses[1].headers["x-business-use-case-usage"])
    assert usage[ACME][0]["type"] == "pages"
    assert usage[ACME][0]["call_count"] == 67
    assert usage[ACME][0]["estimated_time_to_regain_access"] == 0
    error = graph_error(responses[3])
    assert error["code"] == 80001
    throttled = json.loads(responses[3].headers["x-business-use-case-usage"])[ACME][0]
    assert throttled["call_count"] >= 100
    assert throttled["estimated_time_to_regain_access"] == 2  # minutes
    app_usage = json.loads(responses[3].headers["x-app-usage"])
    assert set(app_usage) == {"call_count", "total_time", "total_cputime"}
    # Other pages have their own budget; lifting the limit restores access.
    assert client.get("/v26.0/104510075305678", params=params).status_code == 200
    control(client, "rate-limit", {"page_calls_per_window": None})
    assert client.get(f"/v26.0/{ACME}", params=params).status_code == 200


def test_rate_limit_counts_batch_items_and_ids(client: httpx.Client) -> None:
    post_id = create_post(client, message="x")
    control(client, "rate-limit", {"page_calls_per_window": 2, "window_s": 60})
    response = client.get(
        "/v26.0/",
        params={"access_token": ACME_TOKEN, "ids": f"{post_id},{post_id},{ACME}"},
    )
    assert graph_error(response)["code"] == 80001


def test_every_graph_response_has_usage_headers(client: httpx.Client) -> None:
    for response in (
        client.get("/v26.0/me", params={"access_token": USER_TOKEN}),
        client.get("/v26.0/me"),
        client.get(f"/v26.0/{ACME}", params={"access_token": ACME_TOKEN}),
    ):
        assert "x-app-usage" in response.headers
        assert "x-business-use-case-usage" in response.headers
        assert "x-fb-trace-id" in response.headers


def test_stats_count_routes_batches_and_reset(
    client: httpx.Client, emulator: RunningEmulator
) -> None:
    create_post(client, message="one")
    client.get(f"/v26.0/{ACME}/feed", params={"access_token": ACME_TOKEN})
    client.post(
        "/v26.0/",
        data={
            "access_token": ACME_TOKEN,
            "batch": json.dumps(
                [
                    {
                        "method": "POST",
                        "relative_url": f"{ACME}/feed",
                        "body": "message=b",
                    },
                    {"method": "GET", "relative_url": "me"},
                ]
            ),
        },
    )
    stats = emulator.stats()
    assert stats == {
        "total": 3,
        "routes": [
            {"method": "GET", "route": "/me", "count": 1, "in_batch": True},
            {"method": "GET", "route": "/{page-id}/feed", "count": 1},
            {"method": "POST", "route": "/", "count": 1},
            {"method": "POST", "route": "/{page-id}/feed", "count": 1},
            {
                "method": "POST",
                "route": "/{page-id}/feed",
                "count": 1,
                "in_batch": True,
            },
        ],
    }
    emulator.reset()
    assert emulator.stats() == {"total": 0, "routes": []}
    assert len(feed_ids(client)) == 1  # back to the seed's one post


def test_reset_clears_faults_latency_and_limits(
    client: httpx.Client, emulator: RunningEmulator
) -> None:
    faults(client, {"path": ".", "action": "error", "times": None})
    control(client, "latency", {"ms": 5000})
    control(client, "rate-limit", {"page_calls_per_window": 0, "window_s": 60})
    emulator.reset()
    assert (
        client.get(f"/v26.0/{ACME}", params={"access_token": ACME_TOKEN}).status_code
        == 200
    )


def test_unknown_control_route_is_404(client: httpx.Client) -> None:
    assert client.post("/_emulator/nope", json={}).status_code == 404
    assert client.get("/_emulator/health").json() == {"ok": True}
    assert control(client, "rate-limit", {"window_s": 1}).status_code == 400
