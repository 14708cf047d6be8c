"""`statesync state list / show / forget / mv` over a real apply: each round trips
through the lockfile, sends nothing, and refuses what would destroy or duplicate."""

from __future__ import annotations

import json
import re

import pytest

from tests.e2e.conftest import ACME, write_requests

MANIFEST = """
    page: "104510075301234"
    posts:
      hours:
        message: Open from Monday.
      promo:
        message: Spring promo.
"""


@pytest.fixture
def applied(project, run, emulator):
    project.write("pages/acme.yaml", MANIFEST)
    assert run("apply", "--auto-approve", ".").exit_code == 0
    return project


def test_list_and_show(applied, run) -> None:
    ids = applied.post_ids()
    listed = run("state", "list")
    assert listed.exit_code == 0, listed.output
    assert listed.stdout.splitlines() == [
        f"acme/hours\t{ids['hours']}\t{ACME}",
        f"acme/promo\t{ids['promo']}\t{ACME}",
    ]
    assert run("state", "list", "*/pro*").stdout.splitlines() == [
        f"acme/promo\t{ids['promo']}\t{ACME}"
    ]
    rows = json.loads(run("state", "list", "--format", "json").stdout)
    assert [row["address"] for row in rows] == ["acme/hours", "acme/promo"]
    shown = run("state", "show", "acme/hours")
    assert shown.exit_code == 0, shown.output
    page, post = ids["hours"].split("_")
    assert f"permalink: https://www.facebook.com/{page}/posts/{post}" in shown.stdout
    assert "  message: " in shown.stdout
    assert re.search(
        r"^applied:   20\d\d-\d\d-\d\d \d\d:\d\d:\d\d UTC$", shown.stdout, re.M
    )
    missing = run("state", "show", "acme/nope")
    assert missing.exit_code == 1
    assert "acme/nope: the lockfile records no such post" in missing.output


def test_forget_needs_the_manifest_entry_gone_and_leaves_the_post_live(
    applied, run, graph, emulator
) -> None:
    promo = applied.post_ids()["promo"]
    before = write_requests(emulator)
    refused = run("state", "forget", "acme/promo")
    assert refused.exit_code == 1
    assert "its manifest still lists it (pages/acme.yaml:5)" in refused.output
    applied.write("pages/acme.yaml", MANIFEST.split("      promo:")[0])
    serial = applied.lock()["serial"]
    result = run("state", "forget", "acme/promo")
    assert result.exit_code == 0, result.output
    assert "promo" not in applied.post_ids()
    assert applied.lock()["serial"] == serial + 1
    assert graph.get(f"/{promo}").status_code == 200  # still live, unmanaged
    assert run("plan", ".").stdout.endswith("No changes.\n")
    assert write_requests(emulator) == before


def test_mv_keeps_the_post_id_and_sends_nothing(applied, run, emulator) -> None:
    hours = applied.post_ids()["hours"]
    before = write_requests(emulator)
    applied.write("pages/acme.yaml", MANIFEST.replace("hours:", "opening-hours:"))
    result = run("state", "mv", "acme/hours", "acme/opening-hours")
    assert result.exit_code == 0, result.output
    assert applied.post_ids()["opening-hours"] == hours
    assert run("plan", ".").stdout.endswith("No changes.\n")
    assert write_requests(emulator) == before


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("acme/hours", "acme/promo", "acme/promo is already recorded"),
        ("acme/hours", "other/hours", "a post stays on its page"),
        ("acme/hours", "acme/bad key", "'bad key' is not a post key"),
        ("acme/gone", "acme/x", "acme/gone: the lockfile records no such post"),
        ("hours", "acme/x", "'hours' is not an address"),
    ],
)
def test_mv_refuses(applied, run, old: str, new: str, expected: str) -> None:
    serial = applied.lock()["serial"]
    result = run("state", "mv", old, new)
    assert result.exit_code == 1
    assert expected in result.output
    assert "Traceback" not in result.output
    assert applied.lock()["serial"] == serial
