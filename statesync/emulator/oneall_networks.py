"""OneAll's X, LinkedIn and Pinterest routes (seeds 000, 001): which path is which
route, the template stats count it under, and what `GET /_emulator/networks` shows.

`oneall.py` authenticates first, then hands every path to `route_network`; a path that
is none of these falls through to its own 404. Faults, latency and stats apply as to
every OneAll path (`app.py`). docs/oneall-networks.md says what each route takes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from statesync.emulator import oneall_linkedin, oneall_pinterest, oneall_twitter
from statesync.emulator.clock import format_rfc3339
from statesync.emulator.context import Context
from statesync.emulator.network_common import network_identity
from statesync.emulator.seed_networks import SeedIdentity
from statesync.emulator.store_networks import NetworkObject
from statesync.emulator.wire import ApiRequest, ApiResponse, OneAllError

Handler = Callable[[Context, ApiRequest, SeedIdentity, dict[str, str]], ApiResponse]
_ID = "(?P<identity>[^/]+)"


@dataclass(frozen=True, slots=True)
class _Route:
    network: str
    pattern: re.Pattern[str]
    template: str  # what `/_emulator/stats` counts it under
    methods: dict[str, Handler]


def _route(network: str, path: str, template: str, **methods: Handler) -> _Route:
    return _Route(network, re.compile(f"^{path}$"), template, methods)


_ROUTES = (
    _route(
        "twitter",
        rf"/push/identities/{_ID}/twitter/post\.json",
        "/push/identities/{identity_token}/twitter/post.json",
        POST=lambda ctx, req, who, _: oneall_twitter.push_tweet(ctx, req, who),
    ),
    _route(
        "twitter",
        rf"/push/identities/{_ID}/twitter/(?P<kind>picture|video)\.json",
        "/push/identities/{identity_token}/twitter/{kind}.json",
        POST=lambda ctx, req, who, m: oneall_twitter.push_media(
            ctx, req, who, m["kind"]
        ),
    ),
    # seed 000: Delete Tweet, and no PUT ("-"): a tweet cannot be edited (405).
    _route(
        "twitter",
        rf"/update/identities/{_ID}/twitter/post/(?P<object>\d+)\.json",
        "/update/identities/{identity_token}/twitter/post/{post-id}.json",
        DELETE=lambda ctx, req, who, m: oneall_twitter.delete_tweet(
            ctx, req, who, m["object"]
        ),
    ),
    _route(
        "linkedin",
        rf"/push/identities/{_ID}/linkedin/company/post\.json",
        "/push/identities/{identity_token}/linkedin/company/post.json",
        POST=lambda ctx, req, who, _: oneall_linkedin.push_company_post(ctx, req, who),
    ),
    # seed 001 puts the board in the path (older OneAll pages show /pinterest/pin.json).
    _route(
        "pinterest",
        rf"/push/identities/{_ID}/pinterest/board/(?P<board>\d+)/pin\.json",
        "/push/identities/{identity_token}/pinterest/board/{board-id}/pin.json",
        POST=lambda ctx, req, who, m: oneall_pinterest.push_pin(
            ctx, req, who, m["board"]
        ),
    ),
    _route(
        "pinterest",
        rf"/update/identities/{_ID}/pinterest/pin/(?P<object>\d+)\.json",
        "/update/identities/{identity_token}/pinterest/pin/{pin-id}.json",
        PUT=lambda ctx, req, who, m: oneall_pinterest.update_pin(
            ctx, req, who, m["object"]
        ),
        DELETE=lambda ctx, req, who, m: oneall_pinterest.delete_pin(
            ctx, req, who, m["object"]
        ),
    ),
)


def network_route_template(path: str) -> str | None:
    """The template of one of these routes (`{kind}` filled in), or None."""
    for route in _ROUTES:
        if match := route.pattern.match(path):
            kind = match.groupdict().get("kind")
            return route.template.replace("{kind}", kind) if kind else route.template
    return None


def route_network(ctx: Context, request: ApiRequest) -> ApiResponse | None:
    """Answer a request of these routes (already authenticated), or None: not ours.

    The identity is checked before the method, as on the Facebook update route: a
    token of another network (or Facebook's) is 404 whatever the method."""
    for route in _ROUTES:
        if match := route.pattern.match(request.path):
            identity = network_identity(ctx, match["identity"], route.network)
            handler = route.methods.get(request.method)
            if handler is None:
                raise OneAllError(
                    405,
                    f"The method {request.method} is not supported for this resource",
                )
            return handler(ctx, request, identity, match.groupdict())
    return None


def networks_snapshot(ctx: Context) -> dict[str, Any]:
    """`GET /_emulator/networks`: every tweet, LinkedIn post and pin, oldest first."""
    return {"objects": [_described(item) for item in ctx.store.network_objects()]}


def _described(item: NetworkObject) -> dict[str, Any]:
    return {
        "network": item.network,
        "object": item.object,
        "id": item.id,
        "target": item.target,
        "text": item.text,
        "fields": dict(item.fields),
        "media": [dict(media) for media in item.media],
        "location": item.location,
        "created_time": format_rfc3339(item.created_time),
        "updated_time": format_rfc3339(item.updated_time),
        "deleted": item.deleted,
    }
