"""OneAll's X routes (seeds 000, 001; docs/oneall-networks.md §1) over HTTP."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.emulator.networks_support import (
    MP4,
    SAM_TWITTER,
    TWEET,
    TWITTER,
    TWITTER_ACCOUNT,
    b64,
    data,
    info,
    objects,
    png,
    push,
    send,
    status,
    tweet,
    upload_picture,
)


def delete_url(tweet_id: str, token: str = TWITTER) -> str:
    return f"/update/identities/{token}/twitter/post/{tweet_id}.json"


def test_tweet_answers_the_push_envelope_with_a_19_digit_id(
    client: httpx.Client,
) -> None:
    response = tweet(client, "Fresh beans today")
    assert status(response) == {
        "flag": "success",
        "code": 200,
        "info": "Your request has been processed successfully",
    }
    assert response.json()["response"]["request"]["resource"] == TWEET
    found = data(response)
    assert found["provider"] == "twitter"
    assert found["object"] == "post"
    assert len(found["post_id"]) == 19
    assert found["post_id"].isdigit()
    assert found["post_location"] == (
        f"https://twitter.com/acmecoffee/status/{found['post_id']}"
    )
    [landed] = objects(client)
    assert landed | {"created_time": "", "updated_time": ""} == {
        "network": "twitter",
        "object": "post",
        "id": found["post_id"],
        "target": TWITTER_ACCOUNT,
        "text": "Fresh beans today",
        "fields": {},
        "media": [],
        "location": found["post_location"],
        "created_time": "",
        "updated_time": "",
        "deleted": False,
    }


def test_pictures_are_uploaded_then_attached_by_id(client: httpx.Client) -> None:
    first = upload_picture(client, alt_text="A latte")
    second = upload_picture(client)
    assert len(first) == 19
    assert first != second
    found = data(tweet(client, "Two lattes", attachments=[first, int(second)]))
    [landed] = objects(client)
    assert landed["id"] == found["post_id"]
    assert [m["id"] for m in landed["media"]] == [first, second]
    assert landed["media"][0]["alt_text"] == "A latte"
    assert landed["media"][0]["mime"] == "image/png"
    assert landed["media"][0]["size"] == len(png())


def test_picture_upload_by_url_as_oneall_documents_it(client: httpx.Client) -> None:
    path = f"/push/identities/{TWITTER}/twitter/picture.json"
    body = {"url": "https://acme.example/logo.png", "description": "Logo"}
    found = data(push(client, path, "picture", body))
    assert found["object"] == "picture"
    assert found["picture_location"].endswith(found["picture_id"])
    data(tweet(client, "", attachments=[found["picture_id"]]))  # media alone
    [landed] = objects(client)
    assert landed["text"] is None
    assert landed["media"][0]["url"] == "https://acme.example/logo.png"
    assert landed["media"][0]["alt_text"] == "Logo"


def test_video_upload_inline_and_by_url(client: httpx.Client) -> None:
    path = f"/push/identities/{TWITTER}/twitter/video.json"
    inline = data(push(client, path, "video", {"data": b64(MP4), "name": "clip.mp4"}))
    assert inline["object"] == "video"
    by_url = push(client, path, "video", {"video_url": "https://acme.example/c.mp4"})
    assert data(by_url)["video_id"] != inline["video_id"]
    data(tweet(client, "Watch", attachments=[inline["video_id"]]))
    assert objects(client)[0]["media"][0]["mime"] == "video/mp4"


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({}, "needs either url"),
        ({"url": "https://a.example/x.png", "data": "aGk="}, "needs either url"),
        ({"data": "not base64!"}, "request.push.picture.data is not valid base64"),
        ({"data": b64(b"plain text")}, "the file is not a JPEG, PNG, GIF or WebP"),
        (
            {"url": "ftp://a.example/x.png"},
            "request.push.picture.url must be a full URL",
        ),
    ],
)
def test_bad_picture_uploads_are_400(
    client: httpx.Client, fields: dict[str, Any], expected: str
) -> None:
    path = f"/push/identities/{TWITTER}/twitter/picture.json"
    response = push(client, path, "picture", fields)
    assert response.status_code == 400
    assert expected in info(response)


def test_attachment_rules(client: httpx.Client) -> None:
    pictures = [upload_picture(client) for _ in range(5)]
    path = f"/push/identities/{TWITTER}/twitter/video.json"
    video = data(push(client, path, "video", {"video_url": "https://a.example/v.mp4"}))
    sams = upload_picture(client, token=SAM_TWITTER)
    cases = [
        (pictures, "at most 4 pictures"),
        ([pictures[0], video["video_id"]], "one video alone"),
        ([sams], f"[{sams}] is not a picture or video uploaded for this account"),
        (["999"], "[999] is not a picture or video"),
        ([pictures[0], pictures[0]], "an identifier is repeated"),
        ("12", "attachments must be a list"),
    ]
    for attachments, expected in cases:
        response = tweet(client, f"case {expected}", attachments=attachments)
        assert response.status_code == 400, attachments
        assert expected in info(response)
    assert data(tweet(client, "four", attachments=pictures[:4]))
    assert objects(client)[0]["media"][3]["id"] == pictures[3]


def test_weighted_length_over_280_is_400(client: httpx.Client) -> None:
    url = "https://acme.example/" + "x" * 300  # counts 23
    assert data(tweet(client, "a" * 256 + " " + url))  # 256 + 1 + 23 = 280
    assert data(tweet(client, "あ" * 140))  # CJK weighs 2: 280
    response = tweet(client, "あ" * 140 + "!")
    assert response.status_code == 400
    assert info(response) == (
        "request.push.post.message is too long: 281 weighted characters,"
        " X allows 280 (URLs count 23)"
    )
    assert len(objects(client)) == 2


def test_same_text_twice_in_a_row_is_a_duplicate(client: httpx.Client) -> None:
    first = data(tweet(client, "Open at 8"))
    response = tweet(client, "Open at 8")
    assert response.status_code == 403
    assert status(response) == {
        "flag": "error",
        "code": 403,
        "info": "Status is a duplicate.",
    }
    assert data(push(client, f"/push/identities/{SAM_TWITTER}/twitter/post.json",
                     "post", {"message": "Open at 8"}))  # fmt: skip
    send(client, "DELETE", delete_url(first["post_id"]))
    assert data(tweet(client, "Open at 8"))  # the latest live tweet is gone


def test_delete_tweet_then_404(client: httpx.Client) -> None:
    tweet_id = data(tweet(client, "Oops"))["post_id"]
    response = send(client, "DELETE", delete_url(tweet_id))
    assert status(response) == {
        "flag": "success",
        "code": 200,
        "info": "The tweet has successfully been deleted.",
    }
    assert "result" not in response.json()["response"]
    again = send(client, "DELETE", delete_url(tweet_id))
    assert again.status_code == 404
    assert info(again) == f"The tweet [{tweet_id}] does not exist"
    [landed] = objects(client)
    assert landed["deleted"] is True


def test_another_accounts_tweet_cannot_be_deleted(client: httpx.Client) -> None:
    tweet_id = data(tweet(client, "Mine"))["post_id"]
    response = send(client, "DELETE", delete_url(tweet_id, SAM_TWITTER))
    assert response.status_code == 404
    assert objects(client)[0]["deleted"] is False


@pytest.mark.parametrize("method", ["PUT", "POST", "GET"])
def test_a_tweet_cannot_be_edited(client: httpx.Client, method: str) -> None:
    tweet_id = data(tweet(client, "Final"))["post_id"]
    body = {"request": {"update": {"post": {"message": "Edited"}}}}
    response = send(client, method, delete_url(tweet_id), body)
    assert response.status_code == 405
    assert info(response) == f"The method {method} is not supported for this resource"
    assert objects(client)[0]["text"] == "Final"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (None, "The request body must be JSON with request.push.post"),
        ({"request": {"push": {"page": {}}}}, "with request.push.post"),
        ({"request": {"push": {"post": {}}}}, "request.push.post.message is required"),
        ({"request": {"push": {"post": {"message": 5}}}}, "message must be a string"),
    ],
)
def test_bad_tweet_bodies_are_400(
    client: httpx.Client, body: Any, expected: str
) -> None:
    response = send(client, "POST", TWEET, body)
    assert response.status_code == 400
    assert expected in info(response)
    assert objects(client) == []
