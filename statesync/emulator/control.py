"""Test control under `/_emulator/` only, JSON in and out, never mixed into the APIs;
and the uploaded media's bytes, served there like CDN URLs (`uploads.SERVE_PREFIX`)."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request

from statesync.emulator.clock import format_rfc3339, parse_rfc3339
from statesync.emulator.context import Context
from statesync.emulator.faults import ControlError, parse_rules
from statesync.emulator.oneall_networks import networks_snapshot
from statesync.emulator.uploads import SERVE_PREFIX
from statesync.emulator.wire import ApiResponse


async def handle(ctx: Context, request: Request) -> ApiResponse:
    route = (request.method, request.url.path.rstrip("/"))
    if route[0] == "GET" and route[1].startswith(SERVE_PREFIX):
        return serve_media(ctx, route[1].removeprefix(SERVE_PREFIX))
    try:
        body = await _json(request) if request.method == "POST" else None
        if route == ("POST", "/_emulator/reset"):
            ctx.reset()
            return ApiResponse(200, {"ok": True})
        if route == ("POST", "/_emulator/latency"):
            ctx.latency_ms = _number(body, "ms")
            return ApiResponse(200, {"ok": True, "ms": ctx.latency_ms})
        if route == ("POST", "/_emulator/video"):  # how long a video "processes"
            ctx.video_post_delay_s = _number(body, "post_delay_s")
            return ApiResponse(
                200, {"ok": True, "post_delay_s": ctx.video_post_delay_s}
            )
        if route == ("POST", "/_emulator/faults"):
            rules = parse_rules(body)
            ctx.faults.set_rules(rules)
            return ApiResponse(200, {"ok": True, "rules": len(rules)})
        if route == ("POST", "/_emulator/rate-limit"):
            return ApiResponse(200, _rate_limit(ctx, body))
        if route == ("POST", "/_emulator/clock"):
            _set_clock(ctx, body)
            return ApiResponse(
                200, {"ok": True, "now": format_rfc3339(ctx.store.now())}
            )
        if route == ("GET", "/_emulator/clock"):
            return ApiResponse(200, _clock_state(ctx))
        if route == ("GET", "/_emulator/stats"):
            return ApiResponse(200, ctx.stats.snapshot())
        if route == ("GET", "/_emulator/networks"):  # tweets, LinkedIn posts, pins
            return ApiResponse(200, networks_snapshot(ctx))
        if route == ("GET", "/_emulator/health"):
            return ApiResponse(200, {"ok": True})
    except ControlError as exc:
        return ApiResponse(400, {"error": str(exc)})
    return ApiResponse(
        404, {"error": f"no control route {request.method} {request.url.path}"}
    )


def serve_media(ctx: Context, media_id: str) -> ApiResponse:
    """An uploaded media's exact bytes, with no token, like a CDN URL: the URL that
    `picture`, `images`, `full_picture` and attachments report for it."""
    found = ctx.store.media_bytes(media_id)
    if found is None:
        return ApiResponse(404, {"error": f"no uploaded bytes for media {media_id}"})
    mime, sha256, data = found
    headers = {
        "content-type": mime,
        "etag": f'"{sha256}"',
        "cache-control": "public, max-age=31536000, immutable",
    }
    return ApiResponse(200, None, headers, raw=data)


async def _json(request: Request) -> Any:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except ValueError:
        raise ControlError("the body must be JSON") from None


def _number(body: Any, key: str) -> float:
    value = body.get(key) if isinstance(body, dict) else None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ControlError(f'expected {{"{key}": <number >= 0>}}')
    return float(value)


def _rate_limit(ctx: Context, body: Any) -> dict[str, Any]:
    """`{"page_calls_per_window": 100, "window_s": 60}`; a null budget lifts the limit."""
    if not isinstance(body, dict) or "page_calls_per_window" not in body:
        raise ControlError('expected {"page_calls_per_window": N, "window_s": S}')
    budget = body["page_calls_per_window"]
    if budget is None:
        ctx.limiter.configure(None, 0)
        return {"ok": True, "page_calls_per_window": None}
    if isinstance(budget, bool) or not isinstance(budget, int) or budget < 0:
        raise ControlError("page_calls_per_window must be an integer >= 0 or null")
    window = _number(body, "window_s") if "window_s" in body else 60.0
    if window <= 0:
        raise ControlError("window_s must be > 0")
    ctx.limiter.configure(budget, window)
    return {"ok": True, "page_calls_per_window": budget, "window_s": window}


def _set_clock(ctx: Context, body: Any) -> None:
    """`{"now": "2026-03-01T09:00:00Z"}` moves the API's clock there, from where it
    runs on at real speed; `{"now": null}` is real time again."""
    if not isinstance(body, dict) or "now" not in body:
        raise ControlError(
            'expected {"now": "<RFC 3339 instant, e.g. 2026-03-01T09:00:00Z>"}'
            ' or {"now": null} for real time'
        )
    value = body["now"]
    if value is None:
        ctx.store.clock.set(None)
        return
    if not isinstance(value, str):
        raise ControlError("now must be an RFC 3339 text such as 2026-03-01T09:00:00Z")
    try:
        instant = parse_rfc3339(value.strip())
    except ValueError:
        raise ControlError(
            f"now: {value!r} is not an RFC 3339 instant with an offset"
            " (2026-03-01T09:00:00Z or 2026-03-01T10:00:00+01:00)"
        ) from None
    if instant < 0:
        raise ControlError("now must not be before 1970-01-01T00:00:00Z")
    ctx.store.clock.set(instant)


def _clock_state(ctx: Context) -> dict[str, Any]:
    """`{"now": "...Z", "offset_s": <seconds ahead of real time, or null>}`."""
    offset = ctx.store.clock.offset
    return {
        "now": format_rfc3339(ctx.store.now()),
        "offset_s": None if offset is None else round(offset, 3),
    }
