"""`/{page-id}/settings` (seed 004 "Update Page Settings"): read, set, refuse, batch,
reset, and settings from a seed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from statesync.emulator.seed import SeedError, parse_seed
from statesync.emulator.server import run_emulator
from tests.emulator.support import (
    ACME,
    ACME_TOKEN,
    ANALYST_ACME_TOKEN,
    BETA,
    BETA_TOKEN,
    USER_TOKEN,
    graph_error,
)

DEFAULTS = {
    "USERS_CAN_POST": True,
    "USERS_CAN_POST_PHOTOS": True,
    "USERS_CAN_TAG_SELF": True,
    "USERS_CAN_MESSAGE": True,
    "PROFANITY_FILTER": "OFF",
}


def settings(client: httpx.Client, page: str = ACME, token: str = ACME_TOKEN) -> Any:
    response = client.get(f"/v26.0/{page}/settings", params={"access_token": token})
    assert response.status_code == 200, response.text
    return {item["setting"]: item["value"] for item in response.json()["data"]}


def set_option(
    client: httpx.Client, option: str, page: str = ACME, token: str = ACME_TOKEN
) -> httpx.Response:
    return client.post(
        f"/v26.0/{page}/settings", data={"access_token": token, "option": option}
    )


def test_every_setting_is_listed_with_its_default(client: httpx.Client) -> None:
    body = client.get(
        f"/v26.0/{ACME}/settings", params={"access_token": ACME_TOKEN}
    ).json()
    assert body == {
        "data": [{"setting": name, "value": value} for name, value in DEFAULTS.items()]
    }


def test_set_one_setting_reads_back_on_that_page_only(client: httpx.Client) -> None:
    response = set_option(client, json.dumps({"USERS_CAN_MESSAGE": False}))
    assert response.status_code == 200
    assert response.json() == {"success": True}
    assert settings(client) == DEFAULTS | {"USERS_CAN_MESSAGE": False}
    assert set_option(client, '{"PROFANITY_FILTER": "STRONG"}').json() == {
        "success": True
    }
    assert settings(client) == DEFAULTS | {
        "USERS_CAN_MESSAGE": False,
        "PROFANITY_FILTER": "STRONG",
    }
    assert settings(client, BETA, BETA_TOKEN) == DEFAULTS


def test_seed_004s_unquoted_key_is_accepted(client: httpx.Client) -> None:
    assert set_option(client, "{USERS_CAN_POST: false}").json() == {"success": True}
    assert settings(client)["USERS_CAN_POST"] is False


def test_a_json_body_carries_the_option_as_an_object(client: httpx.Client) -> None:
    response = client.post(
        f"/v26.0/{ACME}/settings",
        json={"access_token": ACME_TOKEN, "option": {"USERS_CAN_TAG_SELF": False}},
    )
    assert response.json() == {"success": True}
    assert settings(client)["USERS_CAN_TAG_SELF"] is False


@pytest.mark.parametrize(
    ("option", "words"),
    [
        ('{"USERS_CAN_FLY": true}', "USERS_CAN_FLY is not a known page setting"),
        ('{"USERS_CAN_MESSAGE": "false"}', "USERS_CAN_MESSAGE must be true or false"),
        ('{"USERS_CAN_MESSAGE": 0}', "USERS_CAN_MESSAGE must be true or false"),
        ('{"PROFANITY_FILTER": "LOUD"}', 'PROFANITY_FILTER must be one of "OFF"'),
        ('{"PROFANITY_FILTER": true}', "PROFANITY_FILTER must be one of"),
        ("{}", "option must name exactly one setting, not 0"),
        (
            '{"USERS_CAN_POST": true, "USERS_CAN_MESSAGE": true}',
            "option must name exactly one setting, not 2",
        ),
        ('["USERS_CAN_POST"]', "option must be a JSON object"),
        ("USERS_CAN_POST=true", "option must be a JSON object"),
    ],
)
def test_bad_options_are_error_100_naming_the_option(
    client: httpx.Client, option: str, words: str
) -> None:
    response = set_option(client, option)
    assert response.status_code == 400
    error = graph_error(response)
    assert error["code"] == 100
    assert str(error["message"]).startswith("(#100) Param option")
    assert words in str(error["message"])
    assert settings(client) == DEFAULTS  # nothing changed


def test_missing_option_and_other_params_are_refused(client: httpx.Client) -> None:
    missing = client.post(f"/v26.0/{ACME}/settings", data={"access_token": ACME_TOKEN})
    assert graph_error(missing)["message"] == "(#100) The parameter option is required"
    other = client.post(
        f"/v26.0/{ACME}/settings",
        data={"access_token": ACME_TOKEN, "option": "{}", "USERS_CAN_POST": "true"},
    )
    assert graph_error(other)["code"] == 100
    assert "USERS_CAN_POST" in str(graph_error(other)["message"])
    delete = client.delete(
        f"/v26.0/{ACME}/settings", params={"access_token": ACME_TOKEN}
    )
    assert graph_error(delete)["code"] == 100


@pytest.mark.parametrize("token", [USER_TOKEN, ANALYST_ACME_TOKEN, BETA_TOKEN])
def test_setting_needs_manage_and_the_pages_own_token(
    client: httpx.Client, token: str
) -> None:
    response = set_option(client, '{"USERS_CAN_MESSAGE": false}', token=token)
    assert response.status_code == 403
    assert graph_error(response)["code"] == 200
    assert settings(client) == DEFAULTS


@pytest.mark.parametrize("token", [USER_TOKEN, ANALYST_ACME_TOKEN, BETA_TOKEN])
def test_reading_needs_a_reader_and_the_pages_own_token(
    client: httpx.Client, token: str
) -> None:
    response = client.get(f"/v26.0/{ACME}/settings", params={"access_token": token})
    assert response.status_code == 403
    assert graph_error(response)["code"] == 10  # as reading the feed without a task


def test_settings_in_a_batch(client: httpx.Client) -> None:
    option = urlencode({"option": '{"USERS_CAN_MESSAGE": false}'})
    batch = [
        {"method": "POST", "relative_url": f"{ACME}/settings", "body": option},
        {"method": "GET", "relative_url": f"{ACME}/settings"},
    ]
    response = client.post(
        "/v26.0/", data={"access_token": ACME_TOKEN, "batch": json.dumps(batch)}
    )
    wrote, read = response.json()
    assert (wrote["code"], json.loads(wrote["body"])) == (200, {"success": True})
    data = json.loads(read["body"])["data"]
    assert {"setting": "USERS_CAN_MESSAGE", "value": False} in data


def test_reset_restores_the_defaults(client: httpx.Client) -> None:
    set_option(client, '{"PROFANITY_FILTER": "MEDIUM"}')
    assert client.post("/_emulator/reset").status_code == 200
    assert settings(client) == DEFAULTS


def _seed(settings: Any) -> dict[str, Any]:
    return {
        "users": [
            {
                "id": "900001",
                "name": "Dana",
                "token": "user-token",
                "pages": [{"id": ACME, "token": "page-token", "tasks": ["MANAGE"]}],
            }
        ],
        "pages": [{"id": ACME, "name": "Acme", "settings": settings}],
    }


def test_a_seed_sets_initial_settings_that_reset_restores(tmp_path: Path) -> None:
    seed = _seed({"USERS_CAN_MESSAGE": False, "PROFANITY_FILTER": "STRONG"})
    seeded = DEFAULTS | {"USERS_CAN_MESSAGE": False, "PROFANITY_FILTER": "STRONG"}
    state = tmp_path / "state.db"
    with (
        run_emulator(seed=seed, state=state) as emulator,
        httpx.Client(base_url=emulator.url, trust_env=False) as http,
    ):
        assert settings(http, token="page-token") == seeded
        set_option(http, '{"USERS_CAN_MESSAGE": true}', token="page-token")
        assert settings(http, token="page-token")["USERS_CAN_MESSAGE"] is True
        emulator.reset()
        assert settings(http, token="page-token") == seeded
        set_option(http, '{"USERS_CAN_POST": false}', token="page-token")
    # A restart on the state file keeps what the API wrote, as it keeps posts...
    with (
        run_emulator(seed=seed, state=state) as emulator,
        httpx.Client(base_url=emulator.url, trust_env=False) as http,
    ):
        assert settings(http, token="page-token") == seeded | {"USERS_CAN_POST": False}
    # ...unless the seed's own settings for the page changed: then they are the seed's.
    edited = _seed({"PROFANITY_FILTER": "MEDIUM"})
    with (
        run_emulator(seed=edited, state=state) as emulator,
        httpx.Client(base_url=emulator.url, trust_env=False) as http,
    ):
        assert settings(http, token="page-token") == DEFAULTS | {
            "PROFANITY_FILTER": "MEDIUM"
        }


def test_a_seeds_bad_settings_are_each_reported() -> None:
    with pytest.raises(SeedError) as raised:
        parse_seed(_seed({"USERS_CAN_FLY": True, "PROFANITY_FILTER": "LOUD"}))
    problems = raised.value.problems
    assert any("USERS_CAN_FLY is not a known page setting" in p for p in problems)
    assert any("PROFANITY_FILTER must be one of" in p for p in problems)
    with pytest.raises(SeedError, match="must be a mapping of page settings"):
        parse_seed(_seed(["USERS_CAN_POST"]))
