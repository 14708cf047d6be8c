"""A post's ``publish_at`` and ``expire_at`` checked offline, with their lines."""

from __future__ import annotations

from typing import Protocol

from statesync.times import TimeProblem, parse_instant
from statesync.yamlnodes import Node, Scalar

LAST_INSTANT = 2**37  # as the lockfile stores instants: before the year 6325


class _Checker(Protocol):
    @property
    def timezone(self) -> str: ...

    def at(self, line: int, message: str) -> None: ...
    def shown(self, node: Node) -> str: ...


def check_times(
    checker: _Checker, key: str, publish: Node | None, expire: Node | None
) -> tuple[int | None, int | None]:
    """``publish_at`` and ``expire_at`` as Unix seconds; expiry after publishing."""
    publish_at = _instant(checker, publish, "publish_at")
    expire_at = _instant(checker, expire, "expire_at")
    if (
        expire is not None
        and publish_at is not None
        and expire_at is not None
        and expire_at <= publish_at
    ):
        checker.at(
            expire.line,
            f"post {key!r} expires before it is published: expire_at must be "
            "after publish_at",
        )
        return publish_at, None
    return publish_at, expire_at


def _instant(checker: _Checker, node: Node | None, name: str) -> int | None:
    """An RFC 3339 instant, or a local date-time in the project's zone. The source
    text is read: YAML turns an unquoted one into a naive datetime."""
    if node is None or (isinstance(node, Scalar) and node.value is None):
        return None
    if not isinstance(node, Scalar) or isinstance(node.value, bool | int | float):
        checker.at(
            node.line, f"{name} must be a date and time, got {checker.shown(node)}"
        )
        return None
    try:
        instant = parse_instant(node.text, checker.timezone)
    except TimeProblem as problem:
        checker.at(node.line, f"{name}: {problem}")
        return None
    if not 0 <= instant < LAST_INSTANT:
        checker.at(
            node.line, f"{name}: {node.text.strip()!r} is before 1970 or after 6324"
        )
        return None
    return instant
