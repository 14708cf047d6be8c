"""The planner decides every action from the writer's capability table alone: the
same manifests, different tables, different plans; no server needed."""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from statesync import planner
from statesync.applier import apply_plan
from statesync.errors import UnsafePlanError
from statesync.kinds import Capabilities, Kind
from statesync.lockfile import Lockfile
from statesync.model import POST_FIELDS, PostFields
from statesync.plan import ActionKind, Plan
from statesync.planner import make_plan
from statesync.render.json import plan_from_data, plan_to_data, render_json
from statesync.render.markdown import render_markdown
from statesync.render.text import render_plan
from statesync.safety import SafetySettings, check_plan
from tests.fakes import FakeProvider, make_desired

PAGE = "104510075301234"
ALL = frozenset(POST_FIELDS)
HELLO = PostFields(message="Hello.")
LINKED = PostFields(message="Hello.", link="https://acme.example/")


def applied(
    tmp_path: Path, posts: dict[str, PostFields]
) -> tuple[Lockfile, FakeProvider]:
    provider = FakeProvider(ALL)
    lock = Lockfile(path=tmp_path / "statesync.lock")
    plan = make_plan(make_desired({PAGE: posts}), lock.pages, {}, provider.can)
    apply_plan(plan, provider, lock)
    return lock, provider


def replan(lock: Lockfile, provider: FakeProvider, posts, can: Capabilities) -> Plan:
    ids = [r.post_id for page in lock.pages.values() for r in page.posts.values()]
    return make_plan(
        make_desired({PAGE: posts}), lock.pages, provider.read(PAGE, ids), can
    )


def test_capabilities_refuse_an_in_place_field_that_cannot_be_set() -> None:
    with pytest.raises(ValueError, match="in place"):
        Capabilities(fields=frozenset({"message"}), in_place=frozenset({"link"}))


@pytest.mark.parametrize(
    ("can", "kind", "forced_by"),
    [
        (Capabilities(ALL, ALL), ActionKind.UPDATE, None),  # OneAll's table
        (
            Capabilities(ALL, frozenset({"message"})),
            ActionKind.REPLACE,
            "link",
        ),  # Graph
        (
            Capabilities(ALL, frozenset({"message"}), delete=False),
            ActionKind.IMPOSSIBLE,
            "link",
        ),
    ],
)
def test_one_link_change_three_writers_three_plans(
    tmp_path: Path, can: Capabilities, kind: ActionKind, forced_by: str | None
) -> None:
    lock, provider = applied(tmp_path, {"a": LINKED})
    edited = PostFields(message="Hello.", link="https://acme.example/spring")
    plan = replan(lock, provider, {"a": edited}, can)
    assert [(a.kind, a.forced_by, a.changed) for a in plan.actions] == [
        (kind, forced_by, ("link",))
    ]


def test_a_writer_that_cannot_delete_forgets_and_sends_nothing(tmp_path: Path) -> None:
    lock, provider = applied(tmp_path, {"a": HELLO, "b": HELLO})
    no_delete = Capabilities(ALL, ALL, delete=False)
    plan = replan(lock, provider, {"a": HELLO}, no_delete)
    assert [(a.kind, str(a.address)) for a in plan.actions] == [
        (ActionKind.FORGET, f"p{PAGE}/b")
    ]
    assert plan.summary().endswith("0 to delete. 1 to forget.")
    assert "  = " in render_plan(plan)
    assert "stays live on page" in render_plan(plan)
    calls = len(provider.calls)
    report = apply_plan(plan, provider, lock)
    assert len(provider.calls) == calls  # nothing sent
    assert report.counts().endswith("0 deleted, 1 forgotten")
    assert sorted(lock.pages[PAGE].posts) == ["a"]
    assert len(provider.posts) == 2  # the post is still live
    assert replan(lock, provider, {"a": HELLO}, no_delete).actions == ()


def test_a_field_the_writer_cannot_set_is_impossible_and_apply_refuses(
    tmp_path: Path,
) -> None:
    no_links = Capabilities(
        frozenset({"message", "attachments"}), frozenset({"message"})
    )
    lock = Lockfile(path=tmp_path / "statesync.lock")
    desired = make_desired({PAGE: {"a": LINKED, "b": HELLO}})
    plan = make_plan(desired, lock.pages, {}, no_links)
    assert [a.kind for a in plan.actions] == [ActionKind.IMPOSSIBLE, ActionKind.PUSH]
    assert plan.impossible[0].note == "this writer cannot set link on a post"
    assert plan.summary().endswith("1 impossible.")
    with pytest.raises(UnsafePlanError, match=r"p104510075301234/a: impossible"):
        check_plan(plan, desired, {}, SafetySettings(), allow_mass_delete=True)
    provider = FakeProvider()
    with pytest.raises(UnsafePlanError, match=r"p104510075301234/a: impossible: this"):
        apply_plan(plan, provider, lock)  # refused whole, even without the rails
    assert not lock.pages
    assert provider.calls == []  # not even the possible push was sent


def test_new_kinds_render_and_round_trip_through_json_and_the_schema(
    tmp_path: Path,
) -> None:
    lock, provider = applied(tmp_path, {"a": LINKED, "b": HELLO})
    can = Capabilities(ALL, frozenset({"message"}), delete=False)
    plan = replan(
        lock, provider, {"a": PostFields(message="Hi.", link="https://x.example/")}, can
    )
    assert sorted(a.kind for a in plan.actions) == [
        ActionKind.FORGET,
        ActionKind.IMPOSSIBLE,
    ]
    data = plan_to_data(plan)
    assert data["summary"] == {
        "push": 0,
        "update": 0,
        "replace": 0,
        "delete": 0,
        "forget": 1,
        "impossible": 1,
    }
    assert {action["resource"] for action in data["actions"]} == {"post"}
    schema = json.loads(
        files("statesync.schemas").joinpath("plan-v1.schema.json").read_text()
    )
    Draft202012Validator(schema).validate(json.loads(render_json(plan)))
    assert plan_from_data(json.loads(render_json(plan))) == plan
    markdown = render_markdown(plan)
    assert "`!` **impossible**" in markdown or "`!` impossible" in markdown
    assert "`=` forget" in markdown
    assert all(a.resource is Kind.POST for a in plan.actions)


def test_the_equal_post_path_hashes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 20: 1,000 unchanged posts read live plan with no hashing at all."""
    posts = {f"p{i:04}": PostFields(message=f"Post {i}.") for i in range(1000)}
    provider = FakeProvider(ALL)
    lock = Lockfile(path=Path("/nonexistent/statesync.lock"))
    for key, fields in posts.items():
        post_id = provider.push(PAGE, fields)
        lock.record(PAGE, f"p{PAGE}", key, planner_record(post_id, fields))
    hashed = []
    monkeypatch.setattr(planner, "field_hashes", lambda f: hashed.append(f) or {})
    plan = replan(lock, provider, posts, provider.can)
    assert plan.actions == ()
    assert hashed == []


def planner_record(post_id: str, fields: PostFields):
    from statesync.model import Record
    from statesync.normalize import field_hashes

    return Record(post_id, field_hashes(fields))
