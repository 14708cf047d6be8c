"""X, LinkedIn company pages and Pinterest boards through OneAll, over real HTTP:
one manifest entry fanned out to four targets; a change that updates the pin in
place, replaces the tweet and is refused for LinkedIn; a removal that deletes the
pin and the tweet and forgets the LinkedIn post; offline refusals; a lost tweet push
settled by hand, never published twice."""

from __future__ import annotations

import io
import json
import logging
import time

import httpx
import pytest
from PIL import Image

from tests.e2e.conftest import ACME, kill_apply_at_call, write_requests

TWITTER_TOKEN = "7d1e4b2a-3c5f-4a6e-9b8d-1f2e3a4b5c6d"  # tests/seed.yaml: Dana's X
LINKEDIN_TOKEN = "9a2b6c3d-4e5f-4a7b-8c9d-0e1f2a3b4c5d"
PINTEREST_TOKEN = "3c4d8e9f-0a1b-4c2d-9e3f-4a5b6c7d8e9f"
COMPANY = "2414183"
BOARD = "5566778899001"
CONFIG = """
    provider: oneall
    oneall:
      site: https://acme.api.oneall.com
    retries: {attempts: 2, max_total_s: 1, max_wait_s: 0}
"""
LAUNCH = """
    name: Autumn launch
    targets:
      acme: {page: "104510075301234"}
      x: {network: twitter}
      linkedin: {network: linkedin, company: "2414183"}
      pins: {network: pinterest, board: "5566778899001"}
    posts:
      autumn-blend:
        message: MESSAGE
        attachments: [media/autumn.png]
        override:
          linkedin: {attachments: [], link: "https://acme.example/autumn"}
"""
FIRST = "Our autumn blend is here https://acme.example/autumn"
SECOND = "Our autumn blend is back https://acme.example/autumn"


def png(color: str = "orange") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (24, 16), color).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def networks(project, emulator, monkeypatch):
    monkeypatch.setenv("ONEALL_TWITTER_IDENTITY_TOKEN", TWITTER_TOKEN)
    monkeypatch.setenv("ONEALL_LINKEDIN_IDENTITY_TOKEN", LINKEDIN_TOKEN)
    monkeypatch.setenv("ONEALL_PINTEREST_IDENTITY_TOKEN", PINTEREST_TOKEN)
    project.write("statesync.yaml", CONFIG)
    (project.root / "media").mkdir()
    (project.root / "media/autumn.png").write_bytes(png())
    write_launch(project, FIRST)
    return project


def write_launch(project, message: str, *, linkedin: str | None = None) -> None:
    text = LAUNCH.replace("MESSAGE", json.dumps(message, ensure_ascii=False))
    if linkedin is not None:
        text = text.replace(
            'link: "https://acme.example/autumn"}',
            'link: "https://acme.example/autumn", '
            f"message: {json.dumps(linkedin, ensure_ascii=False)}}}",
        )
    project.write("pages/launch.yaml", text)


def objects(emulator, network: str) -> list[dict]:
    found = httpx.get(f"{emulator.url}/_emulator/networks").json()["objects"]
    return [o for o in found if o["network"] == network]


def live(emulator, network: str) -> list[dict]:
    return [o for o in objects(emulator, network) if not o["deleted"]]


def kill_during_tweet_push(emulator, root) -> None:
    """SIGKILL an apply whose first call, a tweet push, is in flight; then wait for
    the emulator to carry that call out, as X would (and before the next test)."""
    kill_apply_at_call(emulator, root, 1, emulator.stats()["total"])
    deadline = time.monotonic() + 10
    while not live(emulator, "twitter"):  # polling: the call is another thread's
        assert time.monotonic() < deadline, "the killed push never landed"
        time.sleep(0.02)


def recorded(project) -> dict[str, str]:
    """Target key -> the post id the lockfile records for autumn-blend."""
    return {
        target: page["posts"]["autumn-blend"]["id"]
        for target, page in project.lock()["pages"].items()
        if "autumn-blend" in page.get("posts", {})
    }


def test_one_entry_reaches_four_targets_and_settles(networks, emulator, run):
    plan = run("plan", "--detailed-exitcode", ".")
    assert plan.exit_code == 2, plan.output  # changes
    for address in ("launch@acme", "launch@x", "launch@linkedin", "launch@pins"):
        assert f"+ {address}/autumn-blend: push" in plan.output
    assert "posts on the X account cannot be read back" in plan.output
    assert "Plan: 4 to push" in plan.output

    applied = run("apply", "--auto-approve", ".")
    assert applied.exit_code == 0, applied.output
    ids = recorded(networks)
    assert set(ids) == {ACME, "twitter", f"linkedin:{COMPANY}", f"pinterest:{BOARD}"}
    [tweet] = live(emulator, "twitter")
    assert tweet["id"] == ids["twitter"]
    assert tweet["text"] == FIRST
    assert len(tweet["media"]) == 1  # the picture uploaded to X, attached by id
    [company_post] = live(emulator, "linkedin")
    assert company_post["id"] == ids[f"linkedin:{COMPANY}"]
    assert company_post["fields"]["link"] == "https://acme.example/autumn"
    [pin] = live(emulator, "pinterest")
    assert pin["target"] == BOARD
    [image] = pin["media"]
    assert image["size"] == len(png())  # the repository file, inline
    lock = networks.lock()["pages"]
    assert lock["twitter"]["manifest"] == "launch@x"

    again = run("plan", "--detailed-exitcode", ".")
    assert again.exit_code == 0, again.output
    assert "No changes." in again.output


def test_a_text_change_updates_the_pin_replaces_the_tweet_refuses_linkedin(
    networks, emulator, run
):
    assert run("apply", "--auto-approve", ".").exit_code == 0
    before = recorded(networks)
    write_launch(networks, SECOND)
    plan = run("plan", ".")
    out = plan.output
    assert "~ launch@acme/autumn-blend: update" in out
    assert "~ launch@pins/autumn-blend: update" in out
    assert "-/+ launch@x/autumn-blend: replace" in out
    assert "its replies, reposts and likes are lost" in out
    assert "! launch@linkedin/autumn-blend: impossible" in out
    assert "cannot delete a post to push it again" in out
    refused = run("apply", "--auto-approve", ".")
    assert refused.exit_code == 1
    assert live(emulator, "twitter")[0]["text"] == FIRST  # nothing was sent

    # LinkedIn keeps its words: the rest goes ahead.
    write_launch(networks, SECOND, linkedin=FIRST)
    applied = run("apply", "--auto-approve", ".")
    assert applied.exit_code == 0, applied.output
    after = recorded(networks)
    assert after[f"pinterest:{BOARD}"] == before[f"pinterest:{BOARD}"]  # in place
    assert live(emulator, "pinterest")[0]["text"] == SECOND
    assert after["twitter"] != before["twitter"]
    [tweet] = live(emulator, "twitter")
    assert (tweet["id"], tweet["text"]) == (after["twitter"], SECOND)
    assert after[f"linkedin:{COMPANY}"] == before[f"linkedin:{COMPANY}"]
    assert run("plan", "--detailed-exitcode", ".").exit_code == 0


def test_a_removal_deletes_pin_and_tweet_and_forgets_linkedin(networks, emulator, run):
    assert run("apply", "--auto-approve", ".").exit_code == 0
    networks.write(
        "pages/launch.yaml",
        """
        targets:
          acme: {page: "104510075301234"}
          x: {network: twitter}
          linkedin: {network: linkedin, company: "2414183"}
          pins: {network: pinterest, board: "5566778899001"}
        posts: {}
        """,
    )
    plan = run("plan", ".")
    assert "- launch@x/autumn-blend: delete" in plan.output
    assert "- launch@pins/autumn-blend: delete" in plan.output
    assert "= launch@linkedin/autumn-blend: forget" in plan.output
    assert "stays live on LinkedIn company 2414183" in plan.output
    applied = run("apply", "--auto-approve", ".")
    assert applied.exit_code == 0, applied.output
    assert live(emulator, "twitter") == []
    assert live(emulator, "pinterest") == []
    assert len(live(emulator, "linkedin")) == 1  # OneAll cannot delete it
    assert recorded(networks) == {}


def test_an_overlong_tweet_is_refused_offline(networks, emulator, run):
    # 250 letters, a URL of 104 characters counted as 23, an emoji counted 2 and
    # six CJK characters counted 2 each: 290 weighted, as twitter-text counts.
    message = "a" * 250 + " https://acme-coffee.com/" + "x" * 80 + " 🎉 秋のブレンド"
    write_launch(networks, message)
    start = write_requests(emulator)
    result = run("validate", ".")
    assert result.exit_code == 1
    assert "pages/launch.yaml:" in result.output
    assert "weighs 290 characters on X, over its 280" in result.output
    assert write_requests(emulator) == start


def test_a_tweet_under_280_weighted_but_long_by_len_is_accepted(networks, run):
    # A URL of 123 characters counts 23: the message is 292 long, 192 weighted.
    message = "b" * 168 + " https://acme-coffee.com/" + "y" * 99
    assert len(message) > 280
    write_launch(networks, message)
    assert run("validate", ".").exit_code == 0


def test_network_fields_refused_with_what_to_do(networks, run):
    networks.write(
        "pages/x.yaml",
        """
        network: twitter
        posts:
          linked:
            message: See our menu
            link: https://acme.example/menu
          from-facebook:
            message: An old photo
            attachments: ["10213097336001811"]
        """,
    )
    networks.write(
        "pages/pins.yaml",
        """
        network: pinterest
        board: "5566778899002"
        posts:
          no-image:
            message: A pin without a picture
        """,
    )
    result = run("validate", ".")
    assert result.exit_code == 1
    out = result.output
    assert "pages/x.yaml:3: post 'linked': a tweet has no link field" in out
    assert "put the URL in the message" in out
    assert (
        "pages/x.yaml:6: post 'from-facebook': attachment 10213097336001811 is" in out
    )
    assert "pages/pins.yaml:4: post 'no-image': a pin needs exactly one image" in out
    assert "on X attach files from the repository" in out


def test_a_graph_project_reaches_x_through_oneall(project, emulator, run, monkeypatch):
    """Facebook pages through the Graph API, the X account through OneAll."""
    project.write("pages/x.yaml", "network: twitter\nposts:\n  a: {message: hi}\n")
    monkeypatch.setenv("ONEALL_TWITTER_IDENTITY_TOKEN", TWITTER_TOKEN)
    monkeypatch.delenv("STATESYNC_ONEALL_URL")
    missing = run("plan", ".")
    assert missing.exit_code == 1
    assert "publishing to X, LinkedIn or Pinterest needs the OneAll site" in (
        missing.output
    )
    monkeypatch.setenv("STATESYNC_ONEALL_URL", emulator.url)
    project.write(
        "statesync.yaml",
        """
        provider: graph
        oneall: {site: https://acme.api.oneall.com}
        retries: {attempts: 2, max_total_s: 1, max_wait_s: 0}
        """,
    )
    project.write(
        "pages/acme.yaml", 'page: "104510075301234"\nposts:\n  b: {message: yo}\n'
    )
    applied = run("apply", "--auto-approve", ".")
    assert applied.exit_code == 0, applied.output
    assert [o["text"] for o in live(emulator, "twitter")] == ["hi"]
    assert project.post_ids()["b"].startswith(f"{ACME}_")  # through Graph
    assert run("plan", "--detailed-exitcode", ".").exit_code == 0


def test_missing_network_identity_names_its_variable(networks, run, monkeypatch):
    monkeypatch.delenv("ONEALL_TWITTER_IDENTITY_TOKEN")
    result = run("plan", ".")
    assert result.exit_code == 1
    assert "ONEALL_TWITTER_IDENTITY_TOKEN is not set" in result.output
    assert "X login" in result.output


def test_identity_tokens_never_shown(networks, emulator, run, caplog):
    caplog.set_level(logging.DEBUG)
    applied = run("-v", "apply", "--auto-approve", ".")
    assert applied.exit_code == 0, applied.output
    everything = "\n".join([applied.stdout, applied.stderr, caplog.text])
    for token in (TWITTER_TOKEN, LINKEDIN_TOKEN, PINTEREST_TOKEN):
        assert token not in everything
    assert "/push/identities/***/twitter/post.json" in everything
    assert "/pinterest/board/5566778899001/pin.json" in everything


def test_a_killed_tweet_push_is_resolved_by_hand_never_twice(networks, emulator, run):
    networks.write(
        "pages/launch.yaml",
        """
        network: twitter
        posts:
          hello:
            message: Hello from Acme
        """,
    )
    kill_during_tweet_push(emulator, networks.root)
    landed = live(emulator, "twitter")
    plan = run("plan", ".")
    assert "launch/hello: unknown outcome" in plan.output
    assert "statesync resolve launch/hello" in plan.output
    # Nothing is pushed again while the outcome is unknown.
    assert "check the X account for the post" in plan.output
    waiting = run("apply", "--auto-approve", ".")
    assert waiting.exit_code == 0, waiting.output
    assert "1 push to resolve" in waiting.output
    assert len(live(emulator, "twitter")) == len(landed)
    [tweet] = landed  # the emulator carried out the call the killed run sent
    wrong = run("resolve", "launch/hello", "--post-id", "104510075301234_1")
    assert wrong.exit_code == 1
    assert "is not a post of the X account (ids look like digits)" in wrong.output
    resolved = run("resolve", "launch/hello", "--post-id", tweet["id"])
    assert resolved.exit_code == 0, resolved.output
    assert run("apply", "--auto-approve", ".").exit_code == 0
    assert len(live(emulator, "twitter")) == 1
    assert run("plan", "--detailed-exitcode", ".").exit_code == 0


def test_pin_image_renamed_changes_nothing_and_a_new_image_replaces_the_pin(
    networks, emulator, run
):
    networks.write(
        "pages/launch.yaml",
        """
        network: pinterest
        board: "5566778899001"
        posts:
          autumn:
            message: Our autumn blend
            attachments: [{file: media/autumn.png, alt: A cup of coffee}]
        """,
    )
    assert run("apply", "--auto-approve", ".").exit_code == 0
    [pin] = live(emulator, "pinterest")
    assert pin["media"][0]["alt_text"] == "A cup of coffee"
    (networks.root / "media/autumn.png").rename(networks.root / "media/renamed.png")
    text = (networks.root / "pages/launch.yaml").read_text()
    (networks.root / "pages/launch.yaml").write_text(
        text.replace("media/autumn.png", "media/renamed.png")
    )
    assert run("plan", "--detailed-exitcode", ".").exit_code == 0  # same bytes
    (networks.root / "media/renamed.png").write_bytes(png("purple"))
    plan = run("plan", ".")
    assert "-/+ launch/autumn: replace" in plan.output
    assert "the pin is deleted and pinned again" in plan.output
    assert run("apply", "--auto-approve", ".").exit_code == 0
    [new] = live(emulator, "pinterest")
    assert new["id"] != pin["id"]
    assert new["media"][0]["size"] == len(png("purple"))


def test_a_tweet_with_a_video(networks, emulator, run):
    mp4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 2000
    (networks.root / "media/clip.mp4").write_bytes(mp4)
    networks.write(
        "pages/launch.yaml",
        """
        network: twitter
        posts:
          clip:
            message: Watch us roast
            attachments: [media/clip.mp4]
        """,
    )
    applied = run("apply", "--auto-approve", ".")
    assert applied.exit_code == 0, applied.output
    [tweet] = live(emulator, "twitter")
    [video] = tweet["media"]
    assert video["size"] == len(mp4)
    assert run("plan", "--detailed-exitcode", ".").exit_code == 0


def test_a_manifest_folded_into_a_fanout_keeps_its_posts(networks, emulator, run):
    """tweets.yaml's tweet moves into launch.yaml, which also reaches Acme: the
    tweet keeps its id, Acme gets its own post, nothing is deleted."""
    networks.write(
        "pages/launch.yaml", "network: twitter\nposts:\n  hello: {message: Hello}\n"
    )
    networks.root.joinpath("pages/launch.yaml").rename(
        networks.root / "pages/tweets.yaml"
    )
    assert run("apply", "--auto-approve", ".").exit_code == 0
    [tweet] = live(emulator, "twitter")
    (networks.root / "pages/tweets.yaml").unlink()
    networks.write(
        "pages/launch.yaml",
        """
        targets:
          acme: {page: "104510075301234"}
          x: {network: twitter}
        posts:
          hi: {message: Hello}
        moved:
          - {from: nowhere/hello, to: hi}
        """,
    )
    refused = run("plan", ".")
    assert refused.exit_code == 1
    assert "pages/launch.yaml:7: moved: nowhere/hello is not on any target" in (
        refused.output
    )
    text = (networks.root / "pages/launch.yaml").read_text()
    (networks.root / "pages/launch.yaml").write_text(
        text.replace("nowhere/hello", "tweets/hello")
    )
    plan = run("plan", ".")
    assert "mv tweets/hello -> launch@x/hi: moved" in plan.output
    assert "+ launch@acme/hi: push" in plan.output
    assert "delete" not in plan.output.split("Plan:")[1].replace("0 to delete", "")
    assert run("apply", "--auto-approve", ".").exit_code == 0
    assert [t["id"] for t in live(emulator, "twitter")] == [tweet["id"]]
    assert recorded_key(networks, "twitter", "hi") == tweet["id"]
    assert run("plan", "--detailed-exitcode", ".").exit_code == 0


def recorded_key(project, target: str, key: str) -> str:
    return project.lock()["pages"][target]["posts"][key]["id"]


def test_a_wrong_identity_never_passes_for_a_deleted_post(
    networks, emulator, run, monkeypatch
):
    """An identity OneAll does not know answers 404 too: that is no proof the
    tweet or pin is gone, so the lockfile keeps their ids."""
    assert run("apply", "--auto-approve", ".").exit_code == 0
    before = recorded(networks)
    networks.write(
        "pages/launch.yaml",
        LAUNCH.replace("MESSAGE", '"x"').split("posts:")[0] + "posts: {}\n",
    )
    monkeypatch.setenv(
        "ONEALL_TWITTER_IDENTITY_TOKEN", "6e7f0a1b-2c3d-4e5f-8a9b-000000000000"
    )
    monkeypatch.setenv(
        "ONEALL_PINTEREST_IDENTITY_TOKEN", "6e7f0a1b-2c3d-4e5f-8a9b-000000000001"
    )
    result = run("apply", "--auto-approve", ".")
    assert result.exit_code == 1
    assert "is invalid" in result.output
    assert len(live(emulator, "twitter")) == 1
    assert len(live(emulator, "pinterest")) == 1
    kept = recorded(networks)
    assert kept["twitter"] == before["twitter"]
    assert kept[f"pinterest:{BOARD}"] == before[f"pinterest:{BOARD}"]


def test_a_pin_has_an_image_and_a_link(networks, emulator, run):
    networks.write(
        "pages/launch.yaml",
        """
        network: pinterest
        board: "5566778899001"
        posts:
          autumn:
            message: Our autumn blend
            link: https://acme-coffee.com/autumn
            attachments: [media/autumn.png]
        """,
    )
    applied = run("apply", "--auto-approve", ".")
    assert applied.exit_code == 0, applied.output
    [pin] = live(emulator, "pinterest")
    assert pin["fields"]["link"] == "https://acme-coffee.com/autumn"


def test_a_facebook_shard_needs_no_other_login(networks, run, monkeypatch):
    networks.write(
        "pages/beta.yaml", 'page: "104510075305678"\nposts:\n  a: {message: hi}\n'
    )
    monkeypatch.delenv("ONEALL_TWITTER_IDENTITY_TOKEN")
    monkeypatch.delenv("ONEALL_LINKEDIN_IDENTITY_TOKEN")
    monkeypatch.delenv("ONEALL_PINTEREST_IDENTITY_TOKEN")
    result = run("plan", "--only", "beta.yaml", ".")
    assert result.exit_code == 0, result.output
    assert "+ beta/a: push" in result.output


def test_the_markdown_plan_gives_resolve_commands_to_copy(networks, emulator, run):
    networks.write(
        "pages/launch.yaml",
        """
        targets:
          x: {network: twitter}
        posts:
          hello: {message: Hello from Acme}
        """,
    )
    kill_during_tweet_push(emulator, networks.root)
    markdown = run("plan", ".", "--format", "markdown").output
    assert "`statesync resolve launch@x/hello --not-published`" in markdown
    assert (
        "\u200d"
        not in markdown.split("Unknown outcome:")[1]
        .split("\n")[0]
        .split("check")[1]
        .split("for the post")[1]
    )


def test_online_validation_says_what_it_could_not_check(networks, run):
    result = run("validate", "--online", ".")
    assert result.exit_code == 0, result.output
    assert "4 targets could not be checked" in result.output


def test_import_refuses_a_post_it_cannot_read(networks, run):
    assert run("apply", "--auto-approve", ".").exit_code == 0
    result = run("import", "launch@x/autumn-blend", "1850000000000000009")
    assert result.exit_code == 1
    assert "posts on the X account cannot be read back" in result.output


def test_a_post_can_go_to_some_targets_only(networks, emulator, run):
    networks.write(
        "pages/launch.yaml",
        """
        targets:
          acme: {page: "104510075301234"}
          x: {network: twitter}
        posts:
          menu:
            message: Our menu, with a link preview
            link: https://acme-coffee.com/menu
            targets: [acme]
          hello:
            message: Hello everywhere
        """,
    )
    plan = run("plan", ".")
    assert "+ launch@acme/menu: push" in plan.output
    assert "launch@x/menu" not in plan.output  # a link on X would be refused
    assert "+ launch@x/hello: push" in plan.output
    assert run("apply", "--auto-approve", ".").exit_code == 0
    assert [t["text"] for t in live(emulator, "twitter")] == ["Hello everywhere"]
    assert set(networks.post_ids()) == {"menu", "hello"}


def test_a_page_manifest_turned_into_a_fanout_keeps_its_posts(networks, emulator, run):
    networks.write(
        "pages/launch.yaml",
        """
        page: "104510075301234"
        posts:
          hello: {message: Hello}
        """,
    )
    assert run("apply", "--auto-approve", ".").exit_code == 0
    before = networks.post_ids()
    networks.write(
        "pages/launch.yaml",
        """
        targets:
          acme: {page: "104510075301234"}
          x: {network: twitter}
        posts:
          hello: {message: Hello}
        """,
    )
    plan = run("plan", ".")
    assert "Plan: 1 to push, 0 to update, 0 to replace, 0 to delete." in plan.output
    assert "+ launch@x/hello: push" in plan.output
    assert run("apply", "--auto-approve", ".").exit_code == 0
    assert networks.post_ids() == before
    assert run("plan", "--detailed-exitcode", ".").exit_code == 0


def test_a_rename_moves_the_post_where_it_goes(networks, emulator, run):
    networks.write(
        "pages/launch.yaml",
        """
        targets:
          acme: {page: "104510075301234"}
          x: {network: twitter}
        posts:
          hello: {message: Hello, targets: [x]}
          both: {message: Both}
        """,
    )
    assert run("apply", "--auto-approve", ".").exit_code == 0
    tweets = {t["text"]: t["id"] for t in live(emulator, "twitter")}
    networks.write(
        "pages/launch.yaml",
        """
        targets:
          acme: {page: "104510075301234"}
          x: {network: twitter}
        posts:
          hi: {message: Hello, targets: [x]}
          only-x: {message: Both, targets: [x]}
        moved:
          - {from: hello, to: hi}
          - {from: both, to: only-x}
        """,
    )
    plan = run("plan", ".")
    assert plan.exit_code == 0, plan.output
    assert "mv launch@x/hello -> launch@x/hi: moved" in plan.output
    assert "mv launch@x/both -> launch@x/only-x: moved" in plan.output
    assert "- launch@acme/both: delete" in plan.output
    assert run("apply", "--auto-approve", ".").exit_code == 0
    assert {t["text"]: t["id"] for t in live(emulator, "twitter")} == tweets
    again = run("plan", "--detailed-exitcode", ".")
    assert again.exit_code == 0, again.output


def test_a_file_for_facebook_alone_has_facebooks_limit(networks, run):
    """A 600 MB video is over X's 512 MB and within Facebook's 1 GB: accepted in a
    post that goes to the Facebook page alone, refused once the post reaches X."""
    video = networks.root / "media/big.mp4"
    with video.open("wb") as handle:  # sparse: no disk written for the zeros
        handle.write(b"\x00\x00\x00\x18ftypmp42")
        handle.truncate(600 * 1024 * 1024)
    manifest = """
        targets:
          acme: {page: "104510075301234"}
          x: {network: twitter}
        posts:
          film:
            message: Our roastery, the film
            attachments: [media/big.mp4]
            targets: [acme]
        """
    networks.write("pages/launch.yaml", manifest)
    assert run("validate", ".").exit_code == 0
    networks.write(
        "pages/launch.yaml", manifest.replace("targets: [acme]", "targets: [acme, x]")
    )
    refused = run("validate", ".")
    assert refused.exit_code == 1
    assert "over the 512.0 MB" in refused.output
