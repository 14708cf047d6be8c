"""What each network accepts in a post, checked offline (``statesync validate``).

A manifest that fans out checks every post against every network it reaches, so an
announcement too long for X is refused before anything is sent anywhere. The limits
and their sources are in docs/oneall-networks.md.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping

from statesync.media import MAX_IMAGE_BYTES, MAX_VIDEO_BYTES, MediaFile, is_ref, ref_key
from statesync.model import PostFields
from statesync.targets import Network

# developer.x.com "Counting characters": 280 weighted characters, a URL counts 23.
MAX_TWEET_WEIGHT = 280
MAX_TWEET_IMAGES = 4  # X's media rules: up to 4 pictures, or 1 video, never both
# The largest image and video each network takes (docs/media.md §1,
# docs/oneall-networks.md): a file for several networks must suit them all.
MEDIA_LIMITS = {
    Network.FACEBOOK: (MAX_IMAGE_BYTES, MAX_VIDEO_BYTES),
    # OneAll's Twitter Upload Picture: 5 MB; X's video upload: 512 MB
    Network.TWITTER: (5 * 1024 * 1024, 512 * 1024 * 1024),
    # Pinterest: 20 MB images (unconfirmed); a pin takes no video (checked apart)
    Network.PINTEREST: (20 * 1024 * 1024, MAX_VIDEO_BYTES),
    Network.LINKEDIN: (MAX_IMAGE_BYTES, MAX_VIDEO_BYTES),  # takes no file at all
}
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
            shown = weight if weight <= 2 * MAX_TWEET_WEIGHT else f"over {weight - 1}"
            report(
                f"post {key!r}: the message weighs {shown} characters on X, over "
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


def media_limits(networks: Iterable[Network]) -> tuple[int, int]:
    """The largest image and video that every one of ``networks`` takes."""
    limits = [MEDIA_LIMITS[network] for network in set(networks)]
    return min(i for i, _ in limits), min(v for _, v in limits)


def tweet_weight(text: str) -> int:
    """X's weighted length, by twitter-text's rules (its published configuration:
    URLs as 23, code points outside the Latin, punctuation and general ranges as 2,
    emoji as 2 however many code points they join).

    twitter-text's URL pattern backtracks badly on long runs of dotted text (3,000
    characters of ``1.2.`` take it 40 s), so it is given pieces: runs of whole words
    with the whitespace before them (no URL or emoji crosses whitespace, and each
    word keeps what precedes it) up to ``_LONG_PIECE`` characters, a longer word
    whole, and a word of many short dotted labels (the slow shape) cut before each
    ``http(s)://`` and then in slices. A message far over the limit stops being
    counted once it is twice over (the number is then a floor).
    """
    from twitter_text import (
        parse_tweet,  # its regexes load only when a tweet is checked
    )

    total = 0
    for piece in _pieces(text):
        total += int(parse_tweet(piece).weightedLength)
        if total > 2 * MAX_TWEET_WEIGHT:
            break
    return total


_LONG_PIECE = 300
_LONG_WORD = 2000  # a word longer than that is far over the limit unless a URL
# What makes twitter-text's URL pattern backtrack: many short dotted labels in a row
# (``1.2.1.2...``, ``x-y.x-y...``); such a word is cut in slices instead.
_SLOW = re.compile(r"(?:[\w-]{1,3}\.){20}")
_URL_START = re.compile(r"(?=https?://)", re.IGNORECASE)


def _pieces(text: str) -> Iterator[str]:
    piece = ""
    for word in re.findall(r"\s*\S+|\s+$", text):
        if len(word) > _LONG_PIECE:
            if piece:
                yield piece
                piece = ""
            if len(word) <= _LONG_WORD and not _SLOW.search(word):
                yield word  # exact: most long words cost twitter-text little
                continue
            for part in _URL_START.split(word):
                for start in range(0, len(part), _LONG_PIECE):
                    yield part[start : start + _LONG_PIECE]
            continue
        if len(piece) + len(word) > _LONG_PIECE:
            yield piece
            piece = ""
        piece += word
    if piece:
        yield piece
