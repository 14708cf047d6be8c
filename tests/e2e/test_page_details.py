"""A page's own details and settings as desired state (issue 14), over real HTTP:
pushed, read back, drift restored, a removed field forgotten, invalid fields refused
offline, and a token without MANAGE refused at plan time with nothing sent, on both
providers."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.e2e.conftest import ACME, configure_oneall, write_requests

MANIFEST = """
    page: "104510075301234"
    details:
      about: Small-batch coffee, roasted on site.
      website: https://acme.example
      emails: [hello@acme.example, Orders@acme.example]
      phone: "+1 555 0100"
      hours: {mon_1_open: "8:00", mon_1_close: 18:00}
    settings:
      USERS_CAN_MESSAGE: false
    posts:
      hours:
        message: New opening hours from Monday.
"""


def live_details(emulator, *fields: str) -> dict:
    response = httpx.get(
        f"{emulator.url}/v26.0/{ACME}",
        params={"fields": ",".join(fields)},
        headers={"Authorization": "Bearer test-page-token-acme"},
    )
    response.raise_for_status()
    return response.json()


def live_settings(emulator) -> dict:
    response = httpx.get(
        f"{emulator.url}/v26.0/{ACME}/settings",
        headers={"Authorization": "Bearer test-page-token-acme"},
    )
    response.raise_for_status()
    return {item["setting"]: item["value"] for item in response.json()["data"]}


def page_writes(emulator) -> int:
    """POSTs to the page node or its settings edge."""
    return sum(
        route["count"]
        for route in emulator.stats()["routes"]
        if route["method"] == "POST"
        and (
            "settings" in route["route"] or route["route"] in ("/{page-id}", f"/{ACME}")
        )
    )


def test_details_and_settings_are_pushed_and_settle(project, run, emulator) -> None:
    project.write("pages/acme.yaml", MANIFEST)
    planned = run("plan", ".")
    assert planned.exit_code == 0, planned.output
    assert "~ acme: page details" in planned.output
    assert 'details.about: "Small-batch coffee." -> "Small-batch coffee, roasted' in (
        planned.output
    )
    assert "settings.USERS_CAN_MESSAGE: true -> false" in planned.output
    assert "Page details: 1 to update." in planned.output
    # the details come before the page's posts
    assert planned.output.index("page details") < planned.output.index("acme/hours")

    applied = run("apply", "--auto-approve", ".")
    assert applied.exit_code == 0, applied.output
    assert "page details: 1 updated" in applied.output
    live = live_details(emulator, "about", "website", "emails", "phone", "hours")
    assert live["about"] == "Small-batch coffee, roasted on site."
    assert sorted(live["emails"]) == ["Orders@acme.example", "hello@acme.example"]
    assert live["hours"] == {"mon_1_open": "08:00", "mon_1_close": "18:00"}
    assert live_settings(emulator)["USERS_CAN_MESSAGE"] is False
    recorded = project.lock()["pages"][ACME]["details"]
    assert set(recorded) == {
        "details.about",
        "details.emails",
        "details.hours",
        "details.phone",
        "details.website",
        "settings.USERS_CAN_MESSAGE",
    }

    before = emulator.stats()["total"]
    again = run("plan", "--detailed-exitcode", ".")
    assert again.exit_code == 0, again.output
    assert again.output.rstrip().endswith("No changes.")
    # /me/accounts, one batch for the posts, one batch for details and settings
    assert emulator.stats()["total"] - before == 3


def test_drift_on_a_detail_is_named_and_restored(project, run, emulator, graph) -> None:
    project.write("pages/acme.yaml", MANIFEST)
    assert run("apply", "--auto-approve", ".").exit_code == 0
    graph.post(f"/{ACME}", data={"about": "Edited by hand."}).raise_for_status()

    planned = run("plan", ".")
    assert "~ acme: page details (drift: changed outside statesync)" in planned.output
    assert 'details.about: "Edited by hand." -> "Small-batch coffee' in planned.output
    assert "details.website" not in planned.output  # only what differs is sent
    before = page_writes(emulator)
    assert run("apply", "--auto-approve", ".").exit_code == 0
    assert page_writes(emulator) == before + 1  # one POST /{page-id}, no settings
    assert live_details(emulator, "about")["about"].startswith("Small-batch coffee,")
    assert run("plan", ".").output.rstrip().endswith("No changes.")


def test_a_field_removed_from_the_manifest_is_forgotten_not_cleared(
    project, run, emulator
) -> None:
    project.write("pages/acme.yaml", MANIFEST)
    assert run("apply", "--auto-approve", ".").exit_code == 0
    unmanaged = "".join(
        line for line in MANIFEST.splitlines(keepends=True) if "phone:" not in line
    )
    project.write("pages/acme.yaml", unmanaged)

    planned = run("plan", ".")
    assert "= acme: page details" in planned.output
    assert 'details.phone: "+1 555 0100" (no longer managed; left as it is)' in (
        planned.output
    )
    assert "Page details: 1 to forget." in planned.output
    before = write_requests(emulator)
    assert run("apply", "--auto-approve", ".").exit_code == 0
    assert write_requests(emulator) == before  # nothing sent
    assert live_details(emulator, "phone")["phone"] == "+1 555 0100"
    assert "details.phone" not in project.lock()["pages"][ACME]["details"]
    assert run("plan", ".").output.rstrip().endswith("No changes.")


def test_every_invalid_field_is_refused_offline_with_its_line(
    project, run, emulator
) -> None:
    project.write(
        "pages/acme.yaml",
        """
        page: "104510075301234"
        details:
          abuot: Typo.
          website: acme.example
          emails: [not-an-address]
          hours: {mon_1_open: "8:00", mnday_1_close: "18:00"}
          phone: 5550100
          attire: formal
          location: {city: Paris, latitude: 120}
        settings:
          users_can_message: false
          PROFANITY_FILTER: loud
        posts: {}
        """,
    )
    result = run("validate", ".")
    assert result.exit_code == 1
    lines = result.output
    assert (
        "pages/acme.yaml:3: unknown details field 'abuot': did you mean 'about'?"
        in (lines)
    )
    assert "pages/acme.yaml:4: details.website must be an absolute http" in lines
    assert "pages/acme.yaml:5: details.emails[0] is not an email address" in lines
    assert "pages/acme.yaml:6: details.hours: 'mnday_1_close' is not a day slot" in (
        lines
    )
    assert "pages/acme.yaml:7: details.phone must be a quoted string" in lines
    assert "pages/acme.yaml:8: details.attire must be one of Casual, Dressy" in lines
    assert "pages/acme.yaml:9: details.location.latitude must be between -90" in lines
    assert (
        "pages/acme.yaml:11: unknown settings field 'users_can_message': did you "
        "mean 'USERS_CAN_MESSAGE'?" in lines
    )
    assert "pages/acme.yaml:12: settings.PROFANITY_FILTER must be one of OFF" in lines
    assert run("plan", ".").exit_code == 1  # plan refuses them too
    assert emulator.stats()["total"] == 0  # nothing was sent


def test_a_token_without_manage_is_refused_at_plan_time(
    project, run, emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FACEBOOK_ACCESS_TOKEN", "test-editor-token")
    project.write("pages/acme.yaml", MANIFEST)
    result = run("plan", ".")
    assert result.exit_code == 1
    assert "pages/acme.yaml: page 104510075301234 (acme)" in result.output
    assert "MANAGE" in result.output
    assert "details.about (pages/acme.yaml:3)" in result.output
    assert "settings.USERS_CAN_MESSAGE (pages/acme.yaml:9)" in result.output
    assert "test-editor-token" not in result.output
    assert write_requests(emulator) == 0
    online = run("validate", "--online", ".")
    assert online.exit_code == 1
    assert "MANAGE" in online.output
    assert write_requests(emulator) == 0


def test_the_api_refusing_a_value_names_the_manifest_line(
    project, run, emulator
) -> None:
    project.write("pages/acme.yaml", MANIFEST)
    rule = {
        "method": "POST",
        "path": f"/{ACME}$",
        "action": "error",
        "status": 400,
        "code": 100,
    }
    httpx.post(
        f"{emulator.url}/_emulator/faults", json={"rules": [rule]}
    ).raise_for_status()
    result = run("apply", "--auto-approve", ".")
    assert result.exit_code == 1
    assert "acme: page details: update failed" in result.output
    assert "pages/acme.yaml:3 (details.about)" in result.output
    assert "Traceback" not in result.output
    # only the field already as wanted live is recorded (quietly, nothing sent);
    # the refused ones are not, and the page's posts did not start
    page = project.lock()["pages"][ACME]
    assert set(page["details"]) == {"details.website"}
    assert page["posts"] == {}


def test_a_saved_plan_is_stale_once_a_detail_changed_live(
    project, run, emulator, graph
) -> None:
    project.write("pages/acme.yaml", MANIFEST)
    assert run("plan", "--out", "plan.json", ".").exit_code == 0
    saved = json.loads((project.root / "plan.json").read_text())
    (action,) = [a for a in saved["plan"]["actions"] if a["resource"] == "page"]
    assert action["page"]["after"]["settings.USERS_CAN_MESSAGE"] is False
    graph.post(f"/{ACME}", data={"about": "Edited by hand."}).raise_for_status()
    before = write_requests(emulator)
    result = run("apply", "plan.json")
    assert result.exit_code == 1
    assert "page 104510075301234's details changed" in result.output
    assert write_requests(emulator) == before


def test_oneall_writes_details_through_the_graph_token(project, run, emulator) -> None:
    configure_oneall(project, "pull")
    project.write("pages/acme.yaml", MANIFEST)
    result = run("apply", "--auto-approve", ".")
    assert result.exit_code == 0, result.output
    assert live_settings(emulator)["USERS_CAN_MESSAGE"] is False
    assert live_details(emulator, "about")["about"].startswith("Small-batch coffee,")
    assert run("plan", ".").output.rstrip().endswith("No changes.")


def test_oneall_without_a_graph_token_is_refused_naming_the_lines(
    project, run, emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure_oneall(project, "pull")
    monkeypatch.delenv("FACEBOOK_ACCESS_TOKEN")
    project.write("pages/acme.yaml", MANIFEST)
    for command in (("plan", "."), ("validate", "--online", ".")):
        result = run(*command)
        assert result.exit_code == 1, result.output
        assert "pages/acme.yaml:3: details and settings are written through the " in (
            result.output
        )
        assert "FACEBOOK_ACCESS_TOKEN" in result.output
    assert write_requests(emulator) == 0


def test_oneall_with_a_graph_token_lacking_manage_is_refused(
    project, run, emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure_oneall(project, "pull")
    monkeypatch.setenv("FACEBOOK_ACCESS_TOKEN", "test-editor-token")
    project.write("pages/acme.yaml", MANIFEST)
    result = run("plan", ".")
    assert result.exit_code == 1
    assert "MANAGE" in result.output
    assert write_requests(emulator) == 0


def test_dropping_every_detail_forgets_them_without_a_graph_token(
    project, run, emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure_oneall(project, "pull")
    project.write("pages/acme.yaml", MANIFEST)
    assert run("apply", "--auto-approve", ".").exit_code == 0
    monkeypatch.delenv("FACEBOOK_ACCESS_TOKEN")
    no_details = (
        MANIFEST[: MANIFEST.index("    details:")]
        + MANIFEST[MANIFEST.index("    posts:") :]
    )
    project.write("pages/acme.yaml", no_details)
    planned = run("plan", ".")
    assert planned.exit_code == 0, planned.output
    assert "= acme: page details" in planned.output
    assert run("apply", "--auto-approve", ".").exit_code == 0
    assert "details" not in project.lock()["pages"][ACME]


def test_a_partial_apply_records_what_landed_and_is_no_drift(
    project, run, emulator
) -> None:
    project.write("pages/acme.yaml", MANIFEST)
    rule = {"method": "POST", "path": "/settings$", "action": "error", "status": 400}
    httpx.post(
        f"{emulator.url}/_emulator/faults", json={"rules": [rule | {"code": 100}]}
    ).raise_for_status()
    assert run("apply", "--auto-approve", ".").exit_code == 1
    recorded = project.lock()["pages"][ACME]["details"]
    assert "details.about" in recorded
    assert "settings.USERS_CAN_MESSAGE" not in recorded
    httpx.post(f"{emulator.url}/_emulator/faults", json={"rules": []})
    planned = run("plan", ".")
    assert "settings.USERS_CAN_MESSAGE: true -> false" in planned.output
    assert "drift" not in planned.output.lower()


def test_secret_shaped_keys_are_never_repeated(project, run, emulator) -> None:
    token = "EAABwzLixnjYBAOZBxyz1234567890abcdefSECRET"
    project.write(
        "pages/acme.yaml",
        f"""
        page: "104510075301234"
        details:
          {token}: x
          hours: {{{token}: "07:00"}}
        settings:
          PROFANITY_FILTER: OFF
        posts: {{}}
        """,
    )
    result = run("validate", ".")
    assert result.exit_code == 1
    assert token not in result.output
    assert "PROFANITY_FILTER" not in result.output  # unquoted OFF is the word


def test_a_saved_plan_guards_details_where_posts_are_not_read(
    project, run, emulator, graph
) -> None:
    configure_oneall(project, "none")
    project.write("pages/acme.yaml", MANIFEST)
    assert run("plan", "--out", "plan.json", ".").exit_code == 0
    graph.post(f"/{ACME}", data={"about": "Edited after review."}).raise_for_status()
    result = run("apply", "plan.json")
    assert result.exit_code == 1
    assert "page 104510075301234's details changed" in result.output


def test_an_unknown_field_in_the_lockfile_is_a_clean_error(
    project, run, emulator
) -> None:
    project.write("pages/acme.yaml", MANIFEST)
    assert run("apply", "--auto-approve", ".").exit_code == 0
    lock = (project.root / "statesync.lock").read_text()
    lock = lock.replace(
        '"details.about":', '"details.username": "0123456789abcdef",\n"details.about":'
    )
    (project.root / "statesync.lock").write_text(lock)
    result = run("plan", ".")
    assert result.exit_code == 1
    assert "'details.username' is not one this statesync manages" in result.output
    assert "Traceback" not in result.output
