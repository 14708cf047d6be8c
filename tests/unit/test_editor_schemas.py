"""The editor schemas cannot drift from the validators.

``statesync/schemas/manifest-v1.schema.json`` and ``config-v1.schema.json`` give editors
completion, hover help and errors as you type (yaml-language-server). These tests hold
them to what ``statesync.manifest.load_desired`` and ``statesync.config.load_config``
accept: the same fields, limits, patterns and defaults; every valid case accepted by both;
every invalid case refused by both, except the cases listed below that a JSON Schema
cannot express, each checked to be accepted by the schema so that the lists stay honest.
"""

from __future__ import annotations

import itertools
import json
import shutil
from collections.abc import Iterator
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from statesync.config import (
    _GRAPH_FIELDS,
    _ONEALL_FIELDS,
    _RETRY_FIELDS,
    _SAFETY_FIELDS,
    _TOP_FIELDS,
    API_VERSION,
    ONEALL_READS,
    PROVIDERS,
    load_config,
)
from statesync.config_values import ENV_NAME
from statesync.errors import ConfigError, ManifestError
from statesync.manifest import load_desired
from statesync.manifest_check import (
    MAX_MESSAGE_LENGTH,
    PAGE_FIELDS,
    POST_KEY,
    POST_KEYS,
)
from statesync.scaffold import init_project
from statesync.yamlcheck import DIGITS
from statesync.yamlnodes import SECRET_KEYS

REPO = Path(__file__).resolve().parents[2]
CASES = REPO / "tests" / "cases"
EXPECT = "# expect: "
SCHEMA_IDS = (
    "https://raw.githubusercontent.com/statesync/statesync/main/statesync/schemas/"
)
# How the schemas end a pattern: the end of the text for ECMA-262 and Python's re alike.
END = "$(?!\\n)"
SECTIONS = {
    "graph": _GRAPH_FIELDS,
    "oneall": _ONEALL_FIELDS,
    "safety": _SAFETY_FIELDS,
    "retries": _RETRY_FIELDS,
}

# Invalid manifests that a JSON Schema cannot refuse, and why. Each is asserted to be
# ACCEPTED by the schema: when the schema learns to refuse one, take it off this list.
MANIFEST_SCHEMA_CANNOT = {
    # YAML-level: the loader resolves these before a schema sees the data.
    "duplicate-field.yaml": "a YAML loader keeps the last of two equal keys",
    "duplicate-post-key.yaml": "a YAML loader keeps the last of two equal keys",
    "merge-key.yaml": "the loader merges `<<: *base` into the post",
    "token-in-comment.yaml": "comments are not data",
    # Values JSON Schema equates that statesync tells apart.
    "attachment-twice.yaml": '"1" and 1 differ for uniqueItems; both are media 1',
    "page-float.yaml": "1.0451007530123e+14 has no fraction: JSON Schema's integer",
    # What a post's fields mean on the targets: cross-field and cross-target rules.
    "details-on-a-network.yaml": "details are valid fields; the target decides",
    "flags-on-a-network.yaml": "pinned is a valid post field; the target decides",
    "link-and-file-on-one-target.yaml": "an override merged per target",
    "linkedin-expires.yaml": "expire_at is a valid post field; the target decides",
    "override-empties-a-target.yaml": "an override merged per target",
    "override-unknown-target.yaml": "labels named in another part of the file",
    "post-goes-to-unknown-target.yaml": "labels named in another part of the file",
    "target-twice.yaml": "two labels, equal values: no uniqueness across a mapping",
    # Across files: each file is valid alone.
    "duplicate-page": "one page in two manifests",
    "same-stem": "acme.yaml and acme.yml would share the addresses acme/<key>",
}
# Invalid files that are not YAML at all (yaml.safe_load raises): an editor reports them
# as YAML errors before any schema applies.
MANIFEST_NOT_YAML = {"malformed-yaml.yaml", "tab-indent.yaml", "unsupported-tag.yaml"}
CONFIG_SCHEMA_CANNOT = {
    "duplicate-key.yaml": "a YAML loader keeps the last of two equal keys",
    "token-in-comment.yaml": "comments are not data",
    "share-nan.yaml": "JSON has no NaN, and NaN fails no minimum or maximum",
    "min-posts-whole-float.yaml": "10.0 has no fraction: JSON Schema's integer",
}
CONFIG_NOT_YAML = {"tab-indent.yaml"}


# -- loading ----------------------------------------------------------------------


@cache
def schema(name: str) -> dict[str, Any]:
    resource = files("statesync.schemas").joinpath(f"{name}-v1.schema.json")
    document: dict[str, Any] = json.loads(resource.read_text(encoding="utf-8"))
    return document


@cache
def validator(name: str) -> Draft202012Validator:
    return Draft202012Validator(schema(name))


def schema_accepts(name: str, path: Path) -> bool:
    """What an editor shows, as near as Python gets: the file loaded, then validated."""
    return validator(name).is_valid(yaml.safe_load(path.read_text(encoding="utf-8")))


def manifest_problems(paths: list[Path], tmp_path: Path) -> list[str]:
    """The validator's problems with these manifests, alone in a manifests directory;
    their attached files are those of the project the first one comes from."""
    pages = tmp_path / "pages"
    pages.mkdir()
    for path in paths:
        shutil.copy(path, pages / path.name)
    media_root = paths[0].resolve().parent.parent if paths else tmp_path
    try:
        load_desired(pages, display_base=pages, media_root=media_root)
    except ManifestError as error:
        return str(error).splitlines()
    return []


def config_problems(text: str, tmp_path: Path) -> list[str]:
    """The validator's problems with ``text`` as a project's statesync.yaml: LINE: message."""
    (tmp_path / "statesync.yaml").write_text(text, encoding="utf-8")
    try:
        load_config(tmp_path, display_base=tmp_path)
    except ConfigError as error:
        return [
            line.removeprefix("statesync.yaml:").lstrip()
            for line in str(error).splitlines()
        ]
    return []


def case_files(case: Path) -> list[Path]:
    return sorted(case.iterdir()) if case.is_dir() else [case]


def subschemas(node: Any, where: str = "#") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every schema object inside ``node``, with a JSON-pointer-like name."""
    if isinstance(node, dict):
        yield where, node
        for key, value in node.items():
            if key in ("examples", "default", "enum", "const"):
                continue  # values, not schemas
            yield from subschemas(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from subschemas(item, f"{where}/{index}")


# -- the schemas themselves -----------------------------------------------------------


@pytest.mark.parametrize("name", ["manifest", "config"])
def test_a_draft_2020_12_schema_with_an_id(name: str) -> None:
    document = schema(name)
    Draft202012Validator.check_schema(document)
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert document["$id"] == f"{SCHEMA_IDS}{name}-v1.schema.json"
    assert document["title"]
    assert document["description"]
    assert document["examples"]


# Where a schema only adds a rule to properties described elsewhere.
CONSTRAINTS = {"allOf", "anyOf", "oneOf", "not", "if", "then", "else"}


@pytest.mark.parametrize("name", ["manifest", "config"])
def test_every_property_is_described_for_hover_help(name: str) -> None:
    undescribed = [
        f"{where}/properties/{field}"
        for where, node in subschemas(schema(name))
        for field, sub in node.get("properties", {}).items()
        if not CONSTRAINTS & set(where.split("/")) and not sub.get("description")
    ]
    undescribed += [
        f"#/$defs/{key}"
        for key, sub in schema(name).get("$defs", {}).items()
        if not sub.get("description")
    ]
    assert undescribed == []


@pytest.mark.parametrize("name", ["manifest", "config"])
def test_examples_and_defaults_are_valid_where_they_stand(name: str) -> None:
    # evolve keeps the root's resolver, so a "$ref": "#/$defs/post" still resolves
    for where, node in subschemas(schema(name)):
        checker = validator(name).evolve(schema=node)
        for example in node.get("examples", []):
            assert checker.is_valid(example), f"{where}: example {example!r}"
        if "default" in node:
            assert checker.is_valid(node["default"]), f"{where}: default"


# -- the same fields and limits as the validators ---------------------------------------


def test_manifest_fields_are_the_validators() -> None:
    manifest = schema("manifest")
    assert tuple(manifest["properties"]) == PAGE_FIELDS
    assert manifest["required"] == ["posts"]
    assert manifest["anyOf"] == [
        {"required": ["page"]},
        {"required": ["network"]},
        {"required": ["targets"]},
    ]
    assert manifest["additionalProperties"] is False
    post = manifest["$defs"]["post"]
    assert tuple(post["properties"]) == POST_KEYS
    assert post["additionalProperties"] is False


def test_config_fields_are_the_validators() -> None:
    config = schema("config")
    assert tuple(config["properties"]) == _TOP_FIELDS
    assert config["additionalProperties"] is False
    assert "required" not in config
    for section, fields in SECTIONS.items():
        assert tuple(config["properties"][section]["properties"]) == fields, section
        assert config["properties"][section]["additionalProperties"] is False


def test_manifest_limits_are_the_validators() -> None:
    manifest = schema("manifest")
    digits = "^" + DIGITS.pattern + END
    assert manifest["properties"]["page"]["anyOf"][0]["pattern"] == digits
    post = manifest["$defs"]["post"]["properties"]
    assert post["attachments"]["items"]["anyOf"][0]["pattern"] == digits
    assert post["message"]["maxLength"] == MAX_MESSAGE_LENGTH
    keys = manifest["properties"]["posts"]["propertyNames"]
    assert keys["pattern"] == "^" + POST_KEY.pattern + END


def test_config_limits_and_defaults_are_the_validators(tmp_path: Path) -> None:
    config = schema("config")["properties"]
    assert config["provider"]["enum"] == list(PROVIDERS)
    assert config["oneall"]["properties"]["read"]["enum"] == list(ONEALL_READS)
    version = config["graph"]["properties"]["api_version"]["pattern"]
    assert version == "^" + API_VERSION.pattern.replace("\\d", "[0-9]") + END
    env_fields = [
        (section, field)
        for section, fields in SECTIONS.items()
        for field in fields
        if field.endswith("_env")
    ]
    assert len(env_fields) == 5
    for section, field in env_fields:
        rules = config[section]["properties"][field]["allOf"][0]
        assert rules["pattern"] == "^" + ENV_NAME.pattern + END, field
    # the defaults an editor offers are those of a statesync.yaml that sets nothing
    assert config_problems("", tmp_path) == []
    loaded = load_config(tmp_path)
    assert loaded.provider == config["provider"]["default"]
    assert loaded.sandbox is config["sandbox"]["default"]
    assert loaded.manifests == tmp_path / config["manifests"]["default"]
    assert loaded.lockfile == tmp_path / config["lockfile"]["default"]
    for section, fields in SECTIONS.items():
        settings = getattr(loaded, section)
        for field in fields:
            default = config[section]["properties"][field].get("default")
            if field != "site":  # no site by default: the schema offers none
                assert getattr(settings, field) == default, f"{section}.{field}"


# -- the valid cases: accepted by both ------------------------------------------------

VALID_MANIFESTS = sorted(
    [
        *(REPO / "examples" / "pages").glob("*.yaml"),
        *(REPO / "examples" / "oneall" / "pages").glob("*.yaml"),
        *(CASES / "valid" / "manifests").glob("*.y*ml"),
    ]
)
VALID_CONFIGS = sorted(
    [
        REPO / "examples" / "statesync.yaml",
        REPO / "examples" / "oneall" / "statesync.yaml",
        *(CASES / "valid" / "config").glob("*.yaml"),
    ]
)


def _case_id(path: Path) -> str:
    return str(path.relative_to(REPO))


@pytest.mark.parametrize("path", VALID_MANIFESTS, ids=_case_id)
def test_valid_manifest_is_accepted_by_both(path: Path, tmp_path: Path) -> None:
    assert manifest_problems([path], tmp_path) == []
    assert schema_accepts("manifest", path)


@pytest.mark.parametrize("path", VALID_CONFIGS, ids=_case_id)
def test_valid_config_is_accepted_by_both(path: Path, tmp_path: Path) -> None:
    assert config_problems(path.read_text(encoding="utf-8"), tmp_path) == []
    assert schema_accepts("config", path)


@pytest.mark.parametrize("sandbox", [True, False])
def test_what_init_writes_is_accepted_by_both(sandbox: bool, tmp_path: Path) -> None:
    project = tmp_path / "new"
    init_project(project, sandbox=sandbox)
    assert config_problems((project / "statesync.yaml").read_text(), project) == []
    assert schema_accepts("config", project / "statesync.yaml")
    manifest = project / "pages" / "example-page.yaml"
    assert manifest_problems([manifest], tmp_path) == []
    assert schema_accepts("manifest", manifest)


def test_a_message_of_the_longest_length_is_accepted_by_both(tmp_path: Path) -> None:
    path = tmp_path / "longest.yaml"
    path.write_text(
        f'page: "1"\nposts:\n  essay:\n    message: {"x" * MAX_MESSAGE_LENGTH}\n'
    )
    assert manifest_problems([path], tmp_path) == []
    assert schema_accepts("manifest", path)


# -- the invalid cases: refused by both, where a schema can tell ---------------------

INVALID_MANIFESTS = sorted(
    path
    for path in (CASES / "invalid").iterdir()
    if path.suffix == ".yaml" or path.is_dir()
)
INVALID_CONFIGS = sorted((CASES / "invalid-config").glob("*.yaml"))


@pytest.mark.parametrize("case", INVALID_MANIFESTS, ids=lambda path: path.name)
def test_invalid_manifest_is_refused_by_both(case: Path, tmp_path: Path) -> None:
    paths = case_files(case)
    # test_manifest.py checks each message; here, only that there is one
    assert manifest_problems(paths, tmp_path) != []
    if case.name in MANIFEST_NOT_YAML:
        with pytest.raises(yaml.YAMLError):
            yaml.safe_load(case.read_text(encoding="utf-8"))
    elif case.name in MANIFEST_SCHEMA_CANNOT:
        assert all(schema_accepts("manifest", path) for path in paths)
    else:
        assert not all(schema_accepts("manifest", path) for path in paths)


@pytest.mark.parametrize("case", INVALID_CONFIGS, ids=lambda path: path.name)
def test_invalid_config_is_refused_by_both(case: Path, tmp_path: Path) -> None:
    text = case.read_text(encoding="utf-8")
    expected = [
        line.removeprefix(EXPECT)
        for line in text.splitlines()
        if line.startswith(EXPECT)
    ]
    assert expected, f"{case.name} has no '{EXPECT}LINE: message' line"
    assert config_problems(text, tmp_path) == expected
    if case.name in CONFIG_NOT_YAML:
        with pytest.raises(yaml.YAMLError):
            yaml.safe_load(text)
    else:
        accepted = schema_accepts("config", case)
        assert accepted is (case.name in CONFIG_SCHEMA_CANNOT)


def test_the_lists_of_exceptions_name_existing_cases() -> None:
    invalid = {path.name for path in INVALID_MANIFESTS}
    assert set(MANIFEST_SCHEMA_CANNOT) | MANIFEST_NOT_YAML <= invalid
    invalid_configs = {path.name for path in INVALID_CONFIGS}
    assert set(CONFIG_SCHEMA_CANNOT) | CONFIG_NOT_YAML <= invalid_configs
    assert len(INVALID_MANIFESTS) >= 49
    assert len(INVALID_CONFIGS) >= 20
    assert len(VALID_MANIFESTS) >= 12
    assert len(VALID_CONFIGS) >= 8


# -- the patterns decide as the validator's code does ------------------------------------


def _posts_refused(values: dict[str, str], field: str, tmp_path: Path) -> set[str]:
    """The post keys the validator refuses in a manifest with ``field: value`` per post.

    Values are written as JSON strings, which YAML reads as double-quoted scalars.
    """
    lines = ['page: "1"', "posts:"]
    at_line: dict[int, str] = {}
    for key, value in values.items():
        at_line[len(lines) + 1] = key
        lines.append(f"  {key}:")
        lines.append(f"    {field}: {json.dumps(value)}")
    path = tmp_path / "m.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    refused: set[str] = set()
    for problem in manifest_problems([path], tmp_path):
        line = int(problem.split(":")[1])
        refused.add(at_line.get(line) or at_line[line - 1])
    return refused


def _posts_the_schema_refuses(posts: dict[str, Any]) -> set[str]:
    document = {"page": "1", "posts": posts}
    return {
        error.absolute_path[1]
        for error in validator("manifest").iter_errors(document)
        if len(error.absolute_path) > 1
    }


_SCHEMES = [
    "http://",
    "https://",
    "HTTPS://",
    "hTtP://",
    "ftp://",
    "http:/",
    "",
    " http://",
]
_USERS = ["", "user:pass@", "a@b@", "[u@"]
_HOSTS = ["acme.example", "", "localhost", "127.0.0.1", "[::1]", "[2001:db8::1]"]
_HOSTS += ["[]", "[zz]", "a b", "a[b", "x_y"]
_PORTS = ["", ":", ":80", ":0080", ":65535", ":65536", ":99999", ":x", ":80:90"]
_TAILS = ["", "/", "/spring?q=1#f", "/a b", "/x\n", "\t", "/[x]@:"]


def test_the_link_pattern_agrees_with_the_validator(tmp_path: Path) -> None:
    urls = [
        "".join(parts)
        for parts in itertools.product(_SCHEMES, _USERS, _HOSTS, _PORTS, _TAILS)
    ]
    links = {f"p{index}": url for index, url in enumerate(urls)}
    refused = _posts_refused(links, "link", tmp_path)
    assert 0 < len(refused) < len(links)
    link = schema("manifest")["$defs"]["post"]["properties"]["link"]
    checker = validator("manifest").evolve(schema=link)
    schema_refused = {key for key, url in links.items() if not checker.is_valid(url)}
    disagree = {links[key] for key in refused ^ schema_refused}
    assert disagree == set()


def test_the_site_pattern_agrees_with_the_validator(tmp_path: Path) -> None:
    site = validator("config").evolve(
        schema=schema("config")["properties"]["oneall"]["properties"]["site"]
    )
    disagree = []
    hosts = [*_HOSTS[:8], "LocalHost", "localhost."]
    for parts in itertools.product(
        _SCHEMES[:5], _USERS[:2], hosts, _PORTS[::2], _TAILS[:4]
    ):
        url = "".join(parts)
        text = f"oneall:\n  site: {json.dumps(url)}\n"
        if (config_problems(text, tmp_path) == []) != site.is_valid(url):
            disagree.append(url)
    assert disagree == []


TOKENISH = [
    "EAA" + "b" * 20,
    "EAA" + "b" * 19,
    "xEAA" + "b" * 20,
    "x EAA" + "B1" * 10 + " y",
    "-EAA" + "9" * 30,
    "eaa" + "b" * 20,
    "see EAA" + "b" * 20 + "!",
    "EAABBBBBBBBBBBBBBBBBBBBBBBBBBBBB",
]


def test_token_shaped_text_is_refused_as_the_validator_does(tmp_path: Path) -> None:
    messages = {f"p{index}": text for index, text in enumerate(TOKENISH)}
    refused = _posts_refused(messages, "message", tmp_path)
    assert refused == _posts_the_schema_refuses(
        {key: {"message": text} for key, text in messages.items()}
    )
    assert 0 < len(refused) < len(messages)


def _secret_variants() -> list[str]:
    names = set()
    for name in SECRET_KEYS:
        names |= {name, name.upper(), name.replace("_", "-"), name.title()}
    return sorted(names)


def test_secret_names_are_refused_as_post_keys_as_the_validator_does(
    tmp_path: Path,
) -> None:
    keys = [*_secret_variants(), "tokens", "my-token", "secret2", "passwords", "key"]
    posts = {key: "hello" for key in keys}
    refused = _posts_refused(posts, "message", tmp_path)
    assert refused == set(_secret_variants())
    names = schema("manifest")["properties"]["posts"]["propertyNames"]
    keys_checker = validator("manifest").evolve(schema=names)
    assert {key for key in keys if not keys_checker.is_valid(key)} == refused
