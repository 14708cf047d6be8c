"""statesync.yaml's values checked one at a time: a known setting, a section, a string,
a choice, a path, a flag, the name of an environment variable, a number.

Each check reports at the value's line and returns the default in its place, so that
``statesync.config`` can go on and report every other problem too. A string value is
named by its kind only, never quoted: where a number or a flag belongs, it may be a
pasted secret of any shape.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from statesync.yamlcheck import Checker, shown, suggest
from statesync.yamlnodes import (
    Entry,
    Mapping,
    Node,
    Scalar,
    describe,
    looks_like_token,
)

ENV_NAME = re.compile(r"[A-Z_][A-Z0-9_]*")
Values = dict[str, Entry]


@dataclass(frozen=True, slots=True)
class SettingsChecker(Checker):
    quotes_strings: bool = False

    def fields(self, mapping: Mapping, known: tuple[str, ...], prefix: str) -> Values:
        """The known settings of ``mapping``, whose keys are ``prefix`` + a name."""

        def unknown(key: str) -> str:
            name = prefix + key
            match = suggest(key, known)
            if match is not None:
                return f"unknown setting {name!r}: did you mean {prefix + match!r}?"
            listed = ", ".join(repr(prefix + name) for name in known)
            return f"unknown setting {name!r}: expected one of {listed}"

        return self.known_entries(mapping, known, unknown)

    def section(self, entry: Entry | None, known: tuple[str, ...]) -> Values:
        if entry is None or (
            isinstance(entry.value, Scalar) and entry.value.value is None
        ):
            return {}  # ``graph:`` with everything commented out: the defaults
        if not isinstance(entry.value, Mapping):
            self.at(
                entry.value.line,
                f"{entry.key} must be a mapping, got {describe(entry.value)}",
            )
            return {}
        return self.fields(entry.value, known, entry.key + ".")

    def text(self, values: Values, key: str, default: str, prefix: str = "") -> str:
        entry = values.get(key)
        if entry is None:
            return default
        value = self.string(entry.value, prefix + key)
        return default if value is None else value

    def choice(
        self,
        values: Values,
        key: str,
        choices: tuple[str, ...],
        default: str,
        prefix: str = "",
    ) -> str:
        value = self.text(values, key, default, prefix)
        if value in choices:
            return value
        listed = " or ".join(repr(choice) for choice in choices)
        node = values[key].value
        self.at(node.line, f"{prefix}{key} must be {listed}, got {shown(node)}")
        return default

    def path(self, values: Values, key: str, default: Path) -> Path:
        entry = values.get(key)
        if entry is None:
            return default
        value = self.text(values, key, "")
        if value.strip():
            return Path(value)
        if isinstance(entry.value, Scalar) and isinstance(entry.value.value, str):
            self.at(entry.value.line, f"{key} must be a path, got an empty string")
        return default

    def flag(self, values: Values, key: str, default: bool) -> bool:
        entry = values.get(key)
        if entry is None:
            return default
        value = self.boolean(entry.value, key)
        return default if value is None else value

    def env(self, values: Values, key: str, default: str, prefix: str) -> str:
        """The *name* of an environment variable; the value itself is never shown.

        Someone who pastes the secret here instead of a name must not see it echoed.
        """
        entry = values.get(key)
        if entry is None:
            return default
        node = entry.value
        if isinstance(node, Scalar) and isinstance(node.value, str):
            if ENV_NAME.fullmatch(node.value):
                return node.value
            if looks_like_token(node.value):
                return default  # find_secrets reported it already
        self.at(
            node.line,
            f"{prefix}{key} must name an environment variable (like {default}), "
            "not hold a value: secrets come from the environment",
        )
        return default


def number(node: Node) -> int | float | None:
    """An int or float scalar's value; a boolean is not a number here."""
    if not isinstance(node, Scalar) or isinstance(node.value, bool):
        return None
    return node.value if isinstance(node.value, int | float) else None
