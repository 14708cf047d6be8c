"""``forget`` and ``impossible`` in every rendering, compared whole to snapshots.

The plan comes from the planner over capability tables no writer has today (no
delete, no ``link``, nothing in place), so these snapshots show what the next writers
(issue 15: LinkedIn cannot update or delete) will print. Regenerate after a deliberate
change (and review the diff) with::

    pytest tests/unit/test_kinds_render.py -p no:cacheprovider --snapshot-update
"""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.single_file import SingleFileSnapshotExtension
from syrupy.location import PyTestLocation

from statesync.applier import apply_plan
from statesync.kinds import Capabilities
from statesync.lockfile import Lockfile
from statesync.model import POST_FIELDS, PostFields
from statesync.plan import ActionKind, Plan
from statesync.planner import make_plan
from statesync.render.json import plan_from_data, render_json
from statesync.render.markdown import render_markdown
from statesync.render.text import render_plan
from tests.fakes import FakeProvider, make_desired

PAGE = "104510075301234"


class _Snapshot(SingleFileSnapshotExtension):
    """The rendering's bytes in ``snapshots/test_kinds_render/<test>.<ext>``."""

    @classmethod
    def dirname(cls, *, test_location: PyTestLocation) -> str:
        here = Path(test_location.filepath).parent
        return str(here / "snapshots" / test_location.basename)


class _Text(_Snapshot):
    file_extension = "txt"


class _Markdown(_Snapshot):
    file_extension = "md"


class _Json(_Snapshot):
    file_extension = "json"


def rare_plan(tmp_path: Path) -> Plan:
    """Posts pushed by a writer that can do everything, planned again on one that
    cannot delete, cannot set ``link`` and changes nothing in place."""
    provider = FakeProvider(frozenset(POST_FIELDS))
    lock = Lockfile(path=tmp_path / "statesync.lock")
    first = {
        "hours": PostFields(message="Open from Monday."),
        "promo": PostFields(message="Spring promo.", link="https://acme.example/"),
        "old": PostFields(message="Last year's news.\nSecond line."),
    }
    desired = make_desired({PAGE: first}, stem="acme")
    apply_plan(make_plan(desired, lock.pages, {}, provider.can), provider, lock)
    can = Capabilities(frozenset({"message", "attachments"}), frozenset(), delete=False)
    second = {
        "hours": PostFields(message="Open from Tuesday."),
        "promo": PostFields(message="Spring promo.", link="https://acme.example/b"),
        "new": PostFields(message="Hello.", link="https://acme.example/new"),
    }
    ids = [record.post_id for record in lock.pages[PAGE].posts.values()]
    live = provider.read(PAGE, ids)
    return make_plan(make_desired({PAGE: second}, stem="acme"), lock.pages, live, can)


def test_the_plan_has_every_rare_decision(tmp_path: Path) -> None:
    plan = rare_plan(tmp_path)
    assert [(str(a.address), a.kind, a.forced_by) for a in plan.actions] == [
        ("acme/hours", ActionKind.IMPOSSIBLE, "message"),
        ("acme/new", ActionKind.IMPOSSIBLE, "link"),
        ("acme/promo", ActionKind.IMPOSSIBLE, "link"),
        ("acme/old", ActionKind.FORGET, None),
    ]


def test_text(tmp_path: Path, snapshot: SnapshotAssertion) -> None:
    rendered = render_plan(rare_plan(tmp_path))
    assert rendered.encode() == snapshot.use_extension(_Text)


def test_markdown(tmp_path: Path, snapshot: SnapshotAssertion) -> None:
    rendered = render_markdown(rare_plan(tmp_path))
    assert rendered.encode() == snapshot.use_extension(_Markdown)


def test_json_names_the_kind_and_round_trips(
    tmp_path: Path, snapshot: SnapshotAssertion
) -> None:
    plan = rare_plan(tmp_path)
    rendered = render_json(plan)
    assert rendered.encode() == snapshot.use_extension(_Json)
    schema = json.loads(
        files("statesync.schemas").joinpath("plan-v1.schema.json").read_text()
    )
    data = json.loads(rendered)
    Draft202012Validator(schema).validate(data)
    assert {action["resource"] for action in data["actions"]} == {"post"}
    assert plan_from_data(data) == plan


@pytest.mark.parametrize("resource", ["tweet", None, 1])
def test_an_unknown_resource_is_refused_by_reader_and_schema(
    tmp_path: Path, resource: object
) -> None:
    data = json.loads(render_json(rare_plan(tmp_path)))
    data["actions"][0]["resource"] = resource
    schema = json.loads(
        files("statesync.schemas").joinpath("plan-v1.schema.json").read_text()
    )
    assert not Draft202012Validator(schema).is_valid(data)
    with pytest.raises(ValueError, match=r"actions\[0\]\.resource: .* is not a kind"):
        plan_from_data(data)


def test_a_plan_without_resource_reads_as_posts(tmp_path: Path) -> None:
    """Saved plans from before the field existed still load."""
    plan = rare_plan(tmp_path)
    data = json.loads(render_json(plan))
    for action in data["actions"]:
        del action["resource"]
    assert plan_from_data(data) == plan
