"""What keeps the emulator cheap per batch item (issue 20), checked as mechanisms, never
as timings: a batch's post reads are one query, reads write nothing, lookups between
writes come from memory and stay right across writes, the rate limiter's work per call
does not grow with the number of pages, and the fast parsers agree with urllib."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from statesync.emulator.app import form_pairs
from statesync.emulator.batch import _split_url
from statesync.emulator.faults import NOMINAL_PAGE_CALLS, RateLimiter
from statesync.emulator.seed import parse_seed
from statesync.emulator.store import Store
from tests.emulator.support import ACME, ACME_TOKEN, create_post

READ = "id,message,attachments{type,media_type,unshimmed_url,url,target,subattachments}"
PAGE = "104510075300001"


def _seed(posts: int) -> dict[str, Any]:
    return {
        "users": [
            {
                "id": "900001",
                "name": "Cost User",
                "token": "cost-user-token",
                "pages": [
                    {"id": PAGE, "token": "cost-page-token", "tasks": ["MANAGE"]}
                ],
            }
        ],
        "pages": [
            {
                "id": PAGE,
                "name": "Cost Page",
                "posts": [{"message": f"post {n}"} for n in range(posts)],
            }
        ],
    }


@pytest.fixture
def store() -> Iterator[Store]:
    store = Store(None)
    store.apply_seed(parse_seed(_seed(60)))
    yield store
    store.close()


def _statements(store: Store) -> list[str]:
    seen: list[str] = []
    store._db.set_trace_callback(seen.append)
    return seen


def test_prefetched_posts_are_read_without_a_query(store: Store) -> None:
    ids = [post.id for post in store.page_posts(PAGE)][:50]
    store.post(ids[0])  # any due scheduled post published beforehand
    seen = _statements(store)
    store.prefetch_posts(ids)
    posts = [store.post(post_id) for post_id in ids]
    assert [p.id for p in posts if p] == ids
    assert len(seen) == 1
    assert seen[0].startswith("SELECT * FROM posts WHERE id IN")


def test_reads_write_nothing(store: Store) -> None:
    post_id = store.page_posts(PAGE)[0].id
    store.post(post_id)
    seen = _statements(store)
    for _ in range(3):
        store.post(post_id)
        store.page(PAGE)
        store.principal("cost-page-token")
        store.page_posts(PAGE)
    assert seen
    assert not [s for s in seen if not s.startswith("SELECT")], seen


def test_people_and_pages_come_from_memory_between_writes(store: Store) -> None:
    store.page(PAGE)
    store.principal("cost-page-token")
    seen = _statements(store)
    assert store.page(PAGE) is not None
    assert store.principal("cost-page-token") is not None
    assert store.principal("no-such-token") is None
    assert store.principal("no-such-token") is None
    assert len(seen) == 2  # the unknown token: users, then roles, once
    store.update_page_details(PAGE, {"about": "changed"})
    page = store.page(PAGE)
    assert page is not None
    assert page.details["about"] == "changed"


def test_a_write_is_seen_by_the_reads_that_follow_it(store: Store) -> None:
    post_id = store.page_posts(PAGE)[0].id
    store.prefetch_posts([post_id])
    store.update_post(post_id, {"message": "edited"})
    post = store.post(post_id)
    assert post is not None
    assert post.message == "edited"
    store.prefetch_posts([post_id])
    assert store.delete_post(post_id)
    assert store.post(post_id) is None


def test_a_batch_reads_its_own_writes(client: httpx.Client) -> None:
    post_id = create_post(client, message="before")
    read = {"method": "GET", "relative_url": f"{post_id}?fields={READ}"}
    items = [
        read,
        {"method": "POST", "relative_url": post_id, "body": "message=after"},
        read,
        {"method": "DELETE", "relative_url": post_id},
        read,
    ]
    data = {"access_token": ACME_TOKEN, "batch": json.dumps(items)}
    replies = client.post("/v26.0/", data=data).json()
    assert [r["code"] for r in replies] == [200, 200, 200, 200, 400]
    assert json.loads(replies[0]["body"])["message"] == "before"
    assert json.loads(replies[2]["body"])["message"] == "after"


def test_every_batch_item_carries_its_usage(client: httpx.Client) -> None:
    ids = [create_post(client, message=f"usage {n}") for n in range(3)]
    items = [{"method": "GET", "relative_url": f"{i}?fields=id"} for i in ids]
    data = {"access_token": ACME_TOKEN, "batch": json.dumps(items)}
    replies = client.post("/v26.0/", data=data).json()
    for reply in replies:
        headers = {h["name"]: h["value"] for h in reply["headers"]}
        assert set(json.loads(headers["x-business-use-case-usage"])) == {ACME}
        assert json.loads(headers["x-app-usage"])["call_count"] >= 0


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@given(
    st.lists(
        st.tuples(st.sampled_from("abcde"), st.sampled_from([0.0, 0.5, 1.0, 3.0, 7.0])),
        max_size=120,
    ),
    st.sampled_from([None, 1, 3, 5]),
)
def test_rate_limiter_counts_as_a_naive_scan_would(
    calls: list[tuple[str, float]], budget: int | None
) -> None:
    """Same answers as scanning every page's calls, which the limiter does not do."""
    clock = Clock()
    limiter = RateLimiter(clock=clock)
    window = 10.0 if budget is not None else 24 * 3600.0
    limiter.configure(budget, window)
    naive: dict[str, list[float]] = {}
    per_page = budget if budget is not None else NOMINAL_PAGE_CALLS
    for page, step in calls:
        clock.now += step
        naive = {
            p: [t for t in ts if t > clock.now - window] for p, ts in naive.items()
        }
        recent = naive.setdefault(page, [])
        admitted = budget is None or len(recent) < budget
        if admitted:
            recent.append(clock.now)
        assert limiter.admit(page) is admitted
        busiest = max(len(ts) for ts in naive.values())
        assert limiter.app_usage() == math.ceil(busiest * 100 / per_page)
        assert limiter.usage(page).percent == math.ceil(len(recent) * 100 / per_page)


def test_rate_limiter_work_does_not_grow_with_pages() -> None:
    """app_usage never walks the pages: it reads a count kept as calls come and go."""
    clock = Clock()
    limiter = RateLimiter(clock=clock)
    limiter.configure(200, 60)
    for page in range(2000):
        limiter.admit(str(page))
    limiter._calls.clear()  # were any page consulted, the answer would change
    assert limiter.app_usage() == 1


_TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=20)


@given(st.lists(st.tuples(_TEXT, _TEXT), max_size=5))
def test_form_pairs_agree_with_parse_qsl(pairs: list[tuple[str, str]]) -> None:
    body = urlencode(pairs)
    assert form_pairs(body.encode()) == parse_qsl(body, keep_blank_values=True)


@pytest.mark.parametrize(
    "body", [b"a=%zz", b"a=%4", b"a=\\x41+b", b"&&a&b=", b"a=%C3%A9%26c"]
)
def test_form_pairs_of_odd_bodies(body: bytes) -> None:
    assert form_pairs(body) == parse_qsl(body.decode(), keep_blank_values=True)


@given(st.text(max_size=30))
def test_split_url_agrees_with_urlsplit(url: str) -> None:
    parts = urlsplit(url)
    assert _split_url(url) == (parts.path, parts.query)
