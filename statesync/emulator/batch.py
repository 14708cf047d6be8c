"""Graph batch requests (PROTOCOL §5): `POST /` with `batch=[...]`.

Each item runs through the same pipeline as a top-level request (stats, faults, rate
limits, handlers), so a fault rule can hit the third item of a batch alone.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from statesync.emulator.context import Context
from statesync.emulator.graph import NODE_ID, POST_ID, authenticate
from statesync.emulator.params import param_bool, param_json, param_str
from statesync.emulator.wire import (
    ApiRequest,
    ApiResponse,
    GraphError,
    encode_json,
    split_version,
)

MAX_BATCH = 50
_REFERENCE = re.compile(r"\{result=(?P<name>[^:}]+):(?P<path>\$[^}]*)\}")

ItemRunner = Callable[[ApiRequest], ApiResponse]


def is_batch(request: ApiRequest) -> bool:
    return (
        request.path == "/" and request.method == "POST" and "batch" in request.params
    )


def run_batch(ctx: Context, request: ApiRequest, run_item: ItemRunner) -> ApiResponse:
    """Answer a JSON array in request order of `{"code", "headers", "body"}`."""
    call = authenticate(ctx, request)  # PROTOCOL §5: the top-level token is required
    items = param_json(request.params, "batch")
    if not isinstance(items, list):
        raise GraphError(100, "(#100) The parameter batch must be a JSON array")
    if len(items) > MAX_BATCH:
        # PROTOCOL §5: observed text; HTTP status and code unconfirmed.
        raise GraphError(
            100,
            f"Too many requests in batch message. Maximum batch size is {MAX_BATCH}",
            type_="GraphBatchException",
        )
    include_headers = param_bool(request.params, "include_headers")
    inherited = {"access_token": call.token}
    for key in ("appsecret_proof", "appsecret_time"):
        value = param_str(request.params, key)
        if value is not None:
            inherited[key] = value
    ctx.store.prefetch_posts(_posts_read(items))
    results: list[Any] = []
    named: dict[str, Any] = {}
    for index, item in enumerate(items):
        item_request = _item_request(request, index, item, inherited, named)
        response = run_item(item_request)
        entry: dict[str, Any] | None = {"code": response.status}
        if include_headers is not False:
            assert entry is not None  # noqa: S101
            entry["headers"] = [
                {"name": name, "value": value}
                for name, value in response.headers.items()
            ]
        assert entry is not None  # noqa: S101
        entry["body"] = encode_json(response.body)
        name = item.get("name") if isinstance(item, Mapping) else None
        if name:
            named[str(name)] = response.body
        omit = isinstance(item, Mapping) and param_bool(
            item, "omit_response_on_success"
        )
        if omit and response.status == 200:
            entry = None
        results.append(entry)
    return ApiResponse(200, results)


def _posts_read(items: list[Any]) -> list[str]:
    """The post ids the batch's GET items read, so that the store reads them in one
    query; items with references to earlier results are left to read on their own."""
    ids: list[str] = []
    for item in items:
        if (
            not isinstance(item, Mapping)
            or str(item.get("method") or "GET").upper() != "GET"
        ):
            continue
        url = item.get("relative_url")
        if not isinstance(url, str) or "result=" in url:
            continue
        _, path = split_version("/" + url.partition("?")[0].lstrip("/"))
        node = path[1:].partition("/")[0]
        if POST_ID.match(node):
            ids.append(node)
    return ids


def _item_request(
    parent: ApiRequest,
    index: int,
    item: Any,
    inherited: Mapping[str, str],
    named: Mapping[str, Any],
) -> ApiRequest:
    if not isinstance(item, Mapping) or not isinstance(item.get("relative_url"), str):
        raise GraphError(
            100, f"(#100) batch[{index}] must be an object with method and relative_url"
        )
    method = str(item.get("method") or "GET").upper()
    url_path, url_query = _split_url(
        _resolve(item["relative_url"], named, unquote_first=True)
    )
    version, path = split_version("/" + url_path.lstrip("/"))
    query = tuple((key, _resolve(value, named)) for key, value in _query(url_query))
    params: dict[str, Any] = dict(inherited)
    params.update(query)
    body = item.get("body")
    if isinstance(body, str):
        params.update(
            (key, _resolve(value, named))
            for key, value in parse_qsl(body, keep_blank_values=True)
        )
    elif isinstance(body, Mapping):
        params.update(body)
    headers = parent.headers  # shared, read only, unless the item adds its own
    if item.get("headers"):
        headers = dict(headers)
        for header in item["headers"]:
            if isinstance(header, Mapping) and "name" in header:
                headers[str(header["name"]).lower()] = str(header.get("value", ""))
            elif isinstance(header, str) and ":" in header:
                name, _, value = header.partition(":")
                headers[name.strip().lower()] = value.strip()
    return ApiRequest(
        method=method,
        path=path,
        version=version or parent.version,
        params=params,
        query=query,
        headers=headers,
        base_url=parent.base_url,
        in_batch=True,
    )


def _split_url(url: str) -> tuple[str, str]:
    """A relative URL's path and query, as `urlsplit` has them; the common
    `{id}?fields=...` without urlsplit's cost (it is called once per item)."""
    path, _, query = url.partition("?")
    plain = url.isprintable() and url == url.strip() and not url.startswith("//")
    if not plain or ":" in path or "#" in url:
        parts = urlsplit(url)
        return parts.path, parts.query
    return path, query


@functools.lru_cache(maxsize=256)
def _query(text: str) -> tuple[tuple[str, str], ...]:
    """A query string's pairs; a batch's items mostly share one (`fields=...`)."""
    return tuple(parse_qsl(text, keep_blank_values=True))


def _resolve(
    text: str, named: Mapping[str, Any], *, unquote_first: bool = False
) -> str:
    """PROTOCOL §5: `{result=<name>:<JSONPath>}`, e.g. `{result=create:$.id}`."""
    if unquote_first and "%7B" in text.upper():
        text = unquote(text)
    if "{result=" not in text:
        return text

    def replace(match: re.Match[str]) -> str:
        if match["name"] not in named:
            raise GraphError(
                100, f"(#100) Batch reference to an unknown request {match['name']!r}"
            )
        values = _json_path(named[match["name"]], match["path"])
        return ",".join(str(v) for v in values)

    return _REFERENCE.sub(replace, text)


def _json_path(data: Any, path: str) -> list[Any]:
    """The JSONPath subset the batch docs use: `$.a.b`, `$.data.*.id`, `$.data.0.id`."""
    nodes = [data]
    for part in [p for p in path[1:].split(".") if p]:
        following: list[Any] = []
        for node in nodes:
            if part == "*" and isinstance(node, list):
                following.extend(node)
            elif part == "*" and isinstance(node, dict):
                following.extend(node.values())
            elif isinstance(node, dict) and part in node:
                following.append(node[part])
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                following.append(node[int(part)])
        nodes = following
    return nodes


def graph_route(ctx: Context, path: str) -> str:
    """The route under which stats count a Graph request: `/{page-id}/feed`."""
    segments = [s for s in path.split("/") if s]
    if not segments:
        return "/"
    node = segments[0]
    if node == "me":
        label = "me"
    elif POST_ID.match(node):
        label = "{page-id}_{post-id}"
    elif NODE_ID.match(node):
        if ctx.store.page(node):
            label = "{page-id}"
        elif ctx.store.user(node):
            label = "{user-id}"
        elif media := ctx.store.media(node):
            label = "{video-id}" if media.kind == "video" else "{photo-id}"
        else:
            label = "{id}"
    else:
        label = "{alias}"
    return "/" + "/".join([label, *segments[1:]])
