"""YAML that remembers where every value came from, and refuses what PyYAML forgives.

Every YAML file statesync reads (``statesync.yaml`` and the manifests) goes through
``parse``: it composes the node tree with PyYAML's safe loader (libyaml when built in)
and turns it into small values that carry their 1-based line, so every validation error
can say ``FILE:LINE``. Along the way it collects, instead of raising:

- malformed YAML, at the line of the parser's mark (a tab where YAML needs spaces is
  named as such, with its column: the scanner's own words never say "tab");
- duplicate keys (``yaml.safe_load`` silently keeps the last one);
- tags beyond str, int, float, bool and null (nothing is ever constructed from a tag);
- merge keys, non-scalar keys and absurd nesting.

``find_secrets`` scans a file for what must never be in YAML: secret-named keys and
values shaped like a Graph access token.
"""

from __future__ import annotations

import functools
import gc
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import cast

import yaml
from yaml.constructor import SafeConstructor

try:  # libyaml composes ~10x faster; the pure-Python loader behaves the same
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

_TAG = "tag:yaml.org,2002:"
_STR = _TAG + "str"
MAX_DEPTH = 64  # far beyond any real file; keeps the recursive build off Python's limit

ScalarValue = str | int | float | bool | None


@dataclass(frozen=True, slots=True)
class Scalar:
    value: ScalarValue
    line: int
    text: str  # the source text: ``page: 0123`` is int 83 in YAML 1.1 but "0123" here


@dataclass(frozen=True, slots=True)
class Entry:
    key: str  # the key's source text: ``on:`` is the key "on", not True
    line: int  # the line of the key
    value: Node


@dataclass(frozen=True, slots=True)
class Mapping:
    entries: tuple[Entry, ...]  # in file order, each key once (duplicates are problems)
    line: int


@dataclass(frozen=True, slots=True)
class Sequence:
    items: tuple[Node, ...]
    line: int


Node = Scalar | Mapping | Sequence


@dataclass(frozen=True, slots=True)
class Document:
    """A parsed file: ``root`` is None when the file is empty or could not be parsed."""

    root: Node | None
    problems: tuple[tuple[int, str], ...]  # (line, message)
    secret_keys: tuple[Entry, ...] = ()  # entries whose key names a secret, any depth


def describe(node: Node | None) -> str:
    """What a value is, in the words of a wrong-type message: "got a list"."""
    if isinstance(node, Mapping):
        return "a mapping"
    if isinstance(node, Sequence):
        return "a list"
    if node is None or node.value is None:
        return "nothing (null)"
    value = node.value
    if isinstance(value, bool):
        return f"the boolean {node.text}"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    return "a string"


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while loading many files.

    Composing allocates several objects per scalar (nodes, marks), none in cycles, so
    the collector's passes over them are pure cost: about a third of the CPU time of
    loading 10,000 posts. Reference counting still frees everything; the previous
    state is restored on exit.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def parse(text: str) -> Document:
    """Parse one YAML document; never raises on bad input, reports problems instead."""
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        # libyaml marks an unclosed bracket at the end of the stream, past the last
        # line; point at the last line the user can see instead.
        last = max(1, len(text.splitlines()))
        line = min(_mark_line(exc), last)
        message = _tab_message(exc, text) or _syntax_message(exc)
        return Document(None, ((line, message),))
    except yaml.YAMLError as exc:  # ReaderError: control characters, bad encoding
        line = text.count("\n", 0, max(getattr(exc, "position", 0), 0)) + 1
        reason = getattr(exc, "reason", None) or "unreadable text"
        return Document(None, ((line, f"invalid YAML: {reason}"),))
    if node is None:
        return Document(None, ())
    builder = _Builder()
    root = builder.build(node, 0)
    return Document(root, tuple(builder.problems), tuple(builder.secret_keys))


def _mark_line(exc: yaml.MarkedYAMLError) -> int:
    mark = exc.problem_mark or exc.context_mark
    return mark.line + 1 if mark is not None else 1


# Where YAML (1.1, as PyYAML and libyaml read it) breaks lines.
_LINE_BREAK = re.compile(r"\r\n|[\n\r\x85\u2028\u2029]")


def _tab_message(exc: yaml.MarkedYAMLError, text: str) -> str | None:
    """The scanner's error in plain words when a tab is what it stumbled on.

    Both scanners stop at the tab itself (libyaml: "found character that cannot start
    any token", or "found a tab character that violates indentation"), and neither
    message shows the character: a user who cannot see the tab in an editor cannot
    find it. The column is 1-based, counted in characters, the tab's own.
    """
    mark = exc.problem_mark
    if mark is None:
        return None
    lines = _LINE_BREAK.split(text)
    if mark.line >= len(lines):
        return None
    row = lines[mark.line]
    column = mark.column
    if row[column : column + 1] != "\t":
        if "tab" not in (exc.problem or "") or "\t" not in row:
            return None
        column = row.index("\t")
    where = f"a tab character at column {column + 1}"
    if row[:column].strip(" \t"):
        return f"{where} where YAML needs a space; use spaces, not tabs"
    return f"{where} indents this line; YAML indentation must use spaces"


def _syntax_message(exc: yaml.MarkedYAMLError) -> str:
    parts = [part for part in (exc.context, exc.problem) if part]
    return "invalid YAML: " + (", ".join(parts) if parts else "cannot parse")


class _Builder:
    """Turns composed nodes into ``Node`` values, collecting problems.

    Aliases make the composed tree a graph: converted nodes are memoized by identity so
    that a "billion laughs" file costs one conversion per distinct node.
    """

    def __init__(self) -> None:
        self.problems: list[tuple[int, str]] = []
        self.secret_keys: list[Entry] = []
        self._memo: dict[int, Node] = {}
        self._constructor = SafeConstructor()

    def build(self, node: yaml.Node, depth: int) -> Node:
        done = self._memo.get(id(node))
        if done is not None:
            return done
        line = node.start_mark.line + 1
        built: Node
        if node.tag == _STR:  # the common case first: 10,000 posts load in well < 1 s
            built = Scalar(node.value, line, node.value)
        elif isinstance(node, yaml.ScalarNode):
            built = self._scalar(node, line)
        elif depth >= MAX_DEPTH:
            self.problems.append((line, f"nested deeper than {MAX_DEPTH} levels"))
            built = Scalar(None, line, "")
        elif isinstance(node, yaml.SequenceNode):
            self._check_collection_tag(node, "seq", line)
            built = Sequence(
                tuple(self.build(item, depth + 1) for item in node.value), line
            )
        else:
            self._check_collection_tag(node, "map", line)
            # compose yields only scalar, sequence and mapping nodes
            built = self._mapping(cast(yaml.MappingNode, node), line, depth)
        self._memo[id(node)] = built
        return built

    def _mapping(self, node: yaml.MappingNode, line: int, depth: int) -> Mapping:
        entries: list[Entry] = []
        first_line: dict[str, int] = {}
        for key_node, value_node in node.value:
            key_line = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode):
                self.problems.append((key_line, "a key must be a plain name"))
                continue
            if key_node.tag == _TAG + "merge":
                self.problems.append((key_line, "merge keys (<<) are not supported"))
                continue
            key = key_node.value
            if key in first_line:
                self.problems.append(
                    (
                        key_line,
                        f"duplicate key {_quoted(key)}, first at line {first_line[key]}",
                    )
                )
                continue
            first_line[key] = key_line
            entry = Entry(key, key_line, self.build(value_node, depth + 1))
            if is_secret_key(key):
                self.secret_keys.append(entry)
            entries.append(entry)
        return Mapping(tuple(entries), line)

    def _check_collection_tag(self, node: yaml.Node, kind: str, line: int) -> None:
        if node.tag != _TAG + kind:
            self.problems.append((line, f"unsupported YAML tag {_short(node.tag)}"))

    def _scalar(self, node: yaml.ScalarNode, line: int) -> Scalar:
        tag = node.tag.removeprefix(_TAG) if node.tag.startswith(_TAG) else None
        text = node.value
        try:
            if tag in ("str", "timestamp", "value", "merge"):
                # A date is a string to us, and PyYAML's safe loader cannot even
                # construct "=" (the value tag); keep the text.
                return Scalar(text, line, text)
            if tag == "null":
                return Scalar(None, line, text)
            if tag == "bool":
                return Scalar(self._constructor.construct_yaml_bool(node), line, text)
            if tag == "int":
                return Scalar(self._constructor.construct_yaml_int(node), line, text)
            if tag == "float":
                return Scalar(self._constructor.construct_yaml_float(node), line, text)
        except (ValueError, KeyError, IndexError):
            self.problems.append(
                (
                    line,
                    f"{_quoted(text, 'a value ' + NOT_SHOWN)} is not a valid !!{tag}",
                )
            )
            return Scalar(text, line, text)  # as text, so no second error follows
        self.problems.append((line, f"unsupported YAML tag {_short(node.tag)}"))
        return Scalar(text, line, text)


NOT_SHOWN = "(not shown: it looks like a secret)"


def _quoted(text: str, secret: str = NOT_SHOWN) -> str:
    """Source text as a message quotes it; a pasted token is never repeated (the
    secrets scan names its line), ``secret`` stands in its place."""
    return secret if looks_like_token(text) else repr(text)


def _short(tag: str) -> str:
    if looks_like_token(tag):
        return NOT_SHOWN
    return "!!" + tag.removeprefix(_TAG) if tag.startswith(_TAG) else tag


# Key names that hold secrets, in any file or section; ``token_env`` and friends, which
# hold the *name* of an environment variable, are fine.
SECRET_KEYS = frozenset(
    {
        "access_token",
        "api_key",
        "app_secret",
        "client_secret",
        "identity_token",
        "page_token",
        "password",
        "private_key",
        "public_key",
        "secret",
        "token",
        "user_token",
    }
)
# Graph user and page access tokens start with "EAA" (the shape STYLE.md's pre-commit
# hook rejects); 20+ alphanumerics after it rules out words but catches truncated pastes.
_TOKEN_SHAPE = re.compile(r"(?<![A-Za-z0-9])EAA[A-Za-z0-9]{20,}")
SECRETS_ADVICE = "secrets come from the environment, never from YAML"


def looks_like_token(text: str) -> bool:
    return _TOKEN_SHAPE.search(text) is not None


@functools.lru_cache(maxsize=1024)
def is_secret_key(key: str) -> bool:
    """Asked for every key of every file: the same few names, thousands of times."""
    return key.strip().lower().replace("-", "_") in SECRET_KEYS


@dataclass(frozen=True, slots=True)
class SecretFinding:
    line: int
    key: str | None  # the secret-named key, or None for a token-shaped value


def find_secrets(text: str, document: Document) -> list[SecretFinding]:
    """Secret-named keys anywhere in ``document``, token-shaped text anywhere in ``text``.

    The text scan also covers comments and files that fail to parse: a token pasted
    into a comment is just as leaked once committed. Findings never carry the value.
    """
    found = [SecretFinding(entry.line, entry.key) for entry in document.secret_keys]
    for match in _TOKEN_SHAPE.finditer(text):
        found.append(SecretFinding(text.count("\n", 0, match.start()) + 1, None))
    return found
