"""Imported posts written into a manifest, keeping the file's comments, order and
formatting (a round-trip YAML library, ruamel.yaml, not a re-dump): the text outside
the inserted posts stays byte for byte as it was.

Keys are made from the post's date and the first words of its message (or its link's
host), so that a reviewer can tell the posts apart: ``2026-03-01-our-spring-menu``;
a key taken in the file gets ``-2``, ``-3``, ...
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from statesync.model import PostFields

_WORD = re.compile(r"[a-z0-9]+")
_KEY_WORDS = 5
_MAX_KEY = 100


@dataclass(frozen=True, slots=True)
class Imported:
    key: str
    post_id: str
    fields: PostFields


def make_key(fields: PostFields, created_time: int, taken: set[str]) -> str:
    """A readable key, unique among ``taken`` (which it joins)."""
    day = datetime.fromtimestamp(created_time, UTC).strftime("%Y-%m-%d")
    source = fields.message or (urlsplit(fields.link).hostname if fields.link else "")
    text = unicodedata.normalize("NFKD", source or "").encode("ascii", "ignore")
    words = _WORD.findall(text.decode().lower())[:_KEY_WORDS]
    base = "-".join([day, *words]) if words else f"{day}-post"
    base = base[: _MAX_KEY - 4].rstrip("-")
    key, number = base, 1
    while key in taken:
        number += 1
        key = f"{base}-{number}"
    taken.add(key)
    return key


def new_manifest(page_id: str, name: str | None) -> str:
    """The text of a manifest for a page statesync does not manage yet."""
    lines = [
        "# Imported by `statesync import`: each post below exists on the page and is",
        "# recorded in the lockfile, so the next plan says `No changes.`",
        f'page: "{page_id}"',
    ]
    if name:
        lines.append(f"name: {_yaml_scalar(name)}")
    lines.append("posts: {}")
    return "\n".join(lines) + "\n"


def add_posts(text: str, posts: Sequence[Imported]) -> str:
    """``text`` (a manifest) with ``posts`` appended under ``posts:``."""
    from ruamel.yaml import YAML  # here: only import pays for it

    yaml = YAML()  # round-trip: comments, order and quoting are kept
    yaml.preserve_quotes = True
    yaml.width = 4096  # never fold a long line of a message
    document = yaml.load(text)
    entries = document.get("posts")
    if entries is None or not hasattr(entries, "fa"):  # `posts:` empty or `{}`
        from ruamel.yaml.comments import CommentedMap

        entries = CommentedMap()
        document["posts"] = entries
    if entries.fa.flow_style():
        entries.fa.set_block_style()
    for post in posts:
        entries[post.key] = _post_node(post.fields)
    out = io.StringIO()
    yaml.dump(document, out)
    return out.getvalue()


def existing_keys(text: str) -> set[str]:
    from ruamel.yaml import YAML

    document = YAML().load(text) or {}
    posts = document.get("posts") or {}
    return {str(key) for key in posts}


def _post_node(fields: PostFields) -> object:
    from ruamel.yaml.comments import CommentedMap, CommentedSeq
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString, LiteralScalarString

    node = CommentedMap()
    if fields.message is not None:
        message = fields.message
        if _reads_as_block(message):
            node["message"] = LiteralScalarString(message + "\n")
        elif message.isprintable() and _plain_is_text(message):
            node["message"] = message  # the library quotes it where YAML needs it
        else:  # line breaks YAML reads as such (NEL, U+2028), controls, tabs
            node["message"] = DoubleQuotedScalarString(message)
    if fields.link is not None:
        node["link"] = fields.link
    if fields.attachments:
        ids = CommentedSeq(DoubleQuotedScalarString(a) for a in fields.attachments)
        ids.fa.set_flow_style()
        node["attachments"] = ids
    return node


def _plain_is_text(message: str) -> bool:
    """Whether a plain scalar reads back as this text. ruamel writes YAML 1.2, where
    ``OFF``, ``yes`` or ``1_000`` are text; the manifests are read as YAML 1.1
    (pyyaml), where they are a boolean or a number: those are quoted."""
    from yaml.nodes import ScalarNode
    from yaml.resolver import Resolver

    tag = Resolver().resolve(ScalarNode, message, (True, False))  # type: ignore[no-untyped-call]
    return bool(tag == "tag:yaml.org,2002:str")


def _reads_as_block(message: str) -> bool:
    """A message of several lines that a ``|`` block holds exactly; anything else
    (control characters, a tab, a line's trailing or the first line's leading space)
    is written double-quoted, where every character can be escaped."""
    lines = message.split("\n")
    return (
        len(lines) > 1
        and all(line.isprintable() for line in lines)
        and not any(line.endswith(" ") for line in lines)
        and not message.startswith(" ")
    )


def _yaml_scalar(text: str) -> str:
    """A name as one safe YAML scalar: double-quoted, JSON-escaped."""
    import json

    return json.dumps(text, ensure_ascii=False)


def skipped_reason(fields: PostFields) -> str | None:
    """Why a listed post cannot be a manifest entry, or None when it can."""
    if not (fields.message or fields.link or fields.attachments):
        return "it has no message, link or photo that statesync models"
    if fields.link and fields.attachments:  # pragma: no cover - parse_post picks one
        return "it has both a link and attachments"
    return None
