"""Targets beyond Facebook, pure: keys, offline network rules, planning per target's
capabilities, and how the plan says what it cannot see or what a replace loses."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from statesync.errors import Location
from statesync.kinds import Capabilities, Kind
from statesync.media import MediaFile
from statesync.model import (
    POST_FIELDS,
    Address,
    Desired,
    DesiredPost,
    PageManifest,
    PostFields,
    Record,
    RecordedPage,
)
from statesync.network_check import check_post, media_limits, tweet_weight
from statesync.normalize import field_hashes
from statesync.plan import ActionKind
from statesync.providers.oneall_networks import NETWORK_CAPABILITIES
from statesync.render.json import plan_from_data, render_json
from statesync.render.markdown import render_markdown
from statesync.render.text import render_plan
from statesync.target_plan import plan_targets
from statesync.targets import (
    Network,
    Target,
    file_stem,
    manifest_name,
    network_of,
    post_id_problem,
    target_of,
)
from tests.unit.test_render_json import shipped_validator

ACME = "104510075301234"
FACEBOOK = {
    Kind.POST: Capabilities(
        fields=frozenset(POST_FIELDS), in_place=frozenset({"message", "attachments"})
    )
}


# -- keys ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "key", "shown"),
    [
        (Target(Network.FACEBOOK, ACME), ACME, f"page {ACME}"),
        (Target(Network.TWITTER), "twitter", "the X account"),
        (
            Target(Network.LINKEDIN, "2414183"),
            "linkedin:2414183",
            "LinkedIn company 2414183",
        ),
        (Target(Network.PINTEREST, "55"), "pinterest:55", "Pinterest board 55"),
    ],
)
def test_a_key_names_its_target_and_back(target: Target, key: str, shown: str) -> None:
    assert target.key == key
    assert target_of(key) == target
    assert network_of(key) is target.network
    assert str(target) == shown


@pytest.mark.parametrize("key", [":0", "x:1", "", "twitter:1", "linkedin:"])
def test_any_other_key_is_named_as_a_page(key: str) -> None:
    """A saved plan's page id is untrusted text: renderers name it, never fail."""
    assert target_of(key) == Target(Network.FACEBOOK, key)
    assert network_of(key) is Network.FACEBOOK


def test_manifest_names_and_file_stems() -> None:
    assert manifest_name("launch", None) == "launch"
    assert manifest_name("launch", "x") == "launch@x"
    assert file_stem("launch@x") == file_stem("launch") == "launch"


@pytest.mark.parametrize(
    ("key", "post_id", "ok"),
    [
        (ACME, f"{ACME}_1", True),
        (ACME, "104510075305678_1", False),
        ("twitter", "1850000000000000001", True),
        ("twitter", f"{ACME}_1", False),
        ("linkedin:1", "urn:li:share:7200000000000000001", True),
        ("linkedin:1", "urn:li:share:7/../x", False),
        ("pinterest:5", "813744226420795001", True),
        ("pinterest:5", "abc", False),
    ],
)
def test_post_ids_are_checked_per_network(key: str, post_id: str, ok: bool) -> None:
    assert (post_id_problem(key, post_id) is None) is ok


# -- offline rules per network --------------------------------------------------------


def media(name: str, mime: str = "image/png", size: int = 1000) -> MediaFile:
    return MediaFile(f"/p/{name}", name, name.ljust(64, "0"), mime, size)


def problems(network: Network, fields: PostFields, *files: MediaFile) -> list[str]:
    found: list[str] = []
    by_key = {f.key: f for f in files}
    check_post(network, "k", fields, by_key, found.append)
    return found


def attach(*files: MediaFile) -> tuple[str, ...]:
    return tuple(f.ref for f in files)


def test_x_weighs_urls_cjk_and_emoji_by_twitter_text() -> None:
    assert tweet_weight("a" * 280) == 280
    assert tweet_weight("https://acme-coffee.com/" + "x" * 200) == 23
    assert tweet_weight("秋") == 2
    assert tweet_weight("🎉") == 2
    assert problems(Network.TWITTER, PostFields(message="a" * 280)) == []
    [problem] = problems(Network.TWITTER, PostFields(message="a" * 279 + "秋"))
    assert "weighs 281 characters on X, over its 280" in problem


def test_x_weighs_long_dotted_text_without_handing_it_to_twitter_text_whole(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """twitter-text's URL pattern takes seconds on long runs of short dotted labels:
    such a word reaches it in slices, and counting stops once far over the limit."""
    import twitter_text

    seen: list[int] = []
    real = twitter_text.parse_tweet

    def spy(text: str):  # type: ignore[no-untyped-def]
        seen.append(len(text))
        return real(text)

    monkeypatch.setattr(twitter_text, "parse_tweet", spy)
    assert tweet_weight("v" + "1.2." * 750) > 560
    assert max(seen) <= 300
    seen.clear()
    assert tweet_weight("1.2. " * 6000) > 560
    assert len(seen) <= 3


WORDS = st.sampled_from(
    [
        "coffee",
        "https://acme-coffee.com/autumn",
        "日本語",
        "🎉",
        "über.de",
        "acme.com",
        "(x)",
        "1.2.3",
        "utm_source=a&b=c",
        "\n",
        "—",
        "👨‍👩‍👧",
    ]
)


@settings(max_examples=200, deadline=None)
@given(st.lists(WORDS, min_size=1, max_size=120), st.sampled_from([" ", ""]))
def test_x_weight_is_twitter_texts(words: list[str], glue: str) -> None:
    from twitter_text import parse_tweet

    text = glue.join(words)[:600]
    expected = parse_tweet(text).weightedLength
    got = tweet_weight(text)
    assert got == expected or (got > 560 and expected > 560)


def test_x_media_rules() -> None:
    pictures = [media(f"p{i}.png") for i in range(5)]
    video = media("v.mp4", "video/mp4")
    assert (
        problems(
            Network.TWITTER, PostFields(attachments=attach(*pictures[:4])), *pictures
        )
        == []
    )
    [five] = problems(
        Network.TWITTER, PostFields(attachments=attach(*pictures)), *pictures
    )
    assert "at most 4 pictures, got 5" in five
    [mixed] = problems(
        Network.TWITTER,
        PostFields(attachments=attach(video, pictures[0])),
        video,
        pictures[0],
    )
    assert "one video alone" in mixed
    assert media_limits([Network.TWITTER]) == (5 * 1024 * 1024, 512 * 1024 * 1024)
    assert media_limits([Network.TWITTER, Network.FACEBOOK])[0] == 4 * 1024 * 1024


def test_linkedin_and_pinterest_limits() -> None:
    [long] = problems(Network.LINKEDIN, PostFields(message="a" * 3001))
    assert "3,001 characters, over the 3,000 of a LinkedIn post" in long
    photo, video = media("a.png"), media("v.mp4", "video/mp4")
    [files] = problems(
        Network.LINKEDIN, PostFields(message="m", attachments=attach(photo)), photo
    )
    assert "no files" in files
    assert (
        problems(Network.PINTEREST, PostFields(attachments=attach(photo)), photo) == []
    )
    [moving] = problems(Network.PINTEREST, PostFields(attachments=attach(video)), video)
    assert "got a video" in moving
    [text] = problems(
        Network.PINTEREST,
        PostFields(message="a" * 501, attachments=attach(photo)),
        photo,
    )
    assert "over the 500 of a pin's description" in text


# -- planning with each target's capabilities ------------------------------------------


def manifest(key: str, name: str, fields: PostFields) -> PageManifest:
    post = DesiredPost(
        Address(name, "news"), key, fields, Location("pages/launch.yaml", 9)
    )
    return PageManifest(
        key, None, name, Location("pages/launch.yaml", 2), {"news": post}
    )


def capabilities_of(key: str):
    return FACEBOOK if key == ACME else NETWORK_CAPABILITIES[network_of(key)]


def recorded_for(keys: dict[str, str], fields: PostFields) -> dict[str, RecordedPage]:
    return {
        key: RecordedPage(
            name, posts={"news": Record(f"id-{key}", field_hashes(fields))}
        )
        for key, name in keys.items()
    }


TARGETS = {
    ACME: "launch@acme",
    "twitter": "launch@x",
    "linkedin:2414183": "launch@linkedin",
    "pinterest:55": "launch@pins",
}


def test_one_change_plans_per_network() -> None:
    before, after = PostFields(message="old"), PostFields(message="new")
    desired = Desired({k: manifest(k, n, after) for k, n in TARGETS.items()})
    recorded = recorded_for(TARGETS, before)
    live = {f"id-{ACME}": before}  # the Facebook page alone is read
    plan = plan_targets(desired, recorded, live, capabilities_of, now=None)
    kinds = {a.address.manifest: a.kind for a in plan.actions}
    assert kinds == {
        "launch@acme": ActionKind.UPDATE,
        "launch@x": ActionKind.REPLACE,
        "launch@linkedin": ActionKind.IMPOSSIBLE,
        "launch@pins": ActionKind.UPDATE,
    }
    assert plan.reads_live
    assert plan.unread == ("linkedin:2414183", "pinterest:55", "twitter")
    text = render_plan(plan)
    assert "its replies, reposts and likes are lost" in text
    assert "Note: posts on the X account cannot be read back through OneAll" in text
    markdown = render_markdown(plan)
    assert "> **Note:** posts on Pinterest board 55 cannot be read back" in markdown
    data = json.loads(render_json(plan))
    shipped_validator("plan-v1.schema.json").validate(data)
    assert data["unread"] == ["linkedin:2414183", "pinterest:55", "twitter"]
    assert plan_from_data(data).unread == plan.unread


def test_a_removal_deletes_or_forgets_per_network() -> None:
    fields = PostFields(message="m")
    desired = Desired({})
    plan = plan_targets(desired, recorded_for(TARGETS, fields), {}, capabilities_of)
    kinds = {a.address.manifest: a.kind for a in plan.actions}
    assert kinds["launch@linkedin"] is ActionKind.FORGET
    assert {kinds[n] for n in ("launch@x", "launch@pins", "launch@acme")} == {
        ActionKind.DELETE
    }


def test_facebook_alone_plans_in_one_pass_and_says_nothing_more() -> None:
    fields = PostFields(message="m")
    desired = Desired({ACME: manifest(ACME, "acme", fields)})
    plan = plan_targets(desired, {}, {}, capabilities_of)
    assert [a.kind for a in plan.actions] == [ActionKind.PUSH]
    assert plan.unread == ()
    assert plan_targets(Desired({}), {}, None, capabilities_of).actions == ()
