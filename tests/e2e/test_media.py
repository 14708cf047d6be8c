"""Media files over real HTTP, on both writers: uploaded once by content, attached by
id, replaced in place when the file changes, deleted when no post uses them, refused
offline when they are not files of the project that the API accepts."""

from __future__ import annotations

import io
import json
import shutil
from collections import Counter

import httpx
import pytest
from PIL import Image

from statesync.media import MAX_IMAGE_BYTES
from tests.e2e.conftest import (
    ACME,
    ACME_PAGE_TOKEN,
    kill_apply_at_call,
    write_requests,
)

ONEALL_CONFIG = """
    provider: oneall
    oneall:
      site: https://acme.api.oneall.com
    retries: {attempts: 2, max_total_s: 1, max_wait_s: 0}
"""
TWO_IMAGES = """
    page: "104510075301234"
    posts:
      latte-art:
        message: Latte art by our baristas this week.
        attachments:
          - media/latte-1.jpg
          - file: media/latte-2.png
            alt: Two cups with leaf patterns on a wooden table
"""


def image(color: str, fmt: str = "PNG", size: int = 16) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (size, size), color).save(buffer, fmt)
    return buffer.getvalue()


@pytest.fixture(params=["graph", "oneall"])
def media_project(request, project, emulator):
    if request.param == "oneall":
        project.write("statesync.yaml", ONEALL_CONFIG)
    (project.root / "media").mkdir()
    (project.root / "media/latte-1.jpg").write_bytes(image("white", "JPEG"))
    (project.root / "media/latte-2.png").write_bytes(image("brown"))
    project.write("pages/acme.yaml", TWO_IMAGES)
    return project


def uploads(emulator) -> int:
    return sum(
        r["count"]
        for r in emulator.stats()["routes"]
        if r["method"] == "POST"
        and (r["route"].endswith("/photos") or r["route"].endswith("picture.json"))
    )


def graph_get(emulator, path: str, **params: str) -> httpx.Response:
    return httpx.get(
        f"{emulator.url}/v26.0/{path}",
        params=params,
        headers={"Authorization": f"Bearer {ACME_PAGE_TOKEN}"},
    )


def live_attachments(emulator, post_id: str) -> list[str]:
    """The post's media ids as Facebook shows them (PROTOCOL §8: an album's
    subattachments in attach order, or one photo's target)."""
    body = graph_get(emulator, post_id, fields="attachments").json()
    items = body.get("attachments", {}).get("data", [])
    ids = []
    for item in items:
        subs = item.get("subattachments", {}).get("data") or [item]
        ids.extend(sub["target"]["id"] for sub in subs)
    return ids


def media_of(project) -> dict[str, dict]:
    return project.lock()["pages"].get(ACME, {}).get("media", {})


def test_two_images_with_alt_text_are_uploaded_and_attached(
    media_project, run, emulator
) -> None:
    result = run("apply", "--auto-approve", ".")
    assert result.exit_code == 0, result.output
    assert "+ media/latte-1.jpg: upload (" in result.output
    assert "Media: 2 to upload." in result.output
    media = media_of(media_project)
    assert sorted(m["file"] for m in media.values()) == [
        "media/latte-1.jpg",
        "media/latte-2.png",
    ]
    assert all(m["used_by"] == ["latte-art"] for m in media.values())
    by_file = {m["file"]: m["id"] for m in media.values()}
    post_id = media_project.post_ids()["latte-art"]
    assert live_attachments(emulator, post_id) == [
        by_file["media/latte-1.jpg"],
        by_file["media/latte-2.png"],
    ]
    photo = graph_get(emulator, by_file["media/latte-2.png"], fields="alt_text_custom")
    assert photo.json()["alt_text_custom"] == (
        "Two cups with leaf patterns on a wooden table"
    )
    again = run("plan", ".")
    assert again.stdout.endswith("No changes.\n"), again.output
    assert uploads(emulator) == 2


def test_the_same_file_in_two_posts_is_uploaded_once(
    media_project, run, emulator
) -> None:
    """The same bytes under another name, in another post: one upload."""
    media_project.write(
        "pages/acme.yaml",
        TWO_IMAGES
        + "      again:\n        message: Once more.\n        attachments: [copy.jpg]\n",
    )
    shutil.copy(
        media_project.root / "media/latte-1.jpg", media_project.root / "copy.jpg"
    )
    result = run("apply", "--auto-approve", ".")
    assert result.exit_code == 0, result.output
    assert uploads(emulator) == 2
    users = sorted(m["used_by"] for m in media_of(media_project).values())
    assert users == [["again", "latte-art"], ["latte-art"]]
    ids = media_project.post_ids()
    assert (
        live_attachments(emulator, ids["again"])
        == live_attachments(emulator, ids["latte-art"])[:1]
    )


def test_a_rename_uploads_nothing_and_changes_nothing(
    media_project, run, emulator
) -> None:
    assert run("apply", "--auto-approve", ".").exit_code == 0
    before = write_requests(emulator)
    (media_project.root / "media/latte-1.jpg").rename(
        media_project.root / "media/renamed.jpg"
    )
    media_project.write(
        "pages/acme.yaml", TWO_IMAGES.replace("latte-1.jpg", "renamed.jpg")
    )
    result = run("apply", "--auto-approve", ".")
    assert result.exit_code == 0, result.output
    assert "No changes." in result.output
    assert write_requests(emulator) == before


def test_a_changed_file_updates_the_post_in_place_and_deletes_the_old_media(
    media_project, run, emulator
) -> None:
    assert run("apply", "--auto-approve", ".").exit_code == 0
    post_id = media_project.post_ids()["latte-art"]
    old = {m["file"]: m["id"] for m in media_of(media_project).values()}
    (media_project.root / "media/latte-1.jpg").write_bytes(image("black", "JPEG"))
    plan = run("plan", ".")
    assert plan.stdout.splitlines()[-1] == (
        "Plan: 0 to push, 1 to update, 0 to replace, 0 to delete. "
        "Media: 1 to upload, 1 to delete."
    )
    result = run("apply", "--auto-approve", ".")
    assert result.exit_code == 0, result.output
    assert media_project.post_ids()["latte-art"] == post_id  # in place
    new = {m["file"]: m["id"] for m in media_of(media_project).values()}
    assert new["media/latte-2.png"] == old["media/latte-2.png"]
    assert new["media/latte-1.jpg"] != old["media/latte-1.jpg"]
    assert live_attachments(emulator, post_id) == [
        new["media/latte-1.jpg"],
        new["media/latte-2.png"],
    ]
    assert graph_get(emulator, old["media/latte-1.jpg"]).status_code >= 400
    assert run("plan", ".").stdout.endswith("No changes.\n")


def test_removing_the_last_use_deletes_the_media(media_project, run, emulator) -> None:
    assert run("apply", "--auto-approve", ".").exit_code == 0
    ids = [m["id"] for m in media_of(media_project).values()]
    media_project.write(
        "pages/acme.yaml",
        'page: "104510075301234"\nposts:\n  other:\n    message: Text only.\n',
    )
    result = run("apply", "--auto-approve", ".")
    assert result.exit_code == 0, result.output
    assert media_of(media_project) == {}
    assert all(graph_get(emulator, media_id).status_code >= 400 for media_id in ids)


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("../outside.jpg", "'../outside.jpg' leads outside the project"),
        ("/etc/passwd", "'/etc/passwd' is an absolute path"),
        ("media/missing.jpg", "'media/missing.jpg' does not exist"),
        ("media/notes.jpg", "'media/notes.jpg' is not an image or video the API"),
        ("media/huge.jpg", "'media/huge.jpg' is 4,194,9"),
    ],
)
def test_validate_refuses_bad_files_with_file_line_and_sends_nothing(
    media_project, run, emulator, written: str, expected: str
) -> None:
    root = media_project.root
    (root.parent / "outside.jpg").write_bytes(image("red", "JPEG"))
    (root / "media/notes.jpg").write_text("not a picture\n")
    (root / "media/huge.jpg").write_bytes(image("red", "JPEG") + bytes(MAX_IMAGE_BYTES))
    media_project.write(
        "pages/acme.yaml", TWO_IMAGES.replace("media/latte-1.jpg", written)
    )
    for command in (["validate", "."], ["plan", "."], ["apply", "--auto-approve", "."]):
        result = run(*command)
        assert result.exit_code == 1, result.output
        assert f"pages/acme.yaml:6: attachments[0]: {expected}" in result.output
        assert "Traceback" not in result.output
    assert emulator.stats()["total"] == 0


def test_oneall_uploads_a_video_and_attaches_it(project, run, emulator) -> None:
    project.write("statesync.yaml", ONEALL_CONFIG)
    (project.root / "clip.mp4").write_bytes(
        b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + bytes(4096)
    )
    project.write(
        "pages/acme.yaml",
        'page: "104510075301234"\nposts:\n  clip:\n    message: We are open!\n'
        "    attachments: [clip.mp4]\n",
    )
    result = run("apply", "--auto-approve", ".")
    assert result.exit_code == 0, result.output
    (video,) = media_of(project).values()
    assert video["type"] == "video/mp4"
    assert live_attachments(emulator, project.post_ids()["clip"]) == [video["id"]]
    assert run("plan", ".").stdout.endswith("No changes.\n")


def test_the_markdown_plan_shows_each_new_image(media_project, run) -> None:
    base = "https://github.com/acme/pages/raw/0123abc"
    result = run("plan", "--format", "markdown", "--media-url", base, ".")
    assert result.exit_code == 0, result.output
    url = f"{base}/media/latte-2.png"
    assert (
        f"[![Two cups with leaf patterns on a wooden table]({url})]({url})"
        in result.stdout
    )
    assert "| `+` upload media | media/latte-1.jpg |" in result.stdout
    plain = run("plan", "--format", "markdown", ".")
    assert "![" not in plain.stdout


def test_a_file_name_cannot_break_out_of_the_markdown(project, run, emulator) -> None:
    name = "a) <b>@x [y](z).png"
    (project.root / name).write_bytes(image("red"))
    project.write(
        "pages/acme.yaml",
        f'page: "104510075301234"\nposts:\n  p:\n    attachments: ["{name}"]\n',
    )
    result = run("plan", "--format", "markdown", "--media-url", "https://h/x", ".")
    assert result.exit_code == 0, result.output
    assert "(https://h/x/a%29%20%3Cb%3E%40x%20%5By%5D%28z%29.png)" in result.stdout
    table_and_headings = [
        line for line in result.stdout.splitlines() if line.startswith(("|", "#", "["))
    ]
    assert not any("<b>" in line for line in table_and_headings)
    assert any("&lt;b&gt;" in line for line in table_and_headings)


# -- crash safety: a kill at every API call of an apply with uploads -------------------


def page_posts(emulator) -> Counter[str]:
    """Every post on the page (a handful: one listing page holds them all)."""
    reply = graph_get(emulator, f"{ACME}/feed", fields="id,message", limit="100")
    return Counter(post.get("message", "") for post in reply.json()["data"])


@pytest.mark.slow
def test_a_kill_during_an_upload_converges_without_a_duplicate_post(
    media_project, run, emulator
) -> None:
    assert run("apply", "--auto-approve", ".").exit_code == 0
    emulator.reset()
    (media_project.root / "statesync.lock").unlink()
    before = emulator.stats()["total"]
    assert run("apply", "--auto-approve", ".").exit_code == 0
    calls = emulator.stats()["total"] - before
    for k in range(1, calls + 1):
        emulator.reset()
        (media_project.root / "statesync.lock").unlink(missing_ok=True)
        start = emulator.stats()["total"]
        kill_apply_at_call(emulator, media_project.root, k, start)
        final = run("apply", "--auto-approve", ".")
        assert final.exit_code == 0, (k, final.output)
        assert run("plan", ".").stdout.endswith("No changes.\n"), k
        assert page_posts(emulator)["Latte art by our baristas this week."] == 1, k
        post_id = media_project.post_ids()["latte-art"]
        recorded = {m["id"] for m in media_of(media_project).values()}
        assert set(live_attachments(emulator, post_id)) == recorded, k


def test_a_saved_plan_uploads_the_files_it_showed(media_project, run, emulator) -> None:
    plan = run("plan", "--out", "reviewed.plan", ".")
    assert plan.exit_code == 0, plan.output
    result = run("apply", "reviewed.plan")
    assert result.exit_code == 0, result.output
    assert uploads(emulator) == 2
    assert run("plan", ".").stdout.endswith("No changes.\n")


def test_a_file_changed_after_the_plan_makes_it_stale(
    media_project, run, emulator
) -> None:
    assert run("plan", "--out", "reviewed.plan", ".").exit_code == 0
    (media_project.root / "media/latte-2.png").write_bytes(image("pink"))
    result = run("apply", "reviewed.plan")
    assert result.exit_code == 1
    assert "the saved plan is stale: the manifests changed" in result.output
    assert write_requests(emulator) == 0


def test_attachments_changed_by_hand_are_drift_and_apply_restores_them(
    media_project, run, emulator
) -> None:
    assert run("apply", "--auto-approve", ".").exit_code == 0
    post_id = media_project.post_ids()["latte-art"]
    recorded = live_attachments(emulator, post_id)
    edited = httpx.post(
        f"{emulator.url}/v26.0/{post_id}",
        data={
            "message": "Latte art by our baristas this week.",
            "attached_media": "[]",
        },
        headers={"Authorization": f"Bearer {ACME_PAGE_TOKEN}"},
    )
    assert edited.status_code == 200, edited.text
    plan = run("plan", ".")
    assert "Drift: 1 post changed outside statesync" in plan.stdout
    assert "update (post " in plan.stdout
    assert uploads(emulator) == 2  # the recorded media are attached again, not re-sent
    assert run("apply", "--auto-approve", ".").exit_code == 0
    assert live_attachments(emulator, post_id) == recorded
    assert uploads(emulator) == 2


def test_a_forgotten_post_keeps_its_photo_and_nothing_plans_to_delete_it(
    media_project, run, emulator
) -> None:
    assert run("apply", "--auto-approve", ".").exit_code == 0
    post_id = media_project.post_ids()["latte-art"]
    photos = live_attachments(emulator, post_id)
    media_project.write("pages/acme.yaml", 'page: "104510075301234"\nposts: {}\n')
    assert run("state", "forget", "acme/latte-art").exit_code == 0
    assert media_of(media_project) == {}
    plan = run("plan", ".")
    assert plan.stdout.endswith("No changes.\n"), plan.output
    assert live_attachments(emulator, post_id) == photos


def test_a_saved_plan_that_deletes_media_applies(media_project, run, emulator) -> None:
    assert run("apply", "--auto-approve", ".").exit_code == 0
    media_project.write(
        "pages/acme.yaml", TWO_IMAGES.replace("          - media/latte-1.jpg\n", "")
    )
    plan = run("plan", "--out", "reviewed.plan", ".")
    assert "Media: 1 to delete." in plan.stdout, plan.output
    result = run("apply", "reviewed.plan")
    assert result.exit_code == 0, result.output
    assert len(media_of(media_project)) == 1


def test_a_lost_upload_of_a_file_no_longer_attached_is_forgotten(
    project, run, emulator
) -> None:
    project.write(
        "pages/acme.yaml", 'page: "104510075301234"\nposts:\n  a:\n    message: Hi.\n'
    )
    assert run("apply", "--auto-approve", ".").exit_code == 0
    lock = project.lock()
    lock["pages"][ACME]["uploads"] = {"f" * 64: {"file": "media/gone.jpg", "since": 1}}
    (project.root / "statesync.lock").write_text(json.dumps(lock))
    plan = run("plan", ".")
    assert "  = media/gone.jpg: forget ()" not in plan.stdout
    assert "media/gone.jpg: forget" in plan.stdout, plan.output
    assert "Media: 1 to forget." in plan.stdout
    before = write_requests(emulator)
    result = run("apply", "--auto-approve", ".")
    assert result.exit_code == 0, result.output
    assert "uploads" not in project.lock()["pages"][ACME]
    assert write_requests(emulator) == before
    assert run("plan", ".").stdout.endswith("No changes.\n")
