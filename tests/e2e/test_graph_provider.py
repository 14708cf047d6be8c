"""The Graph provider over real HTTP against the emulator (seeds 002-004, PROTOCOL.md).

Tokens and pages are those of tests/seed.yaml. Requests are observed by wrapping the
real transport (every request still goes over the wire), never by mocking it.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator

import httpx
import pytest

from statesync.emulator.server import start_emulator
from statesync.errors import ConfigError, ProviderError
from statesync.kinds import Kind
from statesync.model import PostFields
from statesync.providers import graph_pages, graph_read
from statesync.providers.base import PostGone, PushOutcomeUnknown, Reader, Writer
from statesync.providers.graph import GraphProvider
from statesync.providers.pacing import Pacer
from statesync.providers.retry import RetryPolicy
from statesync.secret import Secret
from tests.e2e.conftest import ACME, ACME_PAGE_TOKEN, BETA, USER_TOKEN

ANALYST_TOKEN = "test-analyst-token"  # tests/seed.yaml: only ANALYZE on Acme
ANALYST_PAGE_TOKEN = "test-analyst-page-token-acme"
VERSION = "v26.0"
APP_SECRET = "test-app-secret-3c9d"
UNKNOWN_PAGE = "104510075309999"
NO_WAIT = RetryPolicy(sleep=lambda seconds: None)  # retries, but never really waits


class RecordingTransport(httpx.HTTPTransport):
    """The real transport, remembering what went over the wire."""

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return super().handle_request(request)


@pytest.fixture
def wire() -> RecordingTransport:
    return RecordingTransport()


@pytest.fixture
def connect(emulator, wire) -> Iterator[Callable[..., GraphProvider]]:
    """A provider on the emulator; the default token is the seed's user token."""
    providers: list[GraphProvider] = []

    def make(token: str = USER_TOKEN, **kwargs: object) -> GraphProvider:
        options: dict[str, object] = {
            "base_url": emulator.url,
            "api_version": VERSION,
            "token": Secret(token),
            "transport": wire,
            "retry": NO_WAIT,
            "pacer": Pacer(sleep=lambda seconds: None),
            **kwargs,
        }
        provider = GraphProvider(**options)  # type: ignore[arg-type]
        providers.append(provider)
        return provider

    yield make
    for provider in providers:
        provider.close()


@pytest.fixture
def provider(connect) -> GraphProvider:
    return connect()


@pytest.fixture
def media(emulator) -> Callable[[], str]:
    """An unpublished photo on Acme (PROTOCOL §9), to attach by id."""

    def upload() -> str:
        reply = httpx.post(
            f"{emulator.url}/{VERSION}/{ACME}/photos",
            data={"url": "https://acme.example/latte.jpg", "published": "false"},
            headers={"Authorization": f"Bearer {ACME_PAGE_TOKEN}"},
        )
        reply.raise_for_status()
        return str(reply.json()["id"])

    return upload


def set_faults(emulator, rules: list[dict]) -> None:
    reply = httpx.post(f"{emulator.url}/_emulator/faults", json={"rules": rules})
    reply.raise_for_status()


def batch_requests(emulator) -> int:
    """Batch requests since the last reset (a batch counts once as ``POST /``)."""
    return sum(
        route["count"]
        for route in emulator.stats()["routes"]
        if route["method"] == "POST"
        and route["route"] == "/"
        and not route.get("in_batch")
    )


def raised(action: Callable[[], object], kind: type[ProviderError] = ProviderError):
    """The error ``action`` raises, checked to carry no token in any of its text."""
    with pytest.raises(kind) as info:
        action()
    error = info.value
    for text in (str(error), repr(error), error.message, error.remedy or ""):
        for token in (USER_TOKEN, ACME_PAGE_TOKEN, ANALYST_TOKEN, ANALYST_PAGE_TOKEN):
            assert token not in text
    return error


def test_graph_provider_is_a_writer_and_a_reader(provider) -> None:
    writer: Writer = provider
    reader: Reader = provider
    assert writer.capabilities[Kind.POST].in_place == {"message", "attachments"}
    assert reader is writer
    assert USER_TOKEN not in repr(provider)


def test_push_read_update_delete_round_trip(provider) -> None:
    post_id = provider.push(ACME, PostFields(message="Spring menu is here!"))
    assert post_id.startswith(f"{ACME}_")
    assert provider.read(ACME, [post_id]) == {
        post_id: PostFields(message="Spring menu is here!")
    }

    provider.update(ACME, post_id, PostFields(message="Summer menu is here!"))
    assert provider.read(ACME, [post_id])[post_id] == PostFields(
        message="Summer menu is here!"
    )

    provider.delete(ACME, post_id)
    assert provider.read(ACME, [post_id]) == {post_id: None}


def test_link_and_attachments_read_back_as_pushed(provider, media) -> None:
    first, second = media(), media()
    shared = provider.push(
        ACME, PostFields(message="Read all about it", link="https://acme.example/a?b=1")
    )
    photo = provider.push(ACME, PostFields(message="One", attachments=(first,)))
    album = provider.push(ACME, PostFields(attachments=(second, first)))

    live = provider.read(ACME, [shared, photo, album])

    assert live == {
        shared: PostFields(
            message="Read all about it", link="https://acme.example/a?b=1"
        ),
        photo: PostFields(message="One", attachments=(first,)),
        album: PostFields(attachments=(second, first)),
    }


def test_update_changes_and_clears_attachments_in_place(provider, media) -> None:
    first, second = media(), media()
    post_id = provider.push(ACME, PostFields(message="Gallery", attachments=(first,)))

    provider.update(ACME, post_id, PostFields(message="Gallery", attachments=(second,)))
    assert provider.read(ACME, [post_id])[post_id] == PostFields(
        message="Gallery", attachments=(second,)
    )

    provider.update(ACME, post_id, PostFields(message="No pictures"))
    assert provider.read(ACME, [post_id])[post_id] == PostFields(message="No pictures")


def test_update_of_a_link_post_keeps_its_link(provider) -> None:
    link = "https://acme.example/spring"
    post_id = provider.push(ACME, PostFields(message="Old", link=link))

    provider.update(ACME, post_id, PostFields(message="New", link=link))

    assert provider.read(ACME, [post_id])[post_id] == PostFields(
        message="New", link=link
    )


def test_reading_120_posts_costs_3_batch_requests(provider, emulator) -> None:
    post_ids = [
        provider.push(ACME, PostFields(message=f"post {n}")) for n in range(120)
    ]
    provider.read(ACME, post_ids[:1])  # page tokens resolved before counting
    before = batch_requests(emulator)

    live = provider.read(ACME, post_ids)

    assert batch_requests(emulator) - before == 3
    assert [live[post_id] for post_id in post_ids] == [
        PostFields(message=f"post {n}") for n in range(120)
    ]


def test_a_deleted_post_reads_as_none_and_cannot_be_updated(provider) -> None:
    kept = provider.push(ACME, PostFields(message="kept"))
    gone = provider.push(ACME, PostFields(message="gone"))
    provider.delete(ACME, gone)

    assert provider.read(ACME, [kept, gone]) == {
        kept: PostFields(message="kept"),
        gone: None,
    }
    error = raised(
        lambda: provider.update(ACME, gone, PostFields(message="x")), PostGone
    )
    assert error.target == f"POST /{gone}"
    provider.delete(ACME, gone)  # already gone is success (PROTOCOL §10)


def test_a_user_token_resolves_the_page_token_of_each_page(provider, wire) -> None:
    acme = provider.push(ACME, PostFields(message="on Acme"))
    beta = provider.push(BETA, PostFields(message="on Beta"))

    assert acme.startswith(f"{ACME}_")
    assert beta.startswith(f"{BETA}_")
    assert provider.read(BETA, [beta]) == {beta: PostFields(message="on Beta")}
    accounts = [r for r in wire.requests if r.url.path.endswith("/me/accounts")]
    assert len(accounts) == 1  # resolved once, for every page
    feed = next(r for r in wire.requests if r.url.path.endswith(f"/{ACME}/feed"))
    assert feed.headers["Authorization"] == f"Bearer {ACME_PAGE_TOKEN}"


def test_a_page_token_works_for_its_own_page_only(connect) -> None:
    provider = connect(ACME_PAGE_TOKEN)

    post_id = provider.push(ACME, PostFields(message="with a page token"))
    assert provider.read(ACME, [post_id]) == {
        post_id: PostFields(message="with a page token")
    }
    error = raised(lambda: provider.push(BETA, PostFields(message="elsewhere")))
    assert f"page {BETA}" in str(error)
    assert f"page token for page {ACME}" in str(error)


def test_tokens_never_travel_in_a_url(provider, wire) -> None:
    post_id = provider.push(ACME, PostFields(message="hello"))
    provider.read(ACME, [post_id])
    provider.update(ACME, post_id, PostFields(message="bye"))
    provider.delete(ACME, post_id)

    assert wire.requests
    for request in wire.requests:
        assert "access_token" not in str(request.url)
        for token in (USER_TOKEN, ACME_PAGE_TOKEN):
            assert token not in str(request.url)
        assert request.headers["Authorization"].startswith("Bearer ")
        assert request.headers["User-Agent"].startswith("statesync/")


def test_a_bad_token_is_code_190_without_token_text(connect) -> None:
    provider = connect(f"{USER_TOKEN}-revoked")

    error = raised(lambda: provider.read(ACME, [f"{ACME}_1"]))

    assert error.code == 190
    assert "access token is invalid or has expired" in str(error)
    assert f"{USER_TOKEN}-revoked" not in str(error)


def test_a_page_the_token_does_not_administer_is_a_clear_error(provider) -> None:
    error = raised(lambda: provider.push(UNKNOWN_PAGE, PostFields(message="hi")))

    assert str(error).startswith(
        f"GET /me/accounts: page {UNKNOWN_PAGE} is not among the pages this token "
        "administers"
    )
    assert "task on the page" in str(error)


def test_a_user_without_create_content_gets_a_permission_error(connect) -> None:
    provider = connect(ANALYST_TOKEN)

    error = raised(lambda: provider.push(ACME, PostFields(message="not allowed")))

    assert error.target == f"POST /{ACME}/feed"
    assert error.code == 200
    assert "CREATE_CONTENT" in str(error)
    assert "this token's tasks on the page: ANALYZE" in str(error)


def test_a_transient_fault_on_a_push_is_an_unknown_outcome(provider, emulator) -> None:
    set_faults(
        emulator,
        [
            {
                "method": "POST",
                "path": "/feed$",
                "action": "error",
                "code": 2,
                "times": 1,
            }
        ],
    )

    error = raised(
        lambda: provider.push(ACME, PostFields(message="hi")), PushOutcomeUnknown
    )

    assert error.code == 2
    assert error.target == f"POST /{ACME}/feed"
    assert "the post may have been published anyway" in str(error)


def test_a_refused_connection_says_cannot_reach() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    base_url = f"http://127.0.0.1:{port}"
    with GraphProvider(
        base_url=base_url, api_version=VERSION, token=Secret(USER_TOKEN), retry=NO_WAIT
    ) as provider:
        error = raised(lambda: provider.read(ACME, [f"{ACME}_1"]))

    assert f"cannot reach {base_url} (ConnectError)" in str(error)


@pytest.mark.parametrize(
    "base_url", ["http://graph.facebook.com", "ftp://127.0.0.1", "http://10.0.0.1:80"]
)
def test_a_plain_http_url_off_loopback_is_refused(base_url: str) -> None:
    with pytest.raises(ConfigError):
        GraphProvider(base_url=base_url, api_version=VERSION, token=Secret(USER_TOKEN))


def test_a_malformed_api_version_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"v26\.0"):
        GraphProvider(
            base_url="https://graph.facebook.com",
            api_version="26",
            token=Secret(USER_TOKEN),
        )


def test_page_tokens_follow_the_after_cursor_not_the_next_url(
    connect, wire, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        graph_pages, "ACCOUNTS_PAGE_SIZE", 1
    )  # one page per /me/accounts
    provider = connect()

    post_id = provider.push(BETA, PostFields(message="second page of accounts"))

    assert post_id.startswith(f"{BETA}_")
    accounts = [r for r in wire.requests if r.url.path.endswith("/me/accounts")]
    assert len(accounts) >= 2
    assert [set(r.url.params) for r in accounts[1:]] == [{"limit", "after"}] * (
        len(accounts) - 1
    )


def test_a_failed_item_of_a_batch_names_the_post(provider, emulator) -> None:
    kept = provider.push(ACME, PostFields(message="kept"))
    failing = provider.push(ACME, PostFields(message="failing"))
    set_faults(
        emulator,
        [
            {
                "method": "GET",
                "path": f"/{failing}$",
                "action": "error",
                "code": 2,
                "times": None,  # every retry fails too
            }
        ],
    )

    error = raised(lambda: provider.read(ACME, [kept, failing]))

    assert error.target == f"GET /{failing} (in a batch)"
    assert error.code == 2
    assert "retry later" in str(error)


def test_a_rate_limit_says_when_access_returns(provider, emulator) -> None:
    post_id = provider.push(ACME, PostFields(message="first"))
    reply = httpx.post(
        f"{emulator.url}/_emulator/rate-limit",
        json={"page_calls_per_window": 1, "window_s": 600},
    )
    reply.raise_for_status()
    provider.update(ACME, post_id, PostFields(message="within budget"))

    error = raised(lambda: provider.update(ACME, post_id, PostFields(message="over")))

    assert error.code == 80001
    assert "rate limit reached: wait before running again" in str(error)
    assert "access returns in about 10 min" in str(error)


@pytest.fixture(scope="module")
def secured_emulator(seed) -> Iterator[str]:
    """A second emulator whose seed sets an app secret (PROTOCOL §2)."""
    server = start_emulator(seed={**seed, "app_secret": APP_SECRET}, port=0)
    yield server.url
    server.stop()


def test_an_app_secret_adds_appsecret_proof_to_every_request(
    secured_emulator: str, wire
) -> None:
    with GraphProvider(
        base_url=secured_emulator,
        api_version=VERSION,
        token=Secret(USER_TOKEN),
        app_secret=Secret(APP_SECRET),
        transport=wire,
    ) as provider:
        post_id = provider.push(ACME, PostFields(message="proven"))
        assert provider.read(ACME, [post_id]) == {post_id: PostFields(message="proven")}
        provider.update(ACME, post_id, PostFields(message="still proven"))
        provider.delete(ACME, post_id)

    for request in wire.requests:
        assert APP_SECRET not in str(request.url)
        assert APP_SECRET.encode() not in request.content


def test_a_missing_appsecret_proof_is_refused_with_code_100(secured_emulator) -> None:
    with GraphProvider(
        base_url=secured_emulator, api_version=VERSION, token=Secret(USER_TOKEN)
    ) as provider:
        error = raised(lambda: provider.push(ACME, PostFields(message="unproven")))

    assert error.code == 100
    assert "appsecret_proof" in str(error)


def test_pacing_reads_usage_once_per_batch_not_per_item(
    provider, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 20: a 50-item batch decodes one item's usage headers, and the pacer
    still learns the usage the batch reports."""
    ids = [provider.push(ACME, PostFields(message=f"Post {n}.")) for n in range(50)]
    decoded = []
    real = graph_read.usage_from_headers

    def counting(headers):
        decoded.append(headers)
        return real(headers)

    monkeypatch.setattr(graph_read, "usage_from_headers", counting)
    live = provider.read(ACME, ids)
    assert len(live) == 50
    assert len(decoded) == 1
    assert provider._pacer.usage(ACME) is not None  # the batch's usage was recorded
