"""What each network accepts in a post, checked offline (``statesync validate``).

A manifest that fans out checks every post against every network it reaches, so an
announcement too long for X is refused before anything is sent anywhere. The limits
and their sources are in docs/oneall-networks.md.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from statesync.media import MediaFile, is_ref, ref_key
from statesync.model import PostFields
from statesync.targets import Network

# developer.x.com "Counting characters": 280 weighted characters, a URL counts 23.
MAX_TWEET_WEIGHT = 280
MAX_TWEET_IMAGES = 4  # X's media rules: up to 4 pictures, or 1 video, never both
MAX_TWEET_IMAGE_BYTES = 5 * 1024 * 1024  # OneAll's Twitter Upload Picture: 5 MB
MAX_TWEET_VIDEO_BYTES = 512 * 1024 * 1024  # X's media upload: 512 MB
MAX_LINKEDIN_LENGTH = 3000  # docs/oneall-networks.md §2
MAX_PIN_DESCRIPTION = 500  # docs/oneall-networks.md §3

Report = Callable[[str], None]  # appends one problem at the post's line
_ON = {
    Network.TWITTER: "on X",
    Network.LINKEDIN: "on LinkedIn",
    Network.PINTEREST: "on Pinterest",
}


def check_post(
    network: Network,
    key: str,
    fields: PostFields,
    files: Mapping[str, MediaFile],
    report: Report,
) -> None:
    """Report what ``network`` cannot publish of the post ``key``."""
    if network is Network.FACEBOOK:
        return
    where = _ON[network]
    if fields.flags:
        names = " and ".join(name for name, _ in fields.flags)
        report(f"post {key!r}: {names} exists on Facebook pages only, not {where}")
    ids = [a for a in fields.attachments if not is_ref(a)]
    if ids:
        report(
            f"post {key!r}: attachment {ids[0]} is a Facebook media id; {where} "
            "attach files from the repository (attachments: [media/photo.jpg])"
        )
    attached = [files[ref_key(a)] for a in fields.attachments if is_ref(a)]
    _CHECKS[network](key, fields, attached, report)


def _tweet(
    key: str, fields: PostFields, files: list[MediaFile], report: Report
) -> None:
    if fields.link is not None:
        report(
            f"post {key!r}: a tweet has no link field; put the URL in the message "
            "(X counts any URL as 23 characters)"
        )
    if fields.message is not None:
        weight = tweet_weight(fields.message)
        if weight > MAX_TWEET_WEIGHT:
            report(
                f"post {key!r}: the message weighs {weight} characters on X, over "
                f"its {MAX_TWEET_WEIGHT} (a URL counts 23, most CJK characters and "
                "emoji count 2)"
            )
    videos = [f for f in files if f.is_video]
    if videos and len(files) > 1:
        report(f"post {key!r}: a tweet carries one video alone, or up to 4 pictures")
    elif len(files) > MAX_TWEET_IMAGES:
        report(
            f"post {key!r}: a tweet carries at most {MAX_TWEET_IMAGES} pictures, "
            f"got {len(files)}"
        )
    for file in files:
        limit = MAX_TWEET_VIDEO_BYTES if file.is_video else MAX_TWEET_IMAGE_BYTES
        if file.size > limit:
            report(
                f"post {key!r}: {file.shown} is {file.size:,} bytes, over the "
                f"{limit:,} that X accepts for a {file.capability}"
            )


def _linkedin(
    key: str, fields: PostFields, files: list[MediaFile], report: Report
) -> None:
    if files:
        report(
            f"post {key!r}: OneAll publishes text and a link on a LinkedIn company "
            "page, no files; leave the attachments to the other targets (a manifest "
            "of its own), or link to the picture"
        )
    if fields.message is not None and len(fields.message) > MAX_LINKEDIN_LENGTH:
        report(
            f"post {key!r}: the message is {len(fields.message):,} characters, over "
            f"the {MAX_LINKEDIN_LENGTH:,} of a LinkedIn post"
        )


def _pin(key: str, fields: PostFields, files: list[MediaFile], report: Report) -> None:
    images = [f for f in files if not f.is_video]
    if len(files) != 1 or not images:
        got = "a video" if files and not images else f"{len(files)} files"
        report(
            f"post {key!r}: a pin needs exactly one image file in its attachments "
            f"(attachments: [media/photo.jpg]), got {got}"
        )
    if fields.message is not None and len(fields.message) > MAX_PIN_DESCRIPTION:
        report(
            f"post {key!r}: the message is {len(fields.message):,} characters, over "
            f"the {MAX_PIN_DESCRIPTION} of a pin's description"
        )


_CHECKS: dict[Network, Callable[[str, PostFields, list[MediaFile], Report], None]] = {
    Network.TWITTER: _tweet,
    Network.LINKEDIN: _linkedin,
    Network.PINTEREST: _pin,
}


def tweet_weight(text: str) -> int:
    """X's weighted length, by twitter-text's rules (its published configuration:
    URLs as 23, code points outside the Latin, punctuation and general ranges as 2,
    emoji as 2 however many code points they join)."""
    from twitter_text import (
        parse_tweet,  # its regexes load only when a tweet is checked
    )

    return int(parse_tweet(text).weightedLength)
