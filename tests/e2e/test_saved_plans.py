"""Saved plans: the reviewed plan runs exactly, or refuses when anything moved."""

from __future__ import annotations

import json
from importlib.resources import files

import jsonschema
import pytest

from tests.e2e.conftest import USER_TOKEN, write_requests

MANIFEST = """
    page: "104510075301234"
    posts:
      hours:
        message: Open from Monday.
      promo:
        message: Spring promo.
        link: https://acme.example/spring
"""


@pytest.fixture
def applied(project, run, emulator):
    project.write("pages/acme.yaml", MANIFEST)
    assert run("apply", "--auto-approve", ".").exit_code == 0
    project.write(
        "pages/acme.yaml",
        MANIFEST.replace("from Monday", "from Tuesday").replace(
            "acme.example/spring", "acme.example/summer"
        ),
    )
    result = run("plan", ".", "--out", "plan.json")
    assert result.exit_code == 0, result.output
    return project


def test_a_saved_plan_applies_exactly_without_asking(applied, run) -> None:
    saved = (applied.root / "plan.json").read_text()
    assert USER_TOKEN not in saved
    before = applied.post_ids()
    result = run("apply", "plan.json")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == (
        "Apply complete: 0 pushed, 1 updated, 1 replaced, 0 deleted."
    )
    after = applied.post_ids()
    assert after["hours"] == before["hours"]
    assert after["promo"] != before["promo"]
    assert run("plan", ".").stdout == "No changes.\n"


def test_a_saved_plan_runs_only_its_own_actions(applied, run) -> None:
    """A manifest edit after the plan was made is not smuggled in: it is refused."""
    applied.write("pages/acme.yaml", MANIFEST.replace("Spring promo.", "Other."))
    result = run("apply", "plan.json")
    assert result.exit_code == 1
    assert "the manifests changed since the plan was made" in result.stderr


def test_stale_after_another_apply(applied, run, emulator) -> None:
    assert run("apply", "--auto-approve", ".").exit_code == 0
    result = run("apply", "plan.json")
    assert result.exit_code == 1
    assert "the lockfile's serial is 2, the plan was made at serial 1" in result.stderr
    assert "Nothing was sent" in result.stderr


def test_stale_for_another_lockfile(applied, run) -> None:
    lock = json.loads((applied.root / "statesync.lock").read_text())
    lock["lineage"] = "00000000-0000-4000-8000-000000000000"
    (applied.root / "statesync.lock").write_text(json.dumps(lock))
    result = run("apply", "plan.json")
    assert result.exit_code == 1
    assert "it was made for a different lockfile (lineage)" in result.stderr


def test_stale_when_a_touched_post_changed_live(applied, run, graph, emulator) -> None:
    post_id = applied.post_ids()["hours"]
    graph.post(f"/{post_id}", data={"message": "Edited by hand"}).raise_for_status()
    writes_before = write_requests(emulator)
    result = run("apply", "plan.json")
    assert result.exit_code == 1
    assert (
        f"post {post_id} changed on the page since the plan was made" in result.stderr
    )
    assert write_requests(emulator) == writes_before


def test_a_plan_file_must_be_a_plan(project, run, emulator) -> None:
    project.write("pages/acme.yaml", MANIFEST)
    project.write("notes.json", '{"hello": 1}\n')
    result = run("apply", "notes.json")
    assert result.exit_code == 1
    assert "notes.json: not a statesync plan file" in result.stderr


def test_json_plan_validates_against_the_shipped_schema(applied, run) -> None:
    result = run("plan", ".", "--format", "json")
    schema = json.loads(
        files("statesync.schemas").joinpath("plan-v1.schema.json").read_text()
    )
    data = json.loads(result.stdout)
    jsonschema.validate(data, schema)
    assert [(a["kind"], a["address"]) for a in data["actions"]] == [
        ("update", "acme/hours"),
        ("replace", "acme/promo"),
    ]


def test_markdown_plan_for_a_pull_request(applied, run) -> None:
    result = run("plan", ".", "--format", "markdown")
    assert result.exit_code == 0
    assert result.stdout.startswith(
        "## Plan: 0 to push, 1 to update, 1 to replace, 0 to delete."
    )


def test_validate_prints_github_annotations(project, run, emulator) -> None:
    project.write("pages/acme.yaml", 'page: "1045"\nposts:\n  a:\n    mesage: hi\n')
    result = run("validate", ".", "--format", "github")
    assert result.exit_code == 1
    assert result.stdout.splitlines()[0].startswith(
        "::error file=pages/acme.yaml,line=4::unknown field 'mesage'"
    )
