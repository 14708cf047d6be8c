"""The line-aware YAML loader: lines, safe scalars, duplicate keys, secrets."""

from __future__ import annotations

import gc

import pytest

from statesync.yamlnodes import (
    MAX_DEPTH,
    Mapping,
    Scalar,
    Sequence,
    find_secrets,
    gc_paused,
    is_secret_key,
    looks_like_token,
    parse,
)


def test_lines_of_keys_and_values() -> None:
    document = parse("a: 1\nb:\n  - x\n  - y\nc:\n  d: true\n")
    assert document.problems == ()
    root = document.root
    assert isinstance(root, Mapping)
    assert [(entry.key, entry.line) for entry in root.entries] == [
        ("a", 1),
        ("b", 2),
        ("c", 5),
    ]
    items = root.entries[1].value
    assert isinstance(items, Sequence)
    assert [
        (item.line, item.value) for item in items.items if isinstance(item, Scalar)
    ] == [
        (3, "x"),
        (4, "y"),
    ]
    nested = root.entries[2].value
    assert isinstance(nested, Mapping)
    assert nested.line == 6
    assert nested.entries[0].value == Scalar(True, 6, "true")


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("plain", "plain"),
        ("'quoted 12'", "quoted 12"),
        ("12", 12),
        ("0x1F", 31),
        ("1_000", 1000),
        ("1.5", 1.5),
        ("yes", True),
        ("off", False),
        ("~", None),
        ("null", None),
        ("2024-05-01", "2024-05-01"),  # a date stays a string
        ("=", "="),  # the value tag, which safe_load cannot even construct
        ("!!str 12", "12"),
    ],
)
def test_scalars_resolve_with_safe_tags(text: str, value: object) -> None:
    document = parse(f"v: {text}\n")
    assert document.problems == ()
    assert isinstance(document.root, Mapping)
    scalar = document.root.entries[0].value
    assert isinstance(scalar, Scalar)
    assert scalar.value == value
    assert type(scalar.value) is type(value)


def test_scalar_keeps_its_source_text() -> None:
    document = parse("v: 0123\n")
    assert isinstance(document.root, Mapping)
    assert document.root.entries[0].value == Scalar(83, 1, "0123")


def test_keys_are_their_source_text() -> None:
    document = parse("on: 1\n12: 2\nnull: 3\n")
    assert isinstance(document.root, Mapping)
    assert [entry.key for entry in document.root.entries] == ["on", "12", "null"]


def test_duplicate_keys_are_problems_and_the_first_is_kept() -> None:
    document = parse("a: 1\nb: 2\na: 3\n")
    assert document.problems == ((3, "duplicate key 'a', first at line 1"),)
    assert isinstance(document.root, Mapping)
    assert [entry.value for entry in document.root.entries] == [
        Scalar(1, 1, "1"),
        Scalar(2, 2, "2"),
    ]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            "a: [\n",
            (
                1,
                "invalid YAML: while parsing a flow node, did not find expected node content",
            ),
        ),
        ("a: 1\n  b: 2\n", (2, "invalid YAML: mapping values are not allowed")),
        (
            "a: 1\n---\nb: 2\n",
            (
                2,
                "invalid YAML: expected a single document in the stream, but found another document",
            ),
        ),
        ("a: *nowhere\n", (1, "invalid YAML: found undefined alias")),
        ("a: \x00\n", (1, "invalid YAML: control characters are not allowed")),
        (
            "a: !!python/name:os.system x\n",
            (1, "unsupported YAML tag !!python/name:os.system"),
        ),
        ("a: !local x\n", (1, "unsupported YAML tag !local")),
        ("a: !!set {x}\n", (1, "unsupported YAML tag !!set")),
        ("a: !!int twelve\n", (1, "'twelve' is not a valid !!int")),
        ("? [a]\n: 1\n", (1, "a key must be a plain name")),
        ("a: &x {b: 1}\nc:\n  <<: *x\n", (3, "merge keys (<<) are not supported")),
    ],
)
def test_problems(text: str, problem: tuple[int, str]) -> None:
    # a prefix: libyaml and the pure-Python parser word some problems differently
    [(line, message)] = parse(text).problems
    assert (line, message[: len(problem[1])]) == problem


def test_empty_documents_have_no_root() -> None:
    assert parse("").root is None
    assert parse("# only a comment\n").root is None
    assert parse("").problems == ()


def test_nesting_is_bounded() -> None:
    depth = MAX_DEPTH + 10
    document = parse("[" * depth + "]" * depth)
    assert document.problems == ((1, f"nested deeper than {MAX_DEPTH} levels"),)


def test_aliases_are_built_once() -> None:
    # a "billion laughs" file: each level doubles the tree that aliases describe
    lines = ["a0: &a0 [x, x]"]
    lines += [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}]" for i in range(1, 40)]
    document = parse("\n".join(lines) + "\n")
    assert document.problems == ()
    assert isinstance(document.root, Mapping)
    last = document.root.entries[-1].value
    assert isinstance(last, Sequence)
    assert last.items[0] is last.items[1]


def test_secret_keys_at_any_depth() -> None:
    text = "a:\n  b:\n    - Access-Token: x\nc:\n  token_env: X\n"
    findings = find_secrets(text, parse(text))
    assert [(finding.line, finding.key) for finding in findings] == [
        (3, "Access-Token")
    ]


def test_token_shapes_in_values_and_comments() -> None:
    token = "EAAGm0PX4ZCpsBA" + "x" * 20
    text = f"a: {token}\n# {token}\nb: x{token}\nc: EAA-short\n"
    findings = find_secrets(text, parse(text))
    assert [(finding.line, finding.key) for finding in findings] == [
        (1, None),
        (2, None),
    ]


def test_token_shapes_in_unparsable_text() -> None:
    text = "a: [EAAGm0PX4ZCpsBAbcdefghijklmnopq\n"
    document = parse(text)
    assert document.root is None
    assert [finding.line for finding in find_secrets(text, document)] == [1]


@pytest.mark.parametrize(
    ("key", "secret"),
    [
        ("token", True),
        ("App_Secret", True),
        ("private-key", True),
        ("token_env", False),
    ],
)
def test_is_secret_key(key: str, secret: bool) -> None:
    assert is_secret_key(key) is secret


def test_looks_like_token() -> None:
    assert looks_like_token("EAA" + "b" * 20)
    assert not looks_like_token("EAA" + "b" * 19)
    assert not looks_like_token("xEAA" + "b" * 30)


def test_gc_paused_restores_the_collector() -> None:
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


# -- tabs: the scanner's words never say "tab", and a tab cannot be seen ----------

_INDENTS = "indents this line; YAML indentation must use spaces"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("a:\n\tb: 1\n", (2, f"a tab character at column 1 {_INDENTS}")),
        ("a:\n  b:\n  \tc: 1\n", (3, f"a tab character at column 3 {_INDENTS}")),
        ("\ta: 1\n", (1, f"a tab character at column 1 {_INDENTS}")),
        ("a:\n\t- 1\n", (2, f"a tab character at column 1 {_INDENTS}")),
        ("é: 1\n\tb: 2\n", (2, f"a tab character at column 1 {_INDENTS}")),
        ("a: |\n  x\n\ty\n", (3, f"a tab character at column 1 {_INDENTS}")),
        (
            "a: 'é€'\nb:\n  c: 1\n \td: 2\n",
            (4, f"a tab character at column 2 {_INDENTS}"),
        ),
        (
            "a:\n  -\t1\n",
            (
                2,
                "a tab character at column 4 where YAML needs a space; use spaces, not tabs",
            ),
        ),
        ("a:\r\n\tb: 1\r\n", (2, f"a tab character at column 1 {_INDENTS}")),
    ],
    ids=[
        "key",
        "after spaces",
        "first line",
        "list item",
        "after a wide character",
        "block scalar",
        "columns count characters",
        "after a dash",
        "CRLF lines",
    ],
)
def test_a_tab_is_named_with_its_line_and_column(
    text: str, problem: tuple[int, str]
) -> None:
    document = parse(text)
    assert document.root is None
    assert document.problems == (problem,)


@pytest.mark.parametrize(
    "text", ["a:\tb\n", "a: [1,\t2]\n", "a: b\tc\n", "a: 'x\ty'\n", "# \tnote\na: 1\n"]
)
def test_tabs_yaml_allows_are_allowed(text: str) -> None:
    assert parse(text).problems == ()


def test_other_syntax_errors_keep_the_parsers_words() -> None:
    assert parse('a: [1, "tab\tinside"\n').problems == (
        (
            1,
            "invalid YAML: while parsing a flow sequence, did not find expected ',' or ']'",
        ),
    )
