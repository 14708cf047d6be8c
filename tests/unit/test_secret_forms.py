"""Redaction masks a secret in every form a server may echo it in (issue 19).

Each form is produced here with the standard library, independently of how
statesync.secret computes its forms: percent-encoding (``quote`` with several ``safe``
sets, ``quote_plus``, lower-case hex, over-eager encoding), base64 (both alphabets,
padded or not, and inside longer data at each of the 3 byte alignments) and JSON
escaping (``ensure_ascii`` on and off). Also: malformed tokens are named, never shown.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from urllib.parse import quote, quote_plus

import pytest

from statesync.secret import MASK, Secret, redact, token_problem

TOKEN = "EAAtestTOKEN+with/odd=chars-0123456789"
UNICODE = 'pässwörd "quoted" \\ tab\there ✓ and more'  # a generic Secret, not a token
SECRETS = [TOKEN, UNICODE, "test-private-key", "0f6a1c52-7d3e-4b8a-9c11-2e5f6a7b8c9d"]

PERCENT: dict[str, Callable[[str], str]] = {
    "quote safe=''": lambda s: quote(s, safe=""),
    "quote default safe": quote,
    "quote_plus": quote_plus,
    "quote_plus safe='/'": lambda s: quote_plus(s, safe="/"),
    "lower-case hex": lambda s: _lower_hex(quote(s, safe="")),
    "every byte encoded": lambda s: "".join(f"%{b:02X}" for b in s.encode()),
}
BASE64: dict[str, Callable[[bytes], bytes]] = {
    "standard": base64.b64encode,
    "standard, unpadded": lambda raw: base64.b64encode(raw).rstrip(b"="),
    "url-safe": base64.urlsafe_b64encode,
    "url-safe, unpadded": lambda raw: base64.urlsafe_b64encode(raw).rstrip(b"="),
}
JSON: dict[str, Callable[[str], str]] = {
    "ensure_ascii": lambda s: json.dumps(s, ensure_ascii=True)[1:-1],
    "not ensure_ascii": lambda s: json.dumps(s, ensure_ascii=False)[1:-1],
}


def _lower_hex(text: str) -> str:
    out, index = [], 0
    while index < len(text):
        if text[index] == "%":
            out.append(text[index : index + 3].lower())
            index += 3
        else:
            out.append(text[index])
            index += 1
    return "".join(out)


def shown(value: str, text: str) -> str:
    return redact(f"error: {text} (end)", [Secret(value)])


@pytest.mark.parametrize("value", SECRETS)
def test_the_value_itself_is_masked(value: str) -> None:
    assert shown(value, value) == f"error: {MASK} (end)"


@pytest.mark.parametrize("form", PERCENT)
@pytest.mark.parametrize("value", SECRETS)
def test_percent_encoded_forms_are_masked(value: str, form: str) -> None:
    encoded = PERCENT[form](value)
    assert shown(value, encoded) == f"error: {MASK} (end)"


def test_over_eager_percent_encoding_is_masked() -> None:
    value = "test-page-token-acme"
    encoded = quote(value, safe="").replace("-", "%2D").replace("a", "%61")
    assert shown(value, encoded) == f"error: {MASK} (end)"


@pytest.mark.parametrize("form", BASE64)
@pytest.mark.parametrize("value", SECRETS)
def test_base64_forms_are_masked(value: str, form: str) -> None:
    encoded = BASE64[form](value.encode()).decode()
    assert shown(value, encoded) == f"error: {MASK} (end)"


@pytest.mark.parametrize("before", range(7))  # every alignment, twice over
@pytest.mark.parametrize("alphabet", ["standard", "url-safe"])
@pytest.mark.parametrize("value", SECRETS)
def test_base64_of_longer_data_holding_the_secret_is_masked(
    value: str, alphabet: str, before: int
) -> None:
    """A secret inside ``user:secret`` (a Basic header) or any longer blob: the
    characters that encode its bytes alone are masked, at any byte alignment."""
    raw = value.encode()
    data = b"\xfb\xff" * 4
    blob = data[:before] + raw + b"\xfe" * 5
    encode = base64.b64encode if alphabet == "standard" else base64.urlsafe_b64encode
    text = encode(blob).decode()
    first = -(-8 * before // 6)  # the first character free of the bytes before
    end = 8 * (before + len(raw)) // 6  # the characters wholly inside the secret
    core = text[first:end]

    masked = shown(value, text)

    assert MASK in masked
    assert core not in masked
    # What is left of the secret's characters cannot spell 4 of its bytes.
    for start in range(first, end - 5):
        assert text[start : start + 6] not in masked


def test_a_basic_authorization_header_is_masked_through_its_halves() -> None:
    basic = base64.b64encode(b"test-public-key:test-private-key").decode()
    masked = redact(f"Authorization: Basic {basic}", [Secret("test-private-key")])
    assert MASK in masked
    assert basic not in masked


@pytest.mark.parametrize("form", JSON)
@pytest.mark.parametrize("value", SECRETS)
def test_json_escaped_forms_are_masked(value: str, form: str) -> None:
    escaped = JSON[form](value)
    assert shown(value, escaped) == f"error: {MASK} (end)"


def test_a_json_body_echoing_the_secret_is_masked_whole() -> None:
    body = json.dumps({"error": {"message": f"bad token {UNICODE}"}})
    assert UNICODE not in json.loads(redact(body, [Secret(UNICODE)]).replace(MASK, ""))
    assert json.dumps(UNICODE)[1:-1] not in redact(body, [Secret(UNICODE)])


def test_slash_escaped_json_of_php_is_masked() -> None:
    encoded = base64.b64encode(b"\xff\xff" + TOKEN.encode()).decode()
    escaped = encoded.replace("/", "\\/")
    assert "/" in encoded
    assert shown(TOKEN, TOKEN.replace("/", "\\/")) == f"error: {MASK} (end)"
    assert MASK in shown(TOKEN, escaped)


def test_ordinary_text_is_left_alone() -> None:
    text = "POST /104510075301234/feed -> HTTP 400: (#100) Invalid parameter"
    assert redact(text, [Secret(value) for value in SECRETS]) == text


def test_a_short_secret_masks_only_itself() -> None:
    """Derived forms of a very short value would match ordinary text by chance."""
    assert redact("abc YWJj 616263", [Secret("abc")]) == f"{MASK} YWJj 616263"


def test_forms_are_computed_once_per_secret() -> None:
    secret = Secret(TOKEN)
    assert secret.forms() is secret.forms()
    assert secret.percent_pattern() is secret.percent_pattern()
    assert secret.forms() == tuple(sorted(secret.forms(), key=lambda f: (-len(f), f)))


# Malformed tokens


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("EAAabc def", "whitespace"),
        ("EAAabc\tdef", "whitespace"),
        ("EAAabc\ndef", "whitespace"),
        ("EAAabc\x00def", "a control character"),
        ("EAAabc\x7fdef", "a control character"),
        ("EAAabcdéf", "a non-ASCII character"),
        ("EAAabc\u200bdef", "a non-ASCII character"),  # a zero-width space
    ],
)
def test_malformed_token_values_are_named_by_kind(value: str, problem: str) -> None:
    assert token_problem(value) == problem


@pytest.mark.parametrize("value", SECRETS[:1] + SECRETS[2:] + ["a.b_c~d-e/f+g=h"])
def test_well_formed_token_values_pass(value: str) -> None:
    assert token_problem(value) is None
