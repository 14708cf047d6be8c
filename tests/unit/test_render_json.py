"""The JSON plan: snapshots, the shipped schema, and the exact inverse.

Snapshots are files under ``tests/unit/snapshots/test_render_json/``; regenerate them
after a deliberate change (and review the diff) with::

    pytest tests/unit/test_render_json.py -p no:cacheprovider --snapshot-update
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import replace
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.single_file import SingleFileSnapshotExtension
from syrupy.location import PyTestLocation

from statesync.model import Address, PostFields
from statesync.plan import Action, ActionKind, Plan, UnknownOutcome
from statesync.render.json import (
    plan_from_data,
    plan_to_data,
    render_error_json,
    render_json,
)
from statesync.render.markdown import render_markdown
from tests.unit.test_render_markdown import PAGE, no_reader_plan, plans, sample_plan


class JsonSnapshot(SingleFileSnapshotExtension):
    """The rendering's bytes in ``snapshots/<test module>/<test>.json``."""

    file_extension = "json"

    @classmethod
    def dirname(cls, *, test_location: PyTestLocation) -> str:
        here = Path(test_location.filepath).parent
        return str(here / "snapshots" / test_location.basename)


@pytest.fixture
def snapshot_json(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    return snapshot.use_extension(JsonSnapshot)


def shipped_validator(name: str) -> Draft202012Validator:
    """A validator of a schema as the package ships it (importlib.resources)."""
    schema = json.loads(files("statesync.schemas").joinpath(name).read_text())
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


@pytest.fixture(scope="module")
def validator() -> Draft202012Validator:
    return shipped_validator("plan-v1.schema.json")


@pytest.fixture(scope="module")
def error_validator() -> Draft202012Validator:
    return shipped_validator("error-v1.schema.json")


def test_every_kind_and_hostile_content(snapshot_json: SnapshotAssertion) -> None:
    assert render_json(sample_plan()).encode() == snapshot_json


def test_without_a_reader(snapshot_json: SnapshotAssertion) -> None:
    assert render_json(no_reader_plan()).encode() == snapshot_json


def test_no_changes() -> None:
    assert render_json(Plan(actions=())) == (
        "{\n"
        '  "actions": [],\n'
        '  "format_version": 1,\n'
        '  "reads_live": true,\n'
        '  "scope": null,\n'
        '  "summary": {\n'
        '    "delete": 0,\n'
        '    "push": 0,\n'
        '    "replace": 0,\n'
        '    "update": 0\n'
        "  },\n"
        '  "unknown_outcomes": []\n'
        "}\n"
    )


def unknown_plan() -> Plan:
    return Plan(
        actions=(),
        unknown=(
            UnknownOutcome(Address("acme", "new"), "104510075301234", 1795000000),
        ),
    )


def test_unknown_outcomes_round_trip_and_validate(
    validator: Draft202012Validator,
) -> None:
    data = json.loads(render_json(unknown_plan()))
    validator.validate(data)
    assert data["unknown_outcomes"] == [
        {
            "address": "acme/new",
            "manifest": "acme",
            "page_id": "104510075301234",
            "post_key": "new",
            "since": 1795000000,
        }
    ]
    assert plan_from_data(data) == unknown_plan()


@pytest.mark.parametrize("plan", [sample_plan(), no_reader_plan(), Plan(actions=())])
def test_the_output_validates_against_the_shipped_schema(
    plan: Plan, validator: Draft202012Validator
) -> None:
    validator.validate(json.loads(render_json(plan)))


@given(plans)
def test_any_plan_validates_and_round_trips(plan: Plan) -> None:
    # The fixture cannot be used under @given (it is function-scoped per example).
    text = files("statesync.schemas").joinpath("plan-v1.schema.json").read_text()
    data = json.loads(render_json(plan))
    Draft202012Validator(json.loads(text)).validate(data)
    assert plan_from_data(data) == plan
    assert plan_from_data(plan_to_data(plan)) == plan


@pytest.mark.parametrize("plan", [sample_plan(), no_reader_plan()])
def test_plan_from_data_is_the_exact_inverse(plan: Plan) -> None:
    assert plan_from_data(plan_to_data(plan)) == plan
    assert plan_from_data(json.loads(render_json(plan))) == plan


def _set(data: dict[str, Any], path: tuple[str | int, ...], value: object) -> None:
    target: Any = data
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value


# Each path leads to an object: a key added there must be refused.
_OBJECTS = [(), ("summary",), ("actions", 2), ("actions", 2, "before")]


@pytest.mark.parametrize("path", _OBJECTS)
def test_the_schema_refuses_unknown_keys_everywhere(
    path: tuple[str | int, ...], validator: Draft202012Validator
) -> None:
    data = plan_to_data(sample_plan())
    _set(data, (*path, "extra"), 1)
    assert not validator.is_valid(data)


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("format_version",), 2),
        (("actions", 0, "kind"), "create"),
        (("actions", 0, "changed"), ["title"]),
        (("actions", 9, "after"), {"message": "x", "link": None, "attachments": []}),
        (("actions", 0, "after"), None),
        (("summary", "push"), -1),
        (("scope",), "acme"),
        (("scope",), ["acme", "acme"]),
        (("scope",), [1]),
    ],
)
def test_the_schema_refuses_wrong_values(
    path: tuple[str | int, ...], value: object, validator: Draft202012Validator
) -> None:
    data = plan_to_data(sample_plan())
    _set(data, path, value)
    assert not validator.is_valid(data)


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (
            ("format_version",),
            2,
            "plan: format_version 2 is not 1; this statesync cannot read it",
        ),
        (
            ("format_version",),
            True,
            "plan: format_version True is not 1; this statesync cannot read it",
        ),
        (
            ("actions", 0, "address"),
            "acme/old",
            "actions[0].address: 'acme/old' is not manifest/post_key 'acme/new'",
        ),
        (
            ("actions", 1, "kind"),
            "create",
            "actions[1].kind: 'create' is not an action",
        ),
        (
            ("actions", 2, "changed"),
            ["title"],
            "actions[2].changed: ['title'] is not a list of fields",
        ),
        (
            ("actions", 6, "forced_by"),
            "title",
            "actions[6].forced_by: 'title' is not a field",
        ),
        (
            ("actions", 2, "before", "attachments"),
            "1",
            "actions[2].before.attachments: must be a list of strings",
        ),
        (("actions", 2, "drift"), "yes", "actions[2].drift: must be true or false"),
        (("actions", 2, "note"), 3, "actions[2].note: must be a string"),
        (("actions", 2, "page_id"), None, "actions[2].page_id: must be a string"),
        (("actions", 2, "before"), [], "actions[2].before: must be an object"),
        (("actions",), {}, "plan: actions must be a list"),
        (("scope",), "acme", "scope: must be a list of manifest names or null"),
        (("scope",), [None], "scope: must be a list of manifest names or null"),
        (
            ("summary", "push"),
            0,
            "summary: {'push': 0, 'update': 4, 'replace': 1, 'delete': 2} does not "
            "count the actions",
        ),
        (
            ("actions", 2, "extra"),
            1,
            "actions[2]: missing keys [], unknown keys ['extra']",
        ),
    ],
)
def test_plan_from_data_names_what_is_wrong(
    path: tuple[str | int, ...], value: object, message: str
) -> None:
    data = plan_to_data(sample_plan())
    _set(data, path, value)
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        plan_from_data(data)


def test_plan_from_data_refuses_what_is_not_an_object() -> None:
    with pytest.raises(ValueError, match=r"^plan: must be an object$"):
        plan_from_data([])


# -- what a plan says about deletes, pushes and its scope (issue 16) -----------------


def test_a_push_lists_the_fields_it_sets_as_changed_as_markdown_does() -> None:
    push = Action(
        ActionKind.PUSH,
        Address("acme", "new"),
        PAGE,
        after=PostFields(message="Hi", attachments=("11",)),
    )
    (action,) = plan_to_data(Plan(actions=(push,)))["actions"]
    assert action["changed"] == ["attachments", "message"]  # sorted, as all changed
    row = render_markdown(Plan(actions=(push,))).splitlines()[4]
    assert row == f"| `+` push | acme/new | {PAGE} | (new) | message, attachments |"


def test_a_push_without_fields_changes_nothing() -> None:
    push = Action(ActionKind.PUSH, Address("acme", "new"), PAGE, after=PostFields())
    assert plan_to_data(Plan(actions=(push,)))["actions"][0]["changed"] == []


def test_a_delete_carries_the_post_it_deletes_when_it_was_read(
    validator: Draft202012Validator,
) -> None:
    deleted = PostFields(message="Old menu\nSoup", link="https://acme.example/")
    plan = Plan(
        actions=(
            Action(
                ActionKind.DELETE,
                Address("acme", "old"),
                PAGE,
                post_id=f"{PAGE}_3",
                before=deleted,
            ),
            Action(ActionKind.DELETE, Address("acme", "unread"), PAGE, post_id="9"),
        )
    )
    data = json.loads(render_json(plan))
    validator.validate(data)
    assert [action["before"] for action in data["actions"]] == [
        {
            "message": "Old menu\nSoup",
            "link": "https://acme.example/",
            "attachments": [],
        },
        None,
    ]
    assert plan_from_data(data) == plan


def test_the_scope_of_a_plan_under_only_round_trips(
    validator: Draft202012Validator,
) -> None:
    plan = Plan(actions=(), scope=("acme", "beta"))
    data = json.loads(render_json(plan))
    validator.validate(data)
    assert data["scope"] == ["acme", "beta"]
    assert plan_from_data(data) == plan
    assert json.loads(render_json(Plan(actions=())))["scope"] is None


def test_a_version_1_plan_from_before_scope_and_push_fields_still_reads(
    validator: Draft202012Validator,
) -> None:
    """A plan saved by the statesync before issue 16 (no ``scope``, pushes with no
    ``changed``) stays valid and reads as a plan of the whole project."""
    data = plan_to_data(sample_plan())
    del data["scope"]
    for action in data["actions"]:
        if action["kind"] == "push":
            action["changed"] = []
    validator.validate(data)
    assert plan_from_data(data) == replace(sample_plan(), scope=None)


# -- the JSON error document -----------------------------------------------------


def test_the_error_document_is_stable_sorted_json() -> None:
    text = render_error_json(
        [
            ("pages/acme.yaml", 3, "unknown field 'mesage': did you mean 'message'?"),
            (None, None, "FACEBOOK_ACCESS_TOKEN is not set"),
        ]
    )
    assert text == (
        "{\n"
        '  "errors": [\n'
        "    {\n"
        '      "file": "pages/acme.yaml",\n'
        '      "line": 3,\n'
        "      \"message\": \"unknown field 'mesage': did you mean 'message'?\"\n"
        "    },\n"
        "    {\n"
        '      "file": null,\n'
        '      "line": null,\n'
        '      "message": "FACEBOOK_ACCESS_TOKEN is not set"\n'
        "    }\n"
        "  ],\n"
        '  "format_version": 1,\n'
        '  "kind": "statesync-error"\n'
        "}\n"
    )


_problems = st.lists(
    st.tuples(
        st.none() | st.text(),
        st.none() | st.integers(min_value=1),
        st.text(min_size=1),
    ),
    min_size=1,
    max_size=5,
)


@given(_problems)
def test_any_error_document_validates_against_the_shipped_schema(
    problems: list[tuple[str | None, int | None, str]],
) -> None:
    data = json.loads(render_error_json(problems))
    shipped_validator("error-v1.schema.json").validate(data)
    assert [(e["file"], e["line"], e["message"]) for e in data["errors"]] == problems


@pytest.mark.parametrize(
    "problems",
    [[], [("a.yaml", 0, "line zero")], [("a.yaml", 1, "")]],
    ids=["no problem", "line 0", "empty message"],
)
def test_an_error_document_the_schema_would_refuse_is_not_made(
    problems: list[tuple[str | None, int | None, str]],
) -> None:
    with pytest.raises(ValueError, match=r"error document|not a problem"):
        render_error_json(problems)


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("kind",), "statesync-plan"),
        (("format_version",), 2),
        (("errors",), []),
        (("errors", 0, "line"), 0),
        (("errors", 0, "line"), "3"),
        (("errors", 0, "message"), None),
        (("errors", 0, "extra"), 1),
        (("extra",), 1),
    ],
)
def test_the_error_schema_refuses_wrong_documents(
    path: tuple[str | int, ...], value: object, error_validator: Draft202012Validator
) -> None:
    data = json.loads(render_error_json([("pages/a.yaml", 1, "bad")]))
    error_validator.validate(data)
    _set(data, path, value)
    assert not error_validator.is_valid(data)


def test_a_plan_is_no_error_document_and_an_error_document_no_plan(
    validator: Draft202012Validator, error_validator: Draft202012Validator
) -> None:
    assert not error_validator.is_valid(plan_to_data(sample_plan()))
    assert not validator.is_valid(json.loads(render_error_json([(None, None, "x")])))


def test_the_schemas_ship_as_package_data() -> None:
    """pyproject's package-data globs must take in every schema file."""
    root = Path(__file__).parents[2]
    config = tomllib.loads((root / "pyproject.toml").read_text())
    patterns = config["tool"]["setuptools"]["package-data"]["statesync"]
    shipped = {
        path for pattern in patterns for path in (root / "statesync").glob(pattern)
    }
    schemas = root / "statesync" / "schemas"
    assert {
        schemas / "error-v1.schema.json",
        schemas / "plan-v1.schema.json",
    } <= shipped
