"""Constants of tests/seed.yaml and raw-HTTP helpers (no statesync client code)."""

from __future__ import annotations

import httpx

ACME = "104510075301234"
BETA = "104510075305678"
USER_ID = "900001"
USER_TOKEN = "test-user-token-canary-5f2a"
ACME_TOKEN = "test-page-token-acme"
BETA_TOKEN = "test-page-token-beta"
ANALYST_TOKEN = "test-analyst-token"
ANALYST_ACME_TOKEN = "test-analyst-page-token-acme"
IDENTITY = "0f6a1c52-7d3e-4b8a-9c11-2e5f6a7b8c9d"
ONEALL_AUTH = ("test-public-key", "test-private-key")
ACME_MEDIA = ("10213097336001811", "10213097336001812", "10213097336001813")
BETA_MEDIA = "10213097336009001"


def create_post(
    client: httpx.Client, page: str = ACME, token: str = ACME_TOKEN, **data: str
) -> str:
    """Publish through Graph and return the new post id."""
    response = client.post(f"/v26.0/{page}/feed", data={"access_token": token, **data})
    assert response.status_code == 200, response.text
    post_id: str = response.json()["id"]
    return post_id


def graph_error(response: httpx.Response) -> dict[str, object]:
    error: dict[str, object] = response.json()["error"]
    return error
