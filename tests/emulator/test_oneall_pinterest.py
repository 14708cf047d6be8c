"""OneAll's Pinterest and LinkedIn routes (seeds 000, 001; docs/oneall-networks.md
§2, §3) over HTTP."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.emulator.networks_support import (
    BOARD,
    COMPANY,
    COMPANY_POST,
    LINKEDIN,
    OTHER_BOARD,
    PIN,
    PINTEREST,
    b64,
    data,
    info,
    objects,
    png,
    push,
    send,
    status,
)

IMAGE_URL = "https://acme.example/autumn.jpg"


def pin_url(pin_id: str) -> str:
    return f"/update/identities/{PINTEREST}/pinterest/pin/{pin_id}.json"


def board_url(board: str) -> str:
    return f"/push/identities/{PINTEREST}/pinterest/board/{board}/pin.json"


def pin(client: httpx.Client, **fields: Any) -> httpx.Response:
    return push(client, PIN, "pin", {"image_url": IMAGE_URL, **fields})


def update(client: httpx.Client, pin_id: str, **fields: Any) -> httpx.Response:
    body = {"request": {"update": {"pin": fields}}}
    return send(client, "PUT", pin_url(pin_id), body)


def test_pin_by_image_url_answers_pin_id(client: httpx.Client) -> None:
    found = data(pin(client, description="Autumn blend", link="https://acme.example"))
    assert found["provider"] == "pinterest"
    assert found["object"] == "pin"
    assert len(found["pin_id"]) == 18
    assert found["pin_location"] == f"https://www.pinterest.com/pin/{found['pin_id']}/"
    [landed] = objects(client)
    assert landed["target"] == BOARD
    assert landed["text"] == "Autumn blend"
    assert landed["fields"] == {"link": "https://acme.example"}
    assert landed["media"] == [{"kind": "picture", "url": IMAGE_URL}]


def test_pin_with_an_inline_picture(client: httpx.Client) -> None:
    picture = {"data": b64(png((40, 60))), "name": "autumn.png", "alt_text": "Beans"}
    found = data(push(client, PIN, "pin", {"note": "Old name", "picture": picture}))
    [landed] = objects(client)
    assert landed["id"] == found["pin_id"]
    assert landed["text"] == "Old name"  # `note`, the php-sdk's name
    media = landed["media"][0]
    assert media["mime"] == "image/png"
    assert (media["width"], media["height"]) == (40, 60)
    assert media["alt_text"] == "Beans"
    assert len(media["sha256"]) == 64


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({}, "request.push.pin.image_url or request.push.pin.picture is required"),
        ({"image_url": IMAGE_URL, "picture": {"data": b64(png())}}, "not both"),
        ({"picture": "x"}, "request.push.pin.picture must be an object"),
        ({"picture": {"data": b64(b"text")}}, "the file is not a JPEG"),
        ({"image_url": "autumn.jpg"}, "request.push.pin.image_url must be a full URL"),
        ({"image_url": IMAGE_URL, "description": "x" * 501}, "too long: 501"),
        ({"image_url": IMAGE_URL, "title": "x" * 101}, "title is too long"),
        (
            {"image_url": IMAGE_URL, "board": OTHER_BOARD},
            "is not the board of the path",
        ),
        (
            {"image_url": IMAGE_URL, "description": "a", "note": "b"},
            "description and request.push.pin.note differ",
        ),
    ],
)
def test_bad_pins_are_400(
    client: httpx.Client, fields: dict[str, Any], expected: str
) -> None:
    response = push(client, PIN, "pin", fields)
    assert response.status_code == 400
    assert expected in info(response)
    assert objects(client) == []


def test_a_board_not_the_identitys_is_403(client: httpx.Client) -> None:
    response = push(client, board_url("1234"), "pin", {"image_url": IMAGE_URL})
    assert response.status_code == 403
    assert info(response) == (
        "The identity may not publish to the board [1234]: it is not one of the"
        " identity's boards"
    )


def test_update_pin_in_place_and_move_it(client: httpx.Client) -> None:
    pin_id = data(pin(client, description="Autumn", title="Blend"))["pin_id"]
    response = update(
        client,
        pin_id,
        board=OTHER_BOARD,
        description="Winter",
        link="https://w.example",
    )
    assert status(response) == {
        "flag": "success",
        "code": 200,
        "info": "The pin has successfully been updated.",
    }
    [landed] = objects(client)
    assert landed["id"] == pin_id
    assert landed["target"] == OTHER_BOARD
    assert landed["text"] == "Winter"
    assert landed["fields"] == {"title": "Blend", "link": "https://w.example"}
    assert landed["media"] == [{"kind": "picture", "url": IMAGE_URL}]
    assert status(update(client, pin_id, link=""))["code"] == 200  # "" removes it
    assert objects(client)[0]["fields"] == {"title": "Blend"}


@pytest.mark.parametrize(
    ("fields", "code", "expected"),
    [
        ({}, 400, "Nothing to update"),
        (
            {"image_url": IMAGE_URL},
            400,
            "request.update.pin.image_url cannot be updated",
        ),
        ({"board": "42"}, 403, "may not publish to the board [42]"),
        ({"description": "x" * 501}, 400, "too long"),
    ],
)
def test_bad_pin_updates(
    client: httpx.Client, fields: dict[str, Any], code: int, expected: str
) -> None:
    pin_id = data(pin(client, description="Autumn"))["pin_id"]
    response = update(client, pin_id, **fields)
    assert response.status_code == code
    assert expected in info(response)
    assert objects(client)[0]["text"] == "Autumn"


def test_delete_pin_then_404(client: httpx.Client) -> None:
    pin_id = data(pin(client, description="Autumn"))["pin_id"]
    response = send(client, "DELETE", pin_url(pin_id))
    assert info(response) == "The pin has successfully been deleted."
    for method in ("DELETE", "PUT"):
        body = {"request": {"update": {"pin": {"description": "x"}}}}
        again = send(client, method, pin_url(pin_id), body)
        assert again.status_code == 404
        assert info(again) == f"The pin [{pin_id}] does not exist"
    assert objects(client)[0]["deleted"] is True


def test_linkedin_company_post(client: httpx.Client) -> None:
    body = {
        "company": int(COMPANY),
        "message": "We are hiring",
        "link": "https://acme.example/jobs",
        "title": "Jobs",
        "picture": "https://acme.example/jobs.jpg",
    }
    found = data(push(client, COMPANY_POST, "post", body))
    assert found["provider"] == "linkedin"
    assert found["object"] == "post"
    prefix, digits = found["post_id"].rsplit(":", 1)
    assert prefix == "urn:li:share"
    assert len(digits) == 19
    assert found["post_location"] == (
        f"https://www.linkedin.com/feed/update/{found['post_id']}/"
    )
    [landed] = objects(client)
    assert landed["target"] == COMPANY
    assert landed["text"] == "We are hiring"
    assert landed["fields"] == {"link": "https://acme.example/jobs", "title": "Jobs"}
    assert landed["media"] == [
        {"kind": "picture", "url": "https://acme.example/jobs.jpg"}
    ]


@pytest.mark.parametrize(
    ("fields", "code", "expected"),
    [
        ({"message": "x"}, 400, "request.push.post.company is required"),
        ({"company": "1", "message": "x"}, 403, "administrator of the company [1]"),
        ({"company": COMPANY}, 400, "request.push.post.message is required"),
        ({"company": COMPANY, "message": "x" * 3001}, 400, "too long: 3001"),
    ],
)
def test_bad_linkedin_posts(
    client: httpx.Client, fields: dict[str, Any], code: int, expected: str
) -> None:
    response = push(client, COMPANY_POST, "post", fields)
    assert response.status_code == code
    assert expected in info(response)


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
def test_linkedin_posts_have_no_update_route(client: httpx.Client, method: str) -> None:
    post_id = data(
        push(client, COMPANY_POST, "post", {"company": COMPANY, "message": "x"})
    )
    path = f"/update/identities/{LINKEDIN}/linkedin/post/{post_id['post_id']}.json"
    response = send(client, method, path, {"request": {"update": {"post": {}}}})
    assert response.status_code == 404
    assert info(response) == f"The resource [{path}] does not exist"
