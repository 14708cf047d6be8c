"""The official Graph SDK (facebook-business), unmodified but for its base URL, works.

It sends what real clients send (token in the query string of every method, JSON-encoded
values, trailing slashes, `summary=true`), so it proves the emulator speaks real Graph.
"""

from __future__ import annotations

import pytest
from facebook_business.adobjects.page import Page
from facebook_business.adobjects.pagepost import PagePost
from facebook_business.api import FacebookAdsApi
from facebook_business.exceptions import FacebookRequestError
from facebook_business.session import FacebookSession

from statesync.emulator.server import RunningEmulator
from tests.emulator.support import ACME, ACME_MEDIA, ACME_TOKEN


def sdk(emulator: RunningEmulator, token: str) -> FacebookAdsApi:
    session = FacebookSession(access_token=token)
    session.GRAPH = (
        emulator.url
    )  # the SDK's documented base URL, without a trailing slash
    session.requests.trust_env = False  # loopback only, whatever the environment says
    return FacebookAdsApi(session, api_version="v26.0")


def test_sdk_reads_a_page(emulator: RunningEmulator) -> None:
    api = sdk(emulator, ACME_TOKEN)
    page = Page(ACME, api=api).api_get(fields=["name", "category", "about"])
    assert page["name"] == "Acme Coffee"
    assert page["category"] == "Coffee Shop"
    assert page["about"] == "Small-batch coffee."


def test_sdk_creates_reads_updates_and_deletes_a_post(
    emulator: RunningEmulator,
) -> None:
    api = sdk(emulator, ACME_TOKEN)
    created = Page(ACME, api=api).create_feed(
        params={"message": "From the SDK\n", "link": "https://acme.example/sdk"}
    )
    post_id = created["id"]
    assert post_id.startswith(f"{ACME}_")

    post = PagePost(post_id, api=api).api_get(fields=["message", "created_time"])
    assert post["message"] == "From the SDK"
    # The SDK reads attachments through their edge (PROTOCOL §8: no `link` field).
    (share,) = PagePost(post_id, api=api).get_attachments()
    assert share["unshimmed_url"] == "https://acme.example/sdk"

    feed = list(Page(ACME, api=api).get_feed(fields=["message"]))
    assert [item["id"] for item in feed] == [post_id, feed[1]["id"]]  # newest first
    assert feed[1]["message"] == "Welcome to our page!"

    PagePost(post_id, api=api).api_update(
        params={"message": "Edited by the SDK", "is_hidden": False}
    )
    assert PagePost(post_id, api=api).api_get(fields=["message"])["message"] == (
        "Edited by the SDK"
    )

    PagePost(post_id, api=api).api_delete()
    with pytest.raises(FacebookRequestError) as deleted:
        PagePost(post_id, api=api).api_get(fields=["message"])
    assert deleted.value.api_error_code() == 100
    assert deleted.value.api_error_subcode() == 33
    assert deleted.value.http_status() == 400


def test_sdk_attached_media(emulator: RunningEmulator) -> None:
    api = sdk(emulator, ACME_TOKEN)
    created = Page(ACME, api=api).create_feed(
        params={
            "message": "Photos",
            "attached_media": [
                {"media_fbid": ACME_MEDIA[1]},
                {"media_fbid": ACME_MEDIA[0]},
            ],
        }
    )
    (album,) = PagePost(created["id"], api=api).get_attachments()
    subs = album["subattachments"]["data"]
    assert [sub["target"]["id"] for sub in subs] == [ACME_MEDIA[1], ACME_MEDIA[0]]


def test_sdk_bad_token_is_190(emulator: RunningEmulator) -> None:
    api = sdk(emulator, "EAAnot-a-real-token")
    with pytest.raises(FacebookRequestError) as caught:
        Page(ACME, api=api).api_get(fields=["name"])
    assert caught.value.api_error_code() == 190
    assert caught.value.api_error_type() == "OAuthException"
