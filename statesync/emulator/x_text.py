"""X's weighted tweet length, written for the emulator from X's published rules.

developer.x.com "Counting characters": a tweet holds 280 weighted characters; code
points in U+0000-U+10FF, U+2000-U+200D, U+2010-U+201F and U+2032-U+2037 weigh 1, all
others 2; a URL weighs 23 (t.co) whatever its length; an emoji, even a sequence of
several code points, weighs 2. As twitter-text does, the text is NFC-normalized
first.

Simplified against twitter-text (docs/oneall-networks.md §1): only `http://` and
`https://` URLs are recognised (not bare domains), and an emoji sequence is an emoji
code point with what joins it (ZWJ plus the next code point, variation selectors,
skin-tone modifiers, tag characters) or a pair of regional indicators.
"""

from __future__ import annotations

import re
import unicodedata

MAX_WEIGHTED_LENGTH = 280
URL_WEIGHT = 23
_LIGHT = ((0x0000, 0x10FF), (0x2000, 0x200D), (0x2010, 0x201F), (0x2032, 0x2037))
_URL = re.compile(r"https?://[^\s]+", re.IGNORECASE)
# twitter-text leaves trailing punctuation out of a URL ("see https://a.example.").
_URL_TAIL = ".,;:!?)]}'\""
_ZWJ = 0x200D
_REGIONAL = (0x1F1E6, 0x1F1FF)
# Pictographic blocks: symbols, dingbats, arrows and stars, and the emoji planes.
_EMOJI = ((0x2300, 0x23FF), (0x2600, 0x27BF), (0x2B00, 0x2BFF), (0x1F000, 0x1FAFF))
# What extends an emoji without adding to its weight.
_MODIFIERS = (
    (0xFE00, 0xFE0F),
    (0x1F3FB, 0x1F3FF),
    (0xE0020, 0xE007F),
    (0x20E3, 0x20E3),
)


def weighted_length(text: str) -> int:
    """The length X compares with 280."""
    text = unicodedata.normalize("NFC", text)
    total, pos = 0, 0
    for match in _URL.finditer(text):
        url = match.group().rstrip(_URL_TAIL)
        if not url.partition("://")[2]:
            continue  # a scheme alone is text
        total += _plain_length(text[pos : match.start()]) + URL_WEIGHT
        pos = match.start() + len(url)
    return total + _plain_length(text[pos:])


def _plain_length(text: str) -> int:
    points = [ord(char) for char in text]
    total, index = 0, 0
    while index < len(points):
        point = points[index]
        index += 1
        if _within(point, (_REGIONAL,)):
            total += 2
            if index < len(points) and _within(points[index], (_REGIONAL,)):
                index += 1  # a flag: two regional indicators, one emoji
        elif _within(point, _EMOJI):
            total += 2
            index = _sequence_end(points, index)
        else:
            total += 1 if _within(point, _LIGHT) else 2
    return total


def _sequence_end(points: list[int], index: int) -> int:
    """Past the modifiers and ZWJ-joined code points that extend an emoji."""
    while index < len(points):
        if _within(points[index], _MODIFIERS):
            index += 1
        elif points[index] == _ZWJ and index + 1 < len(points):
            index += 2
        else:
            break
    return index


def _within(point: int, ranges: tuple[tuple[int, int], ...]) -> bool:
    return any(low <= point <= high for low, high in ranges)
