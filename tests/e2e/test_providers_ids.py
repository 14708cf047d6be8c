"""An id from a hand-edited lockfile never reaches a URL path: both providers refuse
it before sending anything (a "../me" would make statesync call another endpoint),
for plans as for applies, with a message naming the id and the request it would have
gone into."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from tests.e2e.conftest import ACME, Project, configure_oneall

MANIFEST = 'page: "104510075301234"\nposts:\n  hello: {message: Hello.}\n'
EDITED = 'page: "104510075301234"\nposts:\n  hello: {message: Hello again.}\n'
BAD_IDS = ["../me", "123/feed", f"{ACME}_1/comments", "1?fields=access_token"]


@pytest.mark.parametrize("provider", ["graph", "oneall"])
@pytest.mark.parametrize("bad_id", BAD_IDS)
def test_a_tampered_post_id_is_refused_before_any_request(
    project: Project, run, emulator, provider: str, bad_id: str
) -> None:
    if provider == "oneall":
        configure_oneall(project, read="none")  # OneAll writes; nothing reads
    _tamper(project, run, bad_id)
    before = _counts(emulator)

    result = run("apply", "--auto-approve", ".")

    assert result.exit_code == 1
    assert f"{bad_id!r} is not a post id" in result.output
    assert "Traceback" not in result.output
    sent = _counts(emulator) - before
    assert all(method == "GET" for method, _ in sent)  # page tokens at most: no write
    assert not [route for _, route in sent if "post" in route.lower()]
    assert project.lock()["pages"][ACME]["posts"]["hello"]["id"] == bad_id  # untouched


@pytest.mark.parametrize("bad_id", BAD_IDS)
def test_plan_refuses_a_tampered_post_id_before_reading(
    project: Project, run, emulator, bad_id: str
) -> None:
    _tamper(project, run, bad_id)
    before = _counts(emulator)

    result = run("plan", ".")

    assert result.exit_code == 1
    where = f"POST / (batch read on page {ACME})"
    assert f"{where}: {bad_id!r} is not a post id" in result.output
    assert "Traceback" not in result.output
    sent = _counts(emulator) - before
    assert all(method == "GET" for method, _ in sent)  # no batch read was sent
    assert not [route for _, route in sent if "feed" in route or route.endswith("/me")]


@pytest.mark.parametrize("provider", ["graph", "oneall"])
def test_a_post_of_another_page_is_refused_before_any_write(
    project: Project, run, emulator, provider: str
) -> None:
    """A well-formed id of another page would edit that page's post if the same
    credentials reach it: the id must belong to the page it is recorded under."""
    if provider == "oneall":
        configure_oneall(project, read="none")
    _tamper(project, run, "999_1")
    before = _counts(emulator)

    result = run("apply", "--auto-approve", ".")

    assert result.exit_code == 1
    assert f"'999_1' is not a post id of page {ACME}" in result.output
    assert all(method == "GET" for method, _ in _counts(emulator) - before)
    assert project.lock()["pages"][ACME]["posts"]["hello"]["id"] == "999_1"


def _tamper(project: Project, run, post_id: str) -> None:
    """Publish ``hello``, then put ``post_id`` in its lockfile entry and edit it."""
    project.write("pages/acme.yaml", MANIFEST)
    assert run("apply", "--auto-approve", ".").exit_code == 0
    lock = project.lock()
    lock["pages"][ACME]["posts"]["hello"]["id"] = post_id
    (project.root / "statesync.lock").write_text(json.dumps(lock))
    project.write("pages/acme.yaml", EDITED)


def _counts(emulator) -> Counter[tuple[str, str]]:
    """Requests the emulator received, by method and route (batch items included)."""
    routes = emulator.stats()["routes"]
    return Counter({(r["method"], r["route"]): r["count"] for r in routes})
