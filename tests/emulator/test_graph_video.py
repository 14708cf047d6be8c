"""A Graph video post from an unpublished upload (docs/media.md §3.1): `POST
/{video-id}` publishes and describes it, `GET /{video-id}` reads `post_id` once its
processing is over, and the post reads, edits and deletes like a post, over HTTP."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.emulator.support import (
    ACME,
    ACME_TOKEN,
    ANALYST_ACME_TOKEN,
    BETA_TOKEN,
    USER_TOKEN,
    graph_error,
)

MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 200
TOKEN = {"access_token": ACME_TOKEN}
VIDEO_FIELDS = "published,post_id,status,description"


def upload(client: httpx.Client, **fields: str) -> str:
    response = client.post(
        f"/v26.0/{ACME}/videos",
        data={**TOKEN, **fields},
        files={"source": ("clip.mp4", MP4, "video/mp4")},
    )
    assert response.status_code == 200, response.text
    body: dict[str, str] = response.json()
    assert list(body) == ["id"]
    return body["id"]


def update(client: httpx.Client, video_id: str, **data: str) -> httpx.Response:
    return client.post(f"/v26.0/{video_id}", data={**TOKEN, **data})


def publish(client: httpx.Client, video_id: str, **data: str) -> None:
    response = update(client, video_id, published="true", **data)
    assert response.status_code == 200, response.text
    assert response.json() == {"success": True}


def no_delay(client: httpx.Client) -> None:
    response = client.post("/_emulator/video", json={"post_delay_s": 0})
    assert response.json() == {"ok": True, "post_delay_s": 0.0}


def video(client: httpx.Client, video_id: str) -> dict[str, Any]:
    response = client.get(
        f"/v26.0/{video_id}", params={**TOKEN, "fields": VIDEO_FIELDS}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def feed(client: httpx.Client, edge: str = "published_posts") -> list[dict[str, Any]]:
    fields = "id,message,created_time,attachments"
    response = client.get(f"/v26.0/{ACME}/{edge}", params={**TOKEN, "fields": fields})
    assert response.status_code == 200, response.text
    data: list[dict[str, Any]] = response.json()["data"]
    return data


def posts_of(
    client: httpx.Client, video_id: str, edge: str = "published_posts"
) -> list[dict[str, Any]]:
    return [
        post
        for post in feed(client, edge)
        if any(
            item.get("target", {}).get("id") == video_id
            for item in post.get("attachments", {}).get("data", [])
        )
    ]


def read_post(client: httpx.Client, post_id: str) -> dict[str, Any]:
    response = client.get(
        f"/v26.0/{post_id}", params={**TOKEN, "fields": "id,message,attachments"}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_unpublished_upload_has_no_post_and_reads_ready(client: httpx.Client) -> None:
    video_id = upload(client, published="false", description="Later")
    assert posts_of(client, video_id) == []
    assert video(client, video_id) == {
        "published": False,
        "status": {"video_status": "ready"},
        "description": "Later",
        "id": video_id,
    }
    listed = client.get(
        f"/v26.0/{ACME}/videos", params={**TOKEN, "fields": "id,published,status"}
    ).json()["data"]
    assert listed[0] == {
        "id": video_id,
        "published": False,
        "status": {"video_status": "ready"},
    }


def test_publish_makes_one_post_whose_id_reads_after_processing(
    client: httpx.Client,
) -> None:
    video_id = upload(client, published="false")
    publish(client, video_id, description="Our new clip")
    # Within the default delay (0.5 s) the video is still processing: no post_id.
    assert video(client, video_id) == {
        "published": True,
        "status": {"video_status": "processing"},
        "description": "Our new clip",
        "id": video_id,
    }
    (post,) = posts_of(client, video_id)
    assert post["message"] == "Our new clip"
    (item,) = post["attachments"]["data"]
    assert (item["type"], item["media_type"], item["target"]["id"]) == (
        "video_inline",
        "video",
        video_id,
    )
    assert item["media"]["source"].endswith(f"/_emulator/media/{video_id}")
    assert [p["id"] for p in posts_of(client, video_id, "feed")] == [post["id"]]
    assert read_post(client, post["id"])["message"] == "Our new clip"
    no_delay(client)
    assert video(client, video_id) == {
        "published": True,
        "post_id": post["id"],
        "status": {"video_status": "ready"},
        "description": "Our new clip",
        "id": video_id,
    }
    assert post["id"].startswith(f"{ACME}_")
    assert post["id"] != f"{ACME}_{video_id}"


def test_processing_ends_after_the_delay(client: httpx.Client) -> None:
    client.post("/_emulator/video", json={"post_delay_s": 0.3})
    video_id = upload(client, published="false")
    publish(client, video_id)
    assert "post_id" not in video(client, video_id)
    client.post("/_emulator/clock", json={"now": "2099-01-01T00:00:00Z"})
    body = video(client, video_id)
    assert body["status"] == {"video_status": "ready"}
    assert body["post_id"] == posts_of(client, video_id)[0]["id"]


def test_the_post_is_created_when_the_video_is_published(
    client: httpx.Client,
) -> None:
    client.post("/_emulator/clock", json={"now": "2026-03-01T09:00:00Z"})
    video_id = upload(client, published="false")
    client.post("/_emulator/clock", json={"now": "2026-03-02T10:00:00Z"})
    publish(client, video_id)
    (post,) = posts_of(client, video_id)
    assert post["created_time"].startswith("2026-03-02T10:00:0")
    uploaded = client.get(
        f"/v26.0/{video_id}", params={**TOKEN, "fields": "created_time"}
    ).json()
    assert uploaded["created_time"].startswith("2026-03-01T09:00:0")


def test_publishing_twice_keeps_one_post(client: httpx.Client) -> None:
    no_delay(client)
    video_id = upload(client, published="false")
    publish(client, video_id)
    publish(client, video_id)
    publish(client, video_id, description="Again")
    (post,) = posts_of(client, video_id)
    assert post["message"] == "Again"
    assert video(client, video_id)["post_id"] == post["id"]


def test_upload_published_at_once_records_its_post(client: httpx.Client) -> None:
    no_delay(client)
    video_id = upload(client, description="Straight out")
    (post,) = posts_of(client, video_id)
    assert post["message"] == "Straight out"
    assert video(client, video_id)["post_id"] == post["id"]
    publish(client, video_id)  # it has its post already
    assert len(posts_of(client, video_id)) == 1


def test_description_edit_changes_the_post_message_and_empty_clears_it(
    client: httpx.Client,
) -> None:
    no_delay(client)
    video_id = upload(client, published="false", description="First")
    publish(client, video_id)
    post_id = video(client, video_id)["post_id"]
    assert read_post(client, post_id)["message"] == "First"
    response = update(client, video_id, description="Second")
    assert response.json() == {"success": True}
    assert read_post(client, post_id)["message"] == "Second"
    assert video(client, video_id)["description"] == "Second"
    update(client, video_id, description="")
    assert "message" not in read_post(client, post_id)
    assert "description" not in video(client, video_id)


def test_description_of_an_unpublished_video_makes_no_post(
    client: httpx.Client,
) -> None:
    video_id = upload(client, published="false")
    assert update(client, video_id, description="Draft text").json() == {
        "success": True
    }
    assert posts_of(client, video_id) == []
    publish(client, video_id)
    assert posts_of(client, video_id)[0]["message"] == "Draft text"


def test_deleting_the_post_unpublishes_the_video(client: httpx.Client) -> None:
    no_delay(client)
    video_id = upload(client, published="false")
    publish(client, video_id)
    post_id = video(client, video_id)["post_id"]
    refused = client.delete(f"/v26.0/{video_id}", params=TOKEN)
    assert refused.status_code == 400
    assert graph_error(refused)["code"] == 100
    assert client.delete(f"/v26.0/{post_id}", params=TOKEN).json() == {"success": True}
    assert client.get(f"/v26.0/{post_id}", params=TOKEN).status_code == 400
    assert posts_of(client, video_id) == []
    assert video(client, video_id) == {
        "published": False,
        "status": {"video_status": "ready"},
        "id": video_id,
    }
    deleted = client.delete(f"/v26.0/{video_id}", params=TOKEN)
    assert deleted.json() == {"success": True}
    assert client.get(f"/v26.0/{video_id}", params=TOKEN).status_code == 400


def test_republishing_after_the_post_was_deleted_makes_a_new_post(
    client: httpx.Client,
) -> None:
    no_delay(client)
    video_id = upload(client)
    first = video(client, video_id)["post_id"]
    client.delete(f"/v26.0/{first}", params=TOKEN)
    publish(client, video_id)
    second = video(client, video_id)["post_id"]
    assert second != first
    assert [p["id"] for p in posts_of(client, video_id)] == [second]


def test_attachments_of_a_video_post_cannot_change(client: httpx.Client) -> None:
    no_delay(client)
    video_id = upload(client, published="false")
    publish(client, video_id)
    post_id = video(client, video_id)["post_id"]
    for attached in ([], [{"media_fbid": video_id}]):
        response = client.post(
            f"/v26.0/{post_id}",
            data={**TOKEN, "attached_media": json.dumps(attached)},
        )
        assert response.status_code == 400
        assert graph_error(response)["code"] == 100
        assert graph_error(response)["message"] == (
            "(#100) The attachments of a video post cannot be changed"
        )
    # `message` on the post is an ordinary post edit.
    edited = client.post(f"/v26.0/{post_id}", data={**TOKEN, "message": "Hi"})
    assert edited.json() == {"success": True}
    assert read_post(client, post_id)["attachments"]["data"][0]["target"]["id"] == (
        video_id
    )


def test_a_published_video_cannot_be_unpublished(client: httpx.Client) -> None:
    video_id = upload(client, published="false")
    assert update(client, video_id, published="false").json() == {"success": True}
    publish(client, video_id)
    response = update(client, video_id, published="false", description="x")
    assert response.status_code == 400
    assert graph_error(response)["code"] == 100
    assert graph_error(response)["message"] == (
        "(#100) A published video cannot be unpublished"
    )
    assert video(client, video_id)["published"] is True
    assert "description" not in video(client, video_id)  # nothing was changed


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"title": "x"},
            "(#100) Param title is not a valid parameter for this endpoint",
        ),
        ({}, "(#100) No parameters to update"),
        ({"published": "maybe"}, "(#100) Param published must be a boolean"),
    ],
)
def test_video_update_refuses_other_parameters(
    client: httpx.Client, data: dict[str, str], message: str
) -> None:
    video_id = upload(client, published="false")
    response = update(client, video_id, **data)
    assert response.status_code == 400
    assert graph_error(response)["code"] == 100
    assert graph_error(response)["message"] == message


@pytest.mark.parametrize("token", [USER_TOKEN, BETA_TOKEN, ANALYST_ACME_TOKEN])
def test_video_update_needs_the_page_writer_token(
    client: httpx.Client, token: str
) -> None:
    video_id = upload(client, published="false")
    response = client.post(
        f"/v26.0/{video_id}", data={"access_token": token, "published": "true"}
    )
    assert response.status_code == 403
    assert graph_error(response)["code"] == 200
    assert posts_of(client, video_id) == []


def test_a_photo_node_takes_no_update(client: httpx.Client) -> None:
    photo = client.post(
        f"/v26.0/{ACME}/photos",
        data={**TOKEN, "url": "https://example.com/a.jpg", "published": "false"},
    ).json()["id"]
    response = update(client, photo, published="true")
    assert response.status_code == 400
    assert graph_error(response)["code"] == 100
    fields = client.get(f"/v26.0/{photo}", params={**TOKEN, "fields": "post_id"})
    assert fields.status_code == 400


def test_video_publish_and_read_inside_a_batch(client: httpx.Client) -> None:
    no_delay(client)
    video_id = upload(client, published="false")
    items = [
        {
            "method": "POST",
            "relative_url": video_id,
            "body": "published=true&description=From+batch",
        },
        {"method": "GET", "relative_url": f"{video_id}?fields=post_id,status"},
    ]
    response = client.post("/v26.0/", data={**TOKEN, "batch": json.dumps(items)})
    assert response.status_code == 200, response.text
    first, second = response.json()
    assert (first["code"], json.loads(first["body"])) == (200, {"success": True})
    (post,) = posts_of(client, video_id)
    assert post["message"] == "From batch"
    assert json.loads(second["body"]) == {
        "post_id": post["id"],
        "status": {"video_status": "ready"},
        "id": video_id,
    }


@pytest.mark.parametrize(
    "body", [{"post_delay_s": -1}, {"post_delay_s": "1"}, {"post_delay_s": True}, {}]
)
def test_video_control_route_validates(client: httpx.Client, body: Any) -> None:
    response = client.post("/_emulator/video", json=body)
    assert response.status_code == 400
    assert response.json() == {"error": 'expected {"post_delay_s": <number >= 0>}'}


def test_reset_restores_the_default_delay(client: httpx.Client) -> None:
    no_delay(client)
    client.post("/_emulator/reset")
    video_id = upload(client, published="false")
    publish(client, video_id)
    assert video(client, video_id)["status"] == {"video_status": "processing"}
