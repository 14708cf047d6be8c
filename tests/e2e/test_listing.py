"""Listing a page's recent posts (crash recovery's look-up) over real HTTP.

Each test runs its own emulator on a state file that already holds 150 posts from a
day ago (written through the emulator's store with its clock set back), so that
``since`` has something to stop at; new posts are created through the API as usual.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from statesync.emulator.seed import parse_seed
from statesync.emulator.server import RunningEmulator, start_emulator
from statesync.emulator.store import Store
from statesync.model import PostFields
from statesync.providers import oneall as oneall_module
from statesync.providers.base import ListedPost, Lister
from statesync.providers.graph import GraphProvider
from statesync.providers.graph_wire import parse_graph_time
from statesync.providers.oneall import OneAllProvider
from statesync.providers.oneall_wire import parse_oneall_time
from statesync.providers.pacing import Pacer
from statesync.providers.retry import RetryPolicy
from statesync.secret import Secret
from tests.e2e.conftest import ACME, ACME_PAGE_TOKEN, BETA, USER_TOKEN

VERSION = "v26.0"
IDENTITY = "0f6a1c52-7d3e-4b8a-9c11-2e5f6a7b8c9d"
OLD_POSTS = 150
DAY_S = 24 * 3600
APP_SECRET = "test-app-secret-7b1e"
NO_WAIT = RetryPolicy(sleep=lambda seconds: None)


def emulator_with_old_posts(seed: dict[str, Any], state: Path) -> RunningEmulator:
    """An emulator whose Acme page already has ``OLD_POSTS`` posts a day old (and
    the seed's welcome post, as old)."""
    day_ago = time.time() - DAY_S
    store = Store(state, clock=lambda: day_ago)
    store.apply_seed(parse_seed(seed))
    for number in range(OLD_POSTS):
        store.create_post(
            ACME,
            message=f"old {number}",
            link=None,
            attachments=(),
            is_published=True,
            scheduled_publish_time=None,
        )
    store.close()
    return start_emulator(seed=seed, state=state, port=0)  # pages kept: no re-seed


@pytest.fixture
def aged(seed, tmp_path) -> Iterator[RunningEmulator]:
    server = emulator_with_old_posts(seed, tmp_path / "state.sqlite")
    yield server
    server.stop()


@pytest.fixture
def graph(aged) -> Iterator[GraphProvider]:
    with GraphProvider(
        base_url=aged.url,
        api_version=VERSION,
        token=Secret(USER_TOKEN),
        retry=NO_WAIT,
        pacer=Pacer(sleep=lambda seconds: None),
    ) as provider:
        yield provider


@pytest.fixture
def oneall(aged) -> Iterator[OneAllProvider]:
    with OneAllProvider(
        base_url=aged.url,
        public_key=Secret("test-public-key"),
        private_key=Secret("test-private-key"),
        identity_token=Secret(IDENTITY),
        retry=NO_WAIT,
    ) as provider:
        yield provider


def create_posts(server: RunningEmulator, count: int, prefix: str = "new") -> list[str]:
    """``count`` posts through the Graph feed endpoint, in creation order."""
    ids = []
    with httpx.Client(
        base_url=f"{server.url}/{VERSION}",
        headers={"Authorization": f"Bearer {ACME_PAGE_TOKEN}"},
    ) as client:
        for number in range(count):
            reply = client.post(f"/{ACME}/feed", data={"message": f"{prefix} {number}"})
            reply.raise_for_status()
            ids.append(str(reply.json()["id"]))
    return ids


def requests_to(server: RunningEmulator, route: str) -> int:
    return sum(
        entry["count"]
        for entry in server.stats()["routes"]
        if entry["method"] == "GET" and entry["route"] == route
    )


def assert_newest_first(listed: list[ListedPost], created: list[str]) -> None:
    assert [post.post_id for post in listed] == list(reversed(created))
    times = [post.created_time for post in listed]
    assert times == sorted(times, reverse=True)


@pytest.mark.parametrize("provider", ["graph", "oneall"])
def test_both_providers_are_listers(request, provider: str) -> None:
    lister: Lister = request.getfixturevalue(provider)
    assert callable(lister.recent_posts)


def test_graph_lists_posts_since_a_time_newest_first_across_pages(graph, aged) -> None:
    since = int(time.time()) - 3600
    created = create_posts(aged, 120)
    before = requests_to(aged, "/{page-id}/published_posts")

    listed = graph.recent_posts(ACME, since=since)

    assert_newest_first(listed, created)
    assert listed[0].fields == PostFields(message="new 119")
    assert all(post.created_time >= since for post in listed)
    # 100 new, then 20 new and 80 old: the second page reaches before `since`.
    assert requests_to(aged, "/{page-id}/published_posts") - before == 2


def test_graph_listing_reads_links_and_attachments_like_a_read(graph, aged) -> None:
    since = int(time.time()) - 60
    shared = graph.push(
        ACME, PostFields(message="Read this", link="https://acme.example/a?b=1")
    )
    photo = graph.push(
        ACME, PostFields(message="A photo", attachments=("10213097336001811",))
    )

    listed = {post.post_id: post for post in graph.recent_posts(ACME, since=since)}

    assert listed[shared].fields == graph.read(ACME, [shared])[shared]
    assert listed[photo].fields == PostFields(
        message="A photo", attachments=("10213097336001811",)
    )


def test_graph_listing_of_a_page_without_recent_posts_is_empty(graph, aged) -> None:
    assert graph.recent_posts(ACME, since=int(time.time()) + 3600) == []
    assert graph.recent_posts(BETA, since=0) == []


def test_graph_listing_from_the_beginning_lists_everything(graph, aged) -> None:
    created = create_posts(aged, 5)

    listed = graph.recent_posts(ACME, since=0)

    assert len(listed) == 1 + OLD_POSTS + 5  # the seed's welcome post first of all
    assert [post.post_id for post in listed[:5]] == list(reversed(created))
    assert listed[-1].fields == PostFields(message="Welcome to our page!")


def test_oneall_lists_posts_since_a_time_newest_first_across_pages(
    oneall, aged, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(oneall_module, "PULL_PAGE_SIZE", 50)
    since = int(time.time()) - 3600
    created = create_posts(aged, 120)
    before = requests_to(
        aged, "/pull/identities/{identity_token}/facebook/page/{page-id}/posts.json"
    )

    listed = oneall.recent_posts(ACME, since=since)

    assert_newest_first(listed, created)
    assert listed[0].fields == PostFields(message="new 119")
    pulls = requests_to(
        aged, "/pull/identities/{identity_token}/facebook/page/{page-id}/posts.json"
    )
    assert pulls - before == 3  # 50 + 50 new, then 20 new and 30 old


def test_both_listings_agree(graph, oneall, aged) -> None:
    since = int(time.time()) - 3600
    create_posts(aged, 7)
    graph.push(ACME, PostFields(message="linked", link="https://acme.example/x"))

    from_graph = graph.recent_posts(ACME, since=since)
    from_oneall = oneall.recent_posts(ACME, since=since)

    assert [(p.post_id, p.fields) for p in from_graph] == [
        (p.post_id, p.fields) for p in from_oneall
    ]
    for mine, theirs in zip(from_graph, from_oneall, strict=True):
        assert abs(mine.created_time - theirs.created_time) <= 1


@pytest.fixture
def secured(seed) -> Iterator[RunningEmulator]:
    server = start_emulator(seed={**seed, "app_secret": APP_SECRET}, port=0)
    yield server
    server.stop()


def test_graph_listing_carries_appsecret_proof(secured) -> None:
    """The secured emulator refuses any call without a valid proof (PROTOCOL §2)."""
    with GraphProvider(
        base_url=secured.url,
        api_version=VERSION,
        token=Secret(USER_TOKEN),
        app_secret=Secret(APP_SECRET),
        retry=NO_WAIT,
    ) as provider:
        post_id = provider.push(ACME, PostFields(message="proven and listed"))
        listed = provider.recent_posts(ACME, since=0)

    assert post_id in [post.post_id for post in listed]


# Times as the APIs write them


@pytest.mark.parametrize(
    ("text", "unix"),
    [
        ("2026-01-01T12:00:00+0000", 1767268800),
        ("2026-01-01T13:00:00+0100", 1767268800),
        ("2026-01-01T12:00:00Z", 1767268800),
        ("2026-01-01T12:00:00", 1767268800),
        ("1767268800", 1767268800),
        (1767268800, 1767268800),
    ],
)
def test_graph_times_are_read(text: object, unix: int) -> None:
    assert parse_graph_time(text) == unix


@pytest.mark.parametrize(
    ("text", "unix"),
    [
        ("Thu, 21 Sep 2017 15:56:59  0200", 1506002219),  # PROTOCOL §12: `+` as space
        ("Thu, 21 Sep 2017 15:56:59 +0200", 1506002219),
        ("Thu, 21 Sep 2017 11:56:59 -0200", 1506002219),
        ("Thu, 21 Sep 2017 13:56:59 +0000", 1506002219),  # as the emulator writes
        ("21 Sep 2017 13:56:59", 1506002219),
        ("Thu, 21 Sep 2017 13:56:59 GMT", 1506002219),
        ("2017-09-21T13:56:59Z", 1506002219),
    ],
)
def test_oneall_times_are_read_leniently(text: str, unix: int) -> None:
    assert parse_oneall_time(text) == unix


@pytest.mark.parametrize(
    "parse", [parse_graph_time, parse_oneall_time], ids=["graph", "oneall"]
)
@pytest.mark.parametrize("text", ["", "yesterday", "Thu, 31 Feb 2017 10:00:00", None])
def test_unreadable_times_are_none(parse: Callable[[object], int | None], text) -> None:
    assert parse(text) is None
