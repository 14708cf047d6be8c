"""The JSON plan: snapshots, the shipped schema, and the exact inverse.

Snapshots are files under ``tests/unit/snapshots/test_render_json/``; regenerate them
after a deliberate change (and review the diff) with::

    pytest tests/unit/test_render_json.py -p no:cacheprovider --snapshot-update
"""

from __future__ import annotations

import json
import re
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from jsonschema import Draft202012Validator
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.single_file import SingleFileSnapshotExtension
from syrupy.location import PyTestLocation

from statesync.model import Address
from statesync.plan import Plan, UnknownOutcome
from statesync.render.json import plan_from_data, plan_to_data, render_json
from tests.unit.test_render_markdown import no_reader_plan, plans, sample_plan


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


@pytest.fixture(scope="module")
def validator() -> Draft202012Validator:
    text = files("statesync.schemas").joinpath("plan-v1.schema.json").read_text()
    schema = json.loads(text)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


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
