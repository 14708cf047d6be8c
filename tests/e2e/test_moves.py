"""Renames that keep a post (`moved:`), over real HTTP: zero writes, the same post id;
every invalid move refused offline with FILE:LINE; a rename without `moved:` warned."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import BETA, write_requests

MANIFEST = """
    page: "104510075301234"
    posts:
      hours:
        message: Open from Monday.
      promo:
        message: Spring promo.
"""
RENAMED = """
    page: "104510075301234"
    posts:
      opening-hours:
        message: Open from Monday.
      promo:
        message: Spring promo.
    moved:
      - from: hours
        to: opening-hours
"""


@pytest.fixture
def applied(project, run, emulator):
    project.write("pages/acme.yaml", MANIFEST)
    assert run("apply", "--auto-approve", ".").exit_code == 0
    return project


def test_a_moved_key_keeps_its_post_and_sends_nothing(applied, run, emulator) -> None:
    hours = applied.post_ids()["hours"]
    before = write_requests(emulator)
    applied.write("pages/acme.yaml", RENAMED)
    plan = run("plan", ".")
    assert plan.exit_code == 0, plan.output
    assert f"  mv acme/hours -> acme/opening-hours: moved (post {hours})" in plan.stdout
    assert plan.stdout.splitlines()[-1] == (
        "Plan: 0 to push, 0 to update, 0 to replace, 0 to delete. 1 to move."
    )
    result = run("apply", "--auto-approve", ".")
    assert result.exit_code == 0, result.output
    assert "acme/hours -> acme/opening-hours: moved" in result.output
    assert applied.post_ids() == {
        "opening-hours": hours,
        "promo": applied.post_ids()["promo"],
    }
    assert write_requests(emulator) == before
    again = run("plan", ".")  # the entry may stay: the move is done
    assert again.stdout.endswith("No changes.\n"), again.output


def test_a_move_and_an_edit_plan_as_a_move_and_an_update(applied, run) -> None:
    hours = applied.post_ids()["hours"]
    applied.write(
        "pages/acme.yaml", RENAMED.replace("Open from Monday.", "Open daily.")
    )
    result = run("apply", "--auto-approve", ".")
    assert result.exit_code == 0, result.output
    assert "Plan: 0 to push, 1 to update, 0 to replace, 0 to delete. 1 to move." in (
        result.output
    )
    assert applied.post_ids()["opening-hours"] == hours


@pytest.mark.parametrize(
    ("moved", "expected"),
    [
        (
            "  - from: nothing-here\n    to: opening-hours\n",
            "moved: the lockfile records no post at acme/nothing-here (nor at "
            "acme/opening-hours): nothing to move; remove the entry",
        ),
        (
            "  - from: hours\n    to: promo\n",
            "moved: acme/promo is already recorded (post ",
        ),
        (
            "  - from: beta/hours\n    to: opening-hours\n",
            "moved: beta/hours is not on page 104510075301234",
        ),
        (
            "  - from: hours\n    to: opening-hours\n  - from: opening-hours\n    to: promo\n",
            # a chain: its middle is a post of the manifest, so it cannot move on
            "moved[1]: 'opening-hours' is still a post of this manifest",
        ),
        (
            "  - from: hours\n    to: missing\n",
            "moved[0]: 'missing' is not a post of this manifest",
        ),
    ],
)
def test_invalid_moves_are_refused_offline(
    applied, run, emulator, moved: str, expected: str
) -> None:
    text = RENAMED.split("    moved:")[0].replace("\n    ", "\n") + "moved:\n" + moved
    applied.write("pages/acme.yaml", text)
    before = emulator.stats()["total"]
    for command in (["validate", "."], ["plan", "."], ["apply", "--auto-approve", "."]):
        result = run(*command)
        assert result.exit_code == 1, (command, result.output)
        assert "pages/acme.yaml:" in result.output
        assert expected in result.output, result.output
        assert "Traceback" not in result.output
    assert emulator.stats()["total"] == before


def test_a_rename_without_moved_is_warned_with_the_entry_to_add(applied, run) -> None:
    applied.write("pages/acme.yaml", RENAMED.split("    moved:")[0])
    result = run("plan", ".")
    assert result.exit_code == 0, result.output
    assert (
        "Warning: acme/hours is deleted and acme/opening-hours pushed with the same "
        "content: if this is a rename, keep the post" in result.output
    )
    assert "  moved:\n    - from: hours\n      to: opening-hours" in result.output


def test_a_move_across_pages_is_refused(applied, run, project) -> None:
    project.write(
        "pages/beta.yaml",
        f'page: "{BETA}"\nposts:\n  hours:\n    message: Open from Monday.\n'
        "moved:\n  - from: acme/hours\n    to: hours\n",
    )
    applied.write(
        "pages/acme.yaml",
        MANIFEST.replace("      hours:\n        message: Open from Monday.\n", ""),
    )
    result = run("validate", ".")
    assert result.exit_code == 1
    assert "pages/beta.yaml:6: moved: acme/hours is not on page 104510075305678" in (
        result.output
    )


def test_a_move_onto_an_unsettled_push_is_refused(project, run, emulator) -> None:
    project.write(
        "pages/acme.yaml",
        'page: "104510075301234"\nposts:\n  b:\n    message: Hi.\n'
        "moved:\n  - from: a\n    to: b\n",
    )
    hashes = '{"attachments": "x", "link": "y", "message": "z"}'
    (project.root / "statesync.lock").write_text(
        '{"version": 1, "lineage": "x", "serial": 1, "pages": {"104510075301234": '
        f'{{"manifest": "acme", "posts": {{"a": {{"id": "104510075301234_1", '
        f'"hashes": {hashes}}}}}, "intents": {{"b": {{"hashes": {hashes}, '
        '"since": 1}}}}}\n'
    )
    result = run("validate", ".")
    assert result.exit_code == 1
    assert "pages/acme.yaml:6: moved: acme/b has a push whose outcome" in result.output
