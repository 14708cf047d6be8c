"""Graph authentication: every token mode, 104, 190, appsecret_proof, /me, accounts."""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Any

import httpx
import pytest

from statesync.emulator.server import run_emulator
from tests.emulator.support import (
    ACME,
    ACME_TOKEN,
    ANALYST_TOKEN,
    BETA,
    USER_ID,
    USER_TOKEN,
    graph_error,
)


def test_token_in_query(client: httpx.Client) -> None:
    response = client.get("/v26.0/me", params={"access_token": USER_TOKEN})
    assert response.status_code == 200
    assert response.json() == {"id": USER_ID, "name": "Dana Example"}


def test_token_in_form_body(client: httpx.Client) -> None:
    response = client.post(
        f"/v26.0/{ACME}/feed", data={"access_token": ACME_TOKEN, "message": "form"}
    )
    assert response.status_code == 200


def test_token_in_json_body(client: httpx.Client) -> None:
    response = client.post(
        f"/v26.0/{ACME}/feed", json={"access_token": ACME_TOKEN, "message": "json"}
    )
    assert response.status_code == 200
    assert response.json()["id"].startswith(f"{ACME}_")


@pytest.mark.parametrize("scheme", ["Bearer", "OAuth"])
def test_token_in_authorization_header(client: httpx.Client, scheme: str) -> None:
    response = client.get(
        "/v26.0/me", headers={"Authorization": f"{scheme} {ACME_TOKEN}"}
    )
    assert response.status_code == 200
    assert response.json() == {"id": ACME, "name": "Acme Coffee"}  # a page token's /me


def test_missing_token_is_104(client: httpx.Client) -> None:
    response = client.get("/v26.0/me")
    assert response.status_code == 400
    error = graph_error(response)
    assert error["code"] == 104
    assert error["type"] == "OAuthException"
    assert error["message"] == "An access token is required to request this resource."
    assert isinstance(error["fbtrace_id"], str)


def test_unknown_token_is_190_with_www_authenticate(client: httpx.Client) -> None:
    response = client.get("/v26.0/me", params={"access_token": "EAAnot-a-token"})
    assert response.status_code == 400
    error = graph_error(response)
    assert error["code"] == 190
    assert error["type"] == "OAuthException"
    assert response.headers["www-authenticate"].startswith(
        'OAuth "Facebook Platform" "invalid_token"'
    )


def test_unversioned_and_trailing_slash_paths(client: httpx.Client) -> None:
    for path in ("/me", "/me/", "/v23.0/me/", "/v20.0/me"):
        response = client.get(path, params={"access_token": USER_TOKEN})
        assert response.status_code == 200, path
    # PROTOCOL §1: a dead version runs on the oldest live one.
    assert response.headers["facebook-api-version"] == "v21.0"


def test_me_fields(client: httpx.Client) -> None:
    response = client.get(
        "/v26.0/me", params={"access_token": USER_TOKEN, "fields": "name"}
    )
    assert response.json() == {"name": "Dana Example", "id": USER_ID}
    response = client.get(
        "/v26.0/me", params={"access_token": USER_TOKEN, "fields": "email"}
    )
    assert graph_error(response)["code"] == 100


def test_me_accounts_shape(client: httpx.Client) -> None:
    response = client.get("/v26.0/me/accounts", params={"access_token": USER_TOKEN})
    assert response.status_code == 200
    body = response.json()
    first = body["data"][0]
    assert list(first) == [
        "access_token",
        "category",
        "category_list",
        "name",
        "id",
        "tasks",
    ]
    assert first["access_token"] == ACME_TOKEN
    assert first["category"] == "Coffee Shop"
    assert first["category_list"][0]["name"] == "Coffee Shop"
    assert first["tasks"] == [
        "ANALYZE",
        "ADVERTISE",
        "MODERATE",
        "CREATE_CONTENT",
        "MANAGE",
    ]
    assert [page["id"] for page in body["data"]] == [ACME, BETA]
    assert set(body["paging"]["cursors"]) == {"before", "after"}
    assert "next" not in body["paging"]


def test_user_id_accounts_pages_with_cursors(client: httpx.Client) -> None:
    params = {"access_token": USER_TOKEN, "limit": "1"}
    first = client.get(f"/v26.0/{USER_ID}/accounts", params=params).json()
    assert [page["id"] for page in first["data"]] == [ACME]
    assert (
        "access_token=" in first["paging"]["next"]
    )  # the token rides along, as for real
    second = client.get(first["paging"]["next"]).json()
    assert [page["id"] for page in second["data"]] == [BETA]
    assert "next" not in second["paging"]
    assert "previous" in second["paging"]


def test_accounts_with_page_token_is_100(client: httpx.Client) -> None:
    response = client.get("/v26.0/me/accounts", params={"access_token": ACME_TOKEN})
    assert response.status_code == 400
    error = graph_error(response)
    assert error["code"] == 100
    assert error["message"] == (
        "(#100) Tried accessing nonexisting field (accounts) on node type (Page)"
    )


def test_accounts_of_another_user_fails(client: httpx.Client) -> None:
    response = client.get(
        f"/v26.0/{USER_ID}/accounts", params={"access_token": ANALYST_TOKEN}
    )
    assert graph_error(response)["code"] == 100


def _secret_seed(seed: dict[str, Any]) -> dict[str, Any]:
    return {**seed, "app_secret": "shh-app-secret"}


def _proof(message: str) -> str:
    return hmac.new(b"shh-app-secret", message.encode(), hashlib.sha256).hexdigest()


def test_appsecret_proof(seed: dict[str, Any]) -> None:
    with (
        run_emulator(seed=_secret_seed(seed)) as emulator,
        httpx.Client(base_url=emulator.url, trust_env=False) as http,
    ):
        missing = http.get("/v26.0/me", params={"access_token": USER_TOKEN})
        assert graph_error(missing) | {"fbtrace_id": ""} == {
            "message": "API calls from the server require an appsecret_proof argument",
            "type": "GraphMethodException",
            "code": 100,
            "fbtrace_id": "",
        }
        wrong = http.get(
            "/v26.0/me",
            params={"access_token": USER_TOKEN, "appsecret_proof": "00" * 32},
        )
        assert graph_error(wrong)["message"] == (
            "Invalid appsecret_proof provided in the API argument"
        )
        plain = http.get(
            "/v26.0/me",
            params={"access_token": USER_TOKEN, "appsecret_proof": _proof(USER_TOKEN)},
        )
        assert plain.status_code == 200
        now = str(int(time.time()))
        timed = http.get(
            "/v26.0/me",
            params={
                "access_token": USER_TOKEN,
                "appsecret_proof": _proof(f"{USER_TOKEN}|{now}"),
                "appsecret_time": now,
            },
        )
        assert timed.status_code == 200
        old = str(int(time.time()) - 600)  # expires after 5 minutes
        expired = http.get(
            "/v26.0/me",
            params={
                "access_token": USER_TOKEN,
                "appsecret_proof": _proof(f"{USER_TOKEN}|{old}"),
                "appsecret_time": old,
            },
        )
        assert graph_error(expired)["code"] == 100
