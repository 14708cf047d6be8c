"""Checking the values ``yamlnodes`` parsed: what statesync.yaml and the manifests share.

A ``Checker`` collects one file's problems as ``FILE:LINE`` items instead of raising, so
that the caller raises once with all of them. Both files report their YAML problems and
every pasted secret the same way, suggest the name a typo meant ("did you mean"), and
quote a wrong value the same way: short, and never a token-shaped one.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Callable
from collections.abc import Mapping as MappingOf
from dataclasses import dataclass, field
from pathlib import Path

from statesync.errors import Location
from statesync.yamlnodes import (
    NOT_SHOWN,
    SECRETS_ADVICE,
    Document,
    Entry,
    Mapping,
    Node,
    Scalar,
    describe,
    find_secrets,
    is_secret_key,
    looks_like_token,
    parse,
)

Problems = list[tuple[Location, str]]
SHOWN_LENGTH = 60  # a quoted value longer than this is cut, with "..."


@dataclass(frozen=True, slots=True)
class Checker:
    """Collects the problems of one file, appending to a list the caller may share."""

    file: str  # as messages name it
    problems: Problems = field(default_factory=list)
    # statesync.yaml names a string value's kind only: a setting is short, and a string
    # where a number or flag belongs may be a pasted secret of any shape.
    quotes_strings: bool = True

    def at(self, line: int, message: str) -> None:
        self.problems.append((Location(self.file, line), message))

    def read(self, text: str, secret: Callable[[str | None], str]) -> Document:
        """``text`` parsed; its YAML problems and every secret in it are problems, a
        secret worded by ``secret(key)`` (key None: a token-shaped text)."""
        document = parse(text)
        for line, message in document.problems:
            self.at(line, message)
        for finding in find_secrets(text, document):
            self.at(finding.line, secret(finding.key))
        return document

    def known_entries(
        self,
        mapping: Mapping,
        known: tuple[str, ...],
        unknown: Callable[[str], str],
    ) -> dict[str, Entry]:
        """The entries of ``mapping`` named in ``known``; any other is a problem, worded
        by ``unknown(key)``, unless ``read`` reported its key as a secret already (a
        secret's name, or a pasted token, which no message may repeat)."""
        values: dict[str, Entry] = {}
        for entry in mapping.entries:
            if entry.key in known:
                values[entry.key] = entry
            elif not is_secret_key(entry.key) and not looks_like_token(entry.key):
                self.at(entry.line, unknown(entry.key))
        return values

    def string(self, node: Node, name: str) -> str | None:
        if isinstance(node, Scalar) and isinstance(node.value, str):
            return node.value
        self.at(node.line, f"{name} must be a string, got {self.shown(node)}")
        return None

    def boolean(self, node: Node, name: str) -> bool | None:
        """A boolean and nothing else: a flag must never be half set."""
        if isinstance(node, Scalar) and isinstance(node.value, bool):
            return node.value
        self.at(node.line, f"{name} must be true or false, got {self.shown(node)}")
        return None

    def shown(self, node: Node) -> str:
        if isinstance(node, Scalar) and isinstance(node.value, str):
            return shown(node) if self.quotes_strings else describe(node)
        return shown(node)


def shown(node: Node) -> str:
    """A wrong value as messages quote it: short, and never a token-shaped one."""
    kind = describe(node)
    if (
        not isinstance(node, Scalar)
        or node.value is None
        or isinstance(node.value, bool)
    ):
        return kind
    if looks_like_token(node.text):
        return f"{kind} {NOT_SHOWN}"
    text = node.text
    if len(text) > SHOWN_LENGTH:
        text = text[: SHOWN_LENGTH - 3] + "..."
    return repr(text) if isinstance(node.value, str) else f"{text} ({kind})"


def suggest(
    key: str, known: tuple[str, ...], synonyms: MappingOf[str, str] | None = None
) -> str | None:
    """The known name a mistyped ``key`` most likely meant, if any is close enough."""
    synonym = (synonyms or {}).get(key.lower())
    if synonym in known:
        return synonym
    matches = difflib.get_close_matches(key.lower(), known, n=1, cutoff=0.6)
    return matches[0] if matches else None


def secret_message(key: str | None) -> str:
    """A secret found in YAML, named by its key (or as a token), never by its value."""
    if key is None:
        return f"this looks like a Graph access token: {SECRETS_ADVICE}"
    return f"{key!r} looks like a secret: {SECRETS_ADVICE}"


def value_of(entries: MappingOf[str, Entry], name: str) -> Node | None:
    """The value of the entry ``name``, if the mapping has it."""
    entry = entries.get(name)
    return None if entry is None else entry.value


DIGITS = re.compile(r"[0-9]+")  # an id, as manifests write page and media ids


def digits(node: Node | None) -> str | None:
    """An id written as digits, quoted or not; never a float, hex or octal reading.

    The source text is kept, so an unquoted ``0123`` (octal 83 in YAML 1.1) stays
    "0123" and an unquoted 15-digit id keeps every digit.
    """
    if not isinstance(node, Scalar) or isinstance(node.value, bool):
        return None
    if isinstance(node.value, str | int) and DIGITS.fullmatch(node.text):
        return node.text
    return None


def display_path(path: Path, base: Path) -> str:
    """The path as messages show it: relative to ``base`` when inside it."""
    try:
        return str(Path(os.path.abspath(path)).relative_to(os.path.abspath(base)))
    except ValueError:
        return str(path)
