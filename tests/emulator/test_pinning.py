"""`is_pinned` (seed 003's update parameters) and `is_hidden` on Graph posts."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.emulator.support import (
    ACME,
    ACME_TOKEN,
    ANALYST_ACME_TOKEN,
    BETA,
    BETA_TOKEN,
    create_post,
    graph_error,
)

PARAMS = {"access_token": ACME_TOKEN}


def read(client: httpx.Client, post_id: str, fields: str) -> dict[str, Any]:
    response = client.get(f"/v26.0/{post_id}", params={**PARAMS, "fields": fields})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def update(client: httpx.Client, post_id: str, **data: str) -> httpx.Response:
    return client.post(f"/v26.0/{post_id}", data={**PARAMS, **data})


def pinned(client: httpx.Client, *post_ids: str) -> list[bool]:
    return [read(client, p, "is_pinned")["is_pinned"] for p in post_ids]


def test_posts_are_not_pinned_by_default(client: httpx.Client) -> None:
    post_id = create_post(client, message="plain")
    assert read(client, post_id, "id,is_pinned") == {"id": post_id, "is_pinned": False}


def test_pin_and_unpin_round_trip(client: httpx.Client) -> None:
    post_id = create_post(client, message="pin me")
    before = read(client, post_id, "updated_time")["updated_time"]
    assert update(client, post_id, is_pinned="true").json() == {"success": True}
    assert pinned(client, post_id) == [True]
    # unconfirmed in the emulator: pinning alone is not an edit.
    assert read(client, post_id, "updated_time")["updated_time"] == before
    assert update(client, post_id, is_pinned="false").json() == {"success": True}
    assert pinned(client, post_id) == [False]


def test_pinning_another_post_unpins_the_first(client: httpx.Client) -> None:
    first = create_post(client, message="first")
    second = create_post(client, message="second")
    other_page = create_post(client, page=BETA, token=BETA_TOKEN, message="beta")
    update(client, first, is_pinned="true")
    client.post(
        f"/v26.0/{other_page}", data={"access_token": BETA_TOKEN, "is_pinned": "1"}
    )
    assert update(client, second, is_pinned="true").json() == {"success": True}
    assert pinned(client, first, second) == [False, True]
    feed = client.get(
        f"/v26.0/{ACME}/feed", params={**PARAMS, "fields": "id,is_pinned"}
    ).json()["data"]
    assert [post["id"] for post in feed if post["is_pinned"]] == [second]
    beta = client.get(
        f"/v26.0/{other_page}",
        params={"access_token": BETA_TOKEN, "fields": "is_pinned"},
    ).json()
    assert beta["is_pinned"] is True  # one pinned post per page
    update(client, first, is_pinned="false")  # unpinning a post that is not pinned
    assert pinned(client, first, second) == [False, True]


def test_pin_with_other_changes_and_write_reply(client: httpx.Client) -> None:
    post_id = create_post(client, message="old")
    response = update(
        client, post_id, message="new", is_pinned="true", fields="message,is_pinned"
    )
    assert response.json() == {
        "message": "new",
        "is_pinned": True,
        "id": post_id,
        "success": True,
    }


def test_create_pinned(client: httpx.Client) -> None:
    earlier = create_post(client, message="earlier", is_pinned="true")
    post_id = create_post(client, message="pinned at birth", is_pinned="true")
    assert pinned(client, earlier, post_id) == [False, True]


def test_bad_or_forbidden_pinning_changes_nothing(client: httpx.Client) -> None:
    post_id = create_post(client, message="x")
    bad = update(client, post_id, is_pinned="maybe")
    assert graph_error(bad)["code"] == 100
    denied = client.post(
        f"/v26.0/{post_id}",
        data={"access_token": ANALYST_ACME_TOKEN, "is_pinned": "true"},
    )
    assert graph_error(denied)["code"] == 200
    also_bad = update(client, post_id, is_pinned="true", message="y" * 63207)
    assert graph_error(also_bad)["code"] == 100
    assert pinned(client, post_id) == [False]


def test_deleting_the_pinned_post_leaves_none_pinned(client: httpx.Client) -> None:
    gone = create_post(client, message="gone")
    kept = create_post(client, message="kept")
    update(client, gone, is_pinned="true")
    assert client.delete(f"/v26.0/{gone}", params=PARAMS).json() == {"success": True}
    assert pinned(client, kept) == [False]


def test_reset_unpins(client: httpx.Client) -> None:
    seeded = client.get(f"/v26.0/{ACME}/feed", params=PARAMS).json()["data"][0]["id"]
    update(client, seeded, is_pinned="true")
    assert client.post("/_emulator/reset").status_code == 200
    assert pinned(client, seeded) == [False]


@pytest.mark.parametrize("flag", ["true", "1"])
def test_is_hidden_round_trips_and_a_hidden_post_still_reads_by_id(
    client: httpx.Client, flag: str
) -> None:
    post_id = create_post(client, message="hide me")
    assert read(client, post_id, "is_hidden")["is_hidden"] is False
    assert update(client, post_id, is_hidden=flag).json() == {"success": True}
    assert read(client, post_id, "message,is_hidden,timeline_visibility") == {
        "message": "hide me",
        "is_hidden": True,
        "timeline_visibility": "hidden",
        "id": post_id,
    }
    feed = client.get(f"/v26.0/{ACME}/feed", params=PARAMS).json()["data"]
    assert post_id not in [post["id"] for post in feed]
    assert update(client, post_id, is_hidden="false").json() == {"success": True}
    assert read(client, post_id, "is_hidden")["is_hidden"] is False
