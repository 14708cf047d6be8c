"""Page details and settings, pure: the field table's checks and normalization, and
the planner's decisions (issue 14)."""

from __future__ import annotations

from pathlib import Path

import pytest

from statesync.errors import Location, ManifestError
from statesync.kinds import Capabilities
from statesync.manifest import load_desired
from statesync.model import Desired, DesiredDetails, PageManifest, RecordedPage
from statesync.page_fields import BY_QUALIFIED, normalize, problem, value_hash
from statesync.page_plan import plan_page_details, wanted_fields
from statesync.plan import ActionKind

PAGE = "104510075301234"
CAN = Capabilities(frozenset(BY_QUALIFIED), frozenset(BY_QUALIFIED), delete=False)
HERE = Location("pages/acme.yaml", 3)


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("details.website", "https://Acme.example", "https://acme.example/"),
        ("details.emails", ["b@x.io", "a@x.io"], ["a@x.io", "b@x.io"]),
        ("details.hours", {"mon_1_open": "8:00"}, {"mon_1_open": "08:00"}),
        ("details.about", "Text \r\nwith CRLF  \n", "Text\nwith CRLF"),
        ("details.parking", {"lot": True, "valet": 0}, {"lot": 1, "valet": 0}),
        ("settings.USERS_CAN_MESSAGE", False, False),
    ],
)
def test_values_are_normalized_as_the_api_returns_them(
    name: str, value: object, expected: object
) -> None:
    field = BY_QUALIFIED[name]
    assert normalize(field, value) == expected
    assert normalize(field, normalize(field, value)) == expected  # idempotent


@pytest.mark.parametrize(
    ("name", "value", "fragment"),
    [
        ("details.about", "   ", "is blank"),
        ("details.phone", 5550100, "quoted string"),
        ("details.phone", "call us", "digits"),
        ("details.website", "acme.example", "absolute http"),
        ("details.emails", "a@x.io", "list of addresses"),
        ("details.emails", ["a@x.io", "A@x.io"], "listed twice"),
        ("details.hours", {"mon_1_open": "25:00", "mon_1_close": "18:00"}, "24-hour"),
        ("details.hours", {"mon_1_open": "08:00"}, "no matching mon_1_close"),
        ("details.location", {"city": "Paris", "planet": "Earth"}, "unknown field"),
        ("details.parking", {"lot": 2}, "true or false"),
        ("details.attire", "casual", "one of Casual"),
        ("settings.USERS_CAN_POST", "yes", "true or false"),
    ],
)
def test_invalid_values_are_named(name: str, value: object, fragment: str) -> None:
    why = problem(BY_QUALIFIED[name], value)
    assert why is not None
    assert fragment in why
    assert why.startswith(name)


def test_unquoted_times_keep_their_meaning(tmp_path: Path) -> None:
    """``18:00`` unquoted is 1080 in YAML 1.1 (base 60); it means 18:00 here."""
    (tmp_path / "pages").mkdir()
    (tmp_path / "pages" / "acme.yaml").write_text(
        'page: "1"\ndetails:\n  hours: {mon_1_open: 8:00, mon_1_close: 18:00}\n'
        "posts: {}\n"
    )
    desired = load_desired(tmp_path / "pages")
    hours = desired.pages["1"].details.values["details.hours"]
    assert hours == {"mon_1_close": "18:00", "mon_1_open": "08:00"}


def test_a_settings_section_that_is_not_a_mapping_is_refused(tmp_path: Path) -> None:
    (tmp_path / "pages").mkdir()
    (tmp_path / "pages" / "acme.yaml").write_text(
        'page: "1"\nsettings: [USERS_CAN_MESSAGE]\nposts: {}\n'
    )
    with pytest.raises(ManifestError, match=r"acme.yaml:2: settings must be a mapping"):
        load_desired(tmp_path / "pages")


def desired(values: dict[str, object]) -> Desired:
    details = DesiredDetails(values=values, lines=dict.fromkeys(values, HERE))
    manifest = PageManifest(PAGE, None, "acme", HERE, details=details)
    return Desired(pages={PAGE: manifest})


def recorded(values: dict[str, object]) -> dict[str, RecordedPage]:
    hashes = {name: value_hash(value) for name, value in values.items()}
    return {PAGE: RecordedPage(manifest="acme", details=hashes)}


ABOUT = {"details.about": "Coffee."}


def test_equal_live_values_plan_nothing() -> None:
    live = {PAGE: {"details.about": "Coffee.\n"}}  # normalized before comparing
    assert plan_page_details(desired(ABOUT), recorded(ABOUT), live, CAN) == []


def test_a_new_field_is_an_update_with_its_line() -> None:
    (action,) = plan_page_details(desired(ABOUT), {}, {PAGE: {}}, CAN)
    assert action.kind is ActionKind.UPDATE
    assert action.changed == ("details.about",)
    assert action.page is not None
    assert action.page.after == {"details.about": "Coffee."}
    assert action.page.before == {"details.about": None}
    assert action.page.lines == {"details.about": "pages/acme.yaml:3"}
    assert action.name == "acme: page details"
    assert not action.drift


def test_a_live_edit_is_drift() -> None:
    live = {PAGE: {"details.about": "Edited."}}
    (action,) = plan_page_details(desired(ABOUT), recorded(ABOUT), live, CAN)
    assert action.kind is ActionKind.UPDATE
    assert action.drift


def test_without_a_reader_the_recorded_hashes_decide() -> None:
    assert plan_page_details(desired(ABOUT), recorded(ABOUT), None, CAN) == []
    changed = {"details.about": "New."}
    (action,) = plan_page_details(desired(changed), recorded(ABOUT), None, CAN)
    assert action.changed == ("details.about",)
    assert action.page is not None
    assert action.page.before is None


def test_a_field_no_longer_named_is_forgotten() -> None:
    both = {**ABOUT, "details.phone": "+1 555 0100"}
    live = {PAGE: both}
    (action,) = plan_page_details(desired(ABOUT), recorded(both), live, CAN)
    assert action.kind is ActionKind.FORGET
    assert action.page is not None
    assert action.page.forgotten == ("details.phone",)
    assert action.page.before == {"details.phone": "+1 555 0100"}
    assert action.page.record == {"details.about": value_hash("Coffee.")}


def test_a_writer_that_cannot_set_a_field_makes_it_impossible() -> None:
    narrow = Capabilities(frozenset({"details.about"}), frozenset({"details.about"}))
    values = {"settings.USERS_CAN_POST": False}
    (action,) = plan_page_details(desired(values), {}, {PAGE: {}}, narrow)
    assert action.kind is ActionKind.IMPOSSIBLE
    assert action.forced_by == "settings.USERS_CAN_POST"


def test_the_fields_read_are_the_managed_and_the_recorded() -> None:
    both = {**ABOUT, "details.phone": "+1"}
    assert wanted_fields(desired(ABOUT), recorded(both)) == {
        PAGE: ("details.about", "details.phone")
    }
    assert wanted_fields(Desired(pages={}), recorded(both)) == {}


def test_page_actions_validate_against_the_schema_and_round_trip() -> None:
    import json
    from importlib.resources import files

    from jsonschema import Draft202012Validator

    from statesync.plan import Plan
    from statesync.render.json import plan_from_data, render_json
    from statesync.render.markdown import render_markdown
    from statesync.render.text import render_plan

    both = {**ABOUT, "details.phone": "+1", "settings.USERS_CAN_MESSAGE": True}
    live = {PAGE: {"details.about": "Edited.", "details.phone": "+1"}}
    update = plan_page_details(desired(ABOUT), recorded(both), live, CAN)
    values = {"details.hours": {"mon_1_open": "08:00", "mon_1_close": "18:00"}}
    fresh = plan_page_details(desired(values), {}, None, CAN)
    plan = Plan(actions=(*update, *fresh))
    schema = json.loads(
        files("statesync.schemas").joinpath("plan-v1.schema.json").read_text()
    )
    data = json.loads(render_json(plan))
    Draft202012Validator(schema).validate(data)
    assert data["page_summary"] == {"update": 2}
    assert plan_from_data(data) == plan
    text = render_plan(plan)
    assert "~ acme: page details (drift: changed outside statesync)" in text
    assert 'details.about: "Edited." -> "Coffee."' in text
    assert 'details.phone: "+1" (no longer managed; left as it is)' in text
    assert "details.hours: (not read) -> {" in text
    assert "Page details: 2 to update." in text
    assert "`~` acme: page details" in render_markdown(plan)
