"""Bad input never ends in a traceback: every file a user (or git) can hand statesync
loads, or is refused with a ``StatesyncError`` (exit 1, one clear message).

Inputs are random text and bytes, valid files mutated (characters cut, inserted,
replaced; lines doubled, swapped, re-indented), and valid structures with values
swapped for random ones. ``STATESYNC_FUZZ_EXAMPLES=N`` runs N examples per test
instead of the suite's few hundred (a one-off batch, e.g. before a release).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from statesync.cli import cli
from statesync.config import load_config
from statesync.errors import StatesyncError
from statesync.lockfile import load_lockfile
from statesync.manifest import load_desired

_BATCH = int(os.environ.get("STATESYNC_FUZZ_EXAMPLES", "0"))


def examples(default: int) -> Any:
    return settings(
        max_examples=_BATCH or default,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )


MANIFEST = """\
page: "104510075301234"
name: Acme Coffee
posts:
  spring-menu:
    message: |
      Our spring menu is here!
    link: https://acme.example/spring
    prevent_destroy: true
  opening-hours:
    message: New opening hours from Monday.
    attachments: ["10213097336001811", 10213097336001812]
  promo: {message: "Promo", prevent_destroy: false}
"""
CONFIG = """\
provider: oneall
manifests: pages/
lockfile: statesync.lock
sandbox: false
graph:
  api_version: v26.0
  token_env: FACEBOOK_ACCESS_TOKEN
  app_secret_env: FACEBOOK_APP_SECRET
oneall:
  site: https://acme.api.oneall.com
  public_key_env: ONEALL_PUBLIC_KEY
  read: auto
safety:
  max_destroy_share: 0.3
  min_managed_posts: 10
"""
_HASHES = {"attachments": "a" * 64, "link": "b" * 64, "message": "c" * 64}
LOCKFILE = {
    "version": 1,
    "lineage": "0b7c3d1e-8f7a-4c6b-9d2e-5a4f3b2c1d0e",
    "serial": 2,
    "pages": {
        "104510075301234": {
            "manifest": "acme",
            "posts": {
                "spring-menu": {"id": "104510075301234_100001", "hashes": _HASHES},
                "hours": {"id": "104510075301234_100002", "hashes": _HASHES},
            },
            "intents": {"promo": {"hashes": _HASHES, "since": 1_800_000_000}},
        }
    },
}
LOCKFILE_TEXT = json.dumps(LOCKFILE, indent=2) + "\n"
JOURNAL = (
    "\n".join(
        json.dumps(op)
        for op in [
            {"op": "begin", "lineage": LOCKFILE["lineage"], "serial": 2},
            {"op": "intend", "page": "104510075301234", "manifest": "acme",
             "key": "new", "hashes": _HASHES, "since": 1_800_000_001},
            {"op": "record", "page": "104510075301234", "manifest": "acme",
             "key": "new", "id": "104510075301234_100003", "hashes": _HASHES},
            {"op": "forget", "page": "104510075301234", "key": "hours"},
            {"op": "serial", "value": 3},
        ]
    )
    + "\n"
)  # fmt: skip

# YAML's structural characters and words, to build texts a parser takes seriously.
_YAML_BITS = [
    "\n", "  ", "- ", ": ", "posts:", "page:", "message:", "link:", "attachments:",
    "prevent_destroy:", "safety:", "max_destroy_share:", "min_managed_posts:",
    "provider:", "graph:", "oneall:", "true", "false", "yes", "null", "~", "0.3",
    "1e400", ".nan", "-1", "0x1F", "0o17", "'", '"', "[", "]", "{", "}", ",", "&a",
    "*a", "<<:", "!!str", "!!binary", "!python/object", "#", "|", ">", "---",
    "...", "%YAML 1.2", "\t", "\x00", "\ufeff", "é", "\U0001f600",
    "EAAGm0PX4ZCpsBAbcdefghijklmnopq",
]  # fmt: skip
_JSON_BITS = [
    "{", "}", "[", "]", ",", ":", '"', "null", "true", "1", "-0", "1e999", "NaN",
    '"version"', '"pages"', '"posts"', '"intents"', '"op"', '"begin"', '"record"',
    "<<<<<<< HEAD\n", "=======\n", ">>>>>>> main\n", "\n", "\\u0000", "\\ud800",
]  # fmt: skip


@st.composite
def mutated(draw: st.DrawFn, original: str, bits: list[str]) -> str:
    """``original`` after a few random edits: a valid file, slightly broken."""
    text = original
    for _ in range(draw(st.integers(1, 4))):
        lines = text.split("\n")
        kind = draw(st.sampled_from(["cut", "insert", "replace", "line", "indent"]))
        at = draw(st.integers(0, len(text)))
        if kind == "cut":
            text = text[:at] + text[at + draw(st.integers(1, 40)) :]
        elif kind in ("insert", "replace"):
            piece = draw(st.one_of(st.sampled_from(bits), st.text(max_size=6)))
            skip = draw(st.integers(0, 6)) if kind == "replace" else 0
            text = text[:at] + piece + text[at + skip :]
        elif kind == "line":
            i, j = (draw(st.integers(0, len(lines) - 1)) for _ in range(2))
            if draw(st.booleans()):
                lines.insert(j, lines[i])  # a duplicated line: duplicate keys
            else:
                lines[i], lines[j] = lines[j], lines[i]
            text = "\n".join(lines)
        else:
            i = draw(st.integers(0, len(lines) - 1))
            lines[i] = " " * draw(st.integers(0, 7)) + lines[i].lstrip()
            text = "\n".join(lines)
    return text


_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(["104510075301234", "https://acme.example/x", "", " ", "yes"]),
)
_keys = st.one_of(
    st.sampled_from(
        [
            "page", "name", "posts", "message", "link", "attachments",
            "prevent_destroy", "provider", "manifests", "lockfile", "sandbox",
            "graph", "oneall", "safety", "max_destroy_share", "min_managed_posts",
            "read", "site", "token", "spring-menu",
        ]
    ),
    st.text(max_size=12),
)  # fmt: skip
_trees = st.recursive(
    _scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(_keys, children, max_size=5),
    ),
    max_leaves=25,
)


def _dump(tree: Any) -> str:
    return yaml.safe_dump(tree, sort_keys=False, allow_unicode=True)


def yaml_texts(original: str) -> st.SearchStrategy[str]:
    return st.one_of(
        st.text(max_size=300),
        st.lists(st.sampled_from(_YAML_BITS), max_size=60).map("".join),
        mutated(original, _YAML_BITS),
        _trees.map(_dump),
        st.dictionaries(_keys, _trees, min_size=1, max_size=6).map(_dump),
    )


def _json_trees() -> st.SearchStrategy[Any]:
    return st.recursive(
        st.one_of(
            st.none(),
            st.booleans(),
            st.integers(-(2**64), 2**64),
            st.floats(),
            st.text(max_size=20),
        ),
        lambda children: st.one_of(
            st.lists(children, max_size=4),
            st.dictionaries(st.text(max_size=10), children, max_size=4),
        ),
        max_leaves=15,
    )


@st.composite
def lockfile_edits(draw: st.DrawFn) -> str:
    """The valid lockfile with one value somewhere swapped for a random one."""
    data = json.loads(LOCKFILE_TEXT)
    node: Any = data
    while isinstance(node, dict) and node and draw(st.booleans()):
        key = draw(st.sampled_from(sorted(node)))
        if not isinstance(node[key], dict) or draw(st.booleans()):
            node[key] = draw(_json_trees())
            break
        node = node[key]
    else:
        if isinstance(node, dict):
            node[draw(st.text(max_size=8))] = draw(_json_trees())
    return json.dumps(data, indent=draw(st.sampled_from([None, 2])))


def json_bytes(original: str) -> st.SearchStrategy[bytes]:
    return st.one_of(
        st.binary(max_size=300),
        st.lists(st.sampled_from(_JSON_BITS), max_size=60).map(
            lambda bits: "".join(bits).encode()
        ),
        mutated(original, _JSON_BITS).map(
            lambda text: text.encode("utf-8", "surrogatepass")
        ),
        lockfile_edits().map(str.encode),
        _json_trees().map(lambda tree: json.dumps(tree).encode()),
    )


def text_bytes(texts: st.SearchStrategy[str]) -> st.SearchStrategy[bytes]:
    """Texts as files hold them: UTF-8 mostly, sometimes not UTF-8 at all."""
    return st.one_of(
        texts.map(lambda text: text.encode("utf-8", "surrogatepass")),
        st.binary(max_size=200),
    )


T = TypeVar("T")


def loads_or_refuses(load: Callable[[], T]) -> T | None:
    """The property: success or a StatesyncError; anything else fails the test."""
    try:
        return load()
    except StatesyncError:
        return None


# -- the manifest loader, statesync.yaml and the lockfile reader -------------------


@examples(400)
@given(data=text_bytes(yaml_texts(MANIFEST)))
@example(data=MANIFEST.encode())
@example(data=b"posts:\n  a:\n    message: hi\n    prevent_destroy: .nan\n")
def test_manifest_loader(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "acme.yaml").write_bytes(data)
        loads_or_refuses(lambda: load_desired(Path(tmp), display_base=Path(tmp)))


@examples(400)
@given(data=text_bytes(yaml_texts(CONFIG)))
@example(data=CONFIG.encode())
@example(data=b"safety:\n  max_destroy_share: 1e400\n  min_managed_posts: 1e3\n")
def test_config_loader(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "statesync.yaml").write_bytes(data)
        loads_or_refuses(lambda: load_config(Path(tmp), display_base=Path(tmp)))


@examples(400)
@given(data=json_bytes(LOCKFILE_TEXT))
@example(data=LOCKFILE_TEXT.encode())
@example(data=b"\xff\xfe")  # not UTF-8
@example(data=b"[" * 100_000)  # nested past the JSON decoder's recursion limit
@example(data=LOCKFILE_TEXT.replace("_100002", "\\ud800").encode())  # lone surrogate
def test_lockfile_reader(data: bytes) -> None:
    """Whatever loads is sound: apply can save it, and it loads back the same."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "statesync.lock"
        path.write_bytes(data)
        lock = loads_or_refuses(lambda: load_lockfile(path))
        if lock is not None:
            lock.save()
            assert load_lockfile(path).render() == lock.render()


@examples(300)
@given(data=json_bytes(JOURNAL))
@example(data=JOURNAL.encode())
@example(data=b"1\n")  # a journal line that is JSON but not an op
@example(data=b"\xff\n")
@example(data=JOURNAL.replace('"value": 3', '"value": "3"').encode())  # a bad op
def test_lockfile_reader_with_a_journal(data: bytes) -> None:
    """An interrupted apply's journal, mangled: replayed into a lockfile that can be
    saved and loads back the same, or refused cleanly."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "statesync.lock"
        path.write_text(LOCKFILE_TEXT)
        (Path(tmp) / "statesync.lock.journal").write_bytes(data)
        lock = loads_or_refuses(lambda: load_lockfile(path))
        if lock is not None:
            lock.save()
            assert load_lockfile(path).render() == lock.render()


# -- the same through the CLI: exit 0 or 1, never a traceback ----------------------


@examples(120)
@given(
    manifest=text_bytes(yaml_texts(MANIFEST)),
    lockfile=st.one_of(st.none(), json_bytes(LOCKFILE_TEXT)),
    config=st.one_of(st.just(b"manifests: pages/\n"), text_bytes(yaml_texts(CONFIG))),
)
@example(manifest=MANIFEST.encode(), lockfile=LOCKFILE_TEXT.encode(), config=b"")
@example(manifest=MANIFEST.encode(), lockfile=b"\xff", config=b"")
def test_validate_exits_0_or_1(
    manifest: bytes, lockfile: bytes | None, config: bytes
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "statesync.yaml").write_bytes(config)
        (root / "pages").mkdir()
        (root / "pages" / "acme.yaml").write_bytes(manifest)
        if lockfile is not None:
            (root / "statesync.lock").write_bytes(lockfile)
        # catch_exceptions=False: an exception fails the test with its traceback
        result = CliRunner().invoke(cli, ["validate", tmp], catch_exceptions=False)
    assert result.exit_code in (0, 1), result.output
    if result.exit_code == 1:
        assert any(line.startswith("Error: ") for line in result.stderr.splitlines())
    else:
        assert result.stdout.startswith("Valid: ")
    assert "Traceback" not in result.output
