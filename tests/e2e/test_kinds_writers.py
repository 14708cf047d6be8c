"""Capability tables over real HTTP: the Graph writer given a table it does not have
(no delete; no ``link``) plans ``forget`` and ``impossible`` through the whole CLI, as
the next writers will (issue 15). Nothing in the planner knows which writer it is."""

from __future__ import annotations

import json

import pytest

from statesync.kinds import Capabilities, Kind
from statesync.model import POST_FIELDS
from statesync.providers.graph import GraphProvider
from tests.e2e.conftest import ACME, write_requests

MANIFEST = """
    page: "104510075301234"
    posts:
      hours:
        message: Open from Monday.
      promo:
        message: Spring promo.
"""
ALL = frozenset(POST_FIELDS)


@pytest.fixture
def applied(project, run, emulator):
    project.write("pages/acme.yaml", MANIFEST)
    assert run("apply", "--auto-approve", ".").exit_code == 0
    return project


def _writer_can(monkeypatch: pytest.MonkeyPatch, can: Capabilities) -> None:
    monkeypatch.setattr(GraphProvider, "capabilities", {Kind.POST: can})


def test_a_writer_that_cannot_delete_forgets_and_the_post_stays(
    applied, run, graph, emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    _writer_can(monkeypatch, Capabilities(ALL, ALL, delete=False))
    promo = applied.post_ids()["promo"]
    applied.write("pages/acme.yaml", MANIFEST.split("      promo:")[0])
    result = run("plan", ".")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == (
        "Plan: 0 to push, 0 to update, 0 to replace, 0 to delete. 1 to forget."
    )
    assert f"  = acme/promo: forget (post {promo})" in result.stdout.splitlines()
    writes = write_requests(emulator)
    result = run("apply", "--auto-approve", ".")
    assert result.exit_code == 0, result.output
    assert (
        "acme/promo: forgotten; it stays on page 104510075301234"
        in result.stdout.splitlines()
    )
    assert result.stdout.splitlines()[-1] == (
        "Apply complete: 0 pushed, 0 updated, 0 replaced, 0 deleted, 1 forgotten."
    )
    assert write_requests(emulator) == writes  # nothing sent
    assert list(applied.post_ids()) == ["hours"]
    assert graph.get(f"/{promo}").json()["message"] == "Spring promo."  # still live
    assert run("plan", ".").stdout == "No changes.\n"


def test_an_impossible_change_fails_the_plan_and_apply_sends_nothing(
    applied, run, emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    _writer_can(
        monkeypatch,
        Capabilities(frozenset({"message", "attachments"}), frozenset({"message"})),
    )
    applied.write(
        "pages/acme.yaml",
        MANIFEST.replace("from Monday", "from Tuesday")
        + "        link: https://acme.example/spring\n",
    )
    promo = applied.post_ids()["promo"]
    result = run("plan", ".", "--out", "plan.json")
    assert result.exit_code == 1
    shown = result.stdout.splitlines()  # the whole plan first, then the refusal
    assert f"  ! acme/promo: impossible (post {promo})" in shown
    assert shown[-1] == (
        "Plan: 0 to push, 1 to update, 0 to replace, 0 to delete. 1 impossible."
    )
    assert result.stderr.splitlines() == [
        "pages/acme.yaml:5: acme/promo: impossible: this writer cannot set link on a "
        "post. Change the manifest back, or use a provider that can (statesync.yaml: "
        "provider).",
        "Error: the plan breaks 1 safety rail; nothing was sent.",
    ]
    assert not (applied.root / "plan.json").exists()  # never saved for an apply
    writes = write_requests(emulator)
    result = run("apply", "--auto-approve", ".")
    assert result.exit_code == 1
    assert "acme/promo: impossible: this writer cannot set link" in result.stderr
    assert write_requests(emulator) == writes  # not even the possible update of hours


def test_a_saved_plan_holding_an_impossible_action_is_refused_whole(
    applied, run, emulator
) -> None:
    """A plan file edited by hand (guards bind the state, not the actions): apply
    still refuses an impossible action before the first write."""
    applied.write("pages/acme.yaml", MANIFEST.replace("from Monday", "from Tuesday"))
    assert run("plan", ".", "--out", "plan.json").exit_code == 0
    saved = json.loads((applied.root / "plan.json").read_text())
    action = saved["plan"]["actions"][0]
    action.update(kind="impossible", note="edited by hand", forced_by="message")
    saved["plan"]["summary"].update(update=0, impossible=1)
    (applied.root / "plan.json").write_text(json.dumps(saved))
    writes = write_requests(emulator)
    result = run("apply", "plan.json")
    assert result.exit_code == 1
    assert "acme/hours: impossible: edited by hand." in result.stderr
    assert write_requests(emulator) == writes
    assert applied.lock()["pages"][ACME]["posts"].keys() == {"hours", "promo"}
