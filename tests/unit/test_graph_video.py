"""How a video post is published on Graph (statesync.providers.graph_video), with the
HTTP seam replaced by a script of replies: what is sent, how long the post id is
waited for, and what ends the wait."""

from __future__ import annotations

from typing import Any

import pytest

from statesync.model import PostFields
from statesync.providers.base import PushOutcomeUnknown
from statesync.providers.graph_errors import GraphError
from statesync.providers.graph_video import POST_ID_WAIT_S, VideoPosts
from statesync.providers.graph_wire import GraphCall
from statesync.providers.retry import CallKind, RetryPolicy
from statesync.secret import Secret

PAGE = "104510075301234"
VIDEO = "123456789"
TOKEN = Secret("EAAB-page-token-never-shown")


class Script:
    """Answers each call with the next reply, and keeps what was sent."""

    def __init__(self, *looks: dict[str, Any]) -> None:
        self.looks = list(looks)
        self.sent: list[tuple[str, str, dict[str, str], CallKind]] = []
        self.slept: list[float] = []

    def call(self, call: GraphCall, kind: CallKind) -> Any:
        self.sent.append((call.method, call.path, dict(call.form or call.params), kind))
        if call.method == "POST":
            return {"success": True}
        return self.looks.pop(0) if self.looks else {"status": {}}

    def edit(self, page: str, node: str, form: dict[str, str], what: str) -> None:
        assert what == "video"
        self.call(GraphCall("POST", f"/{node}", TOKEN, form=form), CallKind.UPDATE)

    def videos(self) -> VideoPosts:
        return VideoPosts(
            self.call,
            self.edit,
            lambda page: TOKEN,
            RetryPolicy(sleep=self.slept.append),
        )


def test_publishing_sends_the_message_as_description_then_waits_for_the_post_id():
    script = Script(
        {"status": {"video_status": "processing"}},
        {"status": {"video_status": "processing"}},
        {"post_id": f"{PAGE}_77", "status": {"video_status": "ready"}},
    )
    post_id = script.videos().publish(PAGE, VIDEO, PostFields(message="We are open!"))
    assert post_id == f"{PAGE}_77"
    assert script.sent[0] == (
        "POST",
        f"/{VIDEO}",
        {"published": "true", "description": "We are open!"},
        CallKind.UPDATE,
    )
    assert (
        script.sent[1:]
        == [("GET", f"/{VIDEO}", {"fields": "post_id,status"}, CallKind.READ)] * 3
    )
    assert script.slept == [0.25, 0.5]


def test_a_post_id_that_never_comes_ends_as_an_unknown_outcome_within_the_bound():
    script = Script()
    with pytest.raises(PushOutcomeUnknown) as raised:
        script.videos().publish(PAGE, VIDEO, PostFields())
    assert sum(script.slept) <= POST_ID_WAIT_S
    assert sum(script.slept) > POST_ID_WAIT_S / 2
    assert max(script.slept) == 10.0
    assert "gave no post id" in raised.value.message
    assert TOKEN.reveal() not in str(raised.value)


@pytest.mark.parametrize("state", ["error", "upload_failed"])
def test_a_video_facebook_cannot_process_is_an_error_not_a_wait(state: str) -> None:
    script = Script({"status": {"video_status": state}})
    with pytest.raises(GraphError, match="could not process the video"):
        script.videos().publish(PAGE, VIDEO, PostFields(message="x"))
    assert script.slept == []


def test_a_message_change_is_the_description_and_none_clears_it() -> None:
    script = Script()
    script.videos().describe(PAGE, VIDEO, PostFields(message=None))
    assert script.sent == [("POST", f"/{VIDEO}", {"description": ""}, CallKind.UPDATE)]
