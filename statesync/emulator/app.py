"""The ASGI application: parse a request, count it, delay it, fault it, answer it.

A raw ASGI callable rather than a router, because a fault may have to close the
connection without any response, which only the outermost layer can do.
"""

from __future__ import annotations

import asyncio
import codecs
import json
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qsl

from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException
from starlette.requests import Request

from statesync.emulator import control
from statesync.emulator.batch import graph_route, is_batch, run_batch
from statesync.emulator.context import Context
from statesync.emulator.faults import FaultRule
from statesync.emulator.graph import handle_graph, usage_headers
from statesync.emulator.oneall import (
    decode_json_body,
    envelope,
    handle_oneall,
    is_oneall_path,
    route_template,
)
from statesync.emulator.wire import (
    ApiRequest,
    ApiResponse,
    GraphError,
    OneAllError,
    fault_graph_error,
    new_trace_id,
    split_version,
)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

logger = logging.getLogger(__name__)


class DropConnection(Exception):
    """A `drop` fault: close the connection without a response."""


class EmulatorApp:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":  # pragma: no cover - websockets are not served
            return
        if scope["path"].startswith("/_emulator/"):
            response = await control.handle(self.ctx, Request(scope, receive))
            await _send(send, response, "application/json")
            return
        request = await parse_request(scope, receive)
        if isinstance(request, ApiResponse):  # a body that could not be parsed
            await _send(send, request, "application/json; charset=UTF-8")
            return
        is_oneall = is_oneall_path(request.path)
        route = (
            route_template(request.path)
            if is_oneall
            else graph_route(self.ctx, request.path)
        )
        self.ctx.stats.count(request.method, route)
        if self.ctx.latency_ms > 0:
            # Carried out even if the client goes away meanwhile, as a real server would.
            await asyncio.sleep(self.ctx.latency_ms / 1000)
        try:
            response = self.process(request, is_oneall=is_oneall)
        except DropConnection:
            await _abort(send)
            return
        await _send(send, response, "application/json; charset=UTF-8")

    def process(self, request: ApiRequest, *, is_oneall: bool) -> ApiResponse:
        """Faults around one API call (top level or batch item); may raise DropConnection."""
        rule = self.ctx.faults.match(request.method, request.path)
        if rule is not None and not rule.writes:
            if rule.drops:
                raise DropConnection
            return self._fault_response(rule, request, is_oneall=is_oneall)
        if is_oneall:
            response = handle_oneall(self.ctx, request)
        elif is_batch(request):
            response = self._batch(request)
        else:
            response = handle_graph(self.ctx, request)
        if rule is not None:  # commit_then_error / commit_then_drop: the write is done
            if rule.drops:
                raise DropConnection
            return self._fault_response(rule, request, is_oneall=is_oneall)
        return response

    def _batch(self, request: ApiRequest) -> ApiResponse:
        def run_item(item: ApiRequest) -> ApiResponse:
            self.ctx.stats.count(
                item.method, graph_route(self.ctx, item.path), in_batch=True
            )
            return self.process(item, is_oneall=False)

        try:
            return run_batch(self.ctx, request, run_item)
        except GraphError as error:
            response = error.response(new_trace_id())
            response.headers.update(usage_headers(self.ctx, []))
            return response

    def _fault_response(
        self, rule: FaultRule, request: ApiRequest, *, is_oneall: bool
    ) -> ApiResponse:
        if is_oneall:
            status = rule.status or 500
            return envelope(
                request, status, "An unexpected error has occurred (emulated fault)"
            )
        error = fault_graph_error(rule.status, rule.code)
        response = error.response(new_trace_id())
        response.headers.update(usage_headers(self.ctx, []))
        response.headers["facebook-api-version"] = request.effective_version
        return response


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


async def parse_request(scope: Scope, receive: Receive) -> ApiRequest | ApiResponse:
    """Merge query and body (form, multipart or JSON) into one parameter mapping."""
    http = Request(scope, receive)
    raw_body = await http.body()
    version, path = split_version(scope["path"])
    query = tuple(
        parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True)
    )
    params: dict[str, Any] = dict(query)
    files: dict[str, bytes] = {}
    content_type = http.headers.get("content-type", "").split(";")[0].strip().lower()
    headers = {key.lower(): value for key, value in http.headers.items()}
    host = http.headers.get("host") or "{}:{}".format(*scope["server"])
    base_url = f"{scope.get('scheme', 'http')}://{host}"
    if is_oneall_path(path):
        try:
            params["__json__"] = decode_json_body(raw_body)
        except OneAllError as error:
            request = ApiRequest(
                scope["method"], path, version, params, query, headers, base_url
            )
            return envelope(request, error.status, error.info)
    elif content_type == "application/x-www-form-urlencoded":
        params.update(form_pairs(raw_body))
    elif content_type == "multipart/form-data":
        try:
            form = await http.form()
        except MultiPartException as error:  # a malformed body: not a crash, a 400
            refusal = GraphError(100, f"(#100) Invalid multipart body: {error.message}")
            return refusal.response(new_trace_id())
        for key, value in form.multi_items():
            if isinstance(value, UploadFile):
                files[key] = await value.read()
            else:
                params[key] = value
        await form.close()
    elif content_type == "application/json" and raw_body.strip():
        try:
            body = json.loads(raw_body)
        except ValueError:
            body = None
        if not isinstance(body, dict):
            refusal = GraphError(100, "(#100) The request body must be a JSON object")
            return refusal.response(new_trace_id())
        params.update(body)
    return ApiRequest(
        method=scope["method"].upper(),
        path=path,
        version=version,
        params=params,
        query=query,
        headers=headers,
        base_url=base_url,
        files=files,
    )


def form_pairs(raw: bytes) -> list[tuple[str, str]]:
    """A urlencoded body's pairs, as `parse_qsl(..., keep_blank_values=True)` gives
    them: a batch's JSON arrives percent-encoded, and urllib's unquoting costs about
    a millisecond per 50 items, codecs' escape decoder a twentieth of that."""
    try:
        return [
            (_unquote_plus(name), _unquote_plus(value))
            for name, _, value in (
                pair.partition(b"=") for pair in raw.split(b"&") if pair
            )
        ]
    except ValueError:  # a malformed escape: urllib leaves it as it is
        return parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True)


def _unquote_plus(raw: bytes) -> str:
    raw = raw.replace(b"+", b" ")
    if b"%" in raw:
        escaped = raw.replace(b"\\", b"\\\\").replace(b"%", b"\\x")
        raw = codecs.escape_decode(escaped)[0]
    return raw.decode("utf-8", "replace")


async def _send(send: Send, response: ApiResponse, content_type: str) -> None:
    body = response.encoded()
    extra = {k.lower(): v for k, v in response.headers.items()}
    extra.setdefault("content-type", content_type)
    headers = [(k.encode(), v.encode()) for k, v in extra.items()]
    headers.append((b"content-length", str(len(body)).encode()))
    await send(
        {"type": "http.response.start", "status": response.status, "headers": headers}
    )
    await send({"type": "http.response.body", "body": body})


async def _abort(send: Send) -> None:
    """Close the TCP connection with no response at all (a `drop` fault).

    ASGI has no such verb; uvicorn's `send` is a method of the request cycle that owns
    the transport, so abort that and mark the cycle disconnected so that uvicorn does
    not answer 500 on our behalf.
    """
    cycle = getattr(send, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is None:  # pragma: no cover - another ASGI server
        raise RuntimeError("drop faults need uvicorn")
    transport.abort()
    cycle.disconnected = True  # type: ignore[union-attr]
    await asyncio.sleep(0)
