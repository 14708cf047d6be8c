"""OneAll's X (Twitter) routes: Publish Tweet, Upload Picture and Video (seed 001),
Delete Tweet (seed 000). A tweet cannot be edited: seed 000 lists no PUT for it.

Bodies and replies, and which parts are confirmed: docs/oneall-networks.md §1.
"""

from __future__ import annotations

from typing import Any

from statesync.emulator.context import Context
from statesync.emulator.network_common import (
    MB,
    inline_file,
    optional_text,
    optional_url,
)
from statesync.emulator.oneall_common import PROCESSED, envelope, json_body
from statesync.emulator.seed_networks import SeedIdentity
from statesync.emulator.store_networks import NetworkMedia
from statesync.emulator.wire import ApiRequest, ApiResponse, OneAllError
from statesync.emulator.x_text import MAX_WEIGHTED_LENGTH, weighted_length

NETWORK = "twitter"
# OneAll's Upload Picture page: "may not be larger than 5MB". unconfirmed for video:
# X's simple upload takes 512 MB.
_LIMITS = {"picture": 5 * MB, "video": 512 * MB}
# X: up to 4 pictures, or 1 video, in one tweet; never both.
MAX_PICTURES = 4
_WHERE = "request.push.post"


def push_tweet(
    ctx: Context, request: ApiRequest, identity: SeedIdentity
) -> ApiResponse:
    """`POST /push/identities/<identity_token>/twitter/post.json`."""
    post = json_body(request, "request", "push", "post")
    message = optional_text(post, "message", _WHERE) or None
    media = _attachments(ctx, identity, post.get("attachments"))
    if message is None and not media:
        raise OneAllError(
            400, f"{_WHERE}.message is required (or attachments to tweet media alone)"
        )
    if message is not None:
        length = weighted_length(message)
        if length > MAX_WEIGHTED_LENGTH:
            raise OneAllError(
                400,
                f"{_WHERE}.message is too long: {length} weighted characters,"
                f" X allows {MAX_WEIGHTED_LENGTH} (URLs count 23)",
            )
        latest = ctx.store.latest_network_object(NETWORK, identity.account_id)
        if latest is not None and (latest.text or "").strip() == message.strip():
            # X error 187: the same text as the account's latest tweet.
            raise OneAllError(403, "Status is a duplicate.")
    tweet = ctx.store.create_network_object(
        NETWORK,
        "post",
        identity.account_id,
        text=message,
        fields={},
        media=[item.described() for item in media],
        location=lambda tweet_id: (
            f"https://twitter.com/{identity.screen_name}/status/{tweet_id}"
        ),
    )
    data = {
        "provider": NETWORK,
        "object": "post",
        "post_id": tweet.id,
        "post_location": tweet.location,
    }
    return envelope(request, 200, PROCESSED, {"data": data})


def push_media(
    ctx: Context, request: ApiRequest, identity: SeedIdentity, kind: str
) -> ApiResponse:
    """`POST /push/identities/<identity_token>/twitter/{picture|video}.json`.

    OneAll documents a URL to fetch (`picture.url`, `video.video_url`); statesync
    sends the file inline (`data`, `name`, `alt_text`: unconfirmed). Both are taken.
    """
    where = f"request.push.{kind}"
    item = json_body(request, "request", "push", kind)
    url_key = "url" if kind == "picture" else "video_url"
    url = optional_url(item, url_key, where)
    if kind == "video":
        url = url or optional_url(item, "url", where)
    has_data = item.get("data") is not None
    if bool(url) == has_data:
        raise OneAllError(
            400,
            f"{where} needs either {url_key} (a URL to fetch) or data (the file in"
            " base64) and name",
        )
    upload = None if url else inline_file(item, where, kind, _LIMITS[kind])
    alt_text = None
    if kind == "picture":  # OneAll's picture `description`; the emulator's `alt_text`
        alt_text = optional_text(item, "alt_text", where, limit=1000) or (
            optional_text(item, "description", where, limit=1000)
        )
    media = ctx.store.add_network_media(
        NETWORK,
        identity.account_id,
        kind,
        url=url,
        upload=upload,
        alt_text=alt_text or None,
        name=optional_text(item, "name", where),
    )
    data = {
        "provider": NETWORK,
        "object": kind,
        f"{kind}_id": media.id,
        f"{kind}_location": f"https://twitter.com/i/media/{media.id}",
    }
    return envelope(request, 200, PROCESSED, {"data": data})


def delete_tweet(
    ctx: Context, request: ApiRequest, identity: SeedIdentity, tweet_id: str
) -> ApiResponse:
    """`DELETE /update/identities/<identity_token>/twitter/post/<postid>.json`: the
    account's own tweet only; a deleted tweet, or another account's, is 404."""
    tweet = ctx.store.network_object(NETWORK, tweet_id)
    if (
        tweet is None
        or tweet.target != identity.account_id
        or not ctx.store.delete_network_object(NETWORK, tweet_id)
    ):
        raise OneAllError(404, f"The tweet [{tweet_id}] does not exist")
    return envelope(request, 200, "The tweet has successfully been deleted.")


def _attachments(
    ctx: Context, identity: SeedIdentity, value: Any
) -> list[NetworkMedia]:
    """Ids from Upload Picture/Video of this account: 1 to 4 pictures, or 1 video."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise OneAllError(
            400, f"{_WHERE}.attachments must be a list of picture or video identifiers"
        )
    found = []
    for item in value:
        media = (
            ctx.store.network_media(NETWORK, str(item))
            if isinstance(item, int | str) and not isinstance(item, bool)
            else None
        )
        if media is None or media.target != identity.account_id:
            raise OneAllError(
                400,
                f"{_WHERE}.attachments: [{item}] is not a picture or video uploaded"
                " for this account",
            )
        found.append(media)
    kinds = [media.kind for media in found]
    if "video" in kinds and len(kinds) > 1:
        raise OneAllError(
            400, f"{_WHERE}.attachments: a tweet carries one video alone, or pictures"
        )
    if len(kinds) > MAX_PICTURES:
        raise OneAllError(
            400, f"{_WHERE}.attachments: at most {MAX_PICTURES} pictures in a tweet"
        )
    if len({media.id for media in found}) < len(found):
        raise OneAllError(400, f"{_WHERE}.attachments: an identifier is repeated")
    return found
