"""What keeps the emulator cheap per batch item (issue 20), checked as mechanisms, never
as timings: a batch's post reads are one query, reads write nothing, lookups between
writes come from memory and stay right across writes, the rate limiter's work per call
does not grow with the number of pages, the fast parsers agree with urllib, and a
batch's reply, written as text entry by entry, is what encoding its entries gives."""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from statesync.emulator import graph
from statesync.emulator.app import form_pairs
from statesync.emulator.batch import _split_url
from statesync.emulator.faults import NOMINAL_PAGE_CALLS, RateLimiter
from statesync.emulator.seed import parse_seed
from statesync.emulator.server import run_emulator
from statesync.emulator.store import Store
from statesync.emulator.wire import _JSON, encode_json
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
    assert "FROM posts WHERE id IN" in seen[0]


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


def _batch(client: httpx.Client, items: list[dict[str, Any]], **form: str) -> Any:
    data = {"access_token": ACME_TOKEN, "batch": json.dumps(items), **form}
    return client.post("/v26.0/", data=data)


@pytest.mark.parametrize("include_headers", ["true", "false"])
def test_a_batch_reply_is_the_encoding_of_its_entries(
    client: httpx.Client, include_headers: str
) -> None:
    post_id = create_post(client, message='café "quoted" \\ back\nslash \u2028 ✓')
    items = [
        {"method": "GET", "relative_url": f"{post_id}?fields={READ},is_pinned"},
        {"method": "GET", "relative_url": f"{ACME}_1?fields=id"},  # an error
        {"method": "GET", "relative_url": post_id, "omit_response_on_success": True},
        {"method": "GET", "relative_url": f"{post_id}?fields=link"},  # code 12
    ]
    response = _batch(client, items, include_headers=include_headers)
    entries = response.json()
    assert entries[2] is None
    assert json.loads(entries[0]["body"])["message"].startswith("café")
    assert response.text == json.dumps(
        entries, ensure_ascii=False, separators=(",", ":")
    )


_JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(alphabet=st.characters(codec="utf-8")),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=5), inner, max_size=4)
    ),
    max_leaves=12,
)


@given(_JSON_VALUES)
def test_encode_json_agrees_with_the_json_encoder(value: Any) -> None:
    assert encode_json(value) == _JSON.encode(value)


def test_batch_items_carry_their_own_trace_ids(client: httpx.Client) -> None:
    post_id = create_post(client, message="traced")
    items = [
        {
            "method": "GET",
            "relative_url": f"{post_id if n % 2 else ACME + '_1'}?fields=id",
        }
        for n in range(50)
    ]
    traces = []
    for entry in _batch(client, items).json():
        headers = {h["name"]: h["value"] for h in entry["headers"]}
        trace = headers["x-fb-trace-id"]
        assert re.fullmatch(r"[A-Za-z0-9]{11}", trace)
        if entry["code"] != 200:  # an error's fbtrace_id is its reply's trace id
            assert json.loads(entry["body"])["error"]["fbtrace_id"] == trace
        traces.append(trace)
    assert len(set(traces)) == 50


def test_usage_headers_of_batch_items_follow_each_items_charge(
    client: httpx.Client,
) -> None:
    post_id = create_post(client, message="charged")
    limit = {"page_calls_per_window": 10, "window_s": 600}
    assert client.post("/_emulator/rate-limit", json=limit).status_code == 200
    items = [{"method": "GET", "relative_url": f"{post_id}?fields=id"}] * 4
    counts = []
    for entry in _batch(client, items).json():
        headers = {h["name"]: h["value"] for h in entry["headers"]}
        usage = json.loads(headers["x-business-use-case-usage"])
        counts.append(usage[ACME][0]["call_count"])
        assert json.loads(headers["x-app-usage"])["call_count"] == counts[-1]
    assert counts == [10, 20, 30, 40]  # PROTOCOL §4: each item is one call


def test_a_batch_reads_a_pin_an_earlier_item_made(client: httpx.Client) -> None:
    post_id = create_post(client, message="to pin")
    read = {"method": "GET", "relative_url": f"{post_id}?fields=is_pinned"}
    pin = {"method": "POST", "relative_url": post_id, "body": "is_pinned=true"}
    replies = _batch(client, [read, pin, read]).json()
    assert [json.loads(r["body"]).get("is_pinned") for r in replies] == [
        False,
        None,
        True,
    ]


def test_a_batch_works_out_its_inherited_proof_once(seed: dict[str, Any]) -> None:
    secret = "cost-app-secret"
    proof = hmac.new(secret.encode(), ACME_TOKEN.encode(), hashlib.sha256).hexdigest()
    items = [{"method": "GET", "relative_url": f"{ACME}?fields=id"}] * 5
    with (
        run_emulator(seed={**seed, "app_secret": secret}) as emulator,
        httpx.Client(base_url=emulator.url, trust_env=False) as http,
    ):
        graph._expected_proof.cache_clear()
        replies = _batch(http, items, appsecret_proof=proof).json()
    assert [reply["code"] for reply in replies] == [200] * 5
    info = graph._expected_proof.cache_info()
    assert (info.misses, info.hits) == (1, 5)  # the batch's own check, then its items
