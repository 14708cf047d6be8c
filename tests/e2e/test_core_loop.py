"""The core loop over real HTTP: the CLI against the emulator's Graph API."""

from __future__ import annotations

import shutil
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import ACME, USER_TOKEN

MANIFEST = """
    page: "104510075301234"
    name: Acme Coffee
    posts:
      spring-menu:
        message: |
          Our spring menu is here!
        link: https://acme.example/spring
      opening-hours:
        message: New opening hours from Monday.
      gallery:
        message: Latte art.
        attachments: ["{media}"]
"""


@pytest.fixture
def media(graph) -> str:
    reply = graph.post(
        f"/{ACME}/photos",
        data={"url": "https://acme.example/latte.jpg", "published": "false"},
    )
    reply.raise_for_status()
    return reply.json()["id"]


@pytest.fixture
def applied(project, run, emulator, media):
    project.write("pages/acme.yaml", MANIFEST.format(media=media))
    result = run("apply", "--auto-approve", ".")
    assert result.exit_code == 0, result.output
    return result


def set_faults(emulator, rules: list[dict]) -> None:
    httpx.post(
        f"{emulator.url}/_emulator/faults", json={"rules": rules}
    ).raise_for_status()


def live(graph, post_id: str) -> dict:
    reply = graph.get(f"/{post_id}", params={"fields": "id,message,attachments"})
    return reply.json()


def test_first_apply_pushes_and_records_every_post(applied, project, graph) -> None:
    ids = project.post_ids()
    assert sorted(ids) == ["gallery", "opening-hours", "spring-menu"]
    assert applied.stdout.splitlines()[-4:] == [
        f"acme/gallery: pushed ({ids['gallery']})",
        f"acme/opening-hours: pushed ({ids['opening-hours']})",
        f"acme/spring-menu: pushed ({ids['spring-menu']})",
        "Apply complete: 3 pushed, 0 updated, 0 replaced, 0 deleted.",
    ]
    assert (
        live(graph, ids["opening-hours"])["message"] == "New opening hours from Monday."
    )
    assert project.lock()["serial"] == 1


def test_replanning_after_apply_shows_no_changes(applied, run) -> None:
    result = run("plan", ".", "--detailed-exitcode")
    assert (result.exit_code, result.stdout) == (0, "No changes.\n")


def test_message_edit_is_an_update_keeping_the_post_id(
    applied, project, run, graph, media
):
    before = project.post_ids()
    project.write(
        "pages/acme.yaml",
        MANIFEST.format(media=media).replace("from Monday", "from Tuesday"),
    )
    plan = run("plan", ".", "--detailed-exitcode")
    assert plan.exit_code == 2
    assert plan.stdout == (
        f"  ~ acme/opening-hours: update (post {before['opening-hours']})\n"
        '      message: "New opening hours from Monday." -> "New opening hours from Tuesday."\n'
        "\n"
        "Plan: 0 to push, 1 to update, 0 to replace, 0 to delete.\n"
    )
    assert run("apply", "--auto-approve", ".").exit_code == 0
    assert project.post_ids() == before
    assert (
        live(graph, before["opening-hours"])["message"]
        == "New opening hours from Tuesday."
    )
    assert run("plan", ".").stdout == "No changes.\n"


def test_link_change_is_a_replace_with_a_new_id(
    applied, project, run, graph, media
) -> None:
    old = project.post_ids()["spring-menu"]
    project.write(
        "pages/acme.yaml",
        MANIFEST.format(media=media).replace(
            "acme.example/spring", "acme.example/spring-2"
        ),
    )
    plan = run("plan", ".")
    assert "  -/+ acme/spring-menu: replace" in plan.stdout
    assert "# forces replacement" in plan.stdout
    result = run("apply", "--auto-approve", ".")
    assert result.exit_code == 0, result.output
    new = project.post_ids()["spring-menu"]
    assert new != old
    assert live(graph, old)["error"]["code"] == 100
    assert run("plan", ".").stdout == "No changes.\n"


def test_removed_post_is_deleted(applied, project, run, graph, media) -> None:
    gone = project.post_ids()["gallery"]
    manifest = MANIFEST.format(media=media)
    project.write("pages/acme.yaml", manifest[: manifest.index("      gallery:")])
    result = run("apply", "--auto-approve", ".")
    assert result.exit_code == 0, result.output
    assert "acme/gallery: deleted" in result.stdout
    assert "gallery" not in project.post_ids()
    assert live(graph, gone)["error"]["error_subcode"] == 33


def test_drift_is_shown_and_restored(applied, project, run, graph) -> None:
    post_id = project.post_ids()["opening-hours"]
    assert graph.post(f"/{post_id}", data={"message": "Closed forever!"}).json() == {
        "success": True
    }
    plan = run("plan", ".")
    assert (
        f"  ~ acme/opening-hours: update (post {post_id}, drift: changed outside statesync)"
        in plan.stdout
    )
    assert '"Closed forever!" -> "New opening hours from Monday."' in plan.stdout
    assert run("apply", "--auto-approve", ".").exit_code == 0
    assert live(graph, post_id)["message"] == "New opening hours from Monday."


def test_post_deleted_outside_statesync_is_pushed_again(
    applied, project, run, graph
) -> None:
    old = project.post_ids()["opening-hours"]
    assert graph.delete(f"/{old}").json() == {"success": True}
    plan = run("plan", ".")
    assert f"# post {old} no longer exists (deleted outside statesync)" in plan.stdout
    assert run("apply", "--auto-approve", ".").exit_code == 0
    assert project.post_ids()["opening-hours"] != old
    assert run("plan", ".").stdout == "No changes.\n"


def test_unmanaged_posts_are_untouched(applied, project, run, graph, media) -> None:
    feed = graph.get(
        f"/{ACME}/feed", params={"fields": "id,message", "limit": 100}
    ).json()
    welcome = [
        p["id"] for p in feed["data"] if p.get("message") == "Welcome to our page!"
    ]
    assert len(welcome) == 1
    project.write("pages/acme.yaml", 'page: "104510075301234"\nposts: {}\n')
    result = run("apply", "--auto-approve", ".")
    assert result.stdout.splitlines()[-1] == (
        "Apply complete: 0 pushed, 0 updated, 0 replaced, 3 deleted."
    )
    assert live(graph, welcome[0])["message"] == "Welcome to our page!"


def test_api_error_mid_apply_keeps_every_pushed_post(
    project, run, emulator, media
) -> None:
    project.write("pages/acme.yaml", MANIFEST.format(media=media))
    set_faults(
        emulator,
        [
            {
                "method": "POST",
                "path": "/feed$",
                "action": "error",
                "status": 400,
                "code": 368,  # a policy block: not transient, nothing published
                "skip": 1,
                "times": 1,
            }
        ],
    )
    result = run("apply", "--auto-approve", ".")
    assert result.exit_code == 1
    pushed = project.post_ids()
    assert list(pushed) == ["gallery"]
    assert "acme/opening-hours: push failed" in result.stderr
    assert "Apply stopped after 1 completed action" in result.stderr
    set_faults(emulator, [])
    again = run("apply", "--auto-approve", ".")
    assert again.exit_code == 0, again.output
    assert project.post_ids()["gallery"] == pushed["gallery"]
    assert len(project.post_ids()) == 3


def test_apply_without_a_terminal_needs_auto_approve(
    project, run, emulator, media
) -> None:
    project.write("pages/acme.yaml", MANIFEST.format(media=media))
    result = run("apply", ".")
    assert result.exit_code == 1
    assert "pass --auto-approve" in result.stderr
    assert not (project.root / "statesync.lock").exists()


def test_missing_token_is_one_clear_error(
    project, run, emulator, monkeypatch, media
) -> None:
    monkeypatch.delenv("FACEBOOK_ACCESS_TOKEN")
    project.write("pages/acme.yaml", MANIFEST.format(media=media))
    requests_before = emulator.stats()["total"]
    result = run("plan", ".")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: FACEBOOK_ACCESS_TOKEN is not set")
    assert emulator.stats()["total"] == requests_before


def test_the_token_never_appears_anywhere(project, run, emulator, media) -> None:
    project.write("pages/acme.yaml", MANIFEST.format(media=media))
    outputs = [run("apply", "--auto-approve", ".").output, run("plan", ".").output]
    set_faults(
        emulator,
        [
            {
                "method": "POST",
                "path": ".*",
                "action": "error",
                "status": 400,
                "code": 190,
            }
        ],
    )
    project.write(
        "pages/acme.yaml", MANIFEST.format(media=media).replace("Monday", "Friday")
    )
    outputs.append(run("apply", "--auto-approve", ".").output)
    outputs.append((project.root / "statesync.lock").read_text())
    for text in outputs:
        assert USER_TOKEN not in text


CASES = sorted((Path(__file__).parents[1] / "cases" / "invalid").glob("*"))


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_invalid_manifest_is_refused_before_any_request(
    project, run, emulator, case
) -> None:
    pages = project.root / "pages"
    files = sorted(case.iterdir()) if case.is_dir() else [case]
    expected = []
    for file in files:
        pages.mkdir(exist_ok=True)
        shutil.copy(file, pages / file.name)
        for line in file.read_text().splitlines():
            if line.startswith("# expect:"):
                number, message = line.removeprefix("# expect:").strip().split(": ", 1)
                expected.append((file.name, int(number), message))
    result = run("plan", ".")
    assert result.exit_code == 1
    problems = [
        line for line in result.stderr.splitlines() if not line.startswith("Error:")
    ]
    wanted = [f"pages/{name}:{n}: {msg}" for name, n, msg in sorted(expected)]
    if case.is_dir():  # messages name the other file relative to the cwd: check places
        problems = [line.split(": ", 1)[0] for line in problems]
        wanted = [line.split(": ", 1)[0] for line in wanted]
    assert problems == wanted
    assert emulator.stats()["total"] == 0
