"""Constants of tests/seed.yaml's X, LinkedIn and Pinterest identities, and raw-HTTP
helpers for their OneAll routes (docs/oneall-networks.md)."""

from __future__ import annotations

import base64
import io
from typing import Any

import httpx
from PIL import Image

from tests.emulator.support import ONEALL_AUTH

TWITTER = "7d1e4b2a-3c5f-4a6e-9b8d-1f2e3a4b5c6d"  # Dana: @acmecoffee
TWITTER_ACCOUNT = "1500000000000000001"
SAM_TWITTER = "6e7f0a1b-2c3d-4e5f-8a9b-0c1d2e3f4a5b"  # Sam: @samedits
LINKEDIN = "9a2b6c3d-4e5f-4a7b-8c9d-0e1f2a3b4c5d"
COMPANY = "2414183"
PINTEREST = "3c4d8e9f-0a1b-4c2d-9e3f-4a5b6c7d8e9f"
BOARD = "5566778899001"
OTHER_BOARD = "5566778899002"

TWEET = f"/push/identities/{TWITTER}/twitter/post.json"
COMPANY_POST = f"/push/identities/{LINKEDIN}/linkedin/company/post.json"
PIN = f"/push/identities/{PINTEREST}/pinterest/board/{BOARD}/pin.json"
MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 200


def png(size: tuple[int, int] = (30, 20)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 120, 40)).save(out, format="PNG")
    return out.getvalue()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def send(
    client: httpx.Client,
    method: str,
    path: str,
    body: dict[str, Any] | None = None,
    **kwargs: Any,
) -> httpx.Response:
    kwargs.setdefault("auth", ONEALL_AUTH)
    return client.request(method, path, json=body, **kwargs)


def push(
    client: httpx.Client, path: str, key: str, fields: dict[str, Any], **kwargs: Any
) -> httpx.Response:
    """`{"request": {"push": {key: fields}}}` to a push route."""
    return send(client, "POST", path, {"request": {"push": {key: fields}}}, **kwargs)


def data(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()["response"]["result"]["data"]
    return found


def status(response: httpx.Response) -> dict[str, Any]:
    found: dict[str, Any] = response.json()["response"]["request"]["status"]
    return found


def info(response: httpx.Response) -> str:
    return str(status(response)["info"])


def tweet(client: httpx.Client, message: str, **fields: Any) -> httpx.Response:
    return push(client, TWEET, "post", {"message": message, **fields})


def upload_picture(client: httpx.Client, token: str = TWITTER, **fields: Any) -> str:
    path = f"/push/identities/{token}/twitter/picture.json"
    body = {"data": b64(png()), "name": "latte.png", **fields}
    return str(data(push(client, path, "picture", body))["picture_id"])


def objects(client: httpx.Client) -> list[dict[str, Any]]:
    response = client.get("/_emulator/networks")
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["objects"]
    return found
