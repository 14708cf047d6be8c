"""Posts in time and flags: the defects a review found, each pinned by a test that
fails if it comes back."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.e2e.conftest import ACME, configure_oneall
from tests.e2e.test_post_times import manifest, published_ids, read_flags, read_post


def set_faults(emulator, *rules: dict) -> None:
    httpx.post(
        f"{emulator.url}/_emulator/faults", json={"rules": list(rules)}
    ).raise_for_status()


def test_deleting_a_post_pinned_by_hand_renders(project, run, emulator, graph) -> None:
    project.write("pages/acme.yaml", manifest(None) + "  other:\n    message: Other.\n")
    assert run("apply", "--auto-approve", ".").exit_code == 0
    post_id = project.post_ids()["menu"]
    graph.post(f"/{post_id}", data={"is_pinned": "true"}).raise_for_status()
    project.write(
        "pages/acme.yaml",
        'page: "104510075301234"\nposts:\n  other:\n    message: O.\n',
    )
    planned = run("plan", ".")
    assert planned.exit_code == 0, planned.output
    assert "- acme/menu: delete" in planned.output
    assert "pinned:  true" in planned.output  # the live post it deletes


def test_an_expiring_hidden_post_is_deleted(project, run, emulator, at) -> None:
    at("2026-11-29T12:00:00Z")
    body = manifest(None, expire_at="2026-12-05T00:00:00Z") + "    hidden: true\n"
    project.write("pages/acme.yaml", body)
    assert run("apply", "--auto-approve", ".").exit_code == 0
    at("2026-12-05T01:00:00Z")
    assert run("apply", "--auto-approve", ".").exit_code == 0
    assert project.post_ids() == {}


def test_expiries_do_not_trip_the_mass_delete_rail(project, run, emulator, at) -> None:
    at("2026-11-01T12:00:00Z")
    posts = [
        f'  e{i}: {{message: Event {i}, expire_at: "2026-12-05T00:00:00Z"}}'
        for i in range(4)
    ]
    posts += [f"  p{i}: {{message: Post {i}}}" for i in range(6)]
    posts += ['  later: {message: Later, publish_at: "2026-12-05T00:20:00Z"}']
    project.write(
        "pages/acme.yaml", 'page: "104510075301234"\nposts:\n' + "\n".join(posts) + "\n"
    )
    assert run("apply", "--auto-approve", ".").exit_code == 0
    at("2026-12-05T00:30:00Z")
    result = run("apply", "--auto-approve", ".")
    assert result.exit_code == 0, result.output
    assert "later" in project.post_ids()


def test_a_scheduled_post_moved_too_close_is_published_at_its_new_time(
    project, run, emulator, at
) -> None:
    at("2026-11-29T12:00:00Z")
    project.write("pages/acme.yaml", manifest("2026-12-20T08:00:00Z"))
    assert run("apply", "--auto-approve", ".").exit_code == 0
    project.write("pages/acme.yaml", manifest("2026-11-29T12:12:00Z"))
    planned = run("plan", "--format", "json", ".")
    data = json.loads(planned.stdout)
    assert data["timeline"][0]["state"] == "waiting"
    assert data["next_due_at"] == 1795954320  # 2026-11-29T12:12:00Z
    at("2026-11-29T12:13:00Z")
    assert run("apply", "--auto-approve", ".").exit_code == 0
    assert read_post(emulator, project.post_ids()["menu"])["is_published"] is True


def test_an_instant_before_1970_is_refused_offline(project, run, emulator) -> None:
    project.write("pages/acme.yaml", manifest(None, expire_at="1026-12-01T00:00:00Z"))
    result = run("validate", ".")
    assert result.exit_code == 1
    assert "pages/acme.yaml:5: expire_at: '1026-12-01T00:00:00Z' is before 1970" in (
        result.output
    )


def test_a_local_time_in_a_daylight_saving_change_is_refused(
    project, run, emulator
) -> None:
    project.write("statesync.yaml", "provider: graph\ntimezone: Europe/Paris\n")
    project.write("pages/acme.yaml", manifest("2026-03-29 02:30"))
    result = run("validate", ".")
    assert result.exit_code == 1
    assert "falls in a daylight-saving change in Europe/Paris" in result.output


def test_a_lost_push_adopted_still_gets_its_flags(project, run, emulator) -> None:
    configure_oneall(project, "pull")
    project.write("pages/acme.yaml", manifest(None) + "    hidden: true\n")
    set_faults(
        emulator, {"method": "POST", "path": "^/push/", "action": "commit_then_drop"}
    )
    result = run("apply", "--auto-approve", ".")
    assert result.exit_code == 0, result.output
    assert "the push's answer was lost" in result.output
    assert read_flags(emulator, project.post_ids()["menu"])["is_hidden"] is True


def test_a_saved_plan_applied_too_late_to_schedule_is_stale(
    project, run, emulator, at
) -> None:
    at("2026-11-29T12:00:00Z")
    project.write("pages/acme.yaml", manifest("2026-11-29T12:20:00Z"))
    assert run("plan", "--out", "p.plan", ".").exit_code == 0
    at("2026-11-29T12:15:00Z")
    result = run("apply", "p.plan")
    assert result.exit_code == 1
    assert "now too close to schedule" in result.output


def test_a_saved_plan_does_not_push_a_post_expired_since(
    project, run, emulator, at
) -> None:
    at("2026-11-29T12:00:00Z")
    project.write("pages/acme.yaml", manifest(None, expire_at="2026-11-29T13:00:00Z"))
    assert run("plan", "--out", "p.plan", ".").exit_code == 0
    at("2026-11-29T14:00:00Z")
    result = run("apply", "p.plan")
    assert result.exit_code == 1
    assert "has expired since the plan was made" in result.output
    assert len(published_ids(emulator)) == 1  # the seed's welcome post only


def test_a_saved_plan_is_stale_after_a_time_or_flag_edit(
    project, run, emulator
) -> None:
    project.write("pages/acme.yaml", manifest(None) + "    pinned: true\n")
    assert run("plan", "--out", "p.plan", ".").exit_code == 0
    project.write("pages/acme.yaml", manifest(None) + "    pinned: false\n")
    result = run("apply", "p.plan")
    assert result.exit_code == 1
    assert "the manifests changed" in result.output


def test_a_flag_only_change_sends_only_the_flag(project, run, emulator) -> None:
    project.write("pages/acme.yaml", manifest(None))
    assert run("apply", "--auto-approve", ".").exit_code == 0

    def edits() -> int:
        return sum(
            r["count"]
            for r in emulator.stats()["routes"]
            if r["method"] == "POST" and r["route"] == "/{page-id}_{post-id}"
        )

    before = edits()
    project.write("pages/acme.yaml", manifest(None) + "    hidden: true\n")
    assert run("apply", "--auto-approve", ".").exit_code == 0
    assert edits() - before == 1
    assert ACME in project.lock()["pages"]


def test_a_post_published_early_by_hand_is_never_withdrawn(
    project, run, emulator, at, graph
) -> None:
    at("2026-12-10T00:00:00Z")
    project.write("pages/acme.yaml", manifest("2026-12-20T00:00:00Z"))
    assert run("apply", "--auto-approve", ".").exit_code == 0
    post_id = project.post_ids()["menu"]
    graph.post(f"/{post_id}", data={"is_published": "true"}).raise_for_status()
    project.write("pages/acme.yaml", manifest("2027-03-01T00:00:00Z"))
    planned = run("plan", ".")
    assert "delete" not in planned.output, planned.output
    assert run("apply", "--auto-approve", ".").exit_code == 0
    assert post_id in published_ids(emulator)


def test_a_time_moved_later_by_hand_is_seen_after_the_recorded_time(
    project, run, emulator, at, graph
) -> None:
    at("2026-12-10T00:00:00Z")
    project.write("pages/acme.yaml", manifest("2026-12-20T00:00:00Z"))
    assert run("apply", "--auto-approve", ".").exit_code == 0
    post_id = project.post_ids()["menu"]
    later = {"scheduled_publish_time": "1798156800"}  # 2026-12-25T00:00:00Z
    graph.post(f"/{post_id}", data=later).raise_for_status()
    at("2026-12-21T00:00:00Z")
    planned = run("plan", ".")
    assert "publish_at: published now" in planned.output, planned.output
    assert run("apply", "--auto-approve", ".").exit_code == 0
    assert read_post(emulator, post_id)["is_published"] is True


def test_a_transient_failure_in_the_details_batch_is_retried(
    project, run, emulator
) -> None:
    project.write(
        "pages/acme.yaml",
        'page: "104510075301234"\nsettings:\n  USERS_CAN_MESSAGE: false\nposts: {}\n',
    )
    rule = {"method": "GET", "path": "/settings$", "action": "error", "times": 1}
    set_faults(emulator, rule | {"status": 500, "code": 2})
    result = run("plan", ".")
    assert result.exit_code == 0, result.output
    assert "settings.USERS_CAN_MESSAGE: true -> false" in result.output


@pytest.mark.parametrize("instant", ["1960-01-01T00:00:00Z", "9999-12-31T23:59:59Z"])
def test_a_now_out_of_range_is_a_clean_error(
    project, run, emulator, monkeypatch: pytest.MonkeyPatch, instant: str
) -> None:
    project.write("statesync.yaml", "provider: graph\nsandbox: true\n")
    project.write("pages/acme.yaml", manifest(None))
    monkeypatch.setenv("STATESYNC_NOW", instant)
    result = run("plan", ".")
    assert result.exit_code == 1
    assert "STATESYNC_NOW must be an RFC 3339 instant" in result.output
