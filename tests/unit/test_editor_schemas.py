"""The editor schemas cannot drift from the validators: the same fields, every valid
case accepted by both, every invalid case refused by both except those a JSON Schema
cannot express (listed, and checked to be accepted, so the list stays honest)."""

from __future__ import annotations

import json
import shutil
from importlib.resources import files
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator

from statesync import config as config_module
from statesync import manifest_check as manifest_module
from statesync.config import load_config
from statesync.errors import StatesyncError
from statesync.manifest import load_desired
from statesync.scaffold import init_project

REPO = Path(__file__).resolve().parents[2]
CASES = REPO / "tests" / "cases"
# What a schema cannot see: YAML-level problems, text inside values, other files.
# (A file that is not YAML at all counts as refused: the editor flags it as YAML.)
SCHEMA_CANNOT = {
    "duplicate-field.yaml",  # YAML loaders keep the last of two keys
    "duplicate-post-key.yaml",
    "merge-key.yaml",  # `<<:` merges before a schema sees the result
    "token-in-comment.yaml",  # comments are not data
    "token-value.yaml",  # a secret inside a message's text
    "attachment-twice.yaml",  # "1" and 1 are the same media id to statesync
    "page-float.yaml",  # 1.0451e14 is an "integer" to JSON Schema (no fraction)
}


def schema(name: str) -> Draft202012Validator:
    text = files("statesync.schemas").joinpath(f"{name}-v1.schema.json").read_text()
    document = json.loads(text)
    Draft202012Validator.check_schema(document)
    assert document["$id"].endswith(f"/statesync/schemas/{name}-v1.schema.json")
    return Draft202012Validator(document)


def accepts(validator: Draft202012Validator, path: Path) -> bool:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError):
        return False
    return validator.is_valid(data)


def manifest_is_valid(path: Path, tmp_path: Path) -> bool:
    folder = tmp_path / "pages"
    folder.mkdir()
    if path.is_dir():
        for item in path.iterdir():
            shutil.copy(item, folder / item.name)
    else:
        shutil.copy(path, folder / path.name)
    try:
        load_desired(folder, display_base=tmp_path)
    except StatesyncError:
        return False
    return True


def config_is_valid(path: Path, tmp_path: Path) -> bool:
    shutil.copy(path, tmp_path / "statesync.yaml")
    try:
        load_config(tmp_path, display_base=tmp_path)
    except StatesyncError:
        return False
    return True


def test_the_schemas_allow_exactly_the_validators_fields() -> None:
    manifest = schema("manifest").schema
    assert tuple(manifest["properties"]) == manifest_module.PAGE_FIELDS
    post = manifest["$defs"]["post"]["properties"]
    assert tuple(post) == manifest_module.POST_KEYS
    config = schema("config").schema
    sections = {
        "graph": config_module._GRAPH_FIELDS,
        "oneall": config_module._ONEALL_FIELDS,
        "safety": config_module._SAFETY_FIELDS,
        "retries": config_module._RETRY_FIELDS,
    }
    assert tuple(config["properties"]) == config_module._TOP_FIELDS
    for section, fields in sections.items():
        assert tuple(config["properties"][section]["properties"]) == fields


VALID_MANIFESTS = sorted(
    [
        *(REPO / "examples" / "pages").glob("*.yaml"),
        *(REPO / "examples" / "oneall" / "pages").glob("*.yaml"),
        CASES / "valid" / "every-field.yaml",
    ]
)


@pytest.mark.parametrize("path", VALID_MANIFESTS, ids=lambda p: p.name)
def test_valid_manifests_pass_both(path: Path, tmp_path: Path) -> None:
    assert manifest_is_valid(path, tmp_path)
    assert accepts(schema("manifest"), path)


VALID_CONFIGS = [
    REPO / "examples" / "statesync.yaml",
    REPO / "examples" / "oneall" / "statesync.yaml",
    CASES / "valid" / "statesync.yaml",
]


@pytest.mark.parametrize("path", VALID_CONFIGS, ids=lambda p: str(p.parent.name))
def test_valid_configs_pass_both(path: Path, tmp_path: Path) -> None:
    assert config_is_valid(path, tmp_path)
    assert accepts(schema("config"), path)


def test_what_init_writes_passes_both(tmp_path: Path) -> None:
    init_project(tmp_path / "new", sandbox=True)
    assert accepts(schema("config"), tmp_path / "new" / "statesync.yaml")
    assert accepts(schema("manifest"), tmp_path / "new" / "pages" / "example-page.yaml")


INVALID = sorted(p for p in (CASES / "invalid").iterdir() if p.suffix == ".yaml")


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.name)
def test_invalid_manifests_fail_both_where_a_schema_can_tell(
    path: Path, tmp_path: Path
) -> None:
    assert not manifest_is_valid(path, tmp_path)
    expected = path.name in SCHEMA_CANNOT  # the schema accepts what it cannot see
    assert accepts(schema("manifest"), path) is expected


@pytest.mark.parametrize(
    "path", sorted((CASES / "invalid-config").iterdir()), ids=lambda p: p.name
)
def test_invalid_configs_fail_both(path: Path, tmp_path: Path) -> None:
    assert not config_is_valid(path, tmp_path)
    assert not accepts(schema("config"), path)
