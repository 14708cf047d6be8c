"""OneAll for X, LinkedIn company pages and Pinterest boards (seeds 000, 001).

What each network can do is data (``NETWORK_CAPABILITIES``), from the seeds' route
tables: a tweet cannot be edited (seed 000 has no PUT for it), so a change replaces
it; a pin is edited in place; a LinkedIn post can be neither edited nor deleted, so a
change is impossible and a removal is forgotten. The request and reply bodies, and
which of them are unconfirmed, are in docs/oneall-networks.md; this module is the one
place that knows them. None of these networks can be read back or listed through
OneAll in a way statesync relies on: their posts are planned from the lockfile.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from statesync.errors import ProviderError
from statesync.kinds import Capabilities, Kind
from statesync.media import MediaFile, is_ref, ref_key
from statesync.model import PostFields
from statesync.providers.base import PushOutcomeUnknown
from statesync.providers.oneall_wire import Upload, dig, file_item, streamed_body
from statesync.targets import Network, Target, post_id_problem, target_of

_NO_READS = {"read": False, "list": False}
NETWORK_CAPABILITIES: Mapping[Network, Mapping[Kind, Capabilities]] = {
    # seed 001 Publish Tweet (text, pictures, a video); seed 000: Delete Tweet only.
    Network.TWITTER: {
        Kind.POST: Capabilities(
            fields=frozenset({"message", "attachments"}),
            in_place=frozenset(),
            **_NO_READS,
        ),
        # seed 001 Upload Picture / Video, sent by each push that attaches them:
        # X drops media no tweet uses after 24 hours (docs/oneall-networks.md §1),
        # so an id kept for a later replace could be gone by then; no route
        # deletes them.
        Kind.MEDIA: Capabilities(
            fields=frozenset({"image", "video"}),
            in_place=frozenset(),
            delete=False,
            inline=True,
            **_NO_READS,
        ),
    },
    # seed 001 Publish Company Post; seed 000 has no LinkedIn route at all.
    Network.LINKEDIN: {
        Kind.POST: Capabilities(
            fields=frozenset({"message", "link"}),
            in_place=frozenset(),
            delete=False,
            **_NO_READS,
        ),
    },
    # seed 001 Publish Pin; seed 000 Update Pin (description, link) and Delete Pin.
    Network.PINTEREST: {
        Kind.POST: Capabilities(
            fields=frozenset({"message", "link", "attachments"}),
            in_place=frozenset({"message", "link"}),
            **_NO_READS,
        ),
        # The pin's image travels inside its push (unconfirmed: OneAll documents an
        # image URL; docs/oneall-networks.md §3).
        Kind.MEDIA: Capabilities(
            fields=frozenset({"image"}),
            in_place=frozenset(),
            delete=False,
            inline=True,
            **_NO_READS,
        ),
    },
}
# (method, path, JSON body or None, a file to stream as the body or None, the
# retry policy's kind of call) -> the reply
Call = Callable[[str, str, Any, Upload | None, str], Any]


class NetworkCalls:
    """The OneAll calls of the three networks, each under its network's identity."""

    def __init__(
        self,
        call: Call,
        identity: Callable[[Network], str],
        files: Mapping[str, MediaFile],
    ) -> None:
        self._call = call
        self._identity = identity  # raises ProviderError where none is configured
        self._files = files  # media key -> file, for a pin's image

    def push(self, target: Target, fields: PostFields) -> str:
        identity = self._identity(target.network)
        if target.network is Network.TWITTER:
            post: dict[str, Any] = {"message": fields.message or ""}
            if fields.attachments:  # each file uploaded now, attached by its id
                post["attachments"] = [
                    self.upload(target, self._files[ref_key(ref)])
                    for ref in fields.attachments
                ]
            path = f"/push/identities/{identity}/twitter/post.json"
            reply = self._call("POST", path, _push({"post": post}), None, "push")
            return _pushed_id(reply, target, "post_id")
        if target.network is Network.LINKEDIN:
            post = {"company": target.ident}
            post.update(_text(fields))
            path = f"/push/identities/{identity}/linkedin/company/post.json"
            reply = self._call("POST", path, _push({"post": post}), None, "push")
            return _pushed_id(reply, target, "post_id")
        return self._pin(identity, target, fields)

    def _pin(self, identity: str, target: Target, fields: PostFields) -> str:
        """Publish Pin, its image inline from the repository's file."""
        refs = [a for a in fields.attachments if is_ref(a)]
        if len(refs) != 1:  # pragma: no cover - validation requires one image
            raise ProviderError("a pin needs exactly one image file")
        media = self._files[ref_key(refs[0])]
        path = f"/push/identities/{identity}/pinterest/board/{target.ident}/pin.json"
        document = _push({"pin": {**_description(fields), "picture": file_item(media)}})
        reply = self._call("POST", path, None, _streamed(media, document), "push")
        return _pushed_id(reply, target, "pin_id", "post_id")

    def update(self, target: Target, post_id: str, fields: PostFields) -> None:
        """Update Pin (seed 000): description and link, in place; the only network
        with an update (capabilities)."""
        identity = self._identity(target.network)
        path = f"/update/identities/{identity}/pinterest/pin/{post_id}.json"
        pin = {"description": fields.message or "", "link": fields.link or ""}
        self._call("PUT", path, {"request": {"update": {"pin": pin}}}, None, "update")

    def delete_path(self, target: Target, post_id: str) -> str:
        """Delete Tweet, Delete Pin (seed 000)."""
        identity = self._identity(target.network)
        what = "twitter/post" if target.network is Network.TWITTER else "pinterest/pin"
        return f"/update/identities/{identity}/{what}/{post_id}.json"

    def upload(self, target: Target, media: MediaFile) -> str:
        """Upload Picture / Video to X (seed 001), attached to a tweet by its id."""
        identity = self._identity(target.network)
        what = "video" if media.is_video else "picture"
        path = f"/push/identities/{identity}/twitter/{what}.json"
        document = _push({what: file_item(media)})
        reply = self._call("POST", path, None, _streamed(media, document), "upload")
        media_id = _id_in(reply, target, f"{what}_id")
        if media_id is None:  # nothing visible was published: the tweet is not sent
            raise ProviderError(
                f"OneAll returned no valid {what}_id for {media.shown}",
                target=f"POST /push/.../twitter/{what}.json",
            )
        return media_id


def capabilities_of(key: str) -> Mapping[Kind, Capabilities]:
    return NETWORK_CAPABILITIES[target_of(key).network]


def _streamed(media: MediaFile, document: Mapping[str, Any]) -> Upload:
    return media, lambda handle: streamed_body(document, handle)


def _push(item: Mapping[str, Any]) -> dict[str, Any]:
    return {"request": {"push": dict(item)}}


def _text(fields: PostFields) -> dict[str, str]:
    text = {}
    if fields.message is not None:
        text["message"] = fields.message
    if fields.link is not None:
        text["link"] = fields.link
    return text


def _description(fields: PostFields) -> dict[str, str]:
    """A pin's text is its description (docs/oneall-networks.md §3)."""
    text = _text(fields)
    if "message" in text:
        text["description"] = text.pop("message")
    return text


def _id_in(reply: Any, target: Target, *keys: str) -> str | None:
    """The first valid id under ``keys`` in the reply's ``result.data``."""
    for key in keys:
        found = dig(reply, "response", "result", "data", key)
        if isinstance(found, int) and not isinstance(found, bool):
            found = str(found)
        if isinstance(found, str) and post_id_problem(target.key, found) is None:
            return found
    return None


def _pushed_id(reply: Any, target: Target, *keys: str) -> str:
    """The new post's id; a reply without a valid one leaves the outcome unknown
    (the post may exist: it is never pushed again blindly)."""
    found = _id_in(reply, target, *keys)
    if found is not None:
        return found
    raise PushOutcomeUnknown(
        f"OneAll accepted it but answered no valid {keys[0]}",
        target=f"OneAll, {target}",
        remedy="it may have been published: check the target, then run "
        "`statesync resolve`",
    )
