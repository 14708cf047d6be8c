"""Every error code of seed 003's tables, as a fault rule answers it: the Graph
envelope, the HTTP status and the seed's own message (raw httpx, no client code)."""

from __future__ import annotations

import httpx
import pytest

SEED_003_CODES = {
    100: (400, "(#100) Invalid parameter"),
    102: (400, "Session key invalid or no longer valid"),
    190: (400, "Invalid OAuth 2.0 Access Token"),
    200: (403, "(#200) Permissions error"),
    210: (400, "(#210) User not visible"),
    283: (400, "(#283) That action requires the extended permission"),
    368: (400, "(#368) The action attempted has been deemed abusive"),
    459: (400, "The session is invalid because the user has been checkpointed"),
    2500: (400, "Error parsing graph query"),
    3001: (400, "Invalid query"),
    80001: (400, "(#80001) There have been too many calls to this Page account."),
}


@pytest.mark.parametrize("code", sorted(SEED_003_CODES))
def test_a_fault_answers_each_seed_code_in_its_real_shape(emulator, code) -> None:
    status, message = SEED_003_CODES[code]
    rule = {"method": "GET", "path": "^/me$", "action": "error", "code": code}
    httpx.post(
        f"{emulator.url}/_emulator/faults", json={"rules": [rule]}
    ).raise_for_status()
    reply = httpx.get(
        f"{emulator.url}/v26.0/me",
        headers={"Authorization": "Bearer test-page-token-acme"},
    )
    assert reply.status_code == status
    error = reply.json()["error"]
    assert error["code"] == code
    assert error["message"].startswith(message)
    assert error["type"] == "OAuthException"
    assert error["fbtrace_id"]


def test_the_default_fault_is_the_transient_error(emulator) -> None:
    rule = {"method": "GET", "path": "^/me$", "action": "error"}
    httpx.post(
        f"{emulator.url}/_emulator/faults", json={"rules": [rule]}
    ).raise_for_status()
    reply = httpx.get(
        f"{emulator.url}/v26.0/me",
        headers={"Authorization": "Bearer test-page-token-acme"},
    )
    assert reply.status_code == 500
    assert reply.json()["error"]["code"] == 2
    assert reply.json()["error"]["is_transient"] is True
