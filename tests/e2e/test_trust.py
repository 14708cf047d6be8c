"""Issue 16 over real HTTP: what a plan says is what apply can do, and every outcome
is told (scope, no-op applies, refusals after the plan, paths, JSON errors)."""

from __future__ import annotations

import json
from importlib.resources import files

import jsonschema
import pytest

from tests.e2e.conftest import write_requests
from tests.e2e.test_core_loop import set_faults

ACME_MANIFEST = """
    page: "104510075301234"
    posts:
      hours: {message: Open from Monday.}
"""
BETA_MANIFEST = """
    page: "104510075305678"
    posts:
      night: {message: Author night on Thursday.}
"""


@pytest.fixture
def two_pages(project, run, emulator):
    project.write("pages/acme.yaml", ACME_MANIFEST)
    project.write("pages/beta.yaml", BETA_MANIFEST)
    assert run("apply", "--auto-approve", ".").exit_code == 0
    return project


def test_only_that_matches_nothing_is_an_error_naming_the_manifests(
    two_pages, run, emulator
) -> None:
    before = emulator.stats()["total"]
    result = run("plan", ".", "--only", "acmee*.yaml")
    assert result.exit_code == 1
    assert "--only 'acmee*.yaml' matches no manifest; nothing was planned" in (
        result.stderr
    )
    assert "The project's manifests: acme.yaml, beta.yaml." in result.stderr
    assert emulator.stats()["total"] == before  # nothing was even read


def test_a_plan_under_only_carries_its_scope(two_pages, run) -> None:
    two_pages.write("pages/acme.yaml", ACME_MANIFEST + "      more: {message: M.}\n")
    result = run("plan", ".", "--only", "acme*", "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["scope"] == ["acme"]
    whole = run("plan", ".", "--format", "json")
    assert json.loads(whole.stdout)["scope"] is None


def test_a_failed_apply_that_changed_nothing_leaves_the_lockfile_identical(
    two_pages, run, emulator
) -> None:
    two_pages.write("pages/acme.yaml", ACME_MANIFEST + "      more: {message: M.}\n")
    before = (two_pages.root / "statesync.lock").read_bytes()
    set_faults(
        emulator,
        [
            {
                "method": "POST",
                "path": "/feed$",
                "action": "error",
                "status": 400,
                "code": 368,
            }
        ],  # a policy block: refused, nothing published
    )
    result = run("apply", "--auto-approve", ".")
    set_faults(emulator, [])
    assert result.exit_code == 1
    assert "acme/more: push failed" in result.stderr
    assert (two_pages.root / "statesync.lock").read_bytes() == before
    nothing = run("apply", "--auto-approve", ".")  # and so does a no-op apply
    assert nothing.exit_code == 0
    again = run("apply", "--auto-approve", ".")
    assert again.stdout.endswith("No changes.\n")
    after = (two_pages.root / "statesync.lock").read_bytes()
    assert json.loads(after)["serial"] == json.loads(before)["serial"] + 1


def test_plan_json_on_invalid_input_writes_a_json_error_document(
    project, run, emulator
) -> None:
    project.write(
        "pages/acme.yaml", 'page: "104510075301234"\nposts:\n  a: {mesage: x}\n'
    )
    result = run("plan", ".", "--format", "json")
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    schema = json.loads(
        files("statesync.schemas").joinpath("error-v1.schema.json").read_text()
    )
    jsonschema.validate(document, schema)
    (error,) = document["errors"]
    assert (error["file"], error["line"]) == ("pages/acme.yaml", 3)
    assert "mesage" in error["message"]
    assert "1 problem found" in result.stderr  # people still get the text


def test_a_saved_plan_finds_its_project_from_another_directory(
    two_pages, run, emulator, tmp_path, monkeypatch
) -> None:
    two_pages.write("pages/acme.yaml", ACME_MANIFEST + "      more: {message: M.}\n")
    assert run("plan", ".", "--out", "saved.plan").exit_code == 0
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    result = run("apply", str(two_pages.root / "saved.plan"))
    assert result.exit_code == 0, result.output
    assert "acme/more: pushed" in result.stdout
    assert "more" in two_pages.post_ids()


def test_validate_takes_manifest_files_and_says_their_project(
    two_pages, run, tmp_path
) -> None:
    result = run("validate", "pages/acme.yaml", "pages/beta.yaml")
    assert result.exit_code == 0, result.output
    assert result.stdout == f"Valid (project {two_pages.root}): 2 pages, 2 posts.\n"
    assert run("validate", "pages").exit_code == 0
    outside = tmp_path.parent / "not-a-project.yaml"
    outside.write_text("a: 1\n")
    refused = run("validate", str(outside))
    assert refused.exit_code == 1
    assert "not inside a statesync project" in refused.stderr
    stray = two_pages.write("notes/extra.yaml", "a: 1\n")
    refused = run("validate", str(stray))
    assert refused.exit_code == 1
    assert "not a manifest of the project" in refused.stderr


def test_verbose_shows_statesyncs_own_lines_not_the_emulators_banner(
    project, run
) -> None:
    project.write("statesync.yaml", "sandbox: true\nmanifests: pages/\n")
    project.write("pages/acme.yaml", ACME_MANIFEST)
    result = run("-v", "plan", ".")
    assert result.exit_code == 0, result.output
    assert "uvicorn" not in result.stderr
    assert "Started server process" not in result.stderr


def test_a_refusal_comes_after_the_whole_plan(two_pages, run, emulator) -> None:
    lines = [f"      p{n}: {{message: Post {n}.}}" for n in range(12)]
    two_pages.write("pages/acme.yaml", ACME_MANIFEST + "\n".join(lines) + "\n")
    assert run("apply", "--auto-approve", ".").exit_code == 0
    two_pages.write("pages/acme.yaml", ACME_MANIFEST)  # deletes 12 of 13
    before = write_requests(emulator)
    result = run("apply", "--auto-approve", ".")
    assert result.exit_code == 1
    assert result.stdout.count("- acme/p") == 12  # every delete, shown first
    assert "safety.max_destroy_share" in result.stderr
    assert write_requests(emulator) == before


# -- every page is checked at plan time ---------------------------------------------

UNKNOWN_PAGE = """
    page: "104510075399999"
    posts:
      hello: {message: Hello.}
"""


def test_a_bad_token_fails_the_plan_with_nothing_sent(
    project, run, emulator, monkeypatch
) -> None:
    project.write("pages/acme.yaml", ACME_MANIFEST)
    monkeypatch.setenv("FACEBOOK_ACCESS_TOKEN", "not-a-valid-token")
    before = write_requests(emulator)
    result = run("plan", ".")
    assert result.exit_code == 1
    assert "code 190" in result.stderr
    assert "not-a-valid-token" not in result.output
    assert write_requests(emulator) == before


def test_an_unknown_page_fails_the_plan_naming_manifest_and_page(
    project, run, emulator
) -> None:
    project.write("pages/acme.yaml", ACME_MANIFEST)
    project.write("pages/ghost.yaml", UNKNOWN_PAGE)
    before = write_requests(emulator)
    result = run("plan", ".")
    assert result.exit_code == 1
    assert (
        "pages/ghost.yaml: page 104510075399999 (ghost): not among the pages this "
        "token administers"
    ) in result.stderr
    assert "1 page cannot be acted on with these credentials; nothing was sent." in (
        result.stderr
    )
    assert result.stdout == ""
    apply = run("apply", "--auto-approve", ".")
    assert apply.exit_code == 1
    assert write_requests(emulator) == before  # not even acme's push: refused up front


def test_a_page_without_the_needed_task_fails_at_plan_time(
    project, run, emulator, monkeypatch
) -> None:
    project.write("pages/acme.yaml", ACME_MANIFEST)
    monkeypatch.setenv("FACEBOOK_ACCESS_TOKEN", "test-analyst-token")  # ANALYZE only
    before = write_requests(emulator)
    result = run("plan", ".")
    assert result.exit_code == 1
    assert "page 104510075301234 (acme): the token's user lacks the task to" in (
        result.stderr
    )
    assert "holds ANALYZE" in result.stderr
    assert write_requests(emulator) == before


def test_oneall_checks_the_identitys_pages_at_plan_time(project, run, emulator) -> None:
    project.write(
        "statesync.yaml",
        "provider: oneall\noneall: {site: 'https://acme.api.oneall.com', read: pull}\n",
    )
    project.write("pages/acme.yaml", ACME_MANIFEST)
    project.write("pages/ghost.yaml", UNKNOWN_PAGE)
    before = write_requests(emulator)
    result = run("plan", ".")
    assert result.exit_code == 1
    assert "page 104510075399999 (ghost): the OneAll identity does not administer" in (
        result.stderr
    )
    assert write_requests(emulator) == before


def test_a_delete_shows_what_it_deletes_in_every_format(two_pages, run) -> None:
    two_pages.write(
        "pages/acme.yaml", ACME_MANIFEST + "      promo: {message: Two for one.}\n"
    )
    assert run("apply", "--auto-approve", ".").exit_code == 0
    two_pages.write("pages/acme.yaml", ACME_MANIFEST)
    text = run("plan", ".").stdout
    assert "- acme/promo: delete" in text
    assert 'message: "Two for one."' in text
    markdown = run("plan", ".", "--format", "markdown").stdout
    assert "Two for one." in markdown
    (action,) = json.loads(run("plan", ".", "--format", "json").stdout)["actions"]
    assert (action["kind"], action["before"]["message"]) == ("delete", "Two for one.")
