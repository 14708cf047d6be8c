"""`statesync import` over real HTTP: a page's live posts adopted into a new manifest or
an existing one (its text kept byte for byte around the inserted posts), recorded so
the next plan says `No changes.`; one post adopted under an existing key."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from tests.e2e.conftest import ACME, ACME_PAGE_TOKEN, USER_TOKEN

EXISTING = """\
# Acme's page: hand-written, with comments that must survive an import.
page: "104510075301234"   # the page id
name: Acme Coffee
posts:
  # the one post written by hand
  hours:
    message: Open from Monday.   # keep this comment
"""


def seed_posts(emulator, count: int = 30) -> list[str]:
    """``count`` posts made by hand on the page: text, multi-line, links, photos."""
    ids = []
    with httpx.Client(
        base_url=f"{emulator.url}/v26.0",
        headers={"Authorization": f"Bearer {ACME_PAGE_TOKEN}"},
    ) as client:
        for n in range(count):
            form: dict[str, str] = {"message": f"Post number {n}: fresh coffee!"}
            if n % 3 == 1:
                form["link"] = f"https://acme.example/news/{n}"
            elif n % 3 == 2:
                form["attached_media"] = '[{"media_fbid":"10213097336001811"}]'
                form["message"] = f"Photo {n}\nwith a second line: and a colon"
            reply = client.post(f"/{ACME}/feed", data=form)
            assert reply.status_code == 200, reply.text
            ids.append(reply.json()["id"])
    return ids


def schedule_post(emulator) -> str:
    """A post scheduled a day ahead: Facebook publishes it later by itself."""
    reply = httpx.post(
        f"{emulator.url}/v26.0/{ACME}/feed",
        data={
            "message": "Coming tomorrow.",
            "published": "false",
            "scheduled_publish_time": str(int(time.time()) + 86_400),
        },
        headers={"Authorization": f"Bearer {ACME_PAGE_TOKEN}"},
    )
    assert reply.status_code == 200, reply.text
    return reply.json()["id"]


def test_a_page_is_imported_into_a_new_manifest_and_plans_no_changes(
    project, run, emulator
) -> None:
    (project.root / "pages").mkdir()
    project.write("pages/beta.yaml", 'page: "104510075305678"\nposts: {}\n')
    ids = seed_posts(emulator, 29)
    scheduled = schedule_post(emulator)
    writes_before = emulator.stats()["total"]
    dry = run("import", ACME, "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert not (project.root / f"pages/page-{ACME}.yaml").exists()
    result = run("import", ACME)
    assert result.exit_code == 0, result.output
    recorded = set(project.post_ids().values())
    assert set(ids) <= recorded  # and the seed's own welcome post
    assert len(recorded) == 30
    assert f"skipped {scheduled}: a scheduled post (publishing " in result.output
    text = (project.root / f"pages/page-{ACME}.yaml").read_text()
    assert text == dry.stdout
    plan = run("plan", ".")
    assert plan.exit_code == 0, plan.output
    assert plan.stdout.endswith("No changes.\n"), plan.output
    posts = [
        r
        for r in emulator.stats()["routes"]
        if r["method"] == "POST" and r["route"] != "/"
    ]
    assert emulator.stats()["total"] > writes_before
    assert sum(r["count"] for r in posts if "feed" in r["route"]) == 30  # ours only
    again = run("import", ACME)
    assert "imported 0 posts" in again.output


def test_an_existing_manifest_keeps_every_byte_around_the_imported_posts(
    project, run, emulator
) -> None:
    project.write("pages/acme.yaml", EXISTING)
    assert run("apply", "--auto-approve", ".").exit_code == 0
    seed_posts(emulator, 4)
    result = run("import", ACME, "--limit", "3")
    assert result.exit_code == 0, result.output
    text = (project.root / "pages/acme.yaml").read_text()
    assert text.startswith(EXISTING)
    added = text[len(EXISTING) :]
    keys = [line for line in added.splitlines() if line.startswith("  20")]
    assert len(keys) == 3  # three new keys, dated
    assert run("plan", ".").stdout.endswith("No changes.\n")


def test_one_post_is_adopted_under_an_existing_key(project, run, emulator) -> None:
    (post_id,) = seed_posts(emulator, 1)
    project.write(
        "pages/acme.yaml",
        'page: "104510075301234"\nposts:\n  first:\n    message: Post number 0, edited.\n',
    )
    result = run("import", "acme/first", post_id)
    assert result.exit_code == 0, result.output
    assert project.post_ids()["first"] == post_id
    plan = run("plan", ".")
    assert f"~ acme/first: update (post {post_id})" in plan.stdout
    assert plan.stdout.splitlines()[-1].startswith("Plan: 0 to push, 1 to update")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["acme/nope", f"{ACME}_1"], "acme/nope: no manifest lists this post"),
        (["acme/first", "12_34"], "'12_34' is not a post of page"),
        (["not-a-page"], "'not-a-page' is not a page id"),
        ([ACME, "--since", "yesterday"], "--since 'yesterday' is not a date"),
    ],
)
def test_import_mistakes_are_one_clear_message(
    project, run, emulator, args: list[str], expected: str
) -> None:
    project.write(
        "pages/acme.yaml",
        'page: "104510075301234"\nposts:\n  first:\n    message: hi\n',
    )
    result = run("import", *args)
    assert result.exit_code == 1
    assert expected in result.output
    assert "Traceback" not in result.output


def test_pages_lists_what_the_token_can_act_on_and_who_manages_it(
    project, run, emulator
) -> None:
    project.write(
        "pages/acme.yaml", 'page: "104510075301234"\nposts:\n  a:\n    message: hi\n'
    )
    result = run("pages")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert any(
        line.startswith(f"{ACME}\tAcme Coffee\t") and line.endswith("\tpages/acme.yaml")
        for line in lines
    ), lines
    assert any(line.endswith("\t(not managed)") for line in lines)
    rows = json.loads(run("pages", "--format", "json").stdout)
    acme = next(row for row in rows if row["page_id"] == ACME)
    assert "CREATE_CONTENT" in acme["tasks"]
    assert acme["manifest"] == "pages/acme.yaml"
    assert USER_TOKEN not in result.output


def test_pages_through_oneall_lists_the_identitys_pages(project, run, emulator) -> None:
    project.write(
        "statesync.yaml",
        "provider: oneall\noneall:\n  site: https://acme.api.oneall.com\n",
    )
    project.write(
        "pages/acme.yaml", 'page: "104510075301234"\nposts:\n  a:\n    message: hi\n'
    )
    result = run("pages")
    assert result.exit_code == 0, result.output
    assert any(line.startswith(f"{ACME}\t") for line in result.stdout.splitlines())


def test_oneall_without_a_graph_token_imports_through_the_pull_api(
    project, run, emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FACEBOOK_ACCESS_TOKEN")
    project.write(
        "statesync.yaml",
        "provider: oneall\noneall:\n  site: https://acme.api.oneall.com\n",
    )
    project.write("pages/beta.yaml", 'page: "104510075305678"\nposts: {}\n')
    ids = seed_posts(emulator, 6)
    result = run("import", ACME)
    assert result.exit_code == 0, result.output
    assert set(ids) <= set(project.post_ids().values())
    plan = run("plan", ".")
    assert plan.stdout.endswith("No changes.\n"), plan.output


def test_a_project_with_no_manifest_yet_gets_its_first_by_import(
    project, run, emulator
) -> None:
    (project.root / "pages").mkdir()
    assert run("plan", ".").exit_code == 1  # plan still refuses an empty directory
    seed_posts(emulator, 2)
    result = run("import", ACME)
    assert result.exit_code == 0, result.output
    assert (project.root / f"pages/page-{ACME}.yaml").is_file()
    assert run("plan", ".").stdout.endswith("No changes.\n")


def test_a_post_already_recorded_is_not_adopted_under_a_second_key(
    project, run, emulator
) -> None:
    project.write(
        "pages/acme.yaml",
        'page: "104510075301234"\nposts:\n  one:\n    message: Same.\n'
        "  two:\n    message: Same.\n",
    )
    assert run("apply", "--auto-approve", ".").exit_code == 0
    taken = project.post_ids()["one"]
    project.write(
        "pages/acme.yaml",
        'page: "104510075301234"\nposts:\n  one:\n    message: Same.\n'
        "  three:\n    message: Same.\n",
    )
    result = run("import", "acme/three", taken)
    assert result.exit_code == 1
    assert f"post {taken} is already recorded as acme/one" in result.output


def test_a_page_with_an_unsettled_push_is_not_imported(project, run, emulator) -> None:
    project.write("pages/acme.yaml", 'page: "104510075301234"\nposts: {}\n')
    (project.root / "statesync.lock").write_text(
        '{"version": 1, "lineage": "x", "serial": 1, "pages": {"104510075301234": '
        '{"manifest": "acme", "posts": {}, "intents": {"k": {"hashes": '
        '{"attachments": "a", "link": "b", "message": "c"}, "since": 1}}}}}\n'
    )
    result = run("import", ACME)
    assert result.exit_code == 1
    assert "1 push(es) whose outcome is not settled yet" in result.output
