"""OneAll (seeds 000, 001, PROTOCOL §12) on the same store as Graph."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.emulator.support import (
    ACME,
    ACME_MEDIA,
    ACME_TOKEN,
    BETA,
    BETA_MEDIA,
    IDENTITY,
    ONEALL_AUTH,
    create_post,
)

PUSH = f"/push/identities/{IDENTITY}/facebook/page/post.json"


def push(client: httpx.Client, page: dict[str, Any], **kwargs: Any) -> httpx.Response:
    kwargs.setdefault("auth", ONEALL_AUTH)
    return client.post(PUSH, json={"request": {"push": {"page": page}}}, **kwargs)


def update_url(post_id: str, page: str = ACME) -> str:
    return f"/update/identities/{IDENTITY}/facebook/page/{page}/post/{post_id}.json"


def status(response: httpx.Response) -> dict[str, Any]:
    result: dict[str, Any] = response.json()["response"]["request"]["status"]
    return result


def graph_read(
    client: httpx.Client, post_id: str, fields: str = "message,attachments"
) -> dict[str, Any]:
    body: dict[str, Any] = client.get(
        f"/v26.0/{post_id}", params={"access_token": ACME_TOKEN, "fields": fields}
    ).json()
    return body


def test_push_answers_seed_001_envelope_and_graph_sees_it(client: httpx.Client) -> None:
    response = push(
        client,
        {"id": ACME, "message": "Hello from OneAll", "link": "https://acme.example"},
    )
    assert response.status_code == 200
    envelope = response.json()["response"]
    assert envelope["request"]["resource"] == PUSH
    assert envelope["request"]["status"] == {
        "flag": "success",
        "code": 200,
        "info": "Your request has been processed successfully",
    }
    assert envelope["request"]["date"].endswith("+0000")
    data = envelope["result"]["data"]
    assert data["provider"] == "facebook"
    assert data["object"] == "post"
    assert data["post_id"].startswith(f"{ACME}_")
    assert data["post_location"] == f"https://www.facebook.com/{data['post_id']}"
    read = graph_read(client, data["post_id"])
    assert read["message"] == "Hello from OneAll"
    assert read["attachments"]["data"][0]["unshimmed_url"] == "https://acme.example"


def test_push_with_integer_attachments(client: httpx.Client) -> None:
    response = push(
        client,
        {
            "id": int(ACME),
            "message": "pics",
            "attachments": [int(m) for m in ACME_MEDIA[:2]],
        },
    )
    post_id = response.json()["response"]["result"]["data"]["post_id"]
    subs = graph_read(client, post_id)["attachments"]["data"][0]["subattachments"][
        "data"
    ]
    assert [s["target"]["id"] for s in subs] == list(ACME_MEDIA[:2])


def test_push_link_and_attachments_is_400(client: httpx.Client) -> None:
    response = push(
        client,
        {
            "id": ACME,
            "message": "x",
            "link": "https://a.example",
            "attachments": [ACME_MEDIA[0]],
        },
    )
    assert response.status_code == 400
    assert status(response)["flag"] == "error"
    assert status(response)["code"] == 400


def test_push_unknown_attachment_is_400(client: httpx.Client) -> None:
    response = push(client, {"id": ACME, "message": "x", "attachments": [BETA_MEDIA]})
    assert response.status_code == 400


@pytest.mark.parametrize(
    "auth", [None, ("test-public-key", "wrong"), ("wrong", "test-private-key")]
)
def test_bad_or_missing_credentials_are_401(client: httpx.Client, auth: Any) -> None:
    response = push(client, {"id": ACME, "message": "x"}, auth=auth)
    assert response.status_code == 401
    assert status(response) | {"info": ""} == {"flag": "error", "code": 401, "info": ""}


def test_unknown_identity_is_404(client: httpx.Client) -> None:
    response = client.post(
        "/push/identities/00000000-0000-0000-0000-000000000000/facebook/page/post.json",
        auth=ONEALL_AUTH,
        json={"request": {"push": {"page": {"id": ACME, "message": "x"}}}},
    )
    assert response.status_code == 404
    assert status(response)["code"] == 404


def test_page_not_administered_is_403(seed: dict[str, Any]) -> None:
    from statesync.emulator.server import run_emulator

    # The analyst (ANALYZE only) gets a OneAll identity in this variant of the seed.
    variant = json.loads(json.dumps(seed))
    variant["users"][1]["oneall_identity_token"] = "analyst-identity"
    with (
        run_emulator(seed=variant) as emulator,
        httpx.Client(base_url=emulator.url, trust_env=False) as http,
    ):
        response = http.post(
            "/push/identities/analyst-identity/facebook/page/post.json",
            auth=ONEALL_AUTH,
            json={"request": {"push": {"page": {"id": ACME, "message": "x"}}}},
        )
        assert response.status_code == 403
        pulled = http.get(
            f"/pull/identities/analyst-identity/facebook/page/{ACME}/posts.json",
            auth=ONEALL_AUTH,
        )
        assert pulled.status_code == 403
        other = http.post(
            f"/push/identities/{IDENTITY}/facebook/page/post.json",
            auth=ONEALL_AUTH,
            json={"request": {"push": {"page": {"id": "999", "message": "x"}}}},
        )
        assert other.status_code == 403  # OneAll knows only the identity's pages


def test_malformed_body_is_400(client: httpx.Client) -> None:
    response = client.post(
        PUSH,
        auth=ONEALL_AUTH,
        content=b"{not json",
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 400
    response = client.post(PUSH, auth=ONEALL_AUTH, json={"request": {}})
    assert response.status_code == 400


def test_update_in_place_message_link_and_attachments(client: httpx.Client) -> None:
    post_id = create_post(client, message="before", link="https://acme.example/old")
    response = client.put(
        update_url(post_id),
        auth=ONEALL_AUTH,
        json={
            "request": {
                "update": {
                    "post": {"message": "after", "link": "https://acme.example/new"}
                }
            }
        },
    )
    assert response.status_code == 200
    assert response.json() == {
        "response": {
            "request": {
                "date": response.json()["response"]["request"]["date"],
                "resource": update_url(post_id),
                "status": {
                    "flag": "success",
                    "code": 200,
                    "info": "The post has successfully been updated.",
                },
            }
        }
    }
    read = graph_read(client, post_id)
    assert read["message"] == "after"
    assert read["attachments"]["data"][0]["unshimmed_url"] == "https://acme.example/new"
    # Swap the link for attachments, then remove them all with an empty list.
    client.put(
        update_url(post_id),
        auth=ONEALL_AUTH,
        json={
            "request": {
                "update": {"post": {"link": "", "attachments": [ACME_MEDIA[0]]}}
            }
        },
    )
    assert (
        graph_read(client, post_id)["attachments"]["data"][0]["target"]["id"]
        == ACME_MEDIA[0]
    )
    client.put(
        update_url(post_id),
        auth=ONEALL_AUTH,
        json={"request": {"update": {"post": {"attachments": []}}}},
    )
    assert "attachments" not in graph_read(client, post_id)


def test_update_with_bare_post_digits(client: httpx.Client) -> None:
    post_id = create_post(client, message="before")
    response = client.put(
        update_url(post_id.split("_")[1]),
        auth=ONEALL_AUTH,
        json={"request": {"update": {"post": {"message": "after"}}}},
    )
    assert response.status_code == 200
    assert graph_read(client, post_id)["message"] == "after"


def test_update_link_and_attachments_is_400(client: httpx.Client) -> None:
    post_id = create_post(client, message="m")
    response = client.put(
        update_url(post_id),
        auth=ONEALL_AUTH,
        json={
            "request": {
                "update": {
                    "post": {
                        "link": "https://a.example",
                        "attachments": [ACME_MEDIA[0]],
                    }
                }
            }
        },
    )
    assert response.status_code == 400


def test_update_or_delete_missing_post_is_404(client: httpx.Client) -> None:
    missing = f"{ACME}_122199999999999999"
    update = client.put(
        update_url(missing),
        auth=ONEALL_AUTH,
        json={"request": {"update": {"post": {"message": "x"}}}},
    )
    assert update.status_code == 404
    assert status(update)["flag"] == "error"
    assert client.delete(update_url(missing), auth=ONEALL_AUTH).status_code == 404


def test_delete_post_then_graph_says_100_33(client: httpx.Client) -> None:
    post_id = create_post(client, message="bye")
    response = client.delete(update_url(post_id), auth=ONEALL_AUTH)
    assert status(response)["info"] == "The post has successfully been deleted."
    gone = client.get(f"/v26.0/{post_id}", params={"access_token": ACME_TOKEN})
    assert gone.json()["error"]["error_subcode"] == 33


def test_delete_page_picture_and_video(seed: dict[str, Any]) -> None:
    from statesync.emulator.server import run_emulator

    variant = json.loads(json.dumps(seed))
    variant["pages"][0]["media"].append({"id": "555000111", "type": "video"})
    with (
        run_emulator(seed=variant) as emulator,
        httpx.Client(base_url=emulator.url, trust_env=False) as http,
    ):
        base = f"/update/identities/{IDENTITY}/facebook/page/{ACME}"
        picture = http.delete(f"{base}/picture/{ACME_MEDIA[2]}.json", auth=ONEALL_AUTH)
        assert status(picture)["info"] == "The picture has successfully been deleted."
        again = http.delete(f"{base}/picture/{ACME_MEDIA[2]}.json", auth=ONEALL_AUTH)
        assert again.status_code == 404
        video = http.delete(f"{base}/video/555000111.json", auth=ONEALL_AUTH)
        assert video.status_code == 200
        not_a_video = http.delete(
            f"{base}/video/{ACME_MEDIA[0]}.json", auth=ONEALL_AUTH
        )
        assert not_a_video.status_code == 404


def test_pull_pages(client: httpx.Client) -> None:
    response = client.get(
        f"/pull/identities/{IDENTITY}/facebook/pages.json", auth=ONEALL_AUTH
    )
    data = response.json()["response"]["result"]["data"]
    assert [page["page_id"] for page in data["pages"]] == [ACME, BETA]
    assert data["pages"][0]["name"] == "Acme Coffee"
    assert data["pagination"]["total_entries"] == 2


def test_pull_posts_paged(client: httpx.Client) -> None:
    created = [create_post(client, message=f"p{i}\n") for i in range(3)]
    url = f"/pull/identities/{IDENTITY}/facebook/page/{ACME}/posts.json"
    first = client.get(
        url, auth=ONEALL_AUTH, params={"page": 1, "entries_per_page": 2}
    ).json()
    data = first["response"]["result"]["data"]
    assert [post["post_id"] for post in data["posts"]] == [created[2], created[1]]
    assert data["posts"][0] == {
        "post_id": created[2],
        "message": "p2",
        "link": None,
        "attachments": [],
        "created_at": data["posts"][0]["created_at"],
    }
    assert data["pagination"]["total_pages"] == 2
    second = client.get(
        url, auth=ONEALL_AUTH, params={"page": 2, "entries_per_page": 2}
    ).json()
    assert (
        len(second["response"]["result"]["data"]["posts"]) == 2
    )  # p0 and the seed post
    too_many = client.get(url, auth=ONEALL_AUTH, params={"entries_per_page": 501})
    assert too_many.status_code == 400


def test_unknown_oneall_resource_is_404(client: httpx.Client) -> None:
    response = client.get("/pull/identities/x/twitter/tweets.json", auth=ONEALL_AUTH)
    assert response.status_code == 404
