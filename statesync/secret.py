"""Secrets that cannot leak by accident.

A ``Secret`` prints as ``'***'`` in every repr, f-string and log line; only ``reveal()``
gives the value, and only the code that puts it in an HTTP header or body calls it.

``redact`` is the last defence against a server that echoes what it was sent, and a
server may echo a token in the form it travelled or was stored in, not only verbatim:
percent-encoded (a URL, a form body), base64 (an ``Authorization: Basic`` header, a
JWT-like blob, a debug dump) or JSON-escaped (inside an error message). So each secret
masks every such form of itself (issue 19). The forms are computed once per ``Secret``
and kept on it, because redaction runs on every log record of the HTTP libraries.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable
from urllib.parse import quote, quote_plus

MASK = "***"
# A derived form shorter than this could match ordinary text by chance; the value
# itself is always masked, whatever its length.
MIN_FORM_LENGTH = 8
_PERCENT_HEX = re.compile(r"%[0-9A-F]{2}")


class Secret:
    __slots__ = ("_forms", "_percent", "_value")

    def __init__(self, value: str) -> None:
        if not value:
            raise ValueError("a secret cannot be empty")
        self._value = value
        # Computed on first redaction, then kept: redaction runs on every log record.
        self._forms: tuple[str, ...] | None = None
        self._percent: re.Pattern[str] | None = None

    def reveal(self) -> str:
        return self._value

    def forms(self) -> tuple[str, ...]:
        """Every text form of the value that ``redact`` masks, longest first (so a
        whole encoding is masked before a part of it could be)."""
        if self._forms is None:
            self._forms = encoded_forms(self._value)
        return self._forms

    def percent_pattern(self) -> re.Pattern[str]:
        """Matches the value percent-encoded in any way (see ``percent_pattern``)."""
        if self._percent is None:
            self._percent = percent_pattern(self._value)
        return self._percent

    def __repr__(self) -> str:
        return f"Secret({MASK!r})"

    def __str__(self) -> str:
        return MASK

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


def redact(text: str, secrets: Iterable[Secret]) -> str:
    """Mask every secret in ``text``, in each of its encoded forms."""
    for secret in secrets:
        for form in secret.forms():
            if form in text:
                text = text.replace(form, MASK)
        if "%" in text:  # the one regular expression, only where it can match
            text = secret.percent_pattern().sub(MASK, text)
    return text


def encoded_forms(value: str) -> tuple[str, ...]:
    """``value`` and the forms a server may echo it in, longest first; its
    percent-encoded forms are ``percent_pattern``'s, any of them."""
    raw = value.encode("utf-8")
    b64 = base64_forms(raw)
    forms = {value, quote_plus(value), *json_forms(value), *b64}
    for form in b64:  # base64 inside a query string, either case of hex digits
        quoted = quote(form, safe="")
        forms |= {quoted, _lower_hex(quoted)}
    # PHP's json_encode (OneAll's stack) escapes every "/" as "\/".
    forms |= {form.replace("/", "\\/") for form in forms if "/" in form}
    kept = (form for form in forms if form == value or len(form) >= MIN_FORM_LENGTH)
    return tuple(sorted(kept, key=lambda form: (-len(form), form)))


def percent_pattern(value: str) -> re.Pattern[str]:
    """``value`` with any of its characters percent-encoded, in either case of hex
    digits, and a space as ``+``: what ``quote`` makes of it with any ``safe``
    set, ``quote_plus``, and servers that encode more than they must (``-`` as
    ``%2D``). The characters are otherwise matched exactly, case included."""
    parts = []
    for char in value:
        encoded = "".join(
            "%" + "".join(f"[{d}{d.lower()}]" if d.isalpha() else d for d in f"{b:02X}")
            for b in char.encode("utf-8")
        )
        choices = [re.escape(char), encoded] + (["\\+"] if char == " " else [])
        parts.append(f"(?:{'|'.join(choices)})")
    return re.compile("".join(parts))


def json_forms(value: str) -> set[str]:
    """As it appears inside a JSON string, with and without ``\\uXXXX`` escapes."""
    return {
        json.dumps(value, ensure_ascii=True)[1:-1],
        json.dumps(value, ensure_ascii=False)[1:-1],
    }


def base64_forms(raw: bytes) -> set[str]:
    """Standard and URL-safe base64, padded or not, and the *aligned cores*.

    A secret inside longer data (``user:password`` in a Basic header) is encoded
    together with its neighbours, and only the characters that depend on its bytes
    alone are fixed: which ones depends on the secret's offset modulo 3. For each of
    the 3 alignments the core is the run of characters whose 6 bits all come from the
    secret; it is a substring of every base64 text that holds the secret at that
    alignment. The standard and URL-safe alphabets differ only in ``+/`` vs ``-_``.
    """
    forms: set[str] = set()
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        whole = encode(raw).decode("ascii")
        forms |= {whole, whole.rstrip("=")}
        for offset in range(3):
            encoded = encode(b"\0" * offset + raw).decode("ascii")
            first = (8 * offset + 5) // 6  # the first character free of the prefix
            end = 8 * (offset + len(raw)) // 6  # characters wholly inside the data
            if end > first:
                forms.add(encoded[first:end])
    return forms


def _lower_hex(form: str) -> str:
    """``%2F`` as ``%2f``: percent-encoding is case-insensitive in its hex digits."""
    return _PERCENT_HEX.sub(lambda match: match.group(0).lower(), form)


def token_problem(value: str) -> str | None:
    """What makes ``value`` unusable as a token or key, or None if nothing does.

    Every credential statesync reads (Graph tokens, the app secret, OneAll's keys and
    identity token) is printable ASCII without spaces. Anything else is a paste
    accident, and sent anyway it would fail far away (a header refused by the HTTP
    library, a percent-encoded URL in a log, an API saying the token is invalid).
    The answer names the kind of character, never the character or the value.
    """
    if any(char.isspace() for char in value):
        return "whitespace"
    if not value.isascii():
        return "a non-ASCII character"
    if not value.isprintable():
        return "a control character"
    return None
