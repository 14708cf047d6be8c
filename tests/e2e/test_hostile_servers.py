"""The CLI against servers that misbehave after a write, from outside the provider.

Issue 19: a redirect, an HTML error page, a cut body, a dropped connection or a reply
dripped one byte a second, answered to a push that the server carried out, must leave
the push's outcome unknown, never be taken for "refused, nothing published". Each test
runs ``apply`` through a misbehaving TCP proxy (tests/e2e/hostile_proxy.py) in front
of the emulator: it must fail with exit 1 and a clear message, and the next ``apply``
straight to the emulator must end with exactly one post per manifest entry, every id
in the lockfile. Both providers; the OneAll project reads (and lists) through the
Graph reader, so both URLs point at the proxy.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator

import httpx
import pytest
from click.testing import Result

from tests.e2e.conftest import ACME, ACME_PAGE_TOKEN, USER_TOKEN
from tests.e2e.hostile_proxy import Act, HostileProxy, hostile_proxy

VERSION = "v26.0"
DEADLINE_S = 2.0  # retries.max_total_s below: the whole of one call, retries included
MESSAGES = {"hours": "Open from Monday.", "promo": "Spring promo is here."}
MANIFEST = """
    page: "104510075301234"
    posts:
      hours:
        message: Open from Monday.
      promo:
        message: Spring promo is here.
"""
SECRETS = (
    USER_TOKEN,
    ACME_PAGE_TOKEN,
    "test-public-key",
    "test-private-key",
    "0f6a1c52-7d3e-4b8a-9c11-2e5f6a7b8c9d",
)


@pytest.fixture(params=["graph", "oneall"])
def provider(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def proxy(emulator) -> Iterator[HostileProxy]:
    with hostile_proxy(emulator.url) as running:
        yield running


@pytest.fixture
def hostile(project, emulator, provider, proxy, monkeypatch) -> HostileProxy:
    """A project on ``provider`` whose API calls all go through the proxy."""
    oneall = "oneall:\n  site: https://acme.api.oneall.com\n  read: graph\n"
    project.write(
        "statesync.yaml",
        f"provider: {provider}\n"
        "manifests: pages/\n"
        "lockfile: statesync.lock\n"
        f"retries: {{attempts: 2, max_total_s: {DEADLINE_S}, max_wait_s: 0}}\n"
        + (oneall if provider == "oneall" else ""),
    )
    project.write("pages/acme.yaml", MANIFEST)
    monkeypatch.setenv("STATESYNC_GRAPH_URL", proxy.url)
    monkeypatch.setenv("STATESYNC_ONEALL_URL", proxy.url)
    return proxy


@pytest.fixture
def direct(emulator, monkeypatch) -> Callable[[], None]:
    """Point the CLI straight at the emulator again, past the proxy."""

    def undo() -> None:
        monkeypatch.setenv("STATESYNC_GRAPH_URL", emulator.url)
        monkeypatch.setenv("STATESYNC_ONEALL_URL", emulator.url)

    return undo


def page_posts(emulator) -> dict[str, str]:
    """Every post on Acme, id -> message, read from the emulator by hand."""
    found: dict[str, str] = {}
    params: dict[str, str] = {"fields": "id,message", "limit": "100"}
    headers = {"Authorization": f"Bearer {ACME_PAGE_TOKEN}"}
    url: str | None = f"{emulator.url}/{VERSION}/{ACME}/feed"
    while url:
        reply = httpx.get(url, params=params, headers=headers).json()
        found.update({post["id"]: post.get("message", "") for post in reply["data"]})
        url = reply.get("paging", {}).get("next")
        params = {}
    return found


def pushes_seen(emulator) -> int:
    return sum(
        route["count"]
        for route in emulator.stats()["routes"]
        if route["method"] == "POST"
        and (route["route"].endswith("/feed") or route["route"].startswith("/push/"))
    )


def assert_failed_cleanly(result: Result, *phrases: str) -> None:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert "Error:" in result.stderr
    for phrase in phrases:
        assert phrase in result.stderr


def assert_one_post_per_entry(project, emulator) -> None:
    """Zero duplicates, zero lost ids: each manifest message once on the page, and
    the lockfile holding exactly those posts."""
    live = page_posts(emulator)
    for message in MESSAGES.values():
        assert list(live.values()).count(message) == 1, live
    ids = project.post_ids()
    assert sorted(ids) == sorted(MESSAGES)
    assert {key: live[post_id] for key, post_id in ids.items()} == MESSAGES


def converge(project, run, emulator, direct) -> None:
    """The next apply, past the proxy: settle the lost push by listing, push the rest."""
    direct()
    result = run("apply", "--auto-approve", ".")
    assert result.exit_code == 0, result.output
    assert_one_post_per_entry(project, emulator)
    assert run("plan", ".").stdout == "No changes.\n"


# A push carried out, then answered with something that proves nothing


@pytest.mark.parametrize(
    ("act", "phrase"),
    [
        (Act.REDIRECT_301, "does not follow (HTTP 301)"),
        (Act.REDIRECT_307, "does not follow (HTTP 307)"),
        (Act.HTML_502, "not JSON"),
        (Act.TRUNCATE, "before a complete reply"),
        (Act.DROP, "before a complete reply"),
    ],
)
def test_a_push_carried_out_then_spoiled_is_never_published_twice(
    hostile, project, run, emulator, direct, act: Act, phrase: str
) -> None:
    hostile.misbehave(act, start="push")

    result = run("apply", "--auto-approve", ".")

    assert_failed_cleanly(result, phrase)
    # Spoiled: the push, then the listing that would have settled it.
    spoiled = [seen for seen in hostile.seen if seen.act is act]
    assert spoiled[0].method == "POST"
    assert len(spoiled) >= 2
    assert pushes_seen(emulator) == 1  # never pushed again blindly
    assert list(page_posts(emulator).values()).count(MESSAGES["hours"]) == 1
    converge(project, run, emulator, direct)
    assert pushes_seen(emulator) == len(MESSAGES)


def test_a_redirect_of_a_push_without_a_listing_in_the_way_is_adopted(
    hostile, project, run, emulator, direct
) -> None:
    """Only the push is redirected: the same apply lists the page, finds the post the
    push published, and records it instead of pushing it again."""
    hostile.misbehave(Act.REDIRECT_301, only_pushes=True)

    result = run("apply", "--auto-approve", ".")

    assert result.exit_code == 0, result.output
    assert "adopted" in result.output
    assert pushes_seen(emulator) == len(MESSAGES)
    assert_one_post_per_entry(project, emulator)


# Slow servers: a total deadline per call, not per read


def test_a_dripping_server_cannot_hold_plan_or_apply(
    hostile, project, run, emulator, direct
) -> None:
    hostile.misbehave(Act.DRIP, start="push")
    began = time.monotonic()
    applied = run("apply", "--auto-approve", ".")
    apply_s = time.monotonic() - began

    # The push and the listing that would settle it are each cut at the deadline.
    assert_failed_cleanly(applied, "in time (ReadTimeout)")
    assert apply_s < 2 * 3 * DEADLINE_S
    dripped = [seen for seen in hostile.seen if seen.act is Act.DRIP]
    assert dripped[0].method == "POST"
    assert all(seen.sent < seen.planned for seen in dripped)  # given up mid-reply
    assert all(seen.sent <= 2 * DEADLINE_S + 2 for seen in dripped)

    hostile.misbehave(Act.DRIP)  # every request, from the first
    began = time.monotonic()
    planned = run("plan", ".")
    plan_s = time.monotonic() - began

    assert_failed_cleanly(planned, "in time (ReadTimeout)")
    assert plan_s < 3 * DEADLINE_S
    assert pushes_seen(emulator) == 1
    converge(project, run, emulator, direct)


# Secrets echoed back encoded


def test_secrets_echoed_back_encoded_reach_no_output(
    hostile, project, run, emulator, direct, caplog
) -> None:
    """The push is refused (so nothing was published) by a server that repeats the
    request's token, keys and identity token base64- and percent-encoded."""
    caplog.set_level(logging.DEBUG)
    hostile.misbehave(Act.ECHO, start="push")

    result = run("-v", "apply", "--auto-approve", ".")

    assert_failed_cleanly(result)
    assert hostile.echoed
    logged = [record.getMessage() for record in caplog.records]
    shown = "\n".join([result.stdout, result.stderr, caplog.text, *logged])
    assert "***" in result.stderr
    for forbidden in hostile.forbidden:
        assert forbidden not in shown
    for secret in SECRETS:
        assert secret not in shown
    assert pushes_seen(emulator) == 0  # refused by the proxy: never forwarded
    converge(project, run, emulator, direct)
