"""Graph batch requests (PROTOCOL §5): `POST /` with `batch=[...]`.

Each item runs through the same pipeline as a top-level request (stats, faults, rate
limits, handlers), so a fault rule can hit the third item of a batch alone.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from json.encoder import encode_basestring as _json_string
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from statesync.emulator.context import Context
from statesync.emulator.graph import NODE_ID, POST_ID, authenticate
from statesync.emulator.params import param_bool, param_json, param_str
from statesync.emulator.wire import (
    NO_FILES,
    ApiRequest,
    ApiResponse,
    GraphError,
    JsonText,
    encode_json,
    json_value,
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
    include_headers = param_bool(request.params, "include_headers") is not False
    inherited = {"access_token": call.token}
    for key in ("appsecret_proof", "appsecret_time"):
        value = param_str(request.params, key)
        if value is not None:
            inherited[key] = value
    targets = [_fixed_target(item) for item in items]
    ctx.store.prefetch_posts(_posts_read(items, targets))
    entries: list[str] = []
    named: dict[str, Any] = {}
    for index, item in enumerate(items):
        target = targets[index]
        item_request = _item_request(request, index, item, target, inherited, named)
        response = run_item(item_request)
        name = item.get("name")
        if name:
            named[str(name)] = json_value(response.body)
        omit = param_bool(item, "omit_response_on_success")
        if omit and response.status == 200:
            entries.append("null")
        else:
            entries.append(_entry(response, include_headers))
    return ApiResponse(200, JsonText(f"[{','.join(entries)}]"))


def _entry(response: ApiResponse, include_headers: bool) -> str:
    """One answer, `{"code","headers","body"}`, written as JSON text directly: exactly
    what `encode_json` makes of the dictionary, without building 50 of them, each
    with a list of header dictionaries, only to encode them all over again."""
    body = _json_string(encode_json(response.body))
    if not include_headers:
        return f'{{"code":{response.status},"body":{body}}}'
    headers = ",".join(
        [
            _header_text(name, value)
            if name == "x-fb-trace-id"  # unique to each reply: not worth keeping
            else _header(name, value)
            for name, value in response.headers.items()
        ]
    )
    return f'{{"code":{response.status},"headers":[{headers}],"body":{body}}}'


@functools.lru_cache(maxsize=256)
def _header(name: str, value: str) -> str:
    """Every header but the trace id recurs from item to item."""
    return _header_text(name, value)


def _header_text(name: str, value: str) -> str:
    """`{"name","value"}` as JSON text."""
    return f'{{"name":{_json_string(name)},"value":{_json_string(value)}}}'


def _posts_read(items: list[Any], targets: list[Target | None]) -> list[str]:
    """The post ids the batch's GET items read, so that the store reads them in one
    query; items with references to earlier results are left to read on their own."""
    ids: list[str] = []
    for item, target in zip(items, targets, strict=True):
        if target is None or _method(item) != "GET":
            continue
        node = target[1][1:].partition("/")[0]
        if POST_ID.match(node):
            ids.append(node)
    return ids


# Where an item goes: its API version as sent (or None), its path, its query text.
Target = tuple[str | None, str, str]


def _fixed_target(item: Any) -> Target | None:
    """An item's target, worked out before any item runs (for `_posts_read`, and
    once only): None when it may refer to earlier results, or is no object with a
    relative URL (its error comes in its turn)."""
    url = item.get("relative_url") if isinstance(item, dict) else None
    if not isinstance(url, str) or "{result=" in url or "%7B" in url or "%7b" in url:
        return None  # what `_resolve` would change
    try:
        return _target(url)
    except GraphError:  # refused in its turn, after the items before it have run
        return None


def _target(url: str) -> Target:
    """A relative URL, references resolved, to its target."""
    url_path, url_query = _split_url(url)
    version, path = split_version("/" + url_path.lstrip("/"))
    return version, path, url_query


def _method(item: dict[str, Any]) -> str:
    return str(item.get("method") or "GET").upper()


def _item_request(
    parent: ApiRequest,
    index: int,
    item: Any,
    target: Target | None,
    inherited: Mapping[str, str],
    named: Mapping[str, Any],
) -> ApiRequest:
    """One item as a request of its own. Items are parsed JSON, so an object is a
    dict (an exact and cheaper test than `Mapping`'s, once per item)."""
    url = item.get("relative_url") if isinstance(item, dict) else None
    if not isinstance(url, str):
        raise GraphError(
            100, f"(#100) batch[{index}] must be an object with method and relative_url"
        )
    if target is None:
        target = _target(_resolve(url, named, unquote_first=True))
    version, path, url_query = target
    query = _item_query(url_query, named)
    params: dict[str, Any] = dict(inherited)
    params.update(query)
    body = item.get("body")
    if isinstance(body, str):
        params.update(
            (key, _resolve(value, named))
            for key, value in parse_qsl(body, keep_blank_values=True)
        )
    elif isinstance(body, dict):
        params.update(body)
    return ApiRequest(  # by position, which costs half as much as by name
        _method(item),
        path,
        version or parent.version,
        params,
        query,
        _item_headers(parent.headers, item.get("headers")),
        parent.base_url,
        NO_FILES,  # an item has no files of its own
        True,  # in_batch
    )


def _item_headers(parent: Mapping[str, str], own: Any) -> Mapping[str, str]:
    """The parent's headers (shared, read only) with the item's own on top."""
    if not own:
        return parent
    headers = dict(parent)
    for header in own:
        if isinstance(header, dict) and "name" in header:
            headers[str(header["name"]).lower()] = str(header.get("value", ""))
        elif isinstance(header, str) and ":" in header:
            name, _, value = header.partition(":")
            headers[name.strip().lower()] = value.strip()
    return headers


def _split_url(url: str) -> tuple[str, str]:
    """A relative URL's path and query, as `urlsplit` has them; the common
    `{id}?fields=...` without urlsplit's cost (it is called once per item)."""
    path, _, query = url.partition("?")
    plain = url.isprintable() and url == url.strip() and not url.startswith("//")
    if not plain or ":" in path or "#" in url:
        try:
            parts = urlsplit(url)
        except ValueError:  # "//[x": an unclosed IPv6 host
            # not echoed: a relative_url may carry an access_token
            raise GraphError(100, "(#100) Invalid relative_url in batch") from None
        return parts.path, parts.query
    return path, query


def _item_query(text: str, named: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """An item's query pairs, references to earlier results resolved."""
    pairs, refers = _query(text)
    if not refers:
        return pairs
    return tuple((key, _resolve(value, named)) for key, value in pairs)


@functools.lru_cache(maxsize=256)
def _query(text: str) -> tuple[tuple[tuple[str, str], ...], bool]:
    """A query string's pairs, and whether a value refers to an earlier result; a
    batch's items mostly share one (`fields=...`)."""
    pairs = tuple(parse_qsl(text, keep_blank_values=True))
    return pairs, any("{result=" in value for _, value in pairs)


def _resolve(
    text: str, named: Mapping[str, Any], *, unquote_first: bool = False
) -> str:
    """PROTOCOL §5: `{result=<name>:<JSONPath>}`, e.g. `{result=create:$.id}`."""
    if unquote_first and ("%7B" in text or "%7b" in text):
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
