"""`POST /{page-id}` details: checked on the way in, read back as the API would
normalize them (website, emails, hours), the rest as before (seed 004)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from statesync.emulator.server import run_emulator
from tests.emulator.support import ACME, ACME_TOKEN, ANALYST_ACME_TOKEN, graph_error


def update(client: httpx.Client, **details: str) -> httpx.Response:
    return client.post(f"/v26.0/{ACME}", data={"access_token": ACME_TOKEN, **details})


def read(client: httpx.Client, fields: str) -> dict[str, Any]:
    body: dict[str, Any] = client.get(
        f"/v26.0/{ACME}", params={"access_token": ACME_TOKEN, "fields": fields}
    ).json()
    return body


@pytest.mark.parametrize(
    ("sent", "read_back"),
    [
        ("https://acme.example", "https://acme.example/"),
        ("https://acme.example/", "https://acme.example/"),
        ("http://acme.example:8080", "http://acme.example:8080/"),
        ("https://acme.example?src=fb", "https://acme.example/?src=fb"),
        ("https://acme.example/menu", "https://acme.example/menu"),
    ],
)
def test_a_website_without_a_path_reads_back_with_a_slash(
    client: httpx.Client, sent: str, read_back: str
) -> None:
    assert update(client, website=sent).json() == {"success": True}
    assert read(client, "website")["website"] == read_back


def test_emails_read_back_deduplicated_and_sorted(client: httpx.Client) -> None:
    emails = ["zed@acme.example", "hi@acme.example", "zed@acme.example"]
    assert update(client, emails=json.dumps(emails)).json() == {"success": True}
    assert read(client, "emails")["emails"] == ["hi@acme.example", "zed@acme.example"]


def test_hours_read_back_zero_padded(client: httpx.Client) -> None:
    hours = {"mon_1_open": "8:00", "mon_1_close": "17:30", "sat_2_open": "09:05"}
    assert update(client, hours=json.dumps(hours)).json() == {"success": True}
    assert read(client, "hours")["hours"] == {
        "mon_1_open": "08:00",
        "mon_1_close": "17:30",
        "sat_2_open": "09:05",
    }


def test_good_phone_and_json_body_details(client: httpx.Client) -> None:
    response = client.post(
        f"/v26.0/{ACME}",
        json={
            "access_token": ACME_TOKEN,
            "phone": "+1 (555) 010-0.99",
            "emails": ["b@acme.example", "a@acme.example"],
            "hours": {"sun_1_open": "0:00", "sun_1_close": "23:59"},
        },
    )
    assert response.json() == {"success": True}
    assert read(client, "phone,emails,hours") == {
        "phone": "+1 (555) 010-0.99",
        "emails": ["a@acme.example", "b@acme.example"],
        "hours": {"sun_1_open": "00:00", "sun_1_close": "23:59"},
        "id": ACME,
    }


@pytest.mark.parametrize(
    ("param", "value", "words"),
    [
        ("emails", "hi@acme.example", "Param emails must be a JSON list"),
        ("emails", '{"a": "hi@acme.example"}', "Param emails must be a JSON list"),
        ("emails", "[1]", "Param emails must be a JSON list"),
        ("emails", '["no-at.example"]', "Param emails: 'no-at.example'"),
        ("emails", '["two@@acme.example"]', "Param emails: 'two@@acme.example'"),
        ("emails", '["@acme.example"]', "Param emails"),
        ("website", "acme.example", "Param website must be an http(s) URL"),
        ("website", "ftp://acme.example", "Param website must be an http(s) URL"),
        ("website", "https://", "Param website must be an http(s) URL"),
        ("website", "https://acme example", "Param website must be an http(s) URL"),
        ("website", "http://[::1", "Param website must be an http(s) URL"),
        ("hours", '["mon_1_open"]', "Param hours must be a JSON object"),
        ("hours", "8:00", "Param hours must be a JSON object"),
        ("hours", '{"monday_1_open": "08:00"}', "key 'monday_1_open'"),
        ("hours", '{"mon_3_open": "08:00"}', "key 'mon_3_open'"),
        ("hours", '{"mon_1_opens": "08:00"}', "key 'mon_1_opens'"),
        ("hours", '{"mon_1_open": "24:00"}', "mon_1_open must be a 24-hour time"),
        ("hours", '{"mon_1_open": "8:60"}', "mon_1_open must be a 24-hour time"),
        ("hours", '{"mon_1_open": "8am"}', "mon_1_open must be a 24-hour time"),
        ("hours", '{"mon_1_open": 800}', "mon_1_open must be a 24-hour time"),
        ("phone", "+1 555 CALL-NOW", "Param phone may hold only digits"),
        ("phone", "555/0100", "Param phone may hold only digits"),
    ],
)
def test_bad_details_are_error_100_naming_the_param(
    client: httpx.Client, param: str, value: str, words: str
) -> None:
    before = read(client, "about,website,emails,hours,phone")
    response = update(client, about="Changed", **{param: value})
    assert response.status_code == 400
    error = graph_error(response)
    assert error["code"] == 100
    assert words in str(error["message"]), error["message"]
    assert read(client, "about,website,emails,hours,phone") == before  # all or none


def test_empty_values_clear_details_without_checks(client: httpx.Client) -> None:
    update(client, phone="555 0100", emails='["hi@acme.example"]')
    assert update(client, website="", phone="", emails="null").json() == {
        "success": True
    }
    assert read(client, "about,website,phone,emails") == {
        "about": "Small-batch coffee.",
        "id": ACME,
    }


def test_existing_rules_still_hold(client: httpx.Client) -> None:
    unknown = update(client, name="Renamed")
    assert graph_error(unknown)["message"] == (
        "(#100) Param name is not a valid parameter for this endpoint"
    )
    denied = client.post(
        f"/v26.0/{ACME}", data={"access_token": ANALYST_ACME_TOKEN, "website": "x"}
    )
    assert denied.status_code == 403
    assert graph_error(denied)["code"] == 200  # permission before validation
    assert read(client, "phone") == {"id": ACME}  # unset fields are left out


def test_reset_restores_the_seeds_details(client: httpx.Client) -> None:
    update(client, website="https://other.example/x", about="Changed")
    assert client.post("/_emulator/reset").status_code == 200
    assert read(client, "about,website") == {
        "about": "Small-batch coffee.",
        "website": "https://acme.example/",
        "id": ACME,
    }


def test_a_restart_keeps_written_details_until_the_seed_changes_them(
    seed: dict[str, Any], tmp_path: Path
) -> None:
    state = tmp_path / "state.db"
    with (
        run_emulator(seed=seed, state=state) as emulator,
        httpx.Client(base_url=emulator.url, trust_env=False) as http,
    ):
        assert update(http, phone="555 0100").json() == {"success": True}
    with (
        run_emulator(seed=seed, state=state) as emulator,
        httpx.Client(base_url=emulator.url, trust_env=False) as http,
    ):
        assert read(http, "about,phone") == {
            "about": "Small-batch coffee.",
            "phone": "555 0100",
            "id": ACME,
        }
    edited = json.loads(json.dumps(seed))
    edited["pages"][0]["about"] = "Seeded anew."
    with (
        run_emulator(seed=edited, state=state) as emulator,
        httpx.Client(base_url=emulator.url, trust_env=False) as http,
    ):
        assert read(http, "about,phone") == {"about": "Seeded anew.", "id": ACME}
