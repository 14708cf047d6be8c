"""What the X, LinkedIn and Pinterest routes share (docs/oneall-networks.md): auth,
identities of one network, faults, stats, the clock, reset, restarts, the seed."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import httpx
import pytest

from statesync.emulator.seed import SeedError, parse_seed
from statesync.emulator.server import RunningEmulator, run_emulator
from statesync.emulator.x_text import weighted_length
from tests.emulator.networks_support import (
    COMPANY,
    COMPANY_POST,
    LINKEDIN,
    PIN,
    PINTEREST,
    TWEET,
    TWITTER,
    data,
    info,
    objects,
    push,
    send,
    status,
    tweet,
)
from tests.emulator.support import IDENTITY

IMAGE = {"image_url": "https://acme.example/a.jpg"}
ROUTES = [
    ("POST", TWEET, {"request": {"push": {"post": {"message": "hi"}}}}),
    (
        "POST",
        f"/push/identities/{TWITTER}/twitter/picture.json",
        {"request": {"push": {"picture": {"url": "https://a.example/p.png"}}}},
    ),
    (
        "POST",
        COMPANY_POST,
        {"request": {"push": {"post": {"company": COMPANY, "message": "hi"}}}},
    ),
    ("POST", PIN, {"request": {"push": {"pin": IMAGE}}}),
    ("DELETE", f"/update/identities/{PINTEREST}/pinterest/pin/1.json", None),
    ("DELETE", f"/update/identities/{TWITTER}/twitter/post/1.json", None),
]


@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
@pytest.mark.parametrize("auth", [None, ("test-public-key", "wrong")])
def test_every_route_needs_the_site_keys(
    client: httpx.Client, method: str, path: str, body: Any, auth: Any
) -> None:
    response = client.request(method, path, json=body, auth=auth)
    assert response.status_code == 401
    assert status(response)["flag"] == "error"
    assert objects(client) == []


@pytest.mark.parametrize(
    ("path", "key", "fields"),
    [
        (f"/push/identities/{LINKEDIN}/twitter/post.json", "post", {"message": "x"}),
        (f"/push/identities/{IDENTITY}/twitter/post.json", "post", {"message": "x"}),
        (
            f"/push/identities/{TWITTER}/linkedin/company/post.json",
            "post",
            {"company": COMPANY, "message": "x"},
        ),
        (
            f"/push/identities/{TWITTER}/pinterest/board/5566778899001/pin.json",
            "pin",
            IMAGE,
        ),
        (
            "/push/identities/00000000-0000-4000-8000-000000000000/twitter/post.json",
            "post",
            {"message": "x"},
        ),
    ],
)
def test_a_token_of_another_network_is_an_unknown_identity(
    client: httpx.Client, path: str, key: str, fields: dict[str, Any]
) -> None:
    response = push(client, path, key, fields)
    assert response.status_code == 404
    token = path.split("/")[3]
    assert info(response) == f"The identity_token [{token}] is invalid"


def test_a_network_token_is_not_a_facebook_identity(client: httpx.Client) -> None:
    path = f"/push/identities/{TWITTER}/facebook/page/post.json"
    response = push(client, path, "page", {"id": "104510075301234", "message": "x"})
    assert response.status_code == 404


def test_faults_apply_to_the_new_routes(client: httpx.Client) -> None:
    rules = [
        {"method": "POST", "path": "/twitter/post\\.json$", "action": "error"},
        {"path": "/pin\\.json$", "action": "commit_then_error", "status": 503},
    ]
    assert client.post("/_emulator/faults", json={"rules": rules}).status_code == 200
    failed = tweet(client, "lost")
    assert failed.status_code == 500
    assert info(failed) == "An unexpected error has occurred (emulated fault)"
    committed = push(client, PIN, "pin", IMAGE)
    assert committed.status_code == 503
    assert [o["network"] for o in objects(client)] == ["pinterest"]  # written anyway
    assert data(tweet(client, "lost"))  # each rule fires once


def test_stats_count_the_new_routes_by_template(
    client: httpx.Client, emulator: RunningEmulator
) -> None:
    tweet_id = data(tweet(client, "one"))["post_id"]
    send(client, "DELETE", f"/update/identities/{TWITTER}/twitter/post/{tweet_id}.json")
    picture = {"url": "https://a.example/p.png"}
    push(client, f"/push/identities/{TWITTER}/twitter/picture.json", "picture", picture)
    pin_id = data(push(client, PIN, "pin", IMAGE))["pin_id"]
    send(
        client, "DELETE", f"/update/identities/{PINTEREST}/pinterest/pin/{pin_id}.json"
    )
    push(client, COMPANY_POST, "post", {"company": COMPANY, "message": "x"})
    routes = {(r["method"], r["route"]): r["count"] for r in emulator.stats()["routes"]}
    assert routes == {
        ("POST", "/push/identities/{identity_token}/twitter/post.json"): 1,
        ("DELETE", "/update/identities/{identity_token}/twitter/post/{post-id}.json"): 1,
        ("POST", "/push/identities/{identity_token}/twitter/picture.json"): 1,
        ("POST", "/push/identities/{identity_token}/pinterest/board/{board-id}/pin.json"): 1,
        ("DELETE", "/update/identities/{identity_token}/pinterest/pin/{pin-id}.json"): 1,
        ("POST", "/push/identities/{identity_token}/linkedin/company/post.json"): 1,
    }  # fmt: skip


def test_times_follow_the_emulators_clock(
    client: httpx.Client, emulator: RunningEmulator
) -> None:
    emulator.set_clock("2026-03-01T09:00:00Z")
    data(tweet(client, "early"))
    assert objects(client)[0]["created_time"].startswith("2026-03-01T09:00")


def test_reset_clears_every_network_and_ids_start_over(
    client: httpx.Client, emulator: RunningEmulator
) -> None:
    first = data(tweet(client, "one"))["post_id"]
    data(push(client, PIN, "pin", IMAGE))
    data(push(client, COMPANY_POST, "post", {"company": COMPANY, "message": "x"}))
    assert len(objects(client)) == 3
    emulator.reset()
    assert objects(client) == []
    assert data(tweet(client, "one"))["post_id"] == first


def test_objects_survive_a_restart_on_the_same_state(
    tmp_path: Path, seed: dict[str, Any]
) -> None:
    state = tmp_path / "state.db"
    with (
        run_emulator(seed=seed, state=state) as emulator,
        httpx.Client(base_url=emulator.url, trust_env=False) as http,
    ):
        first = data(tweet(http, "kept"))["post_id"]
    with (
        run_emulator(seed=seed, state=state) as emulator,
        httpx.Client(base_url=emulator.url, trust_env=False) as http,
    ):
        assert [o["id"] for o in objects(http)] == [first]
        assert tweet(http, "kept").status_code == 403  # still the latest tweet
        assert data(tweet(http, "new"))["post_id"] > first


def test_unknown_control_method_is_still_404(client: httpx.Client) -> None:
    assert client.post("/_emulator/networks", json={}).status_code == 404


@pytest.mark.parametrize(
    ("identities", "problem"),
    [
        ({"mastodon": {}}, "oneall_identities.mastodon: unknown network"),
        ("x", "oneall_identities: must be a mapping of network"),
        ({"twitter": "x"}, "twitter: must be a mapping with token and account"),
        (
            {"twitter": {"token": "nope", "account": {"id": "1", "screen_name": "a"}}},
            "twitter.token: required, a uuid",
        ),
        (
            {"twitter": {"token": TWITTER, "account": {"id": "1"}}},
            "twitter.account.screen_name: required",
        ),
        ({"twitter": {"token": TWITTER}}, "twitter.account: required"),
        (
            {"twitter": {"token": TWITTER, "account": {"id": "x", "screen_name": "a"}}},
            'twitter.account.id: must be a numeric id such as "2414183"',
        ),
        ({"linkedin": {"token": LINKEDIN}}, "linkedin.companies: required"),
        (
            {"linkedin": {"token": LINKEDIN, "companies": ["a"]}},
            "companies[0]: must be",
        ),
        (
            {"pinterest": {"token": PINTEREST, "boards": []}},
            "pinterest.boards: required",
        ),
        (
            {"pinterest": {"token": PINTEREST, "boards": ["1", "1"]}},
            "boards: 1 is listed more than once",
        ),
        (
            {"pinterest": {"token": PINTEREST, "boards": ["1"], "board": "2"}},
            "pinterest.board: unknown key",
        ),
        ({"pinterest": {"token": IDENTITY, "boards": ["1"]}}, "is used more than once"),
        (
            {
                "linkedin": {"token": TWITTER, "companies": ["1"]},
                "twitter": {
                    "token": TWITTER,
                    "account": {"id": "1", "screen_name": "a"},
                },
            },
            f"identity token {TWITTER} is used more than once",
        ),
    ],
)
def test_bad_identities_in_the_seed_say_what_is_wrong(
    seed: dict[str, Any], identities: Any, problem: str
) -> None:
    variant = copy.deepcopy(seed)
    variant["users"][0]["oneall_identities"] = identities
    with pytest.raises(SeedError) as caught:
        parse_seed(variant)
    assert problem in str(caught.value)


def test_a_token_shared_between_users_is_refused(seed: dict[str, Any]) -> None:
    variant = copy.deepcopy(seed)
    variant["users"][1]["oneall_identities"] = variant["users"][2]["oneall_identities"]
    with pytest.raises(SeedError, match="is used more than once"):
        parse_seed(variant)


@pytest.mark.parametrize(
    ("text", "length"),
    [
        ("a", 1),
        ("é", 1),
        ("e\u0301", 1),  # NFC first
        ("ありがとう", 10),
        ("“quoted”…", 10),  # U+201C/D weigh 1, the ellipsis U+2026 2
        ("👍", 2),
        ("👍🏽", 2),  # skin tone
        ("👨\u200d👩\u200d👧", 2),  # a ZWJ family
        ("🇫🇷", 2),  # a flag
        ("❤️", 2),  # with a variation selector
        ("see https://acme.example/a/very/long/path?x=1.", 28),  # the "." is text
        ("http://", 7),  # a scheme alone is text
        ("HTTPS://ACME.EXAMPLE x", 25),
    ],
)
def test_weighted_length(text: str, length: int) -> None:
    assert weighted_length(text) == length
