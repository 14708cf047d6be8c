"""How a video post is published on Graph (statesync.providers.graph_video), with the
HTTP seam replaced by a script of replies: what is sent, how long the post id is
waited for, and what ends the wait."""

from __future__ import annotations

from typing import Any

import pytest

from statesync.errors import ProviderError
from statesync.model import PostFields
from statesync.providers.base import MediaGone, PushOutcomeUnknown
from statesync.providers.graph_video import (
    POST_ID_WAIT_S,
    VideoPublisher,
    video_upload_base,
)
from statesync.providers.graph_wire import GraphCall
from statesync.providers.retry import CallKind, RetryPolicy
from statesync.secret import Secret

PAGE = "104510075301234"
VIDEO = "123456789"
TOKEN = Secret("EAAB-page-token-never-shown")
LOOK = ("GET", f"/{VIDEO}", {"fields": "published,post_id,status"}, CallKind.READ)


class Script:
    """Answers each look with the next reply, and keeps what was sent."""

    def __init__(self, *looks: object) -> None:
        self.looks = list(looks)
        self.sent: list[tuple[str, str, dict[str, str], CallKind]] = []
        self.slept: list[float] = []

    def call(self, call: GraphCall, kind: CallKind) -> Any:
        self.sent.append((call.method, call.path, dict(call.form or call.params), kind))
        if call.method == "POST":
            return {"success": True}
        return self.looks.pop(0) if self.looks else {"status": {}}

    def edit(
        self, page: str, node: str, form: dict[str, str], what: str, kind: CallKind
    ) -> None:
        assert what == "video"
        self.call(GraphCall("POST", f"/{node}", TOKEN, form=form), kind)

    def videos(self) -> VideoPublisher:
        return VideoPublisher(
            self.call,
            self.edit,
            lambda page: TOKEN,
            RetryPolicy(sleep=self.slept.append),
        )


def test_publishing_sends_the_message_as_description_then_waits_for_the_post_id():
    script = Script(
        {"published": False, "status": {"video_status": "ready"}},
        {"status": {"video_status": "processing"}},
        {"status": {"video_status": "processing"}},
        {"post_id": f"{PAGE}_77", "status": {"video_status": "ready"}},
    )
    post_id = script.videos().publish(PAGE, VIDEO, PostFields(message="We are open!"))
    assert post_id == f"{PAGE}_77"
    assert script.sent[:2] == [
        LOOK,
        (
            "POST",
            f"/{VIDEO}",
            {"published": "true", "description": "We are open!"},
            CallKind.PUSH,  # never blindly repeated: a lost answer is listed for
        ),
    ]
    assert script.sent[2:] == [LOOK] * 3
    assert script.slept == [0.25, 0.5]


def test_a_video_already_published_only_gets_its_message_never_a_second_post():
    script = Script(
        {"published": True, "post_id": f"{PAGE}_77"},
        {"published": True, "post_id": f"{PAGE}_77"},
    )
    post_id = script.videos().publish(PAGE, VIDEO, PostFields(message="x"))
    assert post_id == f"{PAGE}_77"
    posts = [sent for sent in script.sent if sent[0] == "POST"]
    assert posts == [("POST", f"/{VIDEO}", {"description": "x"}, CallKind.UPDATE)]


def test_a_post_id_that_never_comes_ends_as_an_unknown_outcome_within_the_bound():
    script = Script()
    with pytest.raises(PushOutcomeUnknown) as raised:
        script.videos().publish(PAGE, VIDEO, PostFields())
    assert sum(script.slept) <= POST_ID_WAIT_S
    assert sum(script.slept) > POST_ID_WAIT_S / 2
    assert max(script.slept) == 10.0
    assert "gave no post id" in raised.value.message
    assert TOKEN.reveal() not in str(raised.value)


@pytest.mark.parametrize("post_id", ["999999_1", "../me", 12.5, {"id": "1"}], ids=repr)
def test_a_post_id_that_is_not_one_of_this_pages_is_refused(post_id: object) -> None:
    script = Script({"published": True}, {"published": True, "post_id": post_id})
    with pytest.raises(ProviderError) as raised:
        script.videos().publish(PAGE, VIDEO, PostFields())
    assert TOKEN.reveal() not in str(raised.value)


@pytest.mark.parametrize("state", ["error", "upload_failed"])
def test_a_video_facebook_cannot_process_is_gone_not_a_wait(state: str) -> None:
    script = Script({"published": False}, {"status": {"video_status": state}})
    with pytest.raises(MediaGone, match="could not process the video") as raised:
        script.videos().publish(PAGE, VIDEO, PostFields(message="x"))
    assert raised.value.media_id == VIDEO
    assert script.slept == []


@pytest.mark.parametrize("status", [{"video_status": ["error"]}, ["ready"], "x"])
def test_an_odd_status_is_read_as_no_status(status: object) -> None:
    script = Script({"status": status}, {"status": status, "post_id": f"{PAGE}_5"})
    assert script.videos().publish(PAGE, VIDEO, PostFields()) == f"{PAGE}_5"


def test_a_message_change_is_the_description_and_none_clears_it() -> None:
    script = Script()
    script.videos().describe(PAGE, VIDEO, PostFields(message=None))
    assert script.sent == [("POST", f"/{VIDEO}", {"description": ""}, CallKind.UPDATE)]


@pytest.mark.parametrize(
    ("base", "video"),
    [
        ("https://graph.facebook.com", "https://graph-video.facebook.com"),
        ("https://Graph.Facebook.com/", "https://graph-video.facebook.com"),
        ("http://127.0.0.1:8931", None),  # the emulator serves both
        ("https://graph.facebook.com:443/", "https://graph-video.facebook.com"),
        ("https://graph.facebook.com:8443", None),  # a port: not Meta's host
        ("https://proxy.example/graph", None),
    ],
)
def test_video_files_go_to_the_video_apis_host(base: str, video: str | None) -> None:
    assert video_upload_base(base) == video


def test_a_video_that_is_already_another_entrys_post_is_refused_before_sending():
    script = Script({"published": True, "post_id": f"{PAGE}_77"})
    with pytest.raises(ProviderError, match="already the post"):
        script.videos().publish(PAGE, VIDEO, PostFields(), taken={f"{PAGE}_77"})
    assert script.sent == [LOOK]  # its description untouched
