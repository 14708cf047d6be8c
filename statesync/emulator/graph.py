"""The Graph API: authentication, routing, and the page, user and media nodes.

Posts live in `posts.py`; batch in `batch.py`. Every error is a `GraphError`, rendered
once here into PROTOCOL §3's envelope with the headers every reply carries.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import re
import time
from typing import Any

from statesync.emulator import graph_media, nodes, posts
from statesync.emulator.call import Call
from statesync.emulator.context import Context
from statesync.emulator.fields import FieldSpec
from statesync.emulator.params import param_str
from statesync.emulator.wire import (
    ApiRequest,
    ApiResponse,
    GraphError,
    new_trace_id,
    unsupported,
)

POST_ID = re.compile(r"^(\d+)_(\d+)$")
NODE_ID = re.compile(r"^\d+$")
MAX_IDS = 50  # PROTOCOL §6
# PROTOCOL §3: a missing token is 104, an unknown one 190 with a WWW-Authenticate header.
_BAD_TOKEN_MESSAGE = "Invalid OAuth access token - Cannot parse access token"  # noqa: S105


def handle_graph(ctx: Context, request: ApiRequest) -> ApiResponse:
    """One Graph call (top level or batch item) to its reply, headers included."""
    trace_id = new_trace_id()
    pages: list[str] = []
    try:
        call = authenticate(ctx, request)
        pages = call.pages
        response = route(call)
    except GraphError as error:
        response = error.response(trace_id)
    response.headers.update(usage_headers(ctx, pages))
    response.headers["content-type"] = "application/json; charset=UTF-8"
    response.headers["facebook-api-version"] = request.effective_version
    response.headers["x-fb-trace-id"] = trace_id
    response.headers["x-fb-rev"] = "1020304050"
    if param_str(request.params, "suppress_http_code") == "1":
        response.status = 200
    return response


def usage_headers(ctx: Context, pages: list[str]) -> tuple[tuple[str, str], ...]:
    """PROTOCOL §4: X-App-Usage and X-Business-Use-Case-Usage on every reply, as
    (name, value) pairs to add to a reply's headers.

    Worked out once per reply (a batch item is a reply) from the limiter's counts;
    the JSON text is kept for counts already seen, since they move slowly."""
    return _usage_headers(*ctx.limiter.usage_state(pages))


@functools.lru_cache(maxsize=4096)
def _usage_headers(
    app: int, pages: tuple[tuple[str, int, int], ...]
) -> tuple[tuple[str, str], ...]:
    buc: dict[str, Any] = {}
    for page_id, percent, regain_minutes in pages:
        buc[page_id] = [
            {
                "type": "pages",
                "call_count": percent,
                "total_cputime": min(percent, 100) // 4,
                "total_time": min(percent, 100) // 4,
                "estimated_time_to_regain_access": regain_minutes,
            }
        ]
    app_usage = {"call_count": app, "total_time": app // 4, "total_cputime": app // 4}
    return (
        ("x-app-usage", json.dumps(app_usage, separators=(",", ":"))),
        ("x-business-use-case-usage", json.dumps(buc, separators=(",", ":"))),
    )


def request_token(request: ApiRequest) -> str | None:
    """PROTOCOL §2: `access_token` (query, form or JSON) or `Authorization: Bearer|OAuth`."""
    token = param_str(request.params, "access_token")
    if token:
        return token
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() in ("bearer", "oauth") and value.strip():
        return value.strip()
    return None


def authenticate(ctx: Context, request: ApiRequest) -> Call:
    token = request_token(request)
    if token is None:
        raise GraphError(104, "An access token is required to request this resource.")
    principal = ctx.store.principal(token)
    if principal is None:
        raise GraphError(
            190,
            _BAD_TOKEN_MESSAGE,
            headers={
                "www-authenticate": f'OAuth "Facebook Platform" "invalid_token" "{_BAD_TOKEN_MESSAGE}"'
            },
        )
    if ctx.seed.app_secret:
        check_appsecret_proof(ctx.seed.app_secret, token, request)
    return Call(ctx, request, token, principal)


def check_appsecret_proof(secret: str, token: str, request: ApiRequest) -> None:
    """PROTOCOL §2: HMAC-SHA256 of the token, or of `token|time` with `appsecret_time`."""
    proof = param_str(request.params, "appsecret_proof")
    if not proof:
        raise GraphError(
            100,
            "API calls from the server require an appsecret_proof argument",
            type_="GraphMethodException",
        )
    proof_time = param_str(request.params, "appsecret_time")
    message = token if proof_time is None else f"{token}|{proof_time}"
    expected = _expected_proof(secret, message)
    fresh = True
    if proof_time is not None:
        # Real time, not the emulator's movable clock: a client signs with its own
        # wall clock, which moving the emulator's does not move.
        try:
            fresh = abs(time.time() - int(proof_time)) <= 300  # expires after 5 minutes
        except ValueError:
            fresh = False
    if not (fresh and hmac.compare_digest(proof, expected)):
        raise GraphError(
            100,
            "Invalid appsecret_proof provided in the API argument",
            type_="GraphMethodException",
        )


@functools.lru_cache(maxsize=256)
def _expected_proof(secret: str, message: str) -> str:
    """The proof a token (and time) signs to; a batch's items inherit the parent's
    token and proof, so the same HMAC would be worked out for each of them."""
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def effective_method(request: ApiRequest) -> str:
    """The `method` parameter overrides GET/POST, as the JS and PHP SDKs use it."""
    override = param_str(request.params, "method")
    if override and override.upper() in ("GET", "POST", "DELETE"):
        return override.upper()
    return request.method


def route(call: Call) -> ApiResponse:
    request = call.request
    method = effective_method(request)
    segments = [s for s in request.path.split("/") if s]
    if not segments:
        if method == "GET" and param_str(request.params, "ids"):
            return ApiResponse(200, multi_read(call))
        if method == "POST" and "batch" in request.params:
            raise GraphError(100, "(#100) A batch request cannot be nested in a batch")
        raise GraphError(100, "(#100) Missing ids parameter or batch parameter")
    node = segments[0]
    if node == "me":
        node = call.principal.page_id or call.principal.user_id
    edge = segments[1] if len(segments) > 1 else None
    if len(segments) > 2:
        raise unsupported(method, "/".join(segments))
    post = POST_ID.match(node)
    if post:  # the most frequent call, a batch's post reads: `_node_page` in short
        call.charge(post.group(1))
        return posts.handle_post_node(call, method, node, edge)
    page_of_node = _node_page(call, node)
    if page_of_node:
        call.charge(page_of_node)
    if not NODE_ID.match(node):
        raise GraphError(
            803,
            f"(#803) Some of the aliases you requested do not exist: {node}",
            status=404,
        )
    store = call.ctx.store
    if store.page(node):
        if edge is None:
            return nodes.page_node(call, method, node)
        if edge in ("photos", "videos"):
            return graph_media.handle_media_edge(call, method, node, edge)
        if edge == "settings":
            return nodes.page_settings(call, method, node)
        return posts.handle_page_edge(call, method, node, edge)
    if store.user(node):
        return nodes.user_node(call, method, node, edge)
    if store.media(node) and edge is None:
        return nodes.media_node(call, method, node)
    raise unsupported(method, node)


def _node_page(call: Call, node: str) -> str | None:
    """The page a call acts on, for rate limiting and the usage header."""
    match = POST_ID.match(node)
    if match:
        return match.group(1)
    store = call.ctx.store
    if NODE_ID.match(node):
        if store.page(node):
            return node
        media = store.media(node)
        if media:
            return media.page_id
    return None


def read_node(
    call: Call, object_id: str, specs: tuple[FieldSpec, ...] | None
) -> dict[str, Any]:
    """A GET of one node, for `?ids=`: the same shapes as a direct read."""
    store = call.ctx.store
    if POST_ID.match(object_id):
        return posts.read_post(call, object_id, specs)
    if not NODE_ID.match(object_id):
        raise GraphError(
            803,
            f"(#803) Some of the aliases you requested do not exist: {object_id}",
            status=404,
        )
    page = store.page(object_id)
    if page:
        return nodes.render_page(call, object_id, specs)
    if store.user(object_id):
        return nodes.render_user(call, object_id, specs)
    if store.media(object_id):
        return nodes.render_media(call, object_id, specs)
    raise unsupported("GET", object_id)


def multi_read(call: Call) -> dict[str, Any]:
    """PROTOCOL §6: keyed by each id as sent; one bad id fails the whole call."""
    ids = [
        i.strip()
        for i in (param_str(call.request.params, "ids") or "").split(",")
        if i.strip()
    ]
    if len(ids) > MAX_IDS:
        raise GraphError(
            100, f"(#100) Too many IDs. Maximum: {MAX_IDS}. Provided: {len(ids)}."
        )
    specs = call.fields
    if specs is not None:
        posts.check_legacy(specs)
    call.ctx.store.prefetch_posts([i for i in ids if POST_ID.match(i)])
    result = {}
    for object_id in ids:
        page_id = _node_page(call, object_id)
        if page_id:
            call.charge(page_id)  # PROTOCOL §4: each id counts as one call
        result[object_id] = read_node(call, object_id, specs)
    return result
