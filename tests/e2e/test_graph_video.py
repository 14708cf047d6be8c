"""A video post on the Graph writer, over real HTTP (docs/media.md §3.1): the video is
uploaded unpublished, published as its own post, its message edited as the video's
description; a new file replaces the post and deletes the old video; removing the
post deletes both; a kill at any call converges with one post."""

from __future__ import annotations

import json

import httpx
import pytest

from statesync.providers import graph_video
from tests.e2e.conftest import (
    ACME,
    ACME_PAGE_TOKEN,
    kill_apply_at_call,
    write_requests,
)
from tests.e2e.test_media import (
    graph_get,
    image,
    live_attachments,
    media_of,
    page_posts,
)
from tests.e2e.test_networks import TWITTER_TOKEN

MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"
OPEN = """
    page: "104510075301234"
    posts:
      opening:
        message: We are open!
        attachments: [media/opening.mp4]
"""


def set_post_delay(emulator, seconds: float) -> None:
    """How long the emulator keeps a published video's post_id back (processing)."""
    reply = httpx.post(
        f"{emulator.url}/_emulator/video", json={"post_delay_s": seconds}
    )
    reply.raise_for_status()


@pytest.fixture
def video_project(project, emulator):
    (project.root / "media").mkdir()
    (project.root / "media/opening.mp4").write_bytes(MP4 + bytes(4096))
    project.write("pages/acme.yaml", OPEN)
    return project


def video_node_calls(emulator, method: str) -> int:
    """Requests of one method to a video node (`/{video-id}`, stats' label)."""
    return sum(
        r["count"]
        for r in emulator.stats()["routes"]
        if r["method"] == method and r["route"] == "/{video-id}"
    )


def the_video(project) -> dict:
    (video,) = media_of(project).values()
    return video


def test_a_video_is_uploaded_unpublished_then_published_as_its_post(
    video_project, run, emulator
) -> None:
    result = run("apply", "--auto-approve", ".")
    assert result.exit_code == 0, result.output
    assert "+ media/opening.mp4: upload (" in result.output
    video = the_video(video_project)
    assert video["type"] == "video/mp4"
    assert video["used_by"] == ["opening"]
    post_id = video_project.post_ids()["opening"]
    post = graph_get(emulator, post_id, fields="message,attachments").json()
    assert post["message"] == "We are open!"
    (attachment,) = post["attachments"]["data"]
    assert attachment["type"] == "video_inline"
    assert attachment["target"]["id"] == video["id"]
    node = graph_get(emulator, video["id"], fields="post_id,description").json()
    assert node == {
        "id": video["id"],
        "post_id": post_id,
        "description": "We are open!",
    }
    assert page_posts(emulator)["We are open!"] == 1
    again = run("plan", ".")
    assert again.stdout.endswith("No changes.\n"), again.output


def test_a_message_change_edits_the_video_description_in_place(
    video_project, run, emulator
) -> None:
    assert run("apply", "--auto-approve", ".").exit_code == 0
    post_id = video_project.post_ids()["opening"]
    video_project.write("pages/acme.yaml", OPEN.replace("open!", "open, come in!"))
    plan = run("plan", ".")
    assert "1 to update, 0 to replace" in plan.stdout, plan.output
    result = run("apply", "--auto-approve", ".")
    assert result.exit_code == 0, result.output
    assert video_project.post_ids()["opening"] == post_id
    live = graph_get(emulator, post_id, fields="message").json()
    assert live["message"] == "We are open, come in!"
    assert live_attachments(emulator, post_id) == [the_video(video_project)["id"]]
    assert run("plan", ".").stdout.endswith("No changes.\n")


def test_a_new_file_replaces_the_post_and_deletes_the_old_video(
    video_project, run, emulator
) -> None:
    assert run("apply", "--auto-approve", ".").exit_code == 0
    old_post, old_video = video_project.post_ids()["opening"], the_video(video_project)
    (video_project.root / "media/opening.mp4").write_bytes(MP4 + bytes(8192))
    plan = run("plan", ".")
    assert "1 to replace" in plan.stdout, plan.output
    assert "Media: 1 to upload, 1 to delete." in plan.stdout, plan.output
    result = run("apply", "--auto-approve", ".")
    assert result.exit_code == 0, result.output
    new_post, new_video = video_project.post_ids()["opening"], the_video(video_project)
    assert new_post != old_post
    assert new_video["id"] != old_video["id"]
    assert new_video["size"] == len(MP4) + 8192
    assert graph_get(emulator, old_post, fields="id").status_code != 200
    assert graph_get(emulator, old_video["id"], fields="id").status_code != 200
    assert live_attachments(emulator, new_post) == [new_video["id"]]
    assert page_posts(emulator)["We are open!"] == 1
    assert run("plan", ".").stdout.endswith("No changes.\n")


def test_removing_a_video_post_deletes_the_post_then_its_video(
    video_project, run, emulator
) -> None:
    assert run("apply", "--auto-approve", ".").exit_code == 0
    post_id, video = video_project.post_ids()["opening"], the_video(video_project)
    video_project.write("pages/acme.yaml", 'page: "104510075301234"\nposts: {}\n')
    result = run("apply", "--auto-approve", ".")
    assert result.exit_code == 0, result.output
    assert "- media/opening.mp4: delete" in result.output
    assert graph_get(emulator, post_id, fields="id").status_code != 200
    assert graph_get(emulator, video["id"], fields="id").status_code != 200
    assert media_of(video_project) == {}
    assert video_project.post_ids() == {}


def test_a_photo_post_that_becomes_a_video_post_is_replaced(
    project, run, emulator
) -> None:
    (project.root / "media").mkdir()
    (project.root / "media/opening.mp4").write_bytes(MP4 + bytes(4096))
    (project.root / "media/door.png").write_bytes(image("green"))
    project.write("pages/acme.yaml", OPEN.replace("opening.mp4", "door.png"))
    assert run("apply", "--auto-approve", ".").exit_code == 0
    photo_post = project.post_ids()["opening"]
    project.write("pages/acme.yaml", OPEN)
    plan = run("plan", ".")
    assert "1 to replace" in plan.stdout, plan.output
    result = run("apply", "--auto-approve", ".")
    assert result.exit_code == 0, result.output
    assert project.post_ids()["opening"] != photo_post
    assert the_video(project)["type"] == "video/mp4"
    assert page_posts(emulator)["We are open!"] == 1
    assert run("plan", ".").stdout.endswith("No changes.\n")


def test_a_future_video_post_waits_for_an_apply_instead_of_being_scheduled(
    video_project, run, emulator, at
) -> None:
    at("2026-12-01T09:00:00Z")
    video_project.write(
        "pages/acme.yaml",
        OPEN + "        publish_at: 2026-12-02T09:00:00Z\n",
    )
    plan = run("plan", ".")
    # A text post a day ahead would be scheduled on Facebook; a video post waits.
    assert (
        "acme/opening: waiting until 2026-12-02 09:00 UTC; "
        "an apply from 2026-12-02T09:00:00Z publishes it"
    ) in plan.stdout, plan.output
    result = run("apply", "--auto-approve", ".")
    assert result.exit_code == 0, result.output
    assert page_posts(emulator)["We are open!"] == 0
    assert video_node_calls(emulator, "POST") == 0
    at("2026-12-02T09:00:30Z")
    result = run("apply", "--auto-approve", ".")
    assert result.exit_code == 0, result.output
    assert page_posts(emulator)["We are open!"] == 1


def test_a_post_id_that_never_comes_is_settled_by_listing_the_page(
    video_project, run, emulator, monkeypatch
) -> None:
    """Facebook still processing after the wait: the post is found in the page's
    listing and adopted, never published twice."""
    monkeypatch.setattr(graph_video, "POST_ID_WAIT_S", 0.5)
    set_post_delay(emulator, 3600)
    result = run("apply", "--auto-approve", ".")
    assert result.exit_code == 0, result.output
    assert "adopted post" in result.output
    post_id = video_project.post_ids()["opening"]
    assert live_attachments(emulator, post_id) == [the_video(video_project)["id"]]
    assert page_posts(emulator)["We are open!"] == 1
    assert video_node_calls(emulator, "POST") == 1  # published once


@pytest.mark.slow
def test_a_kill_at_any_call_of_a_video_post_converges_to_one_post(
    video_project, run, emulator
) -> None:
    set_post_delay(emulator, 0)
    before = emulator.stats()["total"]
    assert run("apply", "--auto-approve", ".").exit_code == 0
    calls = emulator.stats()["total"] - before
    for k in range(1, calls + 1):
        emulator.reset()
        set_post_delay(emulator, 0)
        (video_project.root / "statesync.lock").unlink(missing_ok=True)
        start = emulator.stats()["total"]
        kill_apply_at_call(emulator, video_project.root, k, start)
        final = run("apply", "--auto-approve", ".")
        assert final.exit_code == 0, (k, final.output)
        assert run("plan", ".").stdout.endswith("No changes.\n"), k
        assert page_posts(emulator)["We are open!"] == 1, k
        post_id = video_project.post_ids()["opening"]
        assert live_attachments(emulator, post_id) == [the_video(video_project)["id"]]


def test_a_video_post_adopted_by_import_is_edited_through_its_video(
    project, run, emulator
) -> None:
    """A video post made by hand on the page, adopted by `statesync import`: the
    manifest names the video by id, and a new message is the video's description."""
    set_post_delay(emulator, 0)
    token = {"Authorization": f"Bearer {ACME_PAGE_TOKEN}"}
    with httpx.Client(base_url=f"{emulator.url}/v26.0", headers=token) as client:
        upload = client.post(
            f"/{ACME}/videos",
            data={"published": "false"},
            files={"source": ("hand.mp4", MP4 + bytes(64), "video/mp4")},
        )
        video_id = upload.json()["id"]
        published = client.post(
            f"/{video_id}", data={"published": "true", "description": "By hand"}
        )
        assert published.json() == {"success": True}
        post_id = client.get(f"/{video_id}", params={"fields": "post_id"}).json()[
            "post_id"
        ]
    (project.root / "pages").mkdir()
    project.write("pages/acme.yaml", f'page: "{ACME}"\nposts: {{}}\n')
    result = run("import", ACME)
    assert result.exit_code == 0, result.output
    text = (project.root / "pages/acme.yaml").read_text()
    assert f'"{video_id}"' in text
    assert run("plan", ".").stdout.endswith("No changes.\n")
    (project.root / "pages/acme.yaml").write_text(
        text.replace("By hand", "By hand, edited")
    )
    plan = run("plan", ".")
    assert "1 to update, 0 to replace" in plan.stdout, plan.output
    applied = run("apply", "--auto-approve", ".")
    assert applied.exit_code == 0, applied.output
    live = graph_get(emulator, post_id, fields="message").json()
    assert live["message"] == "By hand, edited"
    assert project.post_ids()[next(iter(project.post_ids()))] == post_id
    assert run("plan", ".").stdout.endswith("No changes.\n")


def test_a_saved_plan_publishes_the_video_post_it_showed(
    video_project, run, emulator
) -> None:
    plan = run("plan", "--out", "reviewed.plan", ".")
    assert plan.exit_code == 0, plan.output
    saved = json.loads((video_project.root / "reviewed.plan").read_text())
    (push,) = [a for a in saved["plan"]["actions"] if a["resource"] == "post"]
    assert push["video_post"] is True
    result = run("apply", "reviewed.plan")
    assert result.exit_code == 0, result.output
    assert page_posts(emulator)["We are open!"] == 1
    assert video_node_calls(emulator, "POST") == 1
    assert run("plan", ".").stdout.endswith("No changes.\n")


def test_one_video_in_two_posts_is_refused_for_the_second_before_anything_is_sent(
    video_project, run, emulator
) -> None:
    """One video makes one post on Facebook: the second post would only take the
    first one's post over."""
    video_project.write(
        "pages/acme.yaml",
        OPEN + "      again:\n        message: Still open!\n"
        "        attachments: [media/opening.mp4]\n",
    )
    result = run("apply", "--auto-approve", ".")
    assert result.exit_code == 1, result.output
    assert "acme/again: impossible" in result.output
    assert "media/opening.mp4 is already the video of post 'opening'" in result.output
    assert write_requests(emulator) == 0


def test_a_video_post_given_a_new_key_needs_moved_and_then_keeps_its_post(
    video_project, run, emulator
) -> None:
    assert run("apply", "--auto-approve", ".").exit_code == 0
    post_id = video_project.post_ids()["opening"]
    renamed = OPEN.replace("opening:", "doors:").replace("open!", "open, come in!")
    video_project.write("pages/acme.yaml", renamed)
    refused = run("plan", ".")
    assert "acme/doors: impossible" in refused.stdout, refused.output
    assert "use moved:" in refused.stdout
    video_project.write(
        "pages/acme.yaml", renamed + "    moved:\n      - {from: opening, to: doors}\n"
    )
    result = run("apply", "--auto-approve", ".")
    assert result.exit_code == 0, result.output
    assert video_project.post_ids() == {"doors": post_id}
    live = graph_get(emulator, post_id, fields="message").json()
    assert live["message"] == "We are open, come in!"
    assert run("plan", ".").stdout.endswith("No changes.\n")


def test_a_scheduled_photo_post_that_becomes_a_video_post_is_not_published_early(
    project, run, emulator, at
) -> None:
    at("2026-12-01T09:00:00Z")
    (project.root / "media").mkdir()
    (project.root / "media/opening.mp4").write_bytes(MP4 + bytes(4096))
    (project.root / "media/door.png").write_bytes(image("green"))
    timed = OPEN + "        publish_at: 2026-12-02T09:00:00Z\n"
    project.write("pages/acme.yaml", timed.replace("opening.mp4", "door.png"))
    assert run("apply", "--auto-approve", ".").exit_code == 0
    scheduled = project.post_ids()["opening"]
    project.write("pages/acme.yaml", timed)
    result = run("apply", "--auto-approve", ".")
    assert result.exit_code == 0, result.output
    assert "a post this writer cannot schedule (a video post)" in result.output
    assert graph_get(emulator, scheduled, fields="id").status_code != 200
    assert page_posts(emulator)["We are open!"] == 0  # nothing live before its time
    at("2026-12-02T09:00:30Z")
    result = run("apply", "--auto-approve", ".")
    assert result.exit_code == 0, result.output
    assert page_posts(emulator)["We are open!"] == 1
    assert the_video(project)["type"] == "video/mp4"


def test_a_video_deleted_outside_statesync_is_uploaded_again(
    video_project, run, emulator
) -> None:
    assert run("apply", "--auto-approve", ".").exit_code == 0
    post_id, video = video_project.post_ids()["opening"], the_video(video_project)
    token = {"Authorization": f"Bearer {ACME_PAGE_TOKEN}"}
    for node in (post_id, video["id"]):  # by hand: the post, then its video
        gone = httpx.delete(f"{emulator.url}/v26.0/{node}", headers=token)
        assert gone.status_code == 200, gone.text
    failed = run("apply", "--auto-approve", ".")
    assert failed.exit_code == 1, failed.output
    assert f"video {video['id']} no longer exists" in failed.output
    assert "the next apply uploads the file again" in failed.output
    assert media_of(video_project) == {}
    result = run("apply", "--auto-approve", ".")
    assert result.exit_code == 0, result.output
    assert the_video(video_project)["id"] != video["id"]
    assert page_posts(emulator)["We are open!"] == 1
    assert run("plan", ".").stdout.endswith("No changes.\n")


def test_a_graph_project_with_oneall_for_other_networks_publishes_video_posts(
    video_project, run, emulator, monkeypatch
) -> None:
    """provider graph with an X account through OneAll: the writer routes each
    target, and a Facebook page's video post still goes through the video node."""
    video_project.write(
        "pages/x.yaml", "network: twitter\nposts:\n  a: {message: hi}\n"
    )
    monkeypatch.setenv("ONEALL_TWITTER_IDENTITY_TOKEN", TWITTER_TOKEN)
    video_project.write(
        "statesync.yaml",
        """
        provider: graph
        oneall: {site: https://acme.api.oneall.com}
        retries: {attempts: 2, max_total_s: 1, max_wait_s: 0}
        """,
    )
    result = run("apply", "--auto-approve", ".")
    assert result.exit_code == 0, result.output
    assert video_node_calls(emulator, "POST") == 1
    assert page_posts(emulator)["We are open!"] == 1
    video_project.write("pages/acme.yaml", OPEN.replace("open!", "open, come in!"))
    result = run("apply", "--auto-approve", ".")
    assert result.exit_code == 0, result.output
    assert "0 replaced" in result.output
    assert run("plan", ".").stdout.endswith("No changes.\n")
