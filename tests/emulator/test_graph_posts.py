"""Graph posts: create, read (fields, attachments), update, delete, permissions."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from tests.emulator.support import (
    ACME,
    ACME_MEDIA,
    ACME_TOKEN,
    ANALYST_ACME_TOKEN,
    ANALYST_TOKEN,
    BETA,
    BETA_MEDIA,
    BETA_TOKEN,
    USER_TOKEN,
    create_post,
    graph_error,
)

READ_FIELDS = (
    "id,message,created_time,updated_time,permalink_url,is_published,is_hidden,"
    "scheduled_publish_time,full_picture,from,status_type,attachments"
)


def read(
    client: httpx.Client, post_id: str, fields: str | None = None
) -> httpx.Response:
    params = {"access_token": ACME_TOKEN}
    if fields is not None:
        params["fields"] = fields
    return client.get(f"/v26.0/{post_id}", params=params)


def test_create_answers_page_scoped_id(client: httpx.Client) -> None:
    post_id = create_post(client, message="Hello")
    page, digits = post_id.split("_")
    assert page == ACME
    assert digits.isdigit()
    assert len(digits) >= 15


def test_read_without_fields_is_id_message_created_time(client: httpx.Client) -> None:
    post_id = create_post(client, message="Hello")
    body = read(client, post_id).json()
    assert list(body) == ["id", "message", "created_time"]
    assert body["id"] == post_id
    assert body["message"] == "Hello"
    assert len(body["created_time"]) == len("2026-01-01T12:00:00+0000")
    assert body["created_time"].endswith("+0000")


def test_read_all_fields_of_a_text_post(client: httpx.Client) -> None:
    post_id = create_post(client, message="Hello")
    digits = post_id.split("_")[1]
    body = read(client, post_id, READ_FIELDS).json()
    assert body["permalink_url"] == f"https://www.facebook.com/{ACME}/posts/{digits}"
    assert body["from"] == {"name": "Acme Coffee", "id": ACME}
    assert body["is_published"] is True
    assert body["is_hidden"] is False
    assert body["status_type"] == "mobile_status_update"
    # Not set, so not returned (PROTOCOL §8: attachments absent when there are none).
    for absent in ("attachments", "scheduled_publish_time", "full_picture"):
        assert absent not in body


def test_trailing_newline_is_not_echoed(client: httpx.Client) -> None:
    post_id = create_post(client, message="Line one\n\nLine two  \n")
    assert read(client, post_id).json()["message"] == "Line one\n\nLine two"


def test_link_share_attachment(client: httpx.Client) -> None:
    link = "https://acme.example/spring?utm=1&x=2"
    post_id = create_post(client, message="Spring", link=link)
    body = read(client, post_id, "attachments,status_type").json()
    (item,) = body["attachments"]["data"]
    assert item["type"] == "share"
    assert item["media_type"] == "link"
    assert item["unshimmed_url"] == link
    assert item["url"].startswith(
        "https://l.facebook.com/l.php?u=https%3A%2F%2Facme.example%2Fspring%3Futm%3D1%26x%3D2"
    )
    assert item["target"]["url"] == item["url"]
    assert body["status_type"] == "shared_story"


def test_one_photo_attachment(client: httpx.Client) -> None:
    media = json.dumps([{"media_fbid": ACME_MEDIA[0]}])
    post_id = create_post(client, message="One", attached_media=media)
    body = read(client, post_id, "attachments,full_picture,status_type").json()
    (item,) = body["attachments"]["data"]
    assert item["media_type"] == "photo"
    assert item["target"]["id"] == ACME_MEDIA[0]
    assert "subattachments" not in item
    assert body["status_type"] == "added_photos"
    assert body["full_picture"].startswith("https://")


def test_album_keeps_attach_order(client: httpx.Client) -> None:
    order = [ACME_MEDIA[2], ACME_MEDIA[0], ACME_MEDIA[1]]
    # PHP-style indexed parameters, as some clients send them.
    data = {
        f"attached_media[{i}]": json.dumps({"media_fbid": m})
        for i, m in enumerate(order)
    }
    post_id = create_post(client, **data)
    body = read(client, post_id, "attachments{type,subattachments{target}}").json()
    (item,) = body["attachments"]["data"]
    assert item["type"] == "album"
    assert [sub["target"]["id"] for sub in item["subattachments"]["data"]] == order
    assert read(client, post_id, "message").json() == {"id": post_id}


def test_indexed_media_fbid_keys(client: httpx.Client) -> None:
    post_id = create_post(
        client,
        **{"attached_media[0][media_fbid]": ACME_MEDIA[0], "message": "keys"},
    )
    body = read(client, post_id, "attachments").json()
    assert body["attachments"]["data"][0]["target"]["id"] == ACME_MEDIA[0]


def test_attachments_edge(client: httpx.Client) -> None:
    post_id = create_post(client, link="https://acme.example/")
    response = client.get(
        f"/v26.0/{post_id}/attachments", params={"access_token": ACME_TOKEN}
    )
    assert response.json()["data"][0]["unshimmed_url"] == "https://acme.example/"


def test_unknown_media_is_100(client: httpx.Client) -> None:
    for media_id in ("999999", BETA_MEDIA):  # unknown, and another page's
        response = client.post(
            f"/v26.0/{ACME}/feed",
            data={
                "access_token": ACME_TOKEN,
                "attached_media": json.dumps([{"media_fbid": media_id}]),
            },
        )
        assert response.status_code == 400
        assert graph_error(response)["code"] == 100


@pytest.mark.parametrize(
    "field", ["link", "type", "name", "caption", "description", "object_id"]
)
def test_legacy_field_fails_whole_request_with_12(
    client: httpx.Client, field: str
) -> None:
    post_id = create_post(client, message="x")
    response = read(client, post_id, f"id,message,{field}")
    assert response.status_code == 400
    error = graph_error(response)
    assert error["code"] == 12
    assert "deprecate_post_aggregated_fields_for_attachement" in str(error["message"])
    feed = client.get(
        f"/v26.0/{ACME}/feed",
        params={"access_token": ACME_TOKEN, "fields": f"id,{field}"},
    )
    assert graph_error(feed)["code"] == 12


def test_unknown_field_is_100(client: httpx.Client) -> None:
    post_id = create_post(client, message="x")
    response = read(client, post_id, "id,bogus")
    assert graph_error(response)["message"] == (
        "(#100) Tried accessing nonexisting field (bogus) on node type (PagePost)"
    )


def test_missing_message_and_link_is_100(client: httpx.Client) -> None:
    response = client.post(f"/v26.0/{ACME}/feed", data={"access_token": ACME_TOKEN})
    assert graph_error(response)["code"] == 100


def test_link_and_media_together_is_100(client: httpx.Client) -> None:
    response = client.post(
        f"/v26.0/{ACME}/feed",
        data={
            "access_token": ACME_TOKEN,
            "link": "https://acme.example",
            "attached_media": json.dumps([{"media_fbid": ACME_MEDIA[0]}]),
        },
    )
    assert graph_error(response)["code"] == 100


def test_update_message_and_media_moves_updated_time(client: httpx.Client) -> None:
    media = json.dumps([{"media_fbid": ACME_MEDIA[0]}, {"media_fbid": ACME_MEDIA[1]}])
    post_id = create_post(client, message="before", attached_media=media)
    before = read(client, post_id, "updated_time").json()["updated_time"]
    time.sleep(1.05)  # times have one-second resolution
    response = client.post(
        f"/v26.0/{post_id}",
        data={
            "access_token": ACME_TOKEN,
            "message": "after",
            "attached_media": json.dumps([{"media_fbid": ACME_MEDIA[2]}]),
        },
    )
    assert response.json() == {"success": True}
    body = read(client, post_id, "message,updated_time,attachments").json()
    assert body["message"] == "after"
    assert body["updated_time"] > before
    assert body["attachments"]["data"][0]["target"]["id"] == ACME_MEDIA[2]


def test_update_with_empty_media_clears_attachments(client: httpx.Client) -> None:
    media = json.dumps([{"media_fbid": ACME_MEDIA[0]}])
    post_id = create_post(client, message="m", attached_media=media)
    client.post(
        f"/v26.0/{post_id}", data={"access_token": ACME_TOKEN, "attached_media": "[]"}
    )
    assert "attachments" not in read(client, post_id, "attachments").json()


def test_update_link_is_rejected_with_100(client: httpx.Client) -> None:
    post_id = create_post(client, message="m", link="https://acme.example/a")
    response = client.post(
        f"/v26.0/{post_id}",
        data={"access_token": ACME_TOKEN, "link": "https://acme.example/b"},
    )
    assert response.status_code == 400
    assert graph_error(response)["code"] == 100
    body = read(client, post_id, "attachments").json()
    assert body["attachments"]["data"][0]["unshimmed_url"] == "https://acme.example/a"


def test_update_unknown_parameter_is_100(client: httpx.Client) -> None:
    post_id = create_post(client, message="m")
    response = client.post(
        f"/v26.0/{post_id}", data={"access_token": ACME_TOKEN, "bogus": "1"}
    )
    assert graph_error(response)["code"] == 100


def test_hide_and_include_hidden(client: httpx.Client) -> None:
    post_id = create_post(client, message="hide me")
    client.post(
        f"/v26.0/{post_id}", data={"access_token": ACME_TOKEN, "is_hidden": "true"}
    )
    assert read(client, post_id, "is_hidden").json()["is_hidden"] is True
    feed = client.get(f"/v26.0/{ACME}/feed", params={"access_token": ACME_TOKEN}).json()
    assert post_id not in [p["id"] for p in feed["data"]]
    feed = client.get(
        f"/v26.0/{ACME}/feed",
        params={"access_token": ACME_TOKEN, "include_hidden": "true"},
    ).json()
    assert post_id in [p["id"] for p in feed["data"]]


def test_delete_then_read_and_delete_again_is_100_33(client: httpx.Client) -> None:
    post_id = create_post(client, message="bye")
    response = client.delete(f"/v26.0/{post_id}", params={"access_token": ACME_TOKEN})
    assert response.json() == {"success": True}
    for method in ("GET", "DELETE", "POST"):
        response = client.request(
            method, f"/v26.0/{post_id}", params={"access_token": ACME_TOKEN}
        )
        assert response.status_code == 400
        error = graph_error(response)
        assert error["code"] == 100
        assert error["error_subcode"] == 33
        assert error["type"] == "GraphMethodException"
        assert error["message"] == (
            f"Unsupported {method.lower()} request. Object with ID '{post_id}' does not"
            " exist, cannot be loaded due to missing permissions, or does not support this"
            " operation. Please read the Graph API documentation at"
            " https://developers.facebook.com/docs/graph-api"
        )


def test_method_override_parameter(client: httpx.Client) -> None:
    post_id = create_post(client, message="bye")
    response = client.post(
        f"/{post_id}", data={"access_token": ACME_TOKEN, "method": "delete"}
    )
    assert response.json() == {"success": True}


@pytest.mark.parametrize(
    "token", [ANALYST_ACME_TOKEN, ANALYST_TOKEN, USER_TOKEN, BETA_TOKEN]
)
def test_write_without_create_content_page_token_is_200(
    client: httpx.Client, token: str
) -> None:
    response = client.post(
        f"/v26.0/{ACME}/feed", data={"access_token": token, "message": "no"}
    )
    assert response.status_code == 403
    error = graph_error(response)
    assert error["code"] == 200
    assert str(error["message"]).startswith("(#200)")


def test_update_and_delete_need_create_content(client: httpx.Client) -> None:
    post_id = create_post(client, message="mine")
    update = client.post(
        f"/v26.0/{post_id}", data={"access_token": ANALYST_ACME_TOKEN, "message": "x"}
    )
    assert graph_error(update)["code"] == 200
    delete = client.delete(
        f"/v26.0/{post_id}", params={"access_token": ANALYST_ACME_TOKEN}
    )
    assert graph_error(delete)["code"] == 200
    assert read(client, post_id).json()["message"] == "mine"


def test_feed_read_without_a_content_task_is_10(client: httpx.Client) -> None:
    response = client.get(f"/v26.0/{ACME}/feed", params={"access_token": ANALYST_TOKEN})
    assert response.status_code == 403
    assert graph_error(response)["code"] == 10


def test_user_token_reads_posts_and_feeds(client: httpx.Client) -> None:
    post_id = create_post(client, message="readable")
    response = client.get(f"/v26.0/{post_id}", params={"access_token": USER_TOKEN})
    assert response.json()["message"] == "readable"


def test_scheduled_and_draft_posts(client: httpx.Client) -> None:
    when = int(time.time()) + 3600
    scheduled = create_post(
        client, message="later", published="false", scheduled_publish_time=str(when)
    )
    draft = create_post(client, message="draft", published="false")
    body = read(client, scheduled, "is_published,scheduled_publish_time").json()
    assert body == {
        "is_published": False,
        "scheduled_publish_time": when,
        "id": scheduled,
    }
    params = {"access_token": ACME_TOKEN}
    feed = client.get(f"/v26.0/{ACME}/feed", params=params).json()
    assert {scheduled, draft}.isdisjoint(p["id"] for p in feed["data"])
    queue = client.get(f"/v26.0/{ACME}/scheduled_posts", params=params).json()
    assert [p["id"] for p in queue["data"]] == [scheduled]
    published = client.post(f"/v26.0/{draft}", data={**params, "is_published": "true"})
    assert published.json() == {"success": True}
    assert read(client, draft, "is_published").json()["is_published"] is True
    again = client.post(f"/v26.0/{draft}", data={**params, "is_published": "true"})
    assert again.json() == {"success": True}  # PROTOCOL §10: idempotent


@pytest.mark.parametrize("offset", [60, 80 * 24 * 3600])
def test_schedule_outside_window_is_100(client: httpx.Client, offset: int) -> None:
    response = client.post(
        f"/v26.0/{ACME}/feed",
        data={
            "access_token": ACME_TOKEN,
            "message": "x",
            "published": "false",
            "scheduled_publish_time": str(int(time.time()) + offset),
        },
    )
    assert graph_error(response)["message"] == (
        "(#100) The specified scheduled publish time is invalid."
    )


def test_schedule_on_published_post_is_100(client: httpx.Client) -> None:
    response = client.post(
        f"/v26.0/{ACME}/feed",
        data={
            "access_token": ACME_TOKEN,
            "message": "x",
            "scheduled_publish_time": str(int(time.time()) + 3600),
        },
    )
    assert graph_error(response)["code"] == 100


def test_unpublished_photo_from_url_then_attach(client: httpx.Client) -> None:
    response = client.post(
        f"/v26.0/{ACME}/photos",
        data={
            "access_token": ACME_TOKEN,
            "url": "https://acme.example/a.jpg",
            "published": "false",
        },
    )
    photo_id = response.json()["id"]
    assert list(response.json()) == ["id"]
    post_id = create_post(
        client, message="photo", attached_media=json.dumps([{"media_fbid": photo_id}])
    )
    body = read(client, post_id, "attachments,full_picture").json()
    assert body["attachments"]["data"][0]["target"]["id"] == photo_id
    assert body["full_picture"] == "https://acme.example/a.jpg"


def test_photo_multipart_upload_and_published_photo(client: httpx.Client) -> None:
    response = client.post(
        f"/v26.0/{ACME}/photos",
        data={"access_token": ACME_TOKEN, "caption": "A photo"},
        files={"source": ("a.jpg", b"\xff\xd8\xff fake jpeg", "image/jpeg")},
    )
    body = response.json()
    assert set(body) == {"id", "post_id"}
    assert read(client, body["post_id"]).json()["message"] == "A photo"
    missing = client.post(f"/v26.0/{ACME}/photos", data={"access_token": ACME_TOKEN})
    assert graph_error(missing)["code"] == 324


def test_photo_node_read_and_delete(client: httpx.Client) -> None:
    params = {"access_token": ACME_TOKEN}
    photo = client.post(
        f"/v26.0/{ACME}/photos",
        data={**params, "url": "https://a.example/p.png", "published": "false"},
    ).json()["id"]
    assert client.get(f"/v26.0/{photo}", params=params).json()["id"] == photo
    used = create_post(
        client, attached_media=json.dumps([{"media_fbid": ACME_MEDIA[0]}])
    )
    assert used
    in_use = client.delete(f"/v26.0/{ACME_MEDIA[0]}", params=params)
    assert graph_error(in_use)["code"] == 100
    assert client.delete(f"/v26.0/{photo}", params=params).json() == {"success": True}
    assert (
        graph_error(client.get(f"/v26.0/{photo}", params=params))["error_subcode"] == 33
    )


def test_write_with_fields_reads_back(client: httpx.Client) -> None:
    response = client.post(
        f"/v26.0/{ACME}/feed",
        data={"access_token": ACME_TOKEN, "message": "rw", "fields": "id,message"},
    )
    body = response.json()
    assert body["message"] == "rw"
    assert body["id"].startswith(ACME)


def test_page_details_read_and_update(client: httpx.Client) -> None:
    params = {"access_token": ACME_TOKEN}
    page = client.get(f"/v26.0/{ACME}", params=params).json()
    assert page == {"id": ACME, "name": "Acme Coffee"}
    details = client.get(
        f"/v26.0/{ACME}",
        params={**params, "fields": "about,website,phone,emails,category"},
    ).json()
    # seed 004: a field that is not set is not returned; a website without a path
    # reads back with "/" (test_page_details.py).
    assert details == {
        "about": "Small-batch coffee.",
        "website": "https://acme.example/",
        "category": "Coffee Shop",
        "id": ACME,
    }
    update = client.post(
        f"/v26.0/{ACME}",
        data={
            **params,
            "about": "Now roasting",
            "emails": json.dumps(["hi@acme.example"]),
        },
    )
    assert update.json() == {"success": True}
    after = client.get(
        f"/v26.0/{ACME}", params={**params, "fields": "about,emails"}
    ).json()
    assert after == {"about": "Now roasting", "emails": ["hi@acme.example"], "id": ACME}
    bad = client.post(f"/v26.0/{ACME}", data={**params, "name": "Renamed"})
    assert graph_error(bad)["code"] == 100
    denied = client.post(
        f"/v26.0/{ACME}", data={"access_token": ANALYST_ACME_TOKEN, "about": "x"}
    )
    assert graph_error(denied)["code"] == 200
    unknown = client.get(f"/v26.0/{ACME}", params={**params, "fields": "bogus"})
    assert graph_error(unknown)["message"] == (
        "(#100) Tried accessing nonexisting field (bogus) on node type (Page)"
    )


def test_page_roles_and_access_token_fields(client: httpx.Client) -> None:
    body = client.get(
        f"/v26.0/{ACME}",
        params={"access_token": USER_TOKEN, "fields": "access_token,roles{tasks}"},
    ).json()
    assert body["access_token"] == ACME_TOKEN
    assert [role["id"] for role in body["roles"]["data"]] == [
        "900001",
        "900002",
        "900003",
    ]


def test_unknown_object_and_edge(client: httpx.Client) -> None:
    params = {"access_token": ACME_TOKEN}
    assert (
        graph_error(client.get("/v26.0/123456789", params=params))["error_subcode"]
        == 33
    )
    edge = client.get(f"/v26.0/{ACME}/bogus", params=params)
    assert graph_error(edge)["message"] == (
        "(#100) Tried accessing nonexisting field (bogus) on node type (Page)"
    )
    alias = client.get("/v26.0/acmecoffee", params=params)
    assert graph_error(alias)["code"] == 803


def test_beta_page_is_separate(client: httpx.Client) -> None:
    post_id = create_post(client, page=BETA, token=BETA_TOKEN, message="Books")
    assert post_id.startswith(f"{BETA}_")
    feed = client.get(
        f"/v26.0/{BETA}/posts", params={"access_token": BETA_TOKEN}
    ).json()
    assert [p["id"] for p in feed["data"]] == [post_id]
