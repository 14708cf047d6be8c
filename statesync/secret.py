"""Secrets that cannot leak by accident.

A ``Secret`` prints as ``'***'`` in every repr, f-string and log line; only ``reveal()``
gives the value, and only the code that puts it in an HTTP header or body calls it.
"""

from __future__ import annotations

from collections.abc import Iterable

MASK = "***"


class Secret:
    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if not value:
            raise ValueError("a secret cannot be empty")
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret({MASK!r})"

    def __str__(self) -> str:
        return MASK

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


def redact(text: str, secrets: Iterable[Secret]) -> str:
    """Mask every secret in ``text``: the last defence against API-echoed payloads."""
    for secret in secrets:
        text = text.replace(secret.reveal(), MASK)
    return text
