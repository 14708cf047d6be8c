"""Real media uploads (issue 11): Graph photos and videos, OneAll pictures and videos,
the bytes served back, and the checks made on them, all over HTTP."""

from __future__ import annotations

import base64
import io
import json
from typing import Any

import httpx
import pytest
from PIL import Image

from statesync.emulator import uploads
from statesync.emulator.server import RunningEmulator
from tests.emulator.support import (
    ACME,
    ACME_TOKEN,
    IDENTITY,
    ONEALL_AUTH,
    create_post,
    graph_error,
)

MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 200
MOV = b"\x00\x00\x00\x14ftypqt  " + b"\x00" * 200
PUSH_BASE = f"/push/identities/{IDENTITY}/facebook/page"
TOKEN = {"access_token": ACME_TOKEN}


def image(fmt: str, size: tuple[int, int] = (32, 20)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 120, 40)).save(out, format=fmt)
    return out.getvalue()


def upload_photo(
    client: httpx.Client,
    data: bytes,
    *,
    filename: str = "latte.jpg",
    content_type: str = "image/jpeg",
    **fields: str,
) -> httpx.Response:
    return client.post(
        f"/v26.0/{ACME}/photos",
        data={**TOKEN, "published": "false", **fields},
        files={"source": (filename, data, content_type)},
    )


def photo_id(response: httpx.Response) -> str:
    assert response.status_code == 200, response.text
    body: dict[str, str] = response.json()
    assert list(body) == ["id"]
    return body["id"]


def node(client: httpx.Client, object_id: str, fields: str) -> dict[str, Any]:
    response = client.get(f"/v26.0/{object_id}", params={**TOKEN, "fields": fields})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def served(emulator: RunningEmulator, media_id: str) -> str:
    return f"{emulator.url}/_emulator/media/{media_id}"


def push_media(client: httpx.Client, kind: str, item: dict[str, Any]) -> httpx.Response:
    body = {"request": {"push": {"page": {"id": ACME, kind: item}}}}
    return client.post(f"{PUSH_BASE}/{kind}.json", json=body, auth=ONEALL_AUTH)


def oneall_status(response: httpx.Response) -> dict[str, Any]:
    status: dict[str, Any] = response.json()["response"]["request"]["status"]
    return status


# -- Graph photos ----------------------------------------------------------------------


def test_png_upload_keeps_alt_text_size_and_serves_exact_bytes(
    client: httpx.Client, emulator: RunningEmulator
) -> None:
    png = image("PNG", (32, 20))
    # The file name and part type say JPEG; the bytes say PNG, and the bytes win.
    media_id = photo_id(
        upload_photo(client, png, alt_text_custom="A latte with a leaf on top")
    )
    body = node(client, media_id, "alt_text_custom,images,picture,width,height,name")
    url = served(emulator, media_id)
    assert body == {
        "alt_text_custom": "A latte with a leaf on top",
        "images": [{"height": 20, "width": 32, "source": url}],
        "picture": url,
        "width": 32,
        "height": 20,
        "id": media_id,
    }
    fetched = httpx.get(url, trust_env=False)  # no token: like a CDN URL
    assert fetched.status_code == 200
    assert fetched.headers["content-type"] == "image/png"
    assert fetched.content == png


def test_jpeg_upload_is_served_as_jpeg_with_caption_as_name(
    client: httpx.Client, emulator: RunningEmulator
) -> None:
    jpeg = image("JPEG", (64, 48))
    media_id = photo_id(
        upload_photo(
            client,
            jpeg,
            filename="x.bin",
            content_type="application/octet-stream",
            caption="Morning",
        )
    )
    body = node(client, media_id, "name,images,alt_text_custom")
    assert body == {
        "name": "Morning",
        "images": [{"height": 48, "width": 64, "source": served(emulator, media_id)}],
        "id": media_id,
    }
    fetched = client.get(f"/_emulator/media/{media_id}")
    assert fetched.headers["content-type"] == "image/jpeg"
    assert fetched.content == jpeg


def test_text_named_jpg_is_324_and_nothing_is_stored(client: httpx.Client) -> None:
    before = client.get(f"/v26.0/{ACME}/photos", params=TOKEN).json()["data"]
    response = upload_photo(client, b"just some text, not a photo\n")
    assert response.status_code == 400
    error = graph_error(response)
    assert (error["code"], error["message"]) == (
        324,
        "(#324) Missing or invalid image file",
    )
    after = client.get(f"/v26.0/{ACME}/photos", params=TOKEN).json()["data"]
    assert after == before


def test_photo_over_4_mib_is_refused_and_4_mib_is_not(client: httpx.Client) -> None:
    png = image("PNG")
    limit = 4 * 1024 * 1024
    over = upload_photo(client, png + b"\x00" * (limit + 1 - len(png)))
    assert over.status_code == 400
    error = graph_error(over)
    assert error["code"] == 100
    assert "too large" in str(error["message"])
    assert str(error["message"]).startswith("(#100) ")
    at_limit = upload_photo(client, png + b"\x00" * (limit - len(png)))
    assert photo_id(at_limit).isdigit()


def test_url_upload_keeps_its_url_and_seeded_media_their_cdn_url(
    client: httpx.Client,
) -> None:
    response = client.post(
        f"/v26.0/{ACME}/photos",
        data={**TOKEN, "url": "https://acme.example/a.jpg", "published": "false"},
    )
    media_id = photo_id(response)
    assert node(client, media_id, "picture")["picture"] == "https://acme.example/a.jpg"
    assert client.get(f"/_emulator/media/{media_id}").status_code == 404


def test_post_with_two_uploads_reads_back_as_album_in_order(
    client: httpx.Client, emulator: RunningEmulator
) -> None:
    first = photo_id(upload_photo(client, image("PNG", (10, 10))))
    second = photo_id(upload_photo(client, image("JPEG", (30, 20))))
    attached = [{"media_fbid": second}, {"media_fbid": first}]
    post_id = create_post(client, message="Two", attached_media=json.dumps(attached))
    body = node(client, post_id, "attachments,full_picture,status_type")
    assert body["full_picture"] == served(emulator, second)
    assert body["status_type"] == "added_photos"
    (album,) = body["attachments"]["data"]
    assert (album["type"], album["media_type"]) == ("album", "album")
    subs = album["subattachments"]["data"]
    assert [s["target"]["id"] for s in subs] == [second, first]
    assert [s["media_type"] for s in subs] == ["photo", "photo"]
    assert [s["media"]["image"] for s in subs] == [
        {"height": 20, "width": 30, "src": served(emulator, second)},
        {"height": 10, "width": 10, "src": served(emulator, first)},
    ]


def test_post_with_one_upload_is_a_photo_attachment(
    client: httpx.Client, emulator: RunningEmulator
) -> None:
    media_id = photo_id(upload_photo(client, image("GIF", (8, 6))))
    post_id = create_post(client, attached_media=json.dumps([{"media_fbid": media_id}]))
    (item,) = node(client, post_id, "attachments")["attachments"]["data"]
    assert item["media_type"] == "photo"
    assert item["target"]["id"] == media_id
    assert item["media"]["image"]["src"] == served(emulator, media_id)


def test_used_photo_cannot_be_deleted_until_the_post_lets_go(
    client: httpx.Client, emulator: RunningEmulator
) -> None:
    media_id = photo_id(upload_photo(client, image("PNG")))
    post_id = create_post(
        client, message="x", attached_media=json.dumps([{"media_fbid": media_id}])
    )
    refused = client.delete(f"/v26.0/{media_id}", params=TOKEN)
    assert refused.status_code == 400
    assert graph_error(refused)["message"] == (
        "(#100) This photo is attached to a post and cannot be deleted"
    )
    cleared = client.post(f"/v26.0/{post_id}", data={**TOKEN, "attached_media": "[]"})
    assert cleared.json() == {"success": True}
    deleted = client.delete(f"/v26.0/{media_id}", params=TOKEN)
    assert deleted.json() == {"success": True}
    assert httpx.get(served(emulator, media_id), trust_env=False).status_code == 404
    gone = client.get(f"/v26.0/{media_id}", params=TOKEN)
    assert graph_error(gone)["error_subcode"] == 33


def test_photos_list_newest_first_with_paging(client: httpx.Client) -> None:
    ids = [photo_id(upload_photo(client, image("PNG"))) for _ in range(3)]
    page = client.get(
        f"/v26.0/{ACME}/photos", params={**TOKEN, "limit": "2", "fields": "id"}
    ).json()
    assert [item["id"] for item in page["data"]] == ids[::-1][:2]
    rest = client.get(page["paging"]["next"]).json()
    assert rest["data"][0]["id"] == ids[0]


# -- Graph videos ----------------------------------------------------------------------


def test_unpublished_mp4_upload_is_listed_and_served(
    client: httpx.Client, emulator: RunningEmulator
) -> None:
    response = client.post(
        f"/v26.0/{ACME}/videos",
        data={**TOKEN, "published": "false"},
        files={"source": ("clip.mp4", MP4, "video/mp4")},
    )
    video_id = photo_id(response)
    assert node(client, video_id, "source")["source"] == served(emulator, video_id)
    fetched = client.get(f"/_emulator/media/{video_id}")
    assert (fetched.headers["content-type"], fetched.content) == ("video/mp4", MP4)
    videos = client.get(f"/v26.0/{ACME}/videos", params={**TOKEN, "fields": "id"})
    assert videos.json()["data"] == [{"id": video_id}]
    photos = client.get(f"/v26.0/{ACME}/photos", params={**TOKEN, "fields": "id"})
    assert {"id": video_id} not in photos.json()["data"]
    post_id = create_post(client, attached_media=json.dumps([{"media_fbid": video_id}]))
    (item,) = node(client, post_id, "attachments")["attachments"]["data"]
    assert (item["media_type"], item["target"]["id"]) == ("video", video_id)
    assert item["media"]["source"] == served(emulator, video_id)


def test_published_mov_upload_makes_a_post_with_its_description(
    client: httpx.Client,
) -> None:
    response = client.post(
        f"/v26.0/{ACME}/videos",
        data={**TOKEN, "description": "Behind the bar"},
        files={"source": ("clip.mov", MOV, "video/quicktime")},
    )
    video_id = photo_id(response)
    feed = client.get(
        f"/v26.0/{ACME}/feed", params={**TOKEN, "fields": "message,attachments"}
    ).json()["data"]
    newest = feed[0]
    assert newest["message"] == "Behind the bar"
    assert newest["attachments"]["data"][0]["target"]["id"] == video_id


def test_video_of_wrong_type_or_too_large_is_100(
    client: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    def send(data: bytes) -> httpx.Response:
        return client.post(
            f"/v26.0/{ACME}/videos",
            data={**TOKEN, "published": "false"},
            files={"source": ("clip.mp4", data, "video/mp4")},
        )

    wrong = send(image("PNG"))
    assert wrong.status_code == 400
    assert graph_error(wrong)["code"] == 100
    assert str(graph_error(wrong)["message"]).startswith("(#100) Invalid video file")
    monkeypatch.setattr(uploads, "MAX_VIDEO_BYTES", len(MP4) - 1)  # same process
    large = send(MP4)
    assert graph_error(large)["code"] == 100
    assert "too large" in str(graph_error(large)["message"])


# -- OneAll ----------------------------------------------------------------------------


def test_oneall_picture_upload_is_a_graph_photo(
    client: httpx.Client, emulator: RunningEmulator
) -> None:
    jpeg = image("JPEG", (40, 30))
    response = push_media(
        client,
        "picture",
        {
            "data": base64.b64encode(jpeg).decode(),
            "name": "latte-1.jpg",
            "alt_text": "Latte art",
        },
    )
    assert response.status_code == 200
    assert oneall_status(response) == {
        "flag": "success",
        "code": 200,
        "info": "Your request has been processed successfully",
    }
    data = response.json()["response"]["result"]["data"]
    media_id = data["picture_id"]
    assert data == {
        "provider": "facebook",
        "object": "picture",
        "picture_id": media_id,
        "picture_location": f"https://www.facebook.com/photo.php?fbid={media_id}",
    }
    body = node(client, media_id, "alt_text_custom,images")
    assert body["alt_text_custom"] == "Latte art"
    assert body["images"] == [
        {"height": 30, "width": 40, "source": served(emulator, media_id)}
    ]
    assert client.get(f"/_emulator/media/{media_id}").content == jpeg


def test_oneall_video_upload(client: httpx.Client) -> None:
    response = push_media(
        client, "video", {"data": base64.b64encode(MP4).decode(), "name": "clip.mp4"}
    )
    assert response.status_code == 200
    data = response.json()["response"]["result"]["data"]
    video_id = data["video_id"]
    assert data == {
        "provider": "facebook",
        "object": "video",
        "video_id": video_id,
        "video_location": f"https://www.facebook.com/watch/?v={video_id}",
    }
    videos = client.get(f"/v26.0/{ACME}/videos", params={**TOKEN, "fields": "id"})
    assert videos.json()["data"] == [{"id": video_id}]


def test_oneall_push_attaches_an_uploaded_picture_and_delete_waits_for_it(
    client: httpx.Client, emulator: RunningEmulator
) -> None:
    uploaded = push_media(
        client, "picture", {"data": base64.b64encode(image("PNG")).decode()}
    )
    media_id = uploaded.json()["response"]["result"]["data"]["picture_id"]
    pushed = client.post(
        f"{PUSH_BASE}/post.json",
        json={
            "request": {
                "push": {
                    "page": {"id": ACME, "message": "New", "attachments": [media_id]}
                }
            }
        },
        auth=ONEALL_AUTH,
    )
    assert pushed.status_code == 200
    post_id = pushed.json()["response"]["result"]["data"]["post_id"]
    body = node(client, post_id, "attachments,full_picture")
    assert body["full_picture"] == served(emulator, media_id)
    assert body["attachments"]["data"][0]["target"]["id"] == media_id
    update = f"/update/identities/{IDENTITY}/facebook/page/{ACME}"
    refused = client.delete(f"{update}/picture/{media_id}.json", auth=ONEALL_AUTH)
    assert refused.status_code == 409
    assert oneall_status(refused)["flag"] == "error"
    removed = client.delete(f"{update}/post/{post_id}.json", auth=ONEALL_AUTH)
    assert removed.status_code == 200
    deleted = client.delete(f"{update}/picture/{media_id}.json", auth=ONEALL_AUTH)
    assert (
        oneall_status(deleted)["info"] == "The picture has successfully been deleted."
    )
    assert client.get(f"/_emulator/media/{media_id}").status_code == 404


@pytest.mark.parametrize(
    ("kind", "item", "info"),
    [
        (
            "picture",
            {"data": "not base64!"},
            "request.push.page.picture.data is not valid base64",
        ),
        (
            "picture",
            {"data": base64.b64encode(b"plain text").decode()},
            "The picture was refused: the file is not a JPEG, PNG, GIF or WebP image:"
            " its bytes are of no known media type",
        ),
        (
            "video",
            {"data": base64.b64encode(image("PNG")).decode()},
            "The video was refused: the file is not an MP4 or MOV video: its bytes are"
            " image/png",
        ),
        ("video", {}, "request.push.page.video.data is required: the file in base64"),
    ],
)
def test_oneall_refuses_bad_uploads(
    client: httpx.Client, kind: str, item: dict[str, Any], info: str
) -> None:
    response = push_media(client, kind, item)
    assert response.status_code == 400
    assert oneall_status(response) == {"flag": "error", "code": 400, "info": info}
    assert "result" not in response.json()["response"]


def test_oneall_refuses_an_oversize_picture_and_a_foreign_page(
    client: httpx.Client,
) -> None:
    png = image("PNG")
    big = png + b"\x00" * (4 * 1024 * 1024 + 1 - len(png))
    response = push_media(client, "picture", {"data": base64.b64encode(big).decode()})
    assert response.status_code == 400
    assert "too large" in oneall_status(response)["info"]
    foreign = client.post(
        f"{PUSH_BASE}/picture.json",
        json={
            "request": {
                "push": {
                    "page": {
                        "id": "111111111111111",
                        "picture": {"data": base64.b64encode(png).decode()},
                    }
                }
            }
        },
        auth=ONEALL_AUTH,
    )
    assert foreign.status_code == 403


# -- stats -----------------------------------------------------------------------------


def test_upload_routes_are_counted_under_their_templates(
    client: httpx.Client, emulator: RunningEmulator
) -> None:
    photo_id(upload_photo(client, image("PNG")))
    client.post(
        f"/v26.0/{ACME}/videos",
        data={**TOKEN, "published": "false"},
        files={"source": ("clip.mp4", MP4, "video/mp4")},
    )
    push_media(client, "picture", {"data": base64.b64encode(image("PNG")).decode()})
    push_media(client, "video", {"data": base64.b64encode(MP4).decode()})
    push_media(client, "video", {"data": base64.b64encode(MP4).decode()})
    routes = {
        (entry["method"], entry["route"]): entry["count"]
        for entry in emulator.stats()["routes"]
    }
    assert routes == {
        ("POST", "/{page-id}/photos"): 1,
        ("POST", "/{page-id}/videos"): 1,
        ("POST", "/push/identities/{identity_token}/facebook/page/picture.json"): 1,
        ("POST", "/push/identities/{identity_token}/facebook/page/video.json"): 2,
    }


def test_a_malformed_multipart_body_is_100_not_a_crash(client: httpx.Client) -> None:
    response = client.post(
        f"/v26.0/{ACME}/photos",
        params=TOKEN,
        content=b"--x\r\n",
        headers={"content-type": "multipart/form-data"},  # no boundary
    )
    assert response.status_code == 400
    assert graph_error(response)["message"] == (
        "(#100) Invalid multipart body: Missing boundary in multipart."
    )
