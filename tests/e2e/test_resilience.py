"""Retries, unknown push outcomes, rate limits and secrets, over real loopback HTTP.

Faults come from the emulator's `/_emulator/` controls; payloads that echo secrets come
from a tiny real HTTP server in a thread (the emulator's fault rules cannot put chosen
text in a body). Nothing here really sleeps: every provider gets a retry policy and a
pacer whose sleep only records the wait.
"""

from __future__ import annotations

import base64
import itertools
import json
import logging
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from statesync.emulator.server import start_emulator
from statesync.errors import ConfigError, ProviderError
from statesync.model import PostFields
from statesync.providers.base import PushOutcomeUnknown
from statesync.providers.graph import GraphProvider
from statesync.providers.graph_errors import GraphError
from statesync.providers.oneall import OneAllProvider
from statesync.providers.oneall_errors import OneAllError
from statesync.providers.pacing import Pacer
from statesync.providers.retry import RetryPolicy
from statesync.secret import Secret
from tests.e2e.conftest import ACME, ACME_PAGE_TOKEN, USER_TOKEN

VERSION = "v26.0"
IDENTITY = "0f6a1c52-7d3e-4b8a-9c11-2e5f6a7b8c9d"
PUBLIC_KEY = "test-public-key"
PRIVATE_KEY = "test-private-key"


class Sleeps(list[float]):
    """A sleep that records and returns at once."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def graph_provider(emulator, sleeps) -> Iterator[Callable[..., GraphProvider]]:
    made: list[GraphProvider] = []

    def make(token: str = USER_TOKEN, **kwargs: Any) -> GraphProvider:
        options: dict[str, Any] = {
            "base_url": emulator.url,
            "api_version": VERSION,
            "token": Secret(token),
            "retry": RetryPolicy(sleep=sleeps),
            "pacer": Pacer(sleep=sleeps),
            **kwargs,
        }
        provider = GraphProvider(**options)
        made.append(provider)
        return provider

    yield make
    for provider in made:
        provider.close()


@pytest.fixture
def graph(graph_provider) -> GraphProvider:
    return graph_provider()


@pytest.fixture
def oneall(emulator, sleeps) -> Iterator[OneAllProvider]:
    with OneAllProvider(
        base_url=emulator.url,
        public_key=Secret(PUBLIC_KEY),
        private_key=Secret(PRIVATE_KEY),
        identity_token=Secret(IDENTITY),
        retry=RetryPolicy(sleep=sleeps),
    ) as provider:
        yield provider


def set_faults(emulator, *rules: dict[str, Any]) -> None:
    reply = httpx.post(f"{emulator.url}/_emulator/faults", json={"rules": list(rules)})
    reply.raise_for_status()


def set_rate_limit(emulator, calls: int, window_s: float) -> None:
    reply = httpx.post(
        f"{emulator.url}/_emulator/rate-limit",
        json={"page_calls_per_window": calls, "window_s": window_s},
    )
    reply.raise_for_status()


def requests_to(emulator, method: str, route: str, *, in_batch: bool = False) -> int:
    return sum(
        entry["count"]
        for entry in emulator.stats()["routes"]
        if entry["method"] == method
        and entry["route"] == route
        and entry.get("in_batch", False) is in_batch
    )


def posts_with(emulator, message: str) -> int:
    """How many posts on Acme carry ``message``, through the API's own feed listing."""
    found = 0
    params: dict[str, str] = {"fields": "id,message", "limit": "100"}
    headers = {"Authorization": f"Bearer {ACME_PAGE_TOKEN}"}
    url: str | None = f"{emulator.url}/{VERSION}/{ACME}/feed"
    while url:
        reply = httpx.get(url, params=params, headers=headers).json()
        found += sum(post.get("message") == message for post in reply["data"])
        url = reply.get("paging", {}).get("next")
        params = {}
    return found


def push_raw(emulator, message: str) -> str:
    reply = httpx.post(
        f"{emulator.url}/{VERSION}/{ACME}/feed",
        data={"message": message},
        headers={"Authorization": f"Bearer {ACME_PAGE_TOKEN}"},
    )
    reply.raise_for_status()
    return str(reply.json()["id"])


BATCH = ("POST", "/")
FEED = ("POST", "/{page-id}/feed")
POST_NODE = "/{page-id}_{post-id}"
ONEALL_PUSH = ("POST", "/push/identities/{identity_token}/facebook/page/post.json")
ONEALL_POST = (
    "/update/identities/{identity_token}/facebook/page/{page-id}/post/{post-id}.json"
)
ONEALL_PULL = (
    "GET",
    "/pull/identities/{identity_token}/facebook/page/{page-id}/posts.json",
)


# Graph: reads, updates and deletes retry


def test_a_read_hit_by_a_code_2_fault_succeeds_on_retry(
    graph, emulator, sleeps
) -> None:
    post_id = push_raw(emulator, "read me")
    graph.page_access(ACME)  # page tokens resolved before counting
    set_faults(
        emulator, {"method": "POST", "path": "^/$", "action": "error", "code": 2}
    )
    before = requests_to(emulator, *BATCH)

    assert graph.read(ACME, [post_id]) == {post_id: PostFields(message="read me")}

    assert requests_to(emulator, *BATCH) - before == 2
    assert len(sleeps) == 1


def test_a_failed_item_of_a_batch_is_read_again_alone(graph, emulator) -> None:
    kept = push_raw(emulator, "kept")
    failing = push_raw(emulator, "failing once")
    set_faults(
        emulator,
        {"method": "GET", "path": f"/{failing}$", "action": "error", "code": 2},
    )

    live = graph.read(ACME, [kept, failing])

    assert live == {
        kept: PostFields(message="kept"),
        failing: PostFields(message="failing once"),
    }
    items = requests_to(emulator, "GET", POST_NODE, in_batch=True)
    assert items == 3  # both, then the failed one alone


def test_a_dropped_read_succeeds_on_retry(graph, emulator) -> None:
    post_id = push_raw(emulator, "dropped once")
    graph.page_access(ACME)
    set_faults(emulator, {"method": "POST", "path": "^/$", "action": "drop"})

    assert graph.read(ACME, [post_id]) == {post_id: PostFields(message="dropped once")}
    assert requests_to(emulator, *BATCH) == 2


def test_a_delete_hit_by_commit_then_error_ends_as_success(graph, emulator) -> None:
    post_id = push_raw(emulator, "to delete")
    set_faults(
        emulator,
        {"method": "DELETE", "path": "_", "action": "commit_then_error", "code": 2},
    )

    graph.delete(ACME, post_id)  # the retry finds it gone (100/33): deleted

    assert requests_to(emulator, "DELETE", POST_NODE) == 2
    assert graph.read(ACME, [post_id]) == {post_id: None}


def test_an_update_hit_by_commit_then_drop_ends_as_success(graph, emulator) -> None:
    post_id = push_raw(emulator, "before")
    set_faults(
        emulator,
        {"method": "POST", "path": f"/{post_id}$", "action": "commit_then_drop"},
    )

    graph.update(ACME, post_id, PostFields(message="after"))

    assert requests_to(emulator, "POST", POST_NODE) == 2
    assert graph.read(ACME, [post_id]) == {post_id: PostFields(message="after")}


# Graph: pushes are never blindly retried


@pytest.mark.parametrize("action", ["commit_then_error", "commit_then_drop"])
def test_a_push_that_was_carried_out_is_an_unknown_outcome_never_a_duplicate(
    graph, emulator, action
) -> None:
    set_faults(emulator, {"method": "POST", "path": "/feed$", "action": action})

    with pytest.raises(PushOutcomeUnknown) as info:
        graph.push(ACME, PostFields(message="exactly once"))

    assert info.value.target == f"POST /{ACME}/feed"
    assert requests_to(emulator, *FEED) == 1
    assert posts_with(emulator, "exactly once") == 1
    # What the applier does next: the page's listing shows the post to adopt.
    listed = graph.recent_posts(ACME, since=0)
    assert [p.fields for p in listed].count(PostFields(message="exactly once")) == 1


def test_a_push_answered_500_is_an_unknown_outcome_too(graph, emulator) -> None:
    """The emulator's `error` wrote nothing, but a real 500 cannot say so: a client
    cannot tell it from `commit_then_error`, so it must not push again blindly."""
    set_faults(emulator, {"method": "POST", "path": "/feed$", "action": "error"})

    with pytest.raises(PushOutcomeUnknown) as info:
        graph.push(ACME, PostFields(message="maybe"))

    assert (info.value.status, info.value.code) == (500, 2)
    assert requests_to(emulator, *FEED) == 1
    assert posts_with(emulator, "maybe") == 0


def test_a_push_refused_for_rate_limiting_is_retried_after_the_regain_time(
    graph_provider, emulator, sleeps
) -> None:
    """80001 is answered before anything is done; with the regain time (10 min)
    allowed, the push waits it out and tries again (the emulator's window is real
    time, so here every try is refused again, up to the attempts' bound)."""
    graph = graph_provider(
        retry=RetryPolicy(sleep=sleeps, max_wait_s=900),
        pacer=Pacer(sleep=lambda seconds: None),  # its own waits are not counted here
    )
    graph.page_access(ACME)
    set_rate_limit(emulator, 1, 600)
    push_raw(emulator, "the one call of the budget")
    before = requests_to(emulator, *FEED)

    with pytest.raises(GraphError) as info:
        graph.push(ACME, PostFields(message="throttled"))

    assert info.value.code == 80001
    assert not isinstance(info.value, PushOutcomeUnknown)
    assert sleeps == [600.0] * 4
    assert requests_to(emulator, *FEED) - before == 5
    httpx.post(
        f"{emulator.url}/_emulator/rate-limit", json={"page_calls_per_window": None}
    ).raise_for_status()
    assert posts_with(emulator, "throttled") == 0


def test_a_push_that_could_not_connect_is_retried_then_reported(seed) -> None:
    """Connection refused: the request certainly never left, so even a push is
    tried again; when every attempt is refused, that is a plain error."""
    server = start_emulator(seed=seed, port=0)
    sleeps = Sleeps()
    with GraphProvider(
        base_url=server.url,
        api_version=VERSION,
        token=Secret(ACME_PAGE_TOKEN),
        retry=RetryPolicy(sleep=sleeps),
    ) as provider:
        provider.page_access(ACME)
        server.stop()  # nothing listens on its port any more
        with pytest.raises(GraphError) as info:
            provider.push(ACME, PostFields(message="never sent"))

    assert not isinstance(info.value, PushOutcomeUnknown)
    assert "(ConnectError)" in str(info.value)
    assert len(sleeps) == 4  # five attempts in all


# Graph: what is never retried, and rate limits


def test_code_190_is_not_retried(graph_provider, emulator, sleeps) -> None:
    graph = graph_provider(f"{USER_TOKEN}-revoked")

    with pytest.raises(GraphError) as info:
        graph.read(ACME, [f"{ACME}_1"])

    assert info.value.code == 190
    assert emulator.stats()["total"] == 1
    assert sleeps == []


def test_a_rate_limit_longer_than_the_maximum_stops_at_once(
    graph, emulator, sleeps
) -> None:
    graph.page_access(ACME)
    set_rate_limit(emulator, 1, 3600)
    post_id = push_raw(emulator, "rate limited")  # the one call of the budget
    before = emulator.stats()["total"]

    with pytest.raises(GraphError) as info:
        graph.update(ACME, post_id, PostFields(message="over budget"))

    assert info.value.code == 80001
    assert "access returns in about 60 min" in str(info.value)
    assert emulator.stats()["total"] - before == 1
    assert sleeps == []


def test_a_batch_item_refused_for_rate_limiting_says_when_access_returns(
    graph, emulator, sleeps
) -> None:
    graph.page_access(ACME)
    set_rate_limit(emulator, 1, 1200)
    post_id = push_raw(emulator, "read over budget")  # the one call of the budget

    with pytest.raises(GraphError) as info:
        graph.read(ACME, [post_id])

    assert info.value.code == 80001
    assert info.value.target == f"GET /{post_id} (in a batch)"
    assert "access returns in about 20 min" in str(info.value)
    assert sleeps == []


def test_usage_headers_of_real_replies_slow_reads_down_near_the_budget(
    graph, emulator, sleeps
) -> None:
    """A budget of 30 calls: usage passes 75% at the 23rd read, after which each
    read waits first, longer and longer. (Whether waiting keeps the budget would
    take the emulator's real-time window to show; the decision is unit-tested.)"""
    post_id = push_raw(emulator, "paced")
    graph.page_access(ACME)
    set_rate_limit(emulator, 30, 3600)
    waits: list[float] = []

    for _ in range(29):
        before = len(sleeps)
        assert graph.read(ACME, [post_id]) == {post_id: PostFields(message="paced")}
        waits.append(sum(sleeps[before:]))

    assert graph._pacer.usage(ACME) == 97  # ceil(29 * 100 / 30), from the headers
    assert waits[:23] == [0.0] * 23
    assert all(later > earlier for earlier, later in itertools.pairwise(waits[23:]))
    assert waits[23] > 0


# OneAll


def test_oneall_push_carried_out_then_dropped_is_an_unknown_outcome(
    oneall, emulator
) -> None:
    set_faults(
        emulator, {"method": "POST", "path": "^/push/", "action": "commit_then_drop"}
    )

    with pytest.raises(PushOutcomeUnknown) as info:
        oneall.push(ACME, PostFields(message="oneall once"))

    assert "***" in (info.value.target or "")
    assert IDENTITY not in str(info.value)
    assert requests_to(emulator, *ONEALL_PUSH) == 1
    assert posts_with(emulator, "oneall once") == 1
    listed = oneall.recent_posts(ACME, since=0)
    assert [p.fields.message for p in listed].count("oneall once") == 1


def test_oneall_push_answered_503_is_an_unknown_outcome(oneall, emulator) -> None:
    set_faults(
        emulator,
        {"method": "POST", "path": "^/push/", "action": "error", "status": 503},
    )

    with pytest.raises(PushOutcomeUnknown) as info:
        oneall.push(ACME, PostFields(message="oneall maybe"))

    assert info.value.status == 503
    assert requests_to(emulator, *ONEALL_PUSH) == 1


def test_oneall_push_refused_with_429_is_retried(oneall, emulator, sleeps) -> None:
    set_faults(
        emulator,
        {"method": "POST", "path": "^/push/", "action": "error", "status": 429},
    )

    post_id = oneall.push(ACME, PostFields(message="after a 429"))

    assert post_id.startswith(f"{ACME}_")
    assert requests_to(emulator, *ONEALL_PUSH) == 2
    assert posts_with(emulator, "after a 429") == 1
    assert len(sleeps) == 1


def test_oneall_update_and_delete_carried_out_then_failed_end_as_success(
    oneall, emulator
) -> None:
    post_id = oneall.push(ACME, PostFields(message="oneall before"))
    set_faults(
        emulator,
        {"method": "PUT", "path": "^/update/", "action": "commit_then_error"},
        {"method": "DELETE", "path": "^/update/", "action": "commit_then_drop"},
    )

    oneall.update(ACME, post_id, PostFields(message="oneall after"))
    assert oneall.read(ACME, [post_id]) == {post_id: PostFields(message="oneall after")}
    oneall.delete(ACME, post_id)  # the retry finds it gone (404): deleted

    assert requests_to(emulator, "PUT", ONEALL_POST) == 2
    assert requests_to(emulator, "DELETE", ONEALL_POST) == 2
    assert oneall.read(ACME, [post_id]) == {post_id: None}


def test_oneall_pull_retries_a_server_error(oneall, emulator) -> None:
    post_id = push_raw(emulator, "pulled")
    set_faults(
        emulator, {"method": "GET", "path": "^/pull/", "action": "error", "status": 502}
    )

    assert oneall.read(ACME, [post_id]) == {post_id: PostFields(message="pulled")}
    assert requests_to(emulator, *ONEALL_PULL) == 2


def test_oneall_401_is_not_retried(emulator, sleeps) -> None:
    with (
        OneAllProvider(
            base_url=emulator.url,
            public_key=Secret(PUBLIC_KEY),
            private_key=Secret("wrong-private-key"),
            identity_token=Secret(IDENTITY),
            retry=RetryPolicy(sleep=sleeps),
        ) as provider,
        pytest.raises(OneAllError) as info,
    ):
        provider.push(ACME, PostFields(message="refused"))

    assert info.value.status == 401
    assert not isinstance(info.value, PushOutcomeUnknown)
    assert emulator.stats()["total"] == 1
    assert sleeps == []


@pytest.mark.parametrize("base_url", ["http://acme.api.oneall.com", "http://10.0.0.1"])
def test_oneall_plain_http_off_loopback_is_refused(base_url: str) -> None:
    with pytest.raises(ConfigError, match="not https"):
        OneAllProvider(
            base_url=base_url,
            public_key=Secret(PUBLIC_KEY),
            private_key=Secret(PRIVATE_KEY),
            identity_token=Secret(IDENTITY),
        )


# Secrets: a real loopback server whose every error echoes what it was sent

GRAPH_CANARY = "EAAcanaryUSERtoken0123456789"
PAGE_CANARY = "EAAcanaryPAGEtoken9876543210"
APP_SECRET_CANARY = "canary-app-secret-5e1f"
ONEALL_CANARIES = {
    "public": "canary-public-key-77aa",
    "private": "canary-private-key-88bb",
    "identity": "canary-identity-99cc-0000-4000-8000",
}
BASIC = base64.b64encode(
    f"{ONEALL_CANARIES['public']}:{ONEALL_CANARIES['private']}".encode()
).decode()
CANARIES = (
    GRAPH_CANARY,
    PAGE_CANARY,
    APP_SECRET_CANARY,
    BASIC,
    *ONEALL_CANARIES.values(),
)


class Echo(BaseHTTPRequestHandler):
    """Answers every API call with an error that repeats the request's secrets."""

    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: http.server would write to stderr

    def _answer(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        sent = self.rfile.read(length).decode("utf-8", "replace")
        auth = self.headers.get("authorization", "")
        echo = f"{auth} {self.path} {sent}"
        status, code = self.server.status, self.server.code  # type: ignore[attr-defined]
        if self.path.startswith(f"/{VERSION}/me/accounts"):
            page = {
                "id": ACME,
                "access_token": PAGE_CANARY,
                "tasks": ["CREATE_CONTENT"],
            }
            status, body = 200, {"data": [page]}
        elif self.path.startswith("/push/") or self.path.startswith("/pull/"):
            body = {
                "response": {
                    "request": {
                        "date": "Thu, 21 Sep 2017 15:56:59  0200",
                        "resource": self.path,
                        "status": {"flag": "error", "code": status, "info": echo},
                    }
                }
            }
        else:
            body = {
                "error": {
                    "message": f"Invalid OAuth access token {echo}",
                    "type": "OAuthException",
                    "code": code,
                    "error_user_msg": f"token was {auth}",
                    "error_data": {"token": auth},
                    "fbtrace_id": "AbCdEf",
                }
            }
        raw = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(raw)))
        self.send_header(
            "WWW-Authenticate", f'OAuth "Facebook Platform" "invalid_token" "{echo}"'
        )
        self.end_headers()
        self.wfile.write(raw)

    do_GET = do_POST = do_PUT = do_DELETE = _answer


@pytest.fixture
def echo_server() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    server.status, server.code = 400, 190  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


def url_of(server: ThreadingHTTPServer) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}"


def assert_nothing_leaked(
    error: BaseException, caplog: pytest.LogCaptureFixture
) -> None:
    assert isinstance(error, ProviderError)
    texts = [str(error), repr(error), error.message, error.remedy or ""]
    texts += [record.getMessage() for record in caplog.records]
    assert caplog.records  # the logs were on, down to the HTTP libraries' debug
    for text in texts:
        for canary in CANARIES:
            assert canary not in text


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [(400, 190, GraphError), (500, 2, PushOutcomeUnknown)],
)
def test_graph_errors_echoing_tokens_leak_nowhere(
    echo_server, caplog, status, code, expected
) -> None:
    caplog.set_level(logging.DEBUG)
    echo_server.status, echo_server.code = status, code  # type: ignore[attr-defined]
    sleeps = Sleeps()
    with GraphProvider(
        base_url=url_of(echo_server),
        api_version=VERSION,
        token=Secret(GRAPH_CANARY),
        app_secret=Secret(APP_SECRET_CANARY),
        retry=RetryPolicy(sleep=sleeps),
    ) as provider:
        with pytest.raises(expected) as info:
            provider.push(ACME, PostFields(message="hello"))
        assert_nothing_leaked(info.value, caplog)
        with pytest.raises(GraphError) as read_info:
            provider.read(ACME, [f"{ACME}_1"])  # a batch, answered with the error
        assert_nothing_leaked(read_info.value, caplog)

    assert "***" in info.value.message


@pytest.mark.parametrize("status", [401, 503])
def test_oneall_errors_echoing_keys_and_identity_leak_nowhere(
    echo_server, caplog, status
) -> None:
    caplog.set_level(logging.DEBUG)
    echo_server.status = status  # type: ignore[attr-defined]
    with OneAllProvider(
        base_url=url_of(echo_server),
        public_key=Secret(ONEALL_CANARIES["public"]),
        private_key=Secret(ONEALL_CANARIES["private"]),
        identity_token=Secret(ONEALL_CANARIES["identity"]),
        retry=RetryPolicy(sleep=Sleeps()),
    ) as provider:
        with pytest.raises(ProviderError) as info:
            provider.push(ACME, PostFields(message="hello"))
        assert_nothing_leaked(info.value, caplog)
        with pytest.raises(ProviderError) as read_info:
            provider.recent_posts(ACME, since=0)
        assert_nothing_leaked(read_info.value, caplog)

    assert "***" in info.value.message
    assert any("HTTP Request" in record.getMessage() for record in caplog.records)


def test_http_logs_are_left_alone_once_providers_close(echo_server, caplog) -> None:
    caplog.set_level(logging.INFO)
    provider = GraphProvider(
        base_url=url_of(echo_server), api_version=VERSION, token=Secret(GRAPH_CANARY)
    )
    provider.close()

    logging.getLogger("httpx").info("HTTP Request: %s", GRAPH_CANARY)

    assert GRAPH_CANARY in caplog.text
