"""The movable clock (`/_emulator/clock`): the API's times follow it, scheduled posts go
live once it passes them, and reset brings back real time."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from statesync.emulator.clock import Clock, format_rfc3339, parse_rfc3339
from statesync.emulator.server import RunningEmulator
from tests.emulator.support import (
    ACME,
    ACME_TOKEN,
    IDENTITY,
    ONEALL_AUTH,
    create_post,
    graph_error,
)

HOUR = 3600
PARAMS = {"access_token": ACME_TOKEN}


def set_clock(client: httpx.Client, now: Any) -> httpx.Response:
    return client.post("/_emulator/clock", json={"now": now})


def rfc3339(unix: float) -> str:
    return format_rfc3339(unix)


def graph_time(unix: int) -> str:
    return datetime.fromtimestamp(unix, UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def unix_of(graph: str) -> int:
    return int(datetime.strptime(graph, "%Y-%m-%dT%H:%M:%S%z").timestamp())


def edge_ids(client: httpx.Client, edge: str) -> list[str]:
    body = client.get(f"/v26.0/{ACME}/{edge}", params=PARAMS).json()
    return [post["id"] for post in body["data"]]


def read(client: httpx.Client, post_id: str, fields: str) -> dict[str, Any]:
    body: dict[str, Any] = client.get(
        f"/v26.0/{post_id}", params={**PARAMS, "fields": fields}
    ).json()
    return body


def schedule(client: httpx.Client, when: int, message: str = "later") -> str:
    return create_post(
        client,
        message=message,
        published="false",
        scheduled_publish_time=str(when),
    )


# -- the Clock itself ------------------------------------------------------------------


def test_a_moved_clock_runs_on_at_real_speed() -> None:
    wall, ticks = [1000.0], [50.0]
    clock = Clock(lambda: wall[0], lambda: ticks[0])
    assert clock() == 1000.0
    assert clock.offset is None
    clock.set(5000.0)
    wall[0], ticks[0] = 1010.0, 60.0  # ten seconds go by
    assert clock() == 5010.0
    assert clock.offset == 4000.0
    clock.set(None)
    assert clock() == 1010.0
    assert clock.offset is None


@pytest.mark.parametrize(
    ("text", "unix"),
    [
        ("2030-01-01T00:00:00Z", 1893456000),
        ("2030-01-01t00:00:00z", 1893456000),
        ("2030-01-01T02:00:00+02:00", 1893456000),
        ("2029-12-31T19:00:00.500-05:00", 1893456000.5),
    ],
)
def test_rfc3339_instants(text: str, unix: float) -> None:
    assert parse_rfc3339(text) == unix


# -- control routes --------------------------------------------------------------------


def test_clock_starts_on_real_time(client: httpx.Client) -> None:
    body = client.get("/_emulator/clock").json()
    assert body["offset_s"] is None
    assert abs(parse_rfc3339(body["now"]) - time.time()) < 5


def test_set_clock_answers_utc_and_runs_on(client: httpx.Client) -> None:
    response = set_clock(client, "2030-06-01T14:00:00+02:00")
    assert response.status_code == 200
    assert response.json() == {"ok": True, "now": "2030-06-01T12:00:00Z"}
    state = client.get("/_emulator/clock").json()
    now = parse_rfc3339(state["now"])
    assert 0 <= now - parse_rfc3339("2030-06-01T12:00:00Z") < 5
    assert abs(state["offset_s"] - (now - time.time())) < 5
    back = set_clock(client, None)
    assert back.status_code == 200
    assert abs(parse_rfc3339(back.json()["now"]) - time.time()) < 5
    assert client.get("/_emulator/clock").json()["offset_s"] is None


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"time": "2030-01-01T00:00:00Z"},
        {"now": 1893456000},
        {"now": "2030-01-01T00:00:00"},  # no offset: which instant?
        {"now": "2030-01-01"},
        {"now": "2030-02-30T00:00:00Z"},
        {"now": "next tuesday"},
        {"now": "1969-12-31T23:59:59Z"},
        ["2030-01-01T00:00:00Z"],
    ],
)
def test_bad_clock_bodies_are_400(client: httpx.Client, body: Any) -> None:
    response = client.post("/_emulator/clock", json=body)
    assert response.status_code == 400
    assert "error" in response.json()
    assert client.get("/_emulator/clock").json()["offset_s"] is None
    not_json = client.post("/_emulator/clock", content=b"{now")
    assert not_json.status_code == 400


def test_reset_brings_back_real_time(client: httpx.Client) -> None:
    set_clock(client, "2031-01-01T00:00:00Z")
    assert client.post("/_emulator/reset").status_code == 200
    assert client.get("/_emulator/clock").json()["offset_s"] is None
    seeded = read(client, edge_ids(client, "feed")[0], "created_time")
    assert abs(unix_of(seeded["created_time"]) - time.time()) < 5


def test_running_emulator_set_clock(emulator: RunningEmulator) -> None:
    assert emulator.set_clock("2030-01-01T00:00:00Z").startswith("2030-01-01T00:00:0")
    assert abs(parse_rfc3339(emulator.set_clock(None)) - time.time()) < 5


# -- the API's times follow it ---------------------------------------------------------


def test_created_and_updated_times_follow_the_clock(client: httpx.Client) -> None:
    set_clock(client, "2030-01-01T00:00:00Z")
    post_id = create_post(client, message="from the future")
    created = unix_of(read(client, post_id, "created_time")["created_time"])
    assert 0 <= created - 1893456000 < 5
    set_clock(client, "2030-01-02T00:00:00Z")
    client.post(f"/v26.0/{post_id}", data={**PARAMS, "message": "edited"})
    body = read(client, post_id, "created_time,updated_time")
    assert unix_of(body["created_time"]) == created
    assert 0 <= unix_of(body["updated_time"]) - (1893456000 + 24 * HOUR) < 5


def test_the_scheduling_window_is_the_clocks(client: httpx.Client) -> None:
    real = int(time.time())
    set_clock(client, rfc3339(real + 30 * 24 * HOUR))
    too_soon = client.post(
        f"/v26.0/{ACME}/feed",
        data={
            **PARAMS,
            "message": "x",
            "published": "false",
            "scheduled_publish_time": str(real + HOUR),  # the clock's past
        },
    )
    assert graph_error(too_soon)["code"] == 100
    schedule(client, real + 30 * 24 * HOUR + HOUR)  # an hour ahead of the clock


def test_a_scheduled_post_goes_live_when_the_clock_passes_it(
    client: httpx.Client,
) -> None:
    when = int(time.time()) + 2 * HOUR
    post_id = schedule(client, when)
    assert post_id in edge_ids(client, "scheduled_posts")
    assert post_id not in edge_ids(client, "feed")
    set_clock(client, rfc3339(when + 60))
    # As on Facebook, its created_time is the time it was scheduled for.
    body = read(client, post_id, "is_published,created_time")
    assert body["is_published"] is True
    assert body["created_time"] == graph_time(when)
    for edge in ("feed", "posts", "published_posts"):
        assert edge_ids(client, edge)[0] == post_id  # the newest
    assert post_id not in edge_ids(client, "scheduled_posts")
    pulled = client.get(
        f"/pull/identities/{IDENTITY}/facebook/page/{ACME}/posts.json",
        auth=ONEALL_AUTH,
    ).json()["response"]
    first = pulled["result"]["data"]["posts"][0]
    assert first["post_id"] == post_id
    assert datetime.strptime(
        first["created_at"], "%a, %d %b %Y %H:%M:%S %z"
    ).timestamp() == float(when)
    # Moving back does not unpublish it.
    set_clock(client, None)
    assert read(client, post_id, "is_published")["is_published"] is True
    assert post_id in edge_ids(client, "published_posts")


def test_moving_back_and_forth_publishes_only_what_is_due(
    client: httpx.Client,
) -> None:
    real = int(time.time())
    set_clock(client, rfc3339(real - 10 * 24 * HOUR))
    past = schedule(client, real - 10 * 24 * HOUR + HOUR, "due in real time")
    near = schedule(client, real - 9 * 24 * HOUR, "due a day later")
    assert set(edge_ids(client, "scheduled_posts")) == {past, near}
    assert read(client, past, "is_published")["is_published"] is False
    set_clock(client, rfc3339(real - 10 * 24 * HOUR + 2 * HOUR))  # past `past` only
    assert read(client, past, "is_published")["is_published"] is True
    assert edge_ids(client, "scheduled_posts") == [near]
    set_clock(client, rfc3339(real - 20 * 24 * HOUR))  # back before both
    assert edge_ids(client, "scheduled_posts") == [near]
    later = schedule(client, real - 20 * 24 * HOUR + HOUR, "scheduled after going back")
    assert read(client, later, "is_published")["is_published"] is False
    set_clock(client, None)  # real time passes all of them
    assert edge_ids(client, "scheduled_posts") == []
    feed = client.get(
        f"/v26.0/{ACME}/feed", params={**PARAMS, "fields": "id,created_time"}
    ).json()["data"]
    published = {post["id"]: post["created_time"] for post in feed}
    assert published[near] == graph_time(real - 9 * 24 * HOUR)
    assert published[later] == graph_time(real - 20 * 24 * HOUR + HOUR)


def test_oneall_dates_follow_the_clock(client: httpx.Client) -> None:
    set_clock(client, "2030-01-01T00:00:00Z")
    response = client.get(
        f"/pull/identities/{IDENTITY}/facebook/pages.json", auth=ONEALL_AUTH
    )
    date = response.json()["response"]["request"]["date"]
    assert date.startswith("Tue, 01 Jan 2030 00:00:0")
