"""Posts in time (issue 12), over real HTTP with the clocks moved, not waited for:
statesync's (``STATESYNC_NOW``) and the emulator's (``/_emulator/clock``) together."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.e2e.conftest import ACME, configure_oneall, write_requests

DAY = 24 * 3600


def read_post(emulator, post_id: str) -> dict:
    response = httpx.get(
        f"{emulator.url}/v26.0/{post_id}",
        params={"fields": "message,is_published,scheduled_publish_time"},
        headers={"Authorization": "Bearer test-page-token-acme"},
    )
    response.raise_for_status()
    return response.json()


def published_ids(emulator) -> list[str]:
    response = httpx.get(
        f"{emulator.url}/v26.0/{ACME}/published_posts",
        headers={"Authorization": "Bearer test-page-token-acme"},
    )
    response.raise_for_status()
    return [post["id"] for post in response.json()["data"]]


def manifest(publish_at: str | None, *, expire_at: str | None = None) -> str:
    lines = [
        'page: "104510075301234"',
        "posts:",
        "  menu:",
        "    message: Spring menu.",
    ]
    if publish_at:
        lines.append(f"    publish_at: {publish_at}")
    if expire_at:
        lines.append(f"    expire_at: {expire_at}")
    return "\n".join(lines) + "\n"


def test_a_post_inside_the_window_is_scheduled_and_goes_live_by_itself(
    project, run, emulator, at
) -> None:
    at("2026-11-29T12:00:00Z")
    project.write("pages/acme.yaml", manifest("2026-12-01T08:00:00Z"))
    planned = run("plan", ".")
    assert "# scheduled for 2026-12-01 08:00 UTC" in planned.output
    assert "acme/menu: scheduled for 2026-12-01 08:00 UTC" in planned.output
    assert run("apply", "--auto-approve", ".").exit_code == 0
    post_id = project.post_ids()["menu"]
    assert read_post(emulator, post_id)["is_published"] is False
    assert post_id not in published_ids(emulator)
    assert run("plan", "--detailed-exitcode", ".").exit_code == 0

    emulator.set_clock("2026-12-01T08:00:30Z")  # no apply in between
    assert post_id in published_ids(emulator)
    at("2026-12-02T00:00:00Z")
    again = run("plan", "--detailed-exitcode", ".")
    assert again.exit_code == 0, again.output  # Facebook did it: nothing to do


def test_a_post_beyond_the_window_waits_then_a_later_apply_schedules_it(
    project, run, emulator, at
) -> None:
    at("2026-11-29T12:00:00Z")
    project.write("pages/acme.yaml", manifest("2027-03-01T09:00:00Z"))
    planned = run("plan", "--detailed-exitcode", ".")
    assert planned.exit_code == 0, planned.output  # only waiting: nothing due
    assert "acme/menu: waiting until 2027-03-01 09:00 UTC" in planned.output
    assert "an apply from 2027-01-30T09:05:00Z schedules it" in planned.output
    data = json.loads(run("plan", "--format", "json", ".").stdout)
    assert data["next_due_at"] == 1801299900  # 2027-01-30T09:05:00Z
    assert data["timeline"][0]["state"] == "waiting"
    assert run("apply", "--auto-approve", ".").exit_code == 0
    assert write_requests(emulator) == 0

    at("2027-01-31T00:00:00Z")
    assert run("plan", "--detailed-exitcode", ".").exit_code == 2
    assert run("apply", "--auto-approve", ".").exit_code == 0
    post = read_post(emulator, project.post_ids()["menu"])
    assert post["is_published"] is False
    assert post["scheduled_publish_time"] == 1803891600  # 2027-03-01T09:00:00Z


def test_a_new_time_before_publication_updates_in_place_and_removal_publishes(
    project, run, emulator, at
) -> None:
    at("2026-11-29T12:00:00Z")
    project.write("pages/acme.yaml", manifest("2026-12-01T08:00:00Z"))
    assert run("apply", "--auto-approve", ".").exit_code == 0
    post_id = project.post_ids()["menu"]

    project.write("pages/acme.yaml", manifest("2026-12-03T08:00:00Z"))
    planned = run("plan", ".")
    assert "~ acme/menu: update" in planned.output
    assert "publish_at: scheduled for 2026-12-03 08:00 UTC" in planned.output
    assert run("apply", "--auto-approve", ".").exit_code == 0
    assert project.post_ids()["menu"] == post_id  # the same post
    assert read_post(emulator, post_id)["scheduled_publish_time"] == 1796284800

    project.write("pages/acme.yaml", manifest(None))
    planned = run("plan", ".")
    assert "publish_at: published now" in planned.output
    assert run("apply", "--auto-approve", ".").exit_code == 0
    assert read_post(emulator, post_id)["is_published"] is True
    assert run("plan", ".").output.rstrip().endswith("No changes.")


def test_expiry_deletes_once_and_never_pushes_again(project, run, emulator, at) -> None:
    at("2026-11-29T12:00:00Z")
    project.write("pages/acme.yaml", manifest(None, expire_at="2026-12-05T00:00:00Z"))
    assert run("apply", "--auto-approve", ".").exit_code == 0
    post_id = project.post_ids()["menu"]
    assert "acme/menu: expires 2026-12-05 00:00 UTC" in run("plan", ".").output

    at("2026-12-05T00:00:01Z")
    planned = run("plan", "--detailed-exitcode", ".")
    assert planned.exit_code == 2
    assert "- acme/menu: delete" in planned.output
    assert "# expired at 2026-12-05T00:00:00Z" in planned.output
    assert run("apply", "--auto-approve", ".").exit_code == 0
    assert post_id not in published_ids(emulator)
    assert project.lock()["pages"][ACME]["expired"] == {"menu": 1796428800}

    writes = write_requests(emulator)
    at("2026-12-20T00:00:00Z")
    later = run("plan", "--detailed-exitcode", ".")
    assert later.exit_code == 0, later.output
    assert "acme/menu: expired 2026-12-05 00:00 UTC" in later.output
    assert run("apply", "--auto-approve", ".").exit_code == 0
    assert write_requests(emulator) == writes  # never pushed again

    project.write("pages/acme.yaml", manifest(None).replace("  menu:\n", "  other:\n"))
    assert run("apply", "--auto-approve", ".").exit_code == 0
    assert "expired" not in project.lock()["pages"][ACME]  # forgotten quietly


def test_oneall_pushes_at_the_first_apply_after_its_time(
    project, run, emulator, at
) -> None:
    configure_oneall(project)
    at("2026-11-29T12:00:00Z")
    project.write("pages/acme.yaml", manifest("2026-12-01T08:00:00Z"))
    planned = run("plan", ".")
    assert "acme/menu: waiting until 2026-12-01 08:00 UTC" in planned.output
    assert "an apply from 2026-12-01T08:00:00Z publishes it" in planned.output
    assert run("apply", "--auto-approve", ".").exit_code == 0
    assert not (project.root / "statesync.lock").exists()  # nothing was pushed
    at("2026-12-01T08:01:00Z")
    assert run("apply", "--auto-approve", ".").exit_code == 0
    assert project.post_ids()["menu"] in published_ids(emulator)


def test_invalid_times_are_refused_offline_with_their_lines(
    project, run, emulator
) -> None:
    project.write("statesync.yaml", "provider: graph\ntimezone: Mars/Olympus\n")
    project.write("pages/acme.yaml", manifest("2026-12-01 08:00"))
    result = run("validate", ".")
    assert result.exit_code == 1
    assert "statesync.yaml:2: timezone: 'Mars/Olympus' is not an IANA time zone" in (
        result.output
    )
    project.write("statesync.yaml", "provider: graph\ntimezone: Europe/Paris\n")
    project.write(
        "pages/acme.yaml",
        manifest("2026-12-05T00:00:00Z", expire_at="2026-12-01T00:00:00Z")
        + "  other:\n    message: x\n    publish_at: next monday\n",
    )
    result = run("validate", ".")
    assert result.exit_code == 1
    assert (
        "pages/acme.yaml:6: post 'menu' expires before it is published" in result.output
    )
    assert "pages/acme.yaml:9: publish_at: 'next monday' is not a date and time" in (
        result.output
    )
    assert emulator.stats()["total"] == 0


def test_a_malformed_now_is_refused_before_any_request(
    project, run, emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STATESYNC_NOW", "tomorrow")
    project.write("pages/acme.yaml", manifest(None))
    result = run("plan", ".")
    assert result.exit_code == 1
    assert "STATESYNC_NOW must be an RFC 3339 instant" in result.output
    assert emulator.stats()["total"] == 0


FLAGGED = """
    page: "104510075301234"
    posts:
      hours:
        message: New opening hours.
        pinned: true
      old-news:
        message: Last year's news.
        hidden: true
"""


def read_flags(emulator, post_id: str) -> dict:
    response = httpx.get(
        f"{emulator.url}/v26.0/{post_id}",
        params={"fields": "is_pinned,is_hidden"},
        headers={"Authorization": "Bearer test-page-token-acme"},
    )
    response.raise_for_status()
    return response.json()


def test_pinning_and_hiding_round_trip_and_drift_is_detected(
    project, run, emulator, graph
) -> None:
    project.write("pages/acme.yaml", FLAGGED)
    assert run("apply", "--auto-approve", ".").exit_code == 0
    ids = project.post_ids()
    assert read_flags(emulator, ids["hours"])["is_pinned"] is True
    assert read_flags(emulator, ids["old-news"])["is_hidden"] is True
    assert run("plan", ".").output.rstrip().endswith("No changes.")

    graph.post(f"/{ids['hours']}", data={"is_pinned": "false"}).raise_for_status()
    planned = run("plan", ".")
    assert "~ acme/hours: update" in planned.output
    assert "drift: changed outside statesync" in planned.output
    assert "pinned: false -> true" in planned.output
    assert run("apply", "--auto-approve", ".").exit_code == 0
    assert read_flags(emulator, ids["hours"])["is_pinned"] is True

    project.write("pages/acme.yaml", FLAGGED.replace("hidden: true", "hidden: false"))
    assert "hidden: true -> false" in run("plan", ".").output
    assert run("apply", "--auto-approve", ".").exit_code == 0
    assert read_flags(emulator, ids["old-news"])["is_hidden"] is False
    assert project.post_ids() == ids  # in place: the same posts
    assert run("plan", ".").output.rstrip().endswith("No changes.")


def test_a_flag_the_manifest_does_not_name_is_left_alone(
    project, run, emulator, graph
) -> None:
    project.write("pages/acme.yaml", manifest(None))
    assert run("apply", "--auto-approve", ".").exit_code == 0
    post_id = project.post_ids()["menu"]
    graph.post(f"/{post_id}", data={"is_pinned": "true"}).raise_for_status()
    assert run("plan", ".").output.rstrip().endswith("No changes.")


def test_two_pinned_posts_on_one_page_are_refused(project, run, emulator) -> None:
    project.write("pages/acme.yaml", FLAGGED.replace("hidden: true", "pinned: true"))
    result = run("validate", ".")
    assert result.exit_code == 1
    assert (
        "pages/acme.yaml:6: post 'old-news' is pinned, and so is the post at line 3"
        in result.output
    )


@pytest.mark.parametrize("graph_token", [True, False])
def test_oneall_flags_go_through_the_graph_token_or_are_refused(
    project, run, emulator, monkeypatch: pytest.MonkeyPatch, graph_token: bool
) -> None:
    configure_oneall(project, "pull")
    if not graph_token:
        monkeypatch.delenv("FACEBOOK_ACCESS_TOKEN")
    project.write("pages/acme.yaml", FLAGGED)
    result = run("apply", "--auto-approve", ".")
    if not graph_token:
        assert result.exit_code == 1
        assert "pages/acme.yaml:3: post 'hours' sets pinned or hidden" in result.output
        assert write_requests(emulator) == 0
        assert run("validate", "--online", ".").exit_code == 1
        return
    assert result.exit_code == 0, result.output
    ids = project.post_ids()
    assert read_flags(emulator, ids["hours"])["is_pinned"] is True
    # the Pull API cannot read flags: planned from the lockfile, no change
    assert run("plan", ".").output.rstrip().endswith("No changes.")


def test_a_scheduled_time_moved_by_hand_is_drift_and_restored(
    project, run, emulator, at, graph
) -> None:
    at("2026-11-29T12:00:00Z")
    project.write("pages/acme.yaml", manifest("2026-12-01T08:00:00Z"))
    assert run("apply", "--auto-approve", ".").exit_code == 0
    post_id = project.post_ids()["menu"]
    moved = {"scheduled_publish_time": "1796371200"}  # 2026-12-04T08:00:00Z
    graph.post(f"/{post_id}", data=moved).raise_for_status()
    planned = run("plan", ".")
    assert "~ acme/menu: update" in planned.output
    assert "drift: changed outside statesync" in planned.output
    assert run("apply", "--auto-approve", ".").exit_code == 0
    assert read_post(emulator, post_id)["scheduled_publish_time"] == 1796112000
    assert run("plan", ".").output.rstrip().endswith("No changes.")
