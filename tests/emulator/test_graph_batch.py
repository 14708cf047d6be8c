"""Batch requests (PROTOCOL §5), multi-id reads (§6) and feed paging (§7)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.emulator.support import (
    ACME,
    ACME_TOKEN,
    USER_TOKEN,
    create_post,
    graph_error,
)


def batch(
    client: httpx.Client,
    items: list[dict[str, Any]],
    path: str = "/v26.0/",
    **form: str,
) -> httpx.Response:
    data = {"access_token": ACME_TOKEN, "batch": json.dumps(items), **form}
    return client.post(path, data=data)


@pytest.mark.parametrize("path", ["/", "/v26.0/", "/v26.0"])
def test_batch_answers_in_order(client: httpx.Client, path: str) -> None:
    post_id = create_post(client, message="in batch")
    response = batch(
        client,
        [
            {"method": "GET", "relative_url": f"{post_id}?fields=id,message"},
            {
                "method": "POST",
                "relative_url": f"{ACME}/feed",
                "body": "message=from+batch",
            },
            {"method": "GET", "relative_url": "/v26.0/123456789"},
        ],
        path,
    )
    assert response.status_code == 200
    first, second, third = response.json()
    assert first["code"] == 200
    assert json.loads(first["body"]) == {"id": post_id, "message": "in batch"}
    assert {"name": "facebook-api-version", "value": "v26.0"} in first["headers"]
    assert second["code"] == 200
    assert json.loads(second["body"])["id"].startswith(f"{ACME}_")
    assert third["code"] == 400
    assert json.loads(third["body"])["error"]["error_subcode"] == 33


def test_batch_include_headers_false(client: httpx.Client) -> None:
    response = batch(
        client, [{"method": "GET", "relative_url": "me"}], include_headers="false"
    )
    assert list(response.json()[0]) == ["code", "body"]


def test_batch_token_from_authorization_header(client: httpx.Client) -> None:
    response = client.post(
        "/v26.0/",
        data={"batch": json.dumps([{"method": "GET", "relative_url": "me"}])},
        headers={"Authorization": f"Bearer {USER_TOKEN}"},
    )
    assert json.loads(response.json()[0]["body"])["name"] == "Dana Example"


def test_batch_item_may_carry_its_own_token(client: httpx.Client) -> None:
    response = batch(
        client, [{"method": "GET", "relative_url": f"me?access_token={USER_TOKEN}"}]
    )
    assert json.loads(response.json()[0]["body"])["id"] == "900001"


def test_batch_without_token_is_104(client: httpx.Client) -> None:
    response = client.post("/v26.0/", data={"batch": "[]"})
    assert graph_error(response)["code"] == 104


def test_batch_of_51_is_refused(client: httpx.Client) -> None:
    items = [{"method": "GET", "relative_url": "me"}] * 51
    response = batch(client, items)
    assert response.status_code == 400
    error = graph_error(response)
    assert error["type"] == "GraphBatchException"
    assert (
        error["message"]
        == "Too many requests in batch message. Maximum batch size is 50"
    )
    assert batch(client, items[:50]).status_code == 200


def test_batch_not_json_is_100(client: httpx.Client) -> None:
    response = client.post(
        "/v26.0/", data={"access_token": ACME_TOKEN, "batch": "nope"}
    )
    assert graph_error(response)["code"] == 100


def test_batch_result_references(client: httpx.Client) -> None:
    response = batch(
        client,
        [
            {
                "method": "POST",
                "name": "create",
                "relative_url": f"{ACME}/feed",
                "body": "message=referenced",
            },
            {
                "method": "GET",
                "relative_url": "?ids={result=create:$.id}&fields=message",
            },
        ],
    )
    created, read = response.json()
    post_id = json.loads(created["body"])["id"]
    assert json.loads(read["body"]) == {
        post_id: {"message": "referenced", "id": post_id}
    }


def test_batch_omit_response_on_success(client: httpx.Client) -> None:
    response = batch(
        client,
        [{"method": "GET", "relative_url": "me", "omit_response_on_success": True}],
    )
    assert response.json() == [None]


def test_multi_id_read(client: httpx.Client) -> None:
    first = create_post(client, message="one")
    second = create_post(client, message="two")
    response = client.get(
        "/v26.0/",
        params={
            "access_token": ACME_TOKEN,
            "ids": f"{first},{second}",
            "fields": "message",
        },
    )
    assert response.json() == {
        first: {"message": "one", "id": first},
        second: {"message": "two", "id": second},
    }


def test_multi_id_read_one_bad_id_fails_the_call(client: httpx.Client) -> None:
    post_id = create_post(client, message="one")
    gone = create_post(client, message="gone")
    client.delete(f"/v26.0/{gone}", params={"access_token": ACME_TOKEN})
    response = client.get(
        "/v26.0/", params={"access_token": ACME_TOKEN, "ids": f"{post_id},{gone}"}
    )
    assert response.status_code == 400
    assert graph_error(response)["error_subcode"] == 33


def test_multi_id_read_legacy_field_is_12(client: httpx.Client) -> None:
    post_id = create_post(client, message="one")
    response = client.get(
        "/", params={"access_token": ACME_TOKEN, "ids": post_id, "fields": "id,link"}
    )
    assert graph_error(response)["code"] == 12


def test_multi_id_read_of_mixed_nodes(client: httpx.Client) -> None:
    response = client.get(
        "/v26.0/", params={"access_token": USER_TOKEN, "ids": f"{ACME},900001"}
    )
    assert response.json() == {
        ACME: {"id": ACME, "name": "Acme Coffee"},
        "900001": {"id": "900001", "name": "Dana Example"},
    }


def test_more_than_50_ids_is_100(client: httpx.Client) -> None:
    ids = ",".join(str(i) for i in range(54))
    response = client.get("/v26.0/", params={"access_token": ACME_TOKEN, "ids": ids})
    assert (
        graph_error(response)["message"]
        == "(#100) Too many IDs. Maximum: 50. Provided: 54."
    )


def test_feed_is_newest_first_and_pages_with_cursors(client: httpx.Client) -> None:
    created = [create_post(client, message=f"post {i}") for i in range(5)]
    params = {"access_token": ACME_TOKEN, "limit": "2", "summary": "true"}
    seen: list[str] = []
    url: str | None = f"/v26.0/{ACME}/feed"
    pages = 0
    while url:
        body = client.get(url, params=params if pages == 0 else None).json()
        seen += [post["id"] for post in body["data"]]
        assert set(body["paging"]["cursors"]) == {"before", "after"}
        url = body["paging"].get("next")
        pages += 1
    assert pages == 3
    assert seen[:5] == list(reversed(created))
    assert len(seen) == 6  # the seed's welcome post is the oldest
    back = client.get(
        f"/v26.0/{ACME}/feed",
        params={
            "access_token": ACME_TOKEN,
            "limit": "2",
            "before": body["paging"]["cursors"]["before"],
        },
    ).json()
    assert [post["id"] for post in back["data"]] == seen[2:4]


@pytest.mark.parametrize("edge", ["feed", "posts", "published_posts"])
def test_feed_edges_list_published_posts(client: httpx.Client, edge: str) -> None:
    post_id = create_post(client, message="x")
    body = client.get(
        f"/v26.0/{ACME}/{edge}",
        params={"access_token": ACME_TOKEN, "fields": "id,message"},
    ).json()
    assert body["data"][0] == {"id": post_id, "message": "x"}


def test_feed_limit_over_100_is_100(client: httpx.Client) -> None:
    response = client.get(
        f"/v26.0/{ACME}/feed", params={"access_token": ACME_TOKEN, "limit": "101"}
    )
    assert graph_error(response)["code"] == 100


def test_empty_listing_has_no_paging(client: httpx.Client) -> None:
    body = client.get(
        f"/v26.0/{ACME}/scheduled_posts", params={"access_token": ACME_TOKEN}
    ).json()
    assert body == {"data": []}


def test_an_unparsable_relative_url_is_refused_after_the_items_before_it(
    client: httpx.Client,
) -> None:
    """`//[x` (an unclosed IPv6 host) is a 400, not a crash; the write before it is
    done, as items run in order."""
    write = {"method": "POST", "relative_url": f"{ACME}/feed", "body": "message=first"}
    response = batch(client, [write, {"method": "GET", "relative_url": "//[x"}])
    assert response.status_code == 400
    assert graph_error(response)["code"] == 100
    feed = client.get(
        f"/v26.0/{ACME}/feed", params={"access_token": ACME_TOKEN, "fields": "message"}
    ).json()["data"]
    assert [post.get("message") for post in feed].count("first") == 1
